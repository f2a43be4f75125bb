"""A Segment's own display in a notebook fits the notebook's width: a push token (about 150 characters) in the
sample is shortened with "…" and shows whole on hover, as in the SegmentBuilder (one shared table)."""

from __future__ import annotations

import html
import re

import pytest

from workbench.segments import Segment, channel
from workbench.segments.sample_html import SAMPLE_CHARS, sample_table

TOKEN = "f" * 150  # a push token as long as the one that widened notebook 02's output
EMAIL = "someone.with.a.rather.long.name@a-long-example-domain.com"  # longer than the limit, has no spaces


@pytest.fixture(scope="module")
def tokens(tmp_path_factory):
    """A project with one push endpoint (a 150-character token) and one e-mail endpoint."""
    from workbench import Project

    root = tmp_path_factory.mktemp("tokens")
    project = Project.create(root / "project")
    csv = root / "endpoints.csv"
    csv.write_text(
        f"Id,ChannelType,Address,User.UserId\npush-1,GCM,{TOKEN},u1\nmail-1,EMAIL,{EMAIL},u2\n",
        encoding="utf-8",
    )
    project.endpoints.import_files(csv, progress=False)
    return project


def _cells(page: str) -> list[tuple[str | None, str]]:
    """(title, text) of every <td>, unescaped."""
    found = re.findall(r"<td[^>]*?(?: title='([^']*)')?>(.*?)</td>", page, flags=re.DOTALL)
    return [(html.unescape(title) if title else None, html.unescape(text)) for title, text in found]


def test_a_segments_sample_shortens_a_push_token_and_keeps_it_whole_on_hover(tokens):
    page = Segment(tokens, channel.any_of("GCM", "EMAIL"))._repr_html_()
    cells = _cells(page)
    assert cells, page
    assert all(len(text) <= SAMPLE_CHARS for _, text in cells)  # no cell wider than the limit, "…" included
    assert TOKEN not in page.replace(f"title='{TOKEN}'", "")  # the whole token only in the hover text
    shortened = {title: text for title, text in cells if title}
    assert shortened[TOKEN] == TOKEN[: SAMPLE_CHARS - 1] + "…"
    assert shortened[EMAIL] == EMAIL[: SAMPLE_CHARS - 1] + "…"
    assert ("u1" in [text for _, text in cells]) and ("push-1" in [text for _, text in cells])
    assert "max-width:100%" in page and "white-space:nowrap" in page


def test_the_segment_and_the_builder_show_the_same_table(tokens):
    """One function: the Segment's display holds exactly the table the shared function draws for its sample."""
    segment = Segment(tokens, channel.any_of("GCM"))
    sample = segment.members(["Id", "ChannelType", "Address", "User.UserId"]).head(5)
    assert sample_table(sample) in segment._repr_html_()


def test_a_send_result_shortens_a_push_token_and_keeps_it_on_hover():
    from workbench.delivery.transactional import DeliveryResult, SendOutcome

    token = "f" * 150
    outcome = SendOutcome(
        "r1", "adhoc", "push", [DeliveryResult(token, "SUCCESSFUL", 200, "accepted", "m1", "e1")]
    )
    page = outcome._repr_html_()
    assert token not in page.replace(f"title='{token}'", "")  # whole only in the title
    assert f"title='{token}'" in page and "f" * 31 + "…" in page
    assert "<td>accepted</td>" in page  # short values unchanged
