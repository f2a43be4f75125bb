"""CampaignPreviewWidget: flip through a campaign's rendered messages, endpoint by endpoint and treatment by
treatment, before anything is sent.

The endpoints offered are a sample of those the campaign would send to (each treatment's first ``sample``), plus
any endpoint id typed in. Each view is ``campaigns.preview.preview`` for that endpoint and treatment: the parts as
the endpoint would get them, e-mail HTML in a sandboxed frame, SMS parts, the variables it lacks, and which
group (treatment or holdout) the endpoint is really in. Views are cached, so flipping back is instant.

Drive it from Python (as the tests do)::

    widget = CampaignPreviewWidget(project, project.campaigns.load("spring"), sample=10)
    widget.next()                       # the next endpoint
    widget.treatment.value = "1"        # treatment B
    widget.current.messages[0].parts    # what is shown
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..campaigns.preview import CampaignPreview, preview
from ..errors import WorkbenchError

if TYPE_CHECKING:
    from ..campaigns.spec import Campaign


class CampaignPreviewWidget(w.VBox):
    """Endpoint and treatment pickers over a campaign's previews (see the module docstring)."""

    def __init__(self, store: Any, campaign: Campaign, *, sample: int = 20):
        self.store = store
        self.campaign = campaign
        first = preview(store, campaign, sample=sample)
        ids = sorted({m.endpoint_id for m in first.messages})
        self._cache: dict[tuple[str, str], CampaignPreview] = {}
        self.endpoint = w.Dropdown(options=ids, description="Endpoint", layout=w.Layout(width="320px"))
        self.typed = w.Text(
            placeholder="or type an endpoint id", continuous_update=False, layout=w.Layout(width="220px")
        )
        self.treatment = w.ToggleButtons(
            options=[(f"{t.treatment_id}: {t.name}", t.treatment_id) for t in campaign.treatments],
            description="Treatment",
        )
        self.previous_button = w.Button(
            description="◀", layout=w.Layout(width="40px"), tooltip="previous endpoint"
        )
        self.next_button = w.Button(description="▶", layout=w.Layout(width="40px"), tooltip="next endpoint")
        self.view = w.HTML()
        self.current: CampaignPreview | None = None
        self.previous_button.on_click(lambda _: self.previous())
        self.next_button.on_click(lambda _: self.next())
        self.endpoint.observe(lambda _: self.refresh(), names="value")
        self.treatment.observe(lambda _: self.refresh(), names="value")
        self.typed.observe(lambda _: self._typed(), names="value")
        header = w.HTML(
            f"<b>Campaign {html.escape(campaign.name)}</b> (version {campaign.version}): "
            f"{len(ids)} sample endpoints, {len(campaign.treatments)} treatments"
            + ("" if ids else f"<br><i>{html.escape(first.note)}</i>")
        )
        super().__init__(
            [
                header,
                w.HBox([self.previous_button, self.endpoint, self.next_button, self.typed]),
                self.treatment,
                self.view,
            ]
        )
        self.refresh()

    def refresh(self) -> None:
        """Show the preview of the chosen endpoint and treatment."""
        endpoint = self.endpoint.value
        if endpoint is None:
            self.view.value = "<i>No endpoint to show.</i>"
            return
        key = (str(endpoint), str(self.treatment.value))
        if key not in self._cache:
            try:
                self._cache[key] = preview(self.store, self.campaign, endpoint_id=key[0], treatment=key[1])
            except WorkbenchError as err:
                self.view.value = f"<div style='color:#b00'>{html.escape(str(err))}</div>"
                return
        self.current = self._cache[key]
        self.view.value = self.current._repr_html_()

    def next(self) -> None:
        """Move to the next sample endpoint (wrapping around)."""
        self._step(1)

    def previous(self) -> None:
        """Move to the previous sample endpoint (wrapping around)."""
        self._step(-1)

    def _step(self, by: int) -> None:
        options = list(self.endpoint.options)
        if options:
            at = options.index(self.endpoint.value) if self.endpoint.value in options else 0
            self.endpoint.value = options[(at + by) % len(options)]

    def _typed(self) -> None:
        wanted = self.typed.value.strip()
        if not wanted:
            return
        if wanted not in self.endpoint.options:
            self.endpoint.options = [*self.endpoint.options, wanted]
        self.endpoint.value = wanted
