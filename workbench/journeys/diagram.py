"""A journey as an inline SVG: a layered drawing (top to bottom) with counts per activity and branch.

``journey_svg(journey, counts=None)`` returns one ``<svg>`` element (no scripts, no external references: it
renders the same in Jupyter and in the offline HTML export). Activities are placed in layers by their longest path
from the start activity (edges that close a cycle, back to a Wait, are drawn as dashed arcs on the right), and
ordered within a layer by the position of their parents so that edges cross less. Each box shows the activity id,
its type and the main counts; its tooltip (``<title>``) lists them all. Edges carry their branch label and, with
counts, how many participants took that branch.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from html import escape as _escape
from typing import Any

BOX_W, BOX_H = 230, 88
VIRTUAL_W = 24  # the slot an edge passing through a layer takes
GAP_X, GAP_Y = 34, 62
MARGIN = 24
MAX_WIDTH = 1280

_STYLE = {  # fill, stroke per kind of activity
    "message": ("#e8f1fb", "#2f6fb3"),
    "Wait": ("#f3f3f3", "#7a7a7a"),
    "split": ("#fff4e5", "#c77700"),
    "Holdout": ("#f4ecfa", "#7b4fa0"),
    "ContactCenter": ("#f7f7f7", "#9a9a9a"),
}
_TYPE_NAMES = {
    "EMAIL": "Send an email",
    "SMS": "Send an SMS",
    "PUSH": "Send a push notification",
    "CUSTOM": "Custom channel",
    "Wait": "Wait",
    "ConditionalSplit": "Yes/no split",
    "MultiCondition": "Multivariate split",
    "RandomSplit": "Random split",
    "Holdout": "Holdout",
    "ContactCenter": "Contact center (not run)",
}
_MAIN = ("ENDPOINT_ENTERED", "ENDPOINT_ACTIVE")
_SHORT = {
    "ENDPOINT_ENTERED": "entered",
    "ENDPOINT_ACTIVE": "here now",
    "ENDPOINT_LEFT": "left",
    "WOULD_SEND": "would send",
    "MESSAGES": "messages",
    "SENT_PARTICIPANTS": "reached",
    "QUIET_TIME": "quiet time",
    "NO_ENDPOINT": "no endpoint",
    "HOLDOUT": "held out",
}


#: the order a box lists its other counts in: what was sent first, then who left and why
_RANK = {
    k: i
    for i, k in enumerate(
        ("SENT_PARTICIPANTS", "WOULD_SEND", "MESSAGES", "HOLDOUT", "ENDPOINT_LEFT", "NO_ENDPOINT", "OPT_OUT")
    )
}

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def escape(text: str) -> str:
    """Text for SVG: XML-escaped, without the characters XML 1.0 cannot hold (control characters)."""
    return _escape(_NOT_XML.sub("\ufffd", str(text)))


def _style(kind: str) -> tuple[str, str]:
    if kind in ("EMAIL", "SMS", "PUSH", "CUSTOM"):
        return _STYLE["message"]
    if kind in ("ConditionalSplit", "MultiCondition", "RandomSplit"):
        return _STYLE["split"]
    return _STYLE.get(kind, _STYLE["Wait"])


def _fmt(n: Any) -> str:
    return f"{n:,}" if isinstance(n, int) else str(n)


class _Graph:
    """The journey as the drawing reads it, through ``journeys.spec.Journey``'s own methods (activities, the
    start, each activity's type and next activities): the diagram imports nothing of the package, so a
    ``Journey`` can show itself with it."""

    def __init__(self, journey: Any):
        self.activities: dict[str, dict] = dict(journey.activities)
        self.start = journey.start_activity or next(iter(self.activities), None)
        self.kind = journey.activity_type
        self.next = journey.next_activities


def layout(journey: Any) -> tuple[dict[str, tuple[int, int]], set[tuple[str, str]]]:
    """(activity -> (layer, position in layer), back edges) of a ``Journey``. Layers are the longest path from the
    start over the graph without its back edges; activities not reachable from the start go below the rest."""
    view = _Graph(journey)
    place, back, _ = _layout(view)
    return {n: p for n, p in place.items() if n in view.activities}, back


def _virtual(source: str, target: str, level: int) -> str:
    return f"\x00{source}\x00{target}\x00{level}"


def _layout(
    view: _Graph,
) -> tuple[dict[str, tuple[int, int]], set[tuple[str, str]], dict[tuple[str, str], list[str]]]:
    """:func:`layout`, plus the virtual nodes of edges that skip layers: an edge from layer 1 to layer 4 passes
    through one virtual node in each of layers 2 and 3, which takes a place in its layer like a box does, so
    that the edge is drawn beside the boxes of those layers instead of through them (Sugiyama's layering)."""
    ids = list(view.activities)
    edges = {a: [t for _, t in view.next(a) if t in view.activities] for a in ids}
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}
    order: list[str] = []

    def visit(node: str) -> None:  # iterative DFS: post-order, and the edges into the current path
        stack = [(node, iter(edges[node]))]
        state[node] = 1
        while stack:
            current, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[current] = 2
                order.append(current)
                stack.pop()
            elif state.get(child) == 1:
                back.add((current, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(edges[child])))

    roots = [view.start] if view.start in view.activities else []
    for root in roots + ids:
        if root not in state:
            visit(root)
    depth = dict.fromkeys(ids, 0)
    for node in reversed(order):  # topological order of the DAG without back edges
        for child in edges[node]:
            if (node, child) not in back:
                depth[child] = max(depth[child], depth[node] + 1)
    parents: dict[str, list[str]] = {}
    chains: dict[tuple[str, str], list[str]] = {}
    for node in ids:
        for child in dict.fromkeys(edges[node]):
            if (node, child) in back:
                continue
            previous = node
            chain = []
            for level in range(depth[node] + 1, depth[child]):
                virtual = _virtual(node, child, level)
                depth[virtual] = level
                parents[virtual] = [previous]
                chain.append(virtual)
                previous = virtual
            chains[(node, child)] = chain
            parents.setdefault(child, []).append(previous)
    layers: dict[int, list[str]] = {}
    for node in depth:
        layers.setdefault(depth[node], []).append(node)
    place: dict[str, tuple[int, int]] = {}
    for level in sorted(layers):
        members = layers[level]
        if level > 0:
            seen = {n: [place[p][1] for p in parents.get(n, []) if p in place] for n in members}
            members.sort(key=lambda n: (sum(seen[n]) / len(seen[n])) if seen[n] else 1e9)
        for i, node in enumerate(members):
            place[node] = (level, i)
    return place, back, chains


