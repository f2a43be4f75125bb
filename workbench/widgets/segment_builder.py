"""SegmentBuilder: build a segment by pointing and clicking, with a live count and a sample of members.

Fields come from the project's own data (custom attributes, user attributes and metrics found in the catalog,
plus Pinpoint's demographic and location dimensions, app-session recency and event types from the log), with
value suggestions from each field's most frequent values. Every change re-counts once typing pauses for
``debounce`` seconds (0.4 by default: a half-typed value such as "iO" is never counted, and a count that
finishes after a newer change is dropped, so the count shown is always the one for the last value typed); the
count is one DuckDB query over the catalog, so it stays quick on a million endpoints.

The sample of members fits the notebook's width: long values (push tokens, e-mail addresses) are shortened
with an ellipsis and show whole on hover. The Name box and the Save button sit above the sample, so they stay
in view.

Drive it from Python (as the tests do)::

    builder = SegmentBuilder(project)
    row = builder.add_condition("Attributes.plan", "INCLUSIVE", "pro, team")
    builder.combine.value = "ANY"
    builder.wait()            # the count for the last change (debounce=0 counts on every change instead)
    builder.counts            # SegmentCount(endpoints=..., users=...); users estimated above 200k endpoints
    builder.save("pro-plans")
"""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import ipywidgets as w

from ..errors import InputError, WorkbenchError, suggest
from ..segments import (
    RECENCY_DURATIONS,
    AttributeField,
    Condition,
    MetricField,
    Segment,
    SegmentCount,
    SetField,
    active,
    everyone,
    inactive,
    performed,
    resolve_now,
)

# the sample table is shared with a Segment's own display; SAMPLE_CHARS is re-exported for callers of this module
from ..segments.sample_html import SAMPLE_CHARS as SAMPLE_CHARS
from ..segments.sample_html import sample_table
from ..segments.spec import SET_DIMENSION_COLUMNS
from ..store import schema

if TYPE_CHECKING:
    from ..store import Store

SET_OPERATORS = {"is one of": "INCLUSIVE", "is not one of": "EXCLUSIVE"}
ATTRIBUTE_OPERATORS = {
    "has any of": "INCLUSIVE",
    "has none of": "EXCLUSIVE",
    "contains": "CONTAINS",
    "before": "BEFORE",
    "after": "AFTER",
    "on": "ON",
    "between": "BETWEEN",
}
METRIC_OPERATORS = {
    ">": "GREATER_THAN",
    ">=": "GREATER_THAN_OR_EQUAL",
    "<": "LESS_THAN",
    "<=": "LESS_THAN_OR_EQUAL",
    "=": "EQUAL",
}
RECENCY_OPERATORS = {"active in the last": "ACTIVE", "not active in the last": "INACTIVE"}
EXACT_USERS_UP_TO = 200_000  # endpoints; above this the live user count is an estimate
#: Seconds of quiet after a keystroke before the builder counts (long enough for a typing pause, short enough to
#: feel live).
DEFAULT_DEBOUNCE = 0.4
#: What the builder says when Save is pressed without a name.
NAME_NEEDED = "Type a name for the segment in the Name box, then press Save."
EVENT_OPERATORS = {"at least": "AT_LEAST", "at most": "AT_MOST", "exactly": "EXACTLY"}


@dataclass(frozen=True)
class Field:
    """One choosable field: its label, kind (set / attribute / metric / recency / event) and the key it targets."""

    label: str
    kind: str
    key: str

    @property
    def operators(self) -> dict[str, str]:
        return {
            "set": SET_OPERATORS,
            "attribute": ATTRIBUTE_OPERATORS,
            "metric": METRIC_OPERATORS,
            "recency": RECENCY_OPERATORS,
            "event": EVENT_OPERATORS,
        }[self.kind]


