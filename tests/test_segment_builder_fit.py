"""The SegmentBuilder as an analyst meets it: a sample that fits, Save in view, no count for a half-typed value,
messages in the widget's words."""

from __future__ import annotations

import re
import threading

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from workbench.segments import Segment, SetField
from workbench.widgets import SegmentBuilder
from workbench.widgets.segment_builder import DEFAULT_DEBOUNCE, SAMPLE_CHARS, sample_table

NOW = "2026-10-30T00:00:00Z"
TOKEN = "f" * 150  # a push token: as long as the one that pushed the sample off-screen


def _cells(page: str) -> list[tuple[str | None, str]]:
    """(title, text) of every <td> of a sample table."""
    found = re.findall(r"<td[^>]*?(?: title='([^']*)')?>(.*?)</td>", page, flags=re.DOTALL)
    return [(title or None, text) for title, text in found]


def test_long_values_are_shortened_with_the_whole_value_on_hover():
    frame = pl.DataFrame({"Id": ["ep-1", "ep-2"], "Address": [TOKEN, "a@example.com"]})
    page = sample_table(frame)
    cells = _cells(page)
    assert ("" if cells[1][0] is None else cells[1][0]) == TOKEN  # the whole token on hover
    assert cells[1][1].endswith("…") and len(cells[1][1]) == SAMPLE_CHARS
    assert cells[3] == (None, "a@example.com")  # short values stay whole, with no tooltip
    assert "text-overflow:ellipsis" in page and "white-space:nowrap" in page and "max-width:100%" in page


@given(st.lists(st.text(min_size=0, max_size=300), min_size=1, max_size=5))
def test_no_sample_cell_is_wider_than_the_limit_and_nothing_escapes(values):
    page = sample_table(pl.DataFrame({"Address": values}))
    import html

    for (title, text), value in zip(_cells(page), values, strict=True):
        assert len(html.unescape(text)) <= SAMPLE_CHARS
        assert html.unescape(title if title is not None else text) == value
    assert "<script" not in page.replace("&lt;script", "")


def test_save_row_sits_above_the_sample(demo_project):
    builder = SegmentBuilder(demo_project, now=NOW, debounce=0)
    children = list(builder.children)
    save_row = next(i for i, c in enumerate(children) if builder.save_button in getattr(c, "children", ()))
    assert save_row < children.index(builder.sample_view)
    assert "<td" in builder.sample_view.value


def test_saving_without_a_name_asks_for_one_in_the_widgets_words(demo_project_copy):
    builder = SegmentBuilder(demo_project_copy, now=NOW, debounce=0)
    builder.save_button.click()
    assert "Type a name for the segment" in builder.status.value
    assert "save(" not in builder.status.value and builder.saved is None
    builder.name.value = "  "
    builder.save_button.click()
    assert "Type a name for the segment" in builder.status.value


def test_the_default_debounce_waits_for_a_typing_pause(demo_project):
    assert DEFAULT_DEBOUNCE >= 0.3
    builder = SegmentBuilder(demo_project, now=NOW)
    assert builder.debounce == DEFAULT_DEBOUNCE
    shown = []
    original = builder.refresh

    def spy():
        result = original()
        if result is not None:
            shown.append(builder.condition())
        return result

    builder.refresh = spy
    row = builder.add_condition("Demographic.Platform", "is one of", "i")
    for text in ("iO", "iOS"):  # typed faster than the pause
        row.values.value = text
    assert (
        builder.wait()
        == Segment(demo_project, SetField("Demographic.Platform").any_of("iOS"), now=NOW).count()
    )
    assert shown == [SetField("Demographic.Platform").any_of("iOS")]  # "i" and "iO" were never counted


def test_a_count_finishing_after_a_newer_edit_is_not_shown(demo_project):
    builder = SegmentBuilder(demo_project, now=NOW, debounce=0)
    row = builder.add_condition("Demographic.Platform", "is one of", "iOS")
    ios = builder.counts
    builder.debounce = 30  # from now on only wait() counts, so the test decides the order
    real_condition = builder.condition
    typed_mid_count = threading.Event()

    def slow_condition():
        condition = real_condition()  # the condition for "iO"
        if not typed_mid_count.is_set():
            typed_mid_count.set()
            row.values.value = "iOS, Android"  # the analyst types on while "iO" is being counted
        return condition

    row.values.value = "iO"
    builder.condition = slow_condition
    assert builder.refresh() is None  # the count for "iO" is dropped...
    assert builder.counts == ios and "0</b> endpoints" not in builder.count_label.value
    builder.condition = real_condition
    both = SetField("Demographic.Platform").any_of("iOS", "Android")
    assert (
        builder.wait() == Segment(demo_project, both, now=NOW).count()
    )  # ...and the last value typed counts


def test_an_exported_notebook_shows_the_count_and_sample_not_widget_text(demo_project):
    builder = SegmentBuilder(demo_project, now=NOW, debounce=0)
    builder.add_condition("Attributes.plan", "has any of", "pro")
    bundle = builder._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    page = bundle["text/html"]
    assert f"<b>{builder.counts.endpoints:,}</b> endpoints" in page and "<td" in page and "plan" in page


def test_an_unknown_field_or_operator_is_named_with_the_choices(demo_project):
    import pytest

    from workbench import InputError

    builder = SegmentBuilder(demo_project, now=NOW, debounce=0)
    with pytest.raises(InputError, match=r"no field 'Attributes.nope' in the builder.*fields: ") as err:
        builder.add_condition("Attributes.nope", "has any of", "x")
    assert err.value.field == "field"
    with pytest.raises(
        InputError, match=r"'equals' is not an operator of 'Attributes.plan'; one of: "
    ) as err:
        builder.add_condition("Attributes.plan", "equals", "x")
    assert err.value.field == "operator" and builder.rows == []
    # an operator by its label or by Pinpoint's name still works
    builder.add_condition("Attributes.plan", "INCLUSIVE", "pro")
    assert len(builder.rows) == 1