def journey_svg(journey: Any, counts: Mapping[str, Mapping[str, Any]] | None = None) -> str:
    """The journey as an inline SVG string, with ``counts`` (activity id -> {metric or branch label: n}) when
    given (a simulation's ``counts``, or ``journey_metrics(...)["activities"]``)."""
    view = _Graph(journey)
    counts = counts or {}
    place, back, chains = _layout(view)

    def slot(node: str) -> int:
        return BOX_W if node in view.activities else VIRTUAL_W

    rows: dict[int, list[str]] = {}
    for node, (level, _) in sorted(place.items(), key=lambda item: item[1]):
        rows.setdefault(level, []).append(node)
    row_w = {lv: sum(map(slot, row)) + (len(row) - 1) * GAP_X for lv, row in rows.items()}
    inner_w = max(row_w.values(), default=BOX_W)
    width = inner_w + 2 * MARGIN + (70 if back else 0)
    levels = max(rows, default=0) + 1
    height = levels * BOX_H + (levels - 1) * GAP_Y + 2 * MARGIN + 20
    lefts: dict[str, float] = {}
    for level, row in rows.items():
        x = MARGIN + (inner_w - row_w[level]) / 2
        for node in row:
            lefts[node] = x
            x += slot(node) + GAP_X

    def box_xy(node: str) -> tuple[float, float]:
        return lefts[node], MARGIN + 20 + place[node][0] * (BOX_H + GAP_Y)

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{min(width, MAX_WIDTH):.0f}" style="max-width:100%;height:auto;font-family:'
        'Helvetica,Arial,sans-serif" role="img">',
        f"<title>{escape(str(getattr(journey, 'name', '') or 'journey'))}</title>",
        '<defs><marker id="jarrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#666"/></marker></defs>',
    ]
    # edges first, boxes over them
    labels: list[tuple[float, float, float, str]] = []
    for node in view.activities:
        x, y = box_xy(node)
        branches = [(lab, t) for lab, t in view.next(node) if t in view.activities]
        # exit points left to right in the order of the targets' positions, so a box's edges do not cross
        slots = sorted(range(len(branches)), key=lambda i: (box_xy(branches[i][1])[0], i))
        for k, (label, target) in ((slots.index(i), b) for i, b in enumerate(branches)):
            tx, ty = box_xy(target)
            n = counts.get(node, {}).get(label) if label else None
            text = label + (f" · {_fmt(n)}" if n is not None else "")
            if (node, target) in back:
                sx, sy = x + BOX_W, y + BOX_H / 2
                ex, ey = tx + BOX_W, ty + BOX_H / 2
                bend = max(sx, ex) + 60
                out.append(
                    f'<path d="M{sx:.1f},{sy:.1f} C{bend:.1f},{sy:.1f} {bend:.1f},{ey:.1f} {ex:.1f},{ey:.1f}" '
                    'fill="none" stroke="#888" stroke-dasharray="5,4" stroke-width="1.4" '
                    'marker-end="url(#jarrow)"/>'
                )
                lx, ly = bend - 4, (sy + ey) / 2
            else:
                sx = x + BOX_W * (k + 1) / (len(branches) + 1)
                sy = y + BOX_H
                # through the edge's virtual nodes (the middle of their slots), then into the target's top
                points = [(vx + VIRTUAL_W / 2, vy) for vx, vy in map(box_xy, chains.get((node, target), []))]
                path = f"M{sx:.1f},{sy:.1f}"
                for px, py in points:
                    mid = (sy + py) / 2
                    path += f" C{sx:.1f},{mid:.1f} {px:.1f},{mid:.1f} {px:.1f},{py:.1f} L{px:.1f},{py + BOX_H:.1f}"
                    sx, sy = px, py + BOX_H
                ex, ey = tx + BOX_W / 2, ty
                mid = (sy + ey) / 2
                out.append(
                    f'<path d="{path} C{sx:.1f},{mid:.1f} {ex:.1f},{mid:.1f} {ex:.1f},{ey - 2:.1f}" '
                    'fill="none" stroke="#666" stroke-width="1.4" marker-end="url(#jarrow)"/>'
                )
                first = points[0] if points else (ex, ey)
                lx, ly = (x + BOX_W * (k + 1) / (len(branches) + 1) + first[0]) / 2, y + BOX_H + GAP_Y / 2
            if text:
                labels.append((lx, ly, 6.6 * len(text) + 12, text))
    for node in view.activities:
        kind = view.kind(node)
        x, y = box_xy(node)
        fill, stroke = _style(kind)
        metrics = dict(counts.get(node, {}))
        branch_labels = {lab for lab, _ in view.next(node) if lab}
        tip = [f"{node}: {_TYPE_NAMES.get(kind, kind)}"] + [
            f"{k}: {_fmt(v)}" for k, v in metrics.items() if k not in ("type", "ActivityType", "delivery")
        ]
        main = " · ".join(f"{_SHORT[k]} {_fmt(metrics[k])}" for k in _MAIN if k in metrics)
        others = [
            f"{_SHORT.get(k, k.lower().replace('_', ' '))} {_fmt(v)}"
            for k, v in sorted(metrics.items(), key=lambda kv: _RANK.get(kv[0], len(_RANK)))
            if k not in _MAIN and k not in branch_labels and isinstance(v, int) and v
        ]
        dash = ' stroke-dasharray="4,3"' if kind == "ContactCenter" else ""
        width = 2.4 if node == view.start else 1.4
        out.append(
            f"<g><title>{escape(chr(10).join(tip))}</title>"
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{width}"{dash}/>'
            f'<text x="{x + 10:.1f}" y="{y + 19:.1f}" font-size="13" font-weight="bold" fill="#1a1a1a">'
            f"{escape(_clip(node, 24))}</text>"
            f'<text x="{x + 10:.1f}" y="{y + 35:.1f}" font-size="11" fill="{stroke}">'
            f"{escape(_TYPE_NAMES.get(kind, kind))}</text>"
        )
        if main:
            out.append(
                f'<text x="{x + 10:.1f}" y="{y + 52:.1f}" font-size="11" fill="#333">{escape(_clip(main, 32))}</text>'
            )
        for line_no, line in enumerate(_lines(others, 38, 2)):
            out.append(
                f'<text x="{x + 10:.1f}" y="{y + 67 + 14 * line_no:.1f}" font-size="10.5" fill="#555">'
                f"{escape(line)}</text>"
            )
        out.append("</g>")
        if node == view.start:
            out.append(
                f'<text x="{x + BOX_W / 2:.1f}" y="{y - 8:.1f}" font-size="11" text-anchor="middle" '
                'fill="#2f6fb3" font-weight="bold">START</text>'
            )
    out.extend(_labels(labels))
    out.append("</svg>")
    return "".join(out)