class ConditionRow(w.HBox):
    """One condition: field, operator, values (comma-separated), and a remove button."""

    def __init__(self, builder: SegmentBuilder, field: str | None = None):
        self.builder = builder
        options = [(f.label, f.label) for f in builder.fields]
        self.field = w.Dropdown(options=options, value=field or options[0][1], layout=w.Layout(width="260px"))
        self.operator = w.Dropdown(layout=w.Layout(width="170px"))
        self.values = w.Combobox(
            placeholder="values, comma-separated", ensure_option=False, layout=w.Layout(width="300px")
        )
        self.remove_button = w.Button(description="remove", layout=w.Layout(width="80px"))
        super().__init__([self.field, self.operator, self.values, self.remove_button])
        self._set_field(self.field.value)
        self.field.observe(lambda change: self._set_field(change["new"]), names="value")
        self.operator.observe(lambda _: builder.changed(), names="value")
        self.values.observe(lambda _: builder.changed(), names="value")
        self.remove_button.on_click(lambda _: builder.remove(self))

    def _set_field(self, label: str) -> None:
        spec = self.builder.field(label)
        self.operator.options = list(spec.operators)
        self.operator.value = next(iter(spec.operators))
        self.values.options = self.builder.suggestions(spec)
        self.values.placeholder = {
            "recency": "HR_24, DAY_7, DAY_14 or DAY_30",
            "event": "times[, within days]",
            "metric": "a number",
        }.get(spec.kind, "values, comma-separated")
        self.builder.changed()

    def condition(self) -> Condition | None:
        """This row as a builder condition; None while it is incomplete. Raises InputError when it is wrong."""
        spec = self.builder.field(self.field.value)
        op = spec.operators[self.operator.value]
        parts = [p.strip() for p in (self.values.value or "").split(",") if p.strip()]
        if not parts:
            return None
        if spec.kind == "set":
            values = SetField(spec.key)
            return values.none_of(*parts) if op == "EXCLUSIVE" else values.any_of(*parts)
        if spec.kind == "attribute":
            if op == "BETWEEN" and len(parts) < 2:
                return None
            return AttributeField(spec.key).match(op, *parts)
        if spec.kind == "metric":
            try:
                value = float(parts[0])
            except ValueError:
                raise InputError(f"{parts[0]!r} is not a number", field=spec.label) from None
            return MetricField(spec.key).compare(op, value)
        if spec.kind == "recency":
            if parts[0] not in RECENCY_DURATIONS:
                raise InputError(f"{parts[0]!r}: choose HR_24, DAY_7, DAY_14 or DAY_30", field=spec.label)
            return active(parts[0]) if op == "ACTIVE" else inactive(parts[0])
        try:
            times = int(parts[0])
            days = float(parts[1]) if len(parts) > 1 else None
        except ValueError:
            raise InputError("give times, and optionally days: e.g. 2, 30", field=spec.label) from None
        event = performed(spec.key)
        event = {"AT_LEAST": event.at_least, "AT_MOST": event.at_most, "EXACTLY": event.exactly}[op](times)
        return event if days is None else event.within_days(days)


