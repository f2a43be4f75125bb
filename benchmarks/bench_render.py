"""Render 1M personalised emails (Subject + HtmlPart + TextPart with first name, plan and city, with defaults):
the fast Polars renderer (``render_frame``) against a per-row Jinja2 loop (``render_parts`` for each row, which is
what ``render_frame`` does for templates that are not substitutions only). Target: at least 10x.

The loop is timed on a sample (``--sample`` rows, 20,000 by default) and scaled to the audience linearly (the
output says so); the fast renderer is timed on the whole audience. A bare ``jinja2`` loop (a plain sandboxed
template's ``render`` per row, no limits or missing-value tracking) is printed for reference.

Usage: python benchmarks/bench_render.py [--rows N] [--sample S] [--repeats R]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from _common import best_of

from workbench.messages.context import endpoint_context
from workbench.messages.render import TemplatePart, render_frame, render_parts

SUBJECT = "{{User.UserAttributes.FirstName}}, your {{Attributes.plan}} plan news"
HTML = (
    "<html><body><h1>Hello {{User.UserAttributes.FirstName}}!</h1>\n"
    "<p>Thanks for choosing the <b>{{Attributes.plan}}</b> plan. Events near {{Location.City}} this week:</p>\n"
    '<ul><li>Meetup</li><li>Workshop</li></ul>\n<p><a href="https://example.com/u">Unsubscribe</a></p>'
    "</body></html>\n"
)
TEXT = (
    "Hello {{User.UserAttributes.FirstName}}!\n\nThanks for choosing the {{Attributes.plan}} plan.\n"
    "Events near {{Location.City}} this week: Meetup, Workshop.\n"
)
PARTS = {
    "Subject": TemplatePart(SUBJECT, html=False),
    "HtmlPart": TemplatePart(HTML, html=True),
    "TextPart": TemplatePart(TEXT, html=False),
}
DEFAULTS = {"User.UserAttributes.FirstName": "there", "Attributes.plan": "free", "Location.City": "you"}

NAMES = ["Ann", "Bob", "Chloé", "Dmitri", "Eve & Co", "Fatima", "Gus <G>", "Hiro", "Ines", "José"]
PLANS = ["free", "pro", "team", "enterprise"]
CITIES = ["Paris", "Lyon", "Berlin", "Zürich", "São Paulo", "Tokyo", "Austin", "Cairo"]


def audience(n: int) -> pl.DataFrame:
    """n endpoints; every 7th has no first name, every 11th no plan, every 13th no city (defaults fill them)."""
    i = pl.int_range(0, n, eager=True)
    frame = pl.DataFrame(
        {
            "Id": i.cast(pl.String).str.zfill(8),
            "i": i,
            "name": pl.Series(NAMES).gather(i % len(NAMES)),
            "plan": pl.Series(PLANS).gather(i % len(PLANS)),
            "city": pl.Series(CITIES).gather(i % len(CITIES)),
        }
    )
    return frame.select(
        "Id",
        pl.lit("EMAIL").alias("ChannelType"),
        pl.when(pl.col("i") % 7 == 0)
        .then(None)
        .otherwise(pl.concat_list("name"))
        .alias("User.UserAttributes.FirstName"),
        pl.when(pl.col("i") % 11 == 0).then(None).otherwise(pl.concat_list("plan")).alias("Attributes.plan"),
        pl.when(pl.col("i") % 13 == 0).then(None).otherwise(pl.col("city")).alias("Location.City"),
    )


def jinja_loop(frame: pl.DataFrame) -> int:
    n = 0
    for row in frame.iter_rows(named=True):
        render_parts(PARTS, row, DEFAULTS)
        n += 1
    return n


def bare_jinja_loop(frame: pl.DataFrame) -> int:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from workbench.messages.handlebars import translate

    html_env, text_env = ImmutableSandboxedEnvironment(autoescape=True), ImmutableSandboxedEnvironment()
    templates = [
        (text_env if not p.html else html_env).from_string(translate(p.source)) for p in PARTS.values()
    ]
    n = 0
    for row in frame.iter_rows(named=True):
        ctx = endpoint_context(row)
        for template in templates:
            template.render(ctx)
        n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sample = min(args.sample, args.rows)

    frame = audience(args.rows)
    small = frame.head(sample)
    # the two renderers agree (the differential test checks it thoroughly; this guards the benchmark's data)
    check = render_frame(PARTS, small.head(50), DEFAULTS)
    assert check.fast, "the benchmark templates must take the fast path"
    for row, fast_row in zip(small.head(50).iter_rows(named=True), check.frame.iter_rows(), strict=True):
        assert render_parts(PARTS, row, DEFAULTS).parts == {k: fast_row[i + 1] for i, k in enumerate(PARTS)}

    fast_s, result = best_of(lambda: render_frame(PARTS, frame, DEFAULTS), args.repeats)
    assert result.frame.height == args.rows and not result.errors
    loop_sample_s, _ = best_of(lambda: jinja_loop(small), max(1, min(args.repeats, 2)))
    bare_sample_s, _ = best_of(lambda: bare_jinja_loop(small), 1)
    scale = args.rows / sample
    loop_s, bare_s = loop_sample_s * scale, bare_sample_s * scale

    chars = sum(result.frame[c].str.len_bytes().sum() for c in PARTS)
    print(
        f"audience: {args.rows:,} endpoints x 3 parts ({chars / 1e6:.0f} MB of text); defaults used for "
        f"{(frame['User.UserAttributes.FirstName'].is_null()).sum():,} first names"
    )
    print(f"fast Polars renderer: {fast_s:.3f} s for {args.rows:,} ({args.rows / fast_s:,.0f} messages/s)")
    print(
        f"per-row Jinja2 loop (render_parts): {loop_sample_s:.3f} s for a sample of {sample:,}, "
        f"scaled x{scale:g} to {args.rows:,}: {loop_s:.1f} s ({sample / loop_sample_s:,.0f} messages/s)"
    )
    print(
        f"bare jinja2 loop (reference, no limits or missing tracking): {bare_sample_s:.3f} s for {sample:,}, "
        f"scaled: {bare_s:.1f} s"
    )
    ratio = loop_s / fast_s
    verdict = "met" if ratio >= 10 else "MISSED"
    print(
        f"speed-up ratio fast / per-row Jinja2: {ratio:.1f}x (target >= 10x: {verdict}); "
        f"vs the bare jinja2 loop: {bare_s / fast_s:.1f}x",
        flush=True,
    )


if __name__ == "__main__":
    main()
