"""The journey diagram: an inline SVG (well-formed XML, no scripts, no network) with every activity and count."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as hs

from workbench.journeys.diagram import journey_svg, layout
from workbench.journeys.spec import Journey

SVG = "{http://www.w3.org/2000/svg}"

SERIES = {
    "welcome": {"EMAIL": {"TemplateName": "hello", "NextActivity": "wait1"}},
    "wait1": {"Wait": {"WaitTime": {"WaitFor": "P1D"}, "NextActivity": "opened"}},
    "opened": {
        "ConditionalSplit": {
            "Condition": {"Conditions": [{"SegmentCondition": {"SegmentId": "pro"}}]},
            "TrueActivity": "ab",
            "FalseActivity": "reminder",
        }
    },
    "reminder": {"EMAIL": {"TemplateName": "hello", "NextActivity": "later"}},
    "later": {"Wait": {"WaitTime": {"WaitFor": "P7D"}, "NextActivity": "welcome"}},  # a cycle through a Wait
    "ab": {
        "RandomSplit": {
            "Branches": [
                {"Percentage": 50, "NextActivity": "offerA"},
                {"Percentage": 50, "NextActivity": "offerB"},
            ]
        }
    },
    "offerA": {"EMAIL": {"TemplateName": "hello"}},
    "offerB": {"SMS": {"TemplateName": "nudge", "NextActivity": "hold"}},
    "hold": {"Holdout": {"Percentage": 10, "NextActivity": "call"}},
    "call": {"ContactCenter": {}},
}


def series(name: str = "welcome series") -> Journey:
    request = {"Name": name, "StartActivity": "welcome", "Activities": SERIES}
    return Journey.from_json(request)


def test_the_diagram_has_every_activity_and_count_and_is_well_formed():
    counts = {a: {"ENDPOINT_ENTERED": 1000 + 17 * i, "ENDPOINT_ACTIVE": 3 * i} for i, a in enumerate(SERIES)}
    counts["opened"].update({"True": 411, "False": 589})
    counts["ab"].update({"Branch_1": 203, "Branch_2": 208})
    counts["welcome"]["WOULD_SEND"] = 1234
    svg = journey_svg(series(), counts)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    text = " ".join(t for t in root.itertext())
    for activity, metrics in counts.items():
        assert activity in text
        for value in metrics.values():
            assert f"{value:,}" in text, (activity, value)
    for label in ("True · 411", "False · 589", "Branch_1 · 203", "Branch_2 · 208"):
        assert label in text
    assert (
        "<script" not in svg.lower()
        and "href" not in svg
        and "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )
    assert 'stroke-dasharray="5,4"' in svg  # the edge back to "welcome" closes a cycle


def test_the_layout_layers_activities_by_longest_path_from_the_start():
    place, back = layout(series())
    assert place["welcome"][0] == 0 and place["wait1"][0] == 1 and place["opened"][0] == 2
    assert place["offerB"][0] == 4 and place["hold"][0] == 5 and place["call"][0] == 6
    assert back == {("later", "welcome")}
    # no two boxes in one place
    assert len(set(place.values())) == len(place)


def test_names_are_escaped_and_a_diagram_without_counts_works():
    svg = journey_svg(dataclasses.replace(series(), name='<b>"Tom & Jerry"</b>'))
    ET.fromstring(svg)
    assert "&lt;b&gt;" in svg and "<b>" not in svg


@settings(max_examples=40, deadline=None)
@given(hs.integers(1, 20), hs.randoms(use_true_random=False), hs.text(max_size=30))
def test_any_journey_shape_gives_well_formed_svg_with_every_activity(n, rng, name):
    ids = [f"a{i}" for i in range(n)]
    acts = {}
    for i, a in enumerate(ids):
        targets = ids[i + 1 :] or [None]

        def pick(targets=targets):
            return rng.choice(targets)

        kind = rng.choice(["Wait", "RandomSplit", "ConditionalSplit", "MultiCondition", "EMAIL"])
        if kind == "Wait":
            body = {"WaitTime": {"WaitFor": "PT1H"}, "NextActivity": pick() or ids[0]}  # may loop back
        elif kind == "RandomSplit":
            body = {
                "Branches": [
                    {"Percentage": 50, "NextActivity": pick()},
                    {"Percentage": 50, "NextActivity": pick()},
                ]
            }
        elif kind == "ConditionalSplit":
            body = {"Condition": {"Conditions": []}, "TrueActivity": pick(), "FalseActivity": pick()}
        elif kind == "MultiCondition":
            body = {"Branches": [{"Condition": {}, "NextActivity": pick()}], "DefaultActivity": pick()}
        else:
            body = {"TemplateName": "t", "NextActivity": pick()}
        acts[a] = {kind: {k: v for k, v in body.items() if v is not None}}
    j = dataclasses.replace(
        series(), request={"Name": "x", "StartActivity": "a0", "Activities": acts}, name=name
    )
    counts = {a: {"ENDPOINT_ENTERED": i * 1001} for i, a in enumerate(ids)}
    svg = journey_svg(j, counts)
    text = " ".join(ET.fromstring(svg).itertext())
    for i, a in enumerate(ids):
        assert a in text and f"{i * 1001:,}" in text


def _boxes_and_points(svg: str) -> tuple[list[tuple[float, float, float, float]], list[tuple[float, float]]]:
    import re

    root = ET.fromstring(svg)
    boxes = [
        tuple(float(r.get(k)) for k in ("x", "y", "width", "height"))
        for r in root.iter(f"{SVG}rect")
        if float(r.get("height")) > 30  # the activity boxes (edge-label pills are 18 high)
    ]
    points = []
    for path in root.iter(f"{SVG}path"):
        if path.get("stroke-dasharray"):
            continue  # back edges go round the right side
        # sample the path: M x,y, then C (a cubic: three points) and L (a line: one point) segments
        tokens = re.findall(r"[MCL]|-?\d+(?:\.\d+)?", path.get("d") or "")
        at, i = None, 0
        while i < len(tokens):
            op = tokens[i]
            if op == "M":
                at = (float(tokens[i + 1]), float(tokens[i + 2]))
                i += 3
            elif op == "L":
                end = (float(tokens[i + 1]), float(tokens[i + 2]))
                points += [
                    (at[0] + (end[0] - at[0]) * t / 20, at[1] + (end[1] - at[1]) * t / 20) for t in range(21)
                ]
                at, i = end, i + 3
            else:  # C
                c1, c2, end = [(float(tokens[i + k]), float(tokens[i + k + 1])) for k in (1, 3, 5)]
                for step in range(21):
                    t = step / 20
                    points.append(
                        tuple(
                            (1 - t) ** 3 * p0
                            + 3 * (1 - t) ** 2 * t * p1
                            + 3 * (1 - t) * t**2 * p2
                            + t**3 * p3
                            for p0, p1, p2, p3 in zip(at, c1, c2, end, strict=True)
                        )
                    )
                at, i = end, i + 7
    return boxes, points


def test_an_edge_that_skips_layers_goes_beside_the_boxes_between_not_through_them():
    # bought -> done skips the layers of control and nudge; its curve must not cut across their boxes
    activities = {
        "welcome": {"EMAIL": {"TemplateName": "hello", "NextActivity": "bought"}},
        "bought": {
            "ConditionalSplit": {
                "Condition": {"Conditions": [{"SegmentCondition": {"SegmentId": "buyers"}}]},
                "TrueActivity": "done",
                "FalseActivity": "control",
            }
        },
        "control": {"Holdout": {"Percentage": 10, "NextActivity": "nudge"}},
        "nudge": {"EMAIL": {"TemplateName": "hello", "NextActivity": "done"}},
        "done": {"Wait": {"WaitTime": {"WaitFor": "PT1H"}}},
    }
    journey = Journey.from_json({"Name": "skip", "StartActivity": "welcome", "Activities": activities})
    boxes, points = _boxes_and_points(journey_svg(journey))
    assert len(boxes) == 5
    inside = [
        (px, py)
        for px, py in points
        for x, y, w, h in boxes
        if x + 1 < px < x + w - 1 and y + 1 < py < y + h - 1
    ]
    assert inside == [], "an edge passes through a box"