class SegmentBuilder(w.VBox):
    """A segment builder widget with a live count and a sample; ``save(name)`` stores a dynamic segment."""

    def __init__(
        self,
        project: Store,
        *,
        now: datetime | str | None = None,
        debounce: float = DEFAULT_DEBOUNCE,
        sample_size: int = 10,
        sample_columns: tuple[str, ...] = ("Id", "ChannelType", "Address", "User.UserId"),
        exact_users: bool | None = None,
    ):
        self.project = project
        self.now = resolve_now(project, now)
        self.debounce = debounce
        self.sample_size = sample_size
        self._columns = project.endpoint_columns()
        self.sample_columns = tuple(c for c in sample_columns if c in self._columns)
        self.fields = self._discover_fields()
        if exact_users is None:
            # an exact distinct count of users is most of a live count's cost on a big table; the live view
            # shows an estimate there (HyperLogLog, ~2% error) and segment.count() stays exact
            total = self.project.query("SELECT count(*) AS n FROM endpoints").item(0, "n")
            exact_users = total <= EXACT_USERS_UP_TO
        self.exact_users = exact_users
        self._by_label = {f.label: f for f in self.fields}
        self._suggestions: dict[str, list[str]] = {}
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._counting = threading.Lock()  # one count at a time
        self._change = 0  # bumped by every edit: a count started before the latest edit is not shown
        self._ready = False
        self.counts: SegmentCount | None = None
        self.sample = None
        self.error: str | None = None
        self.saved: Segment | None = None

        self.combine = w.ToggleButtons(options=["ALL", "ANY"], value="ALL", description="Match")
        self.rows_box = w.VBox([])
        self.add_button = w.Button(description="add condition", icon="plus")
        self.count_label = w.HTML()
        self.status = w.HTML()
        self.sample_view = w.HTML()
        self.name = w.Text(placeholder="a name for the segment", description="Name")
        self.save_button = w.Button(description="save segment", button_style="primary")
        self.combine.observe(lambda _: self.changed(), names="value")
        self.add_button.on_click(lambda _: self.add_condition())
        self.save_button.on_click(lambda _: self._save_clicked())
        super().__init__(
            [
                self.combine,
                self.rows_box,
                self.add_button,
                self.count_label,
                self.status,
                # above the sample, so a tall sample never pushes it out of view
                w.HBox([self.name, self.save_button]),
                self.sample_view,
            ],
            layout=w.Layout(max_width="100%", overflow="hidden"),
        )
        self._ready = True
        self.refresh()

    # --- fields -------------------------------------------------------------------------------------------------

    def _discover_fields(self) -> list[Field]:
        fields = [
            Field(f"Demographic.{k}", "set", f"Demographic.{k}")
            for k in ("Channel", "Platform", "Make", "Model", "AppVersion")
        ]
        fields.append(Field("Location.Country", "set", "Location.Country"))
        for column in self._columns:
            family = schema.attribute_family(column)
            if family is None:
                continue
            kind = "metric" if family[0] == "Metrics." else "attribute"
            fields.append(Field(column, kind, column))
        fields.append(Field("Behavior.Recency (app sessions)", "recency", "Recency"))
        types = self.project.query(
            "SELECT DISTINCT event_type FROM events WHERE event_type IS NOT NULL ORDER BY 1"
        )
        fields += [Field(f"Event: {e}", "event", e) for e in types.get_column("event_type").to_list()]
        return fields

    def field(self, label: str) -> Field:
        """The field offered under ``label`` in the field menu (its kind, column and operators)."""
        return self._by_label[label]

    def suggestions(self, spec: Field, limit: int = 50) -> list[str]:
        """The field's most frequent values in the data (for the values box)."""
        if spec.kind == "recency":
            return list(RECENCY_DURATIONS)
        if spec.kind not in ("set", "attribute"):
            return []
        if spec.label not in self._suggestions:
            column = schema.quote(SET_DIMENSION_COLUMNS.get(spec.key, spec.key))
            value = f"unnest({column})" if spec.kind == "attribute" else column
            frame = self.project.query(
                f"SELECT v FROM (SELECT {value} AS v FROM endpoints) WHERE v IS NOT NULL GROUP BY v "
                f"ORDER BY count(*) DESC, v LIMIT {int(limit)}"
            )
            self._suggestions[spec.label] = [str(v) for v in frame.get_column("v").to_list()]
        return self._suggestions[spec.label]

    # --- conditions ---------------------------------------------------------------------------------------------

    @property
    def rows(self) -> list[ConditionRow]:
        """The condition rows, in order."""
        return list(self.rows_box.children)

    def add_condition(
        self, field: str | None = None, operator: str | None = None, values: str | None = None
    ) -> ConditionRow:
        """Add a condition row (optionally filled in: operator by its label or Pinpoint name); returns it."""
        if field is not None and field not in self._by_label:
            raise InputError(
                f"no field {field!r} in the builder{suggest(field, list(self._by_label))}; fields: "
                + ", ".join(self._by_label),
                field="field",
            )
        if operator is not None:
            ops = self.field(field or self.fields[0].label).operators
            if operator not in ops and operator not in ops.values():
                raise InputError(
                    f"{operator!r} is not an operator of {field!r}; one of: "
                    + ", ".join(f"{label} ({name})" for label, name in ops.items()),
                    field="operator",
                )
        self._ready = False
        row = ConditionRow(self, field)
        if operator is not None:
            ops = self.field(row.field.value).operators
            row.operator.value = (
                operator if operator in ops else next(k for k, v in ops.items() if v == operator)
            )
        if values is not None:
            row.values.value = values
        self.rows_box.children = (*self.rows_box.children, row)
        self._ready = True
        self.changed()
        return row

    def remove(self, row: ConditionRow) -> None:
        """Remove a condition row (its x button does this); the count updates."""
        self.rows_box.children = tuple(r for r in self.rows_box.children if r is not row)
        self.changed()

    def condition(self) -> Condition:
        """The builder's current condition (incomplete rows are left out)."""
        parts = [c for c in (row.condition() for row in self.rows) if c is not None]
        if not parts:
            return everyone()
        combined = parts[0]
        for part in parts[1:]:
            combined = (combined & part) if self.combine.value == "ALL" else (combined | part)
        return combined

    # --- live count ---------------------------------------------------------------------------------------------

    def changed(self) -> None:
        """Called on every edit: re-count now (debounce 0) or once edits pause, dropping superseded requests."""
        if not self._ready:
            return
        with self._lock:
            self._change += 1
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self.debounce > 0:
                self._timer = threading.Timer(self.debounce, self._refresh_after_pause)
                self._timer.daemon = True
                self._timer.start()
        if self.debounce <= 0:
            self.refresh()
        else:
            self.count_label.value = _counting(self.count_label.value)

    def _refresh_after_pause(self) -> None:
        with self._lock:
            self._timer = None
        self.refresh()

    def wait(self, timeout: float = 30.0) -> SegmentCount | None:
        """Count a pending change now (no need to wait for the pause) and return the count for the last edit."""
        with self._lock:
            pending = self._timer is not None
            if pending:
                self._timer.cancel()
                self._timer = None
        if pending:
            self.refresh()
        # a count started by a timer that had already fired finishes on its thread: wait for it
        if self._counting.acquire(timeout=timeout):
            self._counting.release()
        return self.counts

    def refresh(self) -> SegmentCount | None:
        """Count the current condition and show a sample of members.

        A count that finishes after a newer edit is dropped (the newer edit counts next), so the figure shown
        always belongs to the last value typed.
        """
        with self._counting:
            change = self._change
            try:
                segment = Segment(self.project, self.condition(), now=self.now)
                select_sample = ", ".join(f"endpoints.{schema.quote(c)}" for c in self.sample_columns)
                users_sql = "count(DISTINCT" if self.exact_users else "approx_count_distinct("
                with self.project.reading() as con:  # the checks and both queries on one connection
                    n, users = con.execute(
                        segment.sql(f'count(*), {users_sql} endpoints."User.UserId")')
                    ).fetchall()[0]
                    sample = con.sql(segment.sql(select_sample) + f" LIMIT {int(self.sample_size)}").pl()
            except (WorkbenchError, ValueError) as err:
                if change != self._change:
                    return None
                self.error = str(err)
                self.status.value = f"<span style='color:#b00'>{html.escape(self.error)}</span>"
                self.count_label.value = _settled(self.count_label.value)
                return None
            if change != self._change:  # edited while counting: this count is for an older value
                return None
            self.error = None
            incomplete = sum(1 for row in self.rows if not (row.values.value or "").strip())
            self.status.value = (
                f"<small>{incomplete} incomplete condition(s) left out</small>" if incomplete else ""
            )
            self.counts = SegmentCount(int(n), int(users))
            self.sample = sample
            about = "" if self.exact_users else "about "
            self.count_label.value = (
                f"<b>{self.counts.endpoints:,}</b> endpoints, {about}<b>{self.counts.users:,}</b> users"
            )
            self.sample_view.value = sample_table(sample)
            return self.counts

    def _repr_mimebundle_(self, **kwargs):
        """The widget, plus its count and sample as HTML for where widgets cannot run (a notebook exported to
        HTML), instead of a widget's text."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict) and "text/html" not in bundle:
            conditions = "".join(
                f"<li>{html.escape(r.field.value)} {html.escape(r.operator.value)} {html.escape(r.values.value)}</li>"
                for r in self.rows
            )
            bundle["text/html"] = (
                f"<div><b>SegmentBuilder</b> (match {self.combine.value}; point and click in Jupyter)"
                f"<ul>{conditions}</ul>{self.count_label.value}{self.sample_view.value}</div>"
            )
        return bundle

    # --- saving -------------------------------------------------------------------------------------------------

    def save(self, name: str | None = None) -> Segment:
        """Save the current condition as a named dynamic segment (a new version when the name exists)."""
        name = (name or self.name.value).strip()
        if not name:
            raise InputError(NAME_NEEDED, field="Name")
        self.saved = Segment(self.project, self.condition(), name=name, now=self.now).save(
            name, source="widget"
        )
        self.status.value = f"saved <b>{html.escape(name)}</b> version {self.saved.version}"
        return self.saved

    def _save_clicked(self) -> None:
        if not self.name.value.strip():
            self.status.value = f"<span style='color:#b00'>{html.escape(NAME_NEEDED)}</span>"
            return
        try:
            self.save()
        except WorkbenchError as err:
            self.status.value = f"<span style='color:#b00'>{html.escape(str(err))}</span>"


_DIM = "opacity:0.45"


def _counting(label: str) -> str:
    """The last count, greyed while the next one waits for typing to pause (never a half-typed value's count)."""
    if not label or label.startswith(f"<span style='{_DIM}'"):
        return label
    return f"<span style='{_DIM}' title='counting after you stop typing'>{label}</span>"


def _settled(label: str) -> str:
    prefix = f"<span style='{_DIM}' title='counting after you stop typing'>"
    return label[len(prefix) : -len("</span>")] if label.startswith(prefix) else label