def _labels(labels: list[tuple[float, float, float, str]]) -> list[str]:
    """Edge labels as pills, pushed apart sideways where two of one row would overlap."""
    out = []
    rows: dict[int, list[list[Any]]] = {}
    for lx, ly, w, text in labels:
        rows.setdefault(round(ly), []).append([lx, ly, w, text])
    for row in rows.values():
        row.sort(key=lambda item: item[0])
        for before, item in itertools.pairwise(row):
            least = before[0] + before[2] / 2 + item[2] / 2 + 4
            if item[0] < least:
                item[0] = least
        for lx, ly, w, text in row:
            out.append(
                f'<g><rect x="{lx - w / 2:.1f}" y="{ly - 10:.1f}" width="{w:.0f}" height="18" rx="9" '
                'fill="#ffffff" stroke="#bbb" stroke-width="0.8"/>'
                f'<text x="{lx:.1f}" y="{ly + 3.5:.1f}" font-size="11" text-anchor="middle" fill="#333">'
                f"{escape(text)}</text></g>"
            )
    return out


def _lines(items: list[str], width: int, most: int) -> list[str]:
    """``items`` joined with " · " into at most ``most`` lines of about ``width`` characters (the last clipped)."""
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + 3 + len(item) <= width:
            lines[-1] += " · " + item
        else:
            lines.append(item)
    if len(lines) > most:
        lines = lines[: most - 1] + [" · ".join(lines[most - 1 :])]
    return [_clip(line, width) for line in lines]


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
