"""Tracking links: the signed token format, its URLs, tamper resistance, key rotation and rewriting HTML links."""

from __future__ import annotations

import base64
import html as htmllib
import json
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.errors import InputError
from workbench.messages import tracking
from workbench.messages.tracking import (
    SigningKey,
    add_tracking,
    click_url,
    make_token,
    open_pixel_url,
    parse_tracking_path,
    unsubscribe_url,
    verify_token,
)

SECRET = b"s" * 32
KEY = SigningKey("k1", SECRET)
KEYS = {"k1": SECRET}
BASE = "https://t.acme.example"
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."


def token_of(url: str) -> str:
    _kind, token = parse_tracking_path(url.removeprefix(BASE))
    return token


# --- format and round trips ----------------------------------------------------------------------------------


def test_click_url_round_trip_and_format():
    url = click_url(
        BASE + "/",
        KEY,
        send_key="c1:r1:ep-1:EMAIL",
        target="https://shop.example/a?x=1&y=2",
        endpoint_id="ep-1",
        campaign_id="c1",
        treatment_id="0",
        journey_id=None,
    )
    assert url.startswith(BASE + "/t/c/")
    token = token_of(url)
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}", token)  # 16-byte (128-bit) signature
    payload, _ = token.split(".")
    assert json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))) == {
        "v": 1,
        "k": "k1",
        "t": "c",
        "s": "c1:r1:ep-1:EMAIL",
        "l": "https://shop.example/a?x=1&y=2",
        "e": "ep-1",
        "c": "c1",
        "tr": "0",
    }
    assert verify_token(token, KEYS) == {
        "version": 1,
        "key_id": "k1",
        "kind": "click",
        "send_key": "c1:r1:ep-1:EMAIL",
        "target": "https://shop.example/a?x=1&y=2",
        "endpoint_id": "ep-1",
        "campaign_id": "c1",
        "treatment_id": "0",
    }
    assert verify_token(token, KEYS, kind="click")["target"] == "https://shop.example/a?x=1&y=2"
    assert verify_token(token, KEYS, kind="open") is None  # a click token is not an open


def test_open_and_unsubscribe_urls():
    pixel = open_pixel_url(
        BASE, KEY, send_key="sk", endpoint_id="e1", journey_id="j1", journey_activity_id="a1"
    )
    assert pixel.startswith(BASE + "/t/o/") and pixel.endswith(".gif")
    kind, token = parse_tracking_path(pixel.removeprefix(BASE))
    assert kind == "open"
    assert verify_token(token, KEYS, kind="open") == {
        "version": 1,
        "key_id": "k1",
        "kind": "open",
        "send_key": "sk",
        "endpoint_id": "e1",
        "journey_id": "j1",
        "journey_activity_id": "a1",
    }
    unsub = unsubscribe_url(BASE + "/prefix", KEY, send_key="sk", user_id="u1", message_id="m1")
    assert unsub.startswith(BASE + "/prefix/u/")
    kind, token = parse_tracking_path(unsub.removeprefix(BASE + "/prefix"))
    assert kind == "unsubscribe"
    assert verify_token(token, KEYS, kind="unsubscribe")["user_id"] == "u1"
    assert verify_token(token, KEYS)["message_id"] == "m1"


def test_the_same_inputs_give_the_same_token():
    assert click_url(BASE, KEY, send_key="a", target="https://x.example/") == click_url(
        BASE, KEY, send_key="a", target="https://x.example/"
    )
    assert make_token(KEY, kind="open", send_key="a") != make_token(KEY, kind="open", send_key="b")


def test_a_bare_secret_signs_with_the_default_key_id():
    token = make_token(SECRET, kind="open", send_key="a")
    assert verify_token(token, {"1": SECRET})["key_id"] == "1"
    assert verify_token(token, SECRET)["send_key"] == "a"
    assert verify_token(token, KEY) is None  # key id k1 != 1


def test_keys_rotate_by_id():
    old, new = SigningKey("2025", b"o" * 32), SigningKey("2026", b"n" * 32)
    token = make_token(old, kind="unsubscribe", send_key="sk")
    assert verify_token(token, {"2026": new.secret, "2025": old.secret})["key_id"] == "2025"
    assert verify_token(token, {"2026": new.secret}) is None  # the old key retired
    assert verify_token(token, {"2025": new.secret}) is None  # the right id, the wrong secret
    assert "o" * 16 not in repr(old)


@pytest.mark.parametrize(
    "target",
    [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "mailto:a@b.example",
        "tel:+12065550100",
        "/relative",
        "//evil.example/x",
        "https://a.example/x y",
        "https://a.example/\r\nLocation: x",
        "ftp://a.example/",
    ],
)
def test_click_urls_only_for_http_targets(target):
    with pytest.raises(InputError, match="tracked") as err:
        click_url(BASE, KEY, send_key="sk", target=target)
    assert err.value.field == "target"


def test_bad_arguments():
    with pytest.raises(TypeError, match="unknown id 'campaign'"):
        click_url(BASE, KEY, send_key="sk", target="https://x.example", campaign="c1")
    with pytest.raises(InputError, match="send key"):
        open_pixel_url(BASE, KEY, send_key="")
    with pytest.raises(InputError) as err:
        open_pixel_url("ftp://t.example", KEY, send_key="sk")
    assert err.value.field == "tracking.base_url"
    with pytest.raises(InputError):
        open_pixel_url("https://t.example/?a=1", KEY, send_key="sk")
    with pytest.raises(InputError):
        SigningKey("k1", b"short")
    with pytest.raises(InputError):
        SigningKey("bad id!", SECRET)


def test_parse_tracking_path():
    assert parse_tracking_path("/t/c/abc.def") == ("click", "abc.def")
    assert parse_tracking_path("/t/o/abc.def.gif") == ("open", "abc.def")
    assert parse_tracking_path("/u/abc.def") == ("unsubscribe", "abc.def")
    for bad in ["/t/c/", "/t/o/abc.def", "/t/x/abc", "/u/a/b", "/t/c/abc?x=1", "", None]:
        assert parse_tracking_path(bad) is None


# --- tampering -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        make_token(
            KEY, kind="click", send_key="c1:r1:ep-1:EMAIL", target="https://shop.example/a", endpoint_id="e"
        ),
        make_token(KEY, kind="open", send_key="s"),  # payload lengths hit each base64 padding case
        make_token(KEY, kind="open", send_key="s2"),
        make_token(KEY, kind="open", send_key="s23"),
        make_token(KEY, kind="unsubscribe", send_key="sk", user_id="u"),
    ],
)
def test_tampering_with_any_character_of_a_token_fails(token):
    assert verify_token(token, KEYS) is not None
    for i, original in enumerate(token):
        for replacement in ALPHABET:
            if replacement != original:
                tampered = token[:i] + replacement + token[i + 1 :]
                assert verify_token(tampered, KEYS) is None, (i, replacement)
        assert verify_token(token[:i] + token[i + 1 :], KEYS) is None  # a character dropped
        assert verify_token(token[:i] + "A" + token[i:], KEYS) is None  # a character added
    assert verify_token(token + "=", KEYS) is None
    assert verify_token(" " + token, KEYS) is None


def _sign(payload: dict) -> str:
    text = tracking._b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{text}.{tracking._signature(SECRET, text)}"


@pytest.mark.parametrize(
    "payload",
    [
        {"v": 2, "k": "k1", "t": "o", "s": "sk"},  # a future version
        {"v": 1, "k": "k1", "t": "x", "s": "sk"},  # an unknown kind
        {"v": 1, "k": "k1", "t": "o"},  # no send key
        {"v": 1, "k": "k1", "t": "o", "s": ""},
        {"v": 1, "k": "k1", "t": "o", "s": 5},
        {"v": 1, "k": "k1", "t": "c", "s": "sk"},  # a click without its target
        {"v": 1, "k": "k1", "t": "o", "s": "sk", "l": "https://x.example"},  # an open with one
        {"v": 1, "k": "k1", "t": "c", "s": "sk", "l": "javascript:alert(1)"},
        {"v": 1, "k": "k1", "t": "o", "s": "sk", "zz": "1"},  # an unknown key
        {"v": 1, "k": "k1", "t": "o", "s": "sk", "e": ["a"]},
        {"v": 1, "k": 1, "t": "o", "s": "sk"},
    ],
)
def test_signed_but_malformed_payloads_are_refused(payload):
    assert verify_token(_sign(payload), KEYS) is None


@pytest.mark.parametrize(
    "token", ["", ".", "abc", "abc.", ".abc", "a.b.c", "é.b", "x" * 9000 + ".y", None, 5, b"abc.def", "[].x"]
)
def test_junk_is_refused_without_an_exception(token):
    assert verify_token(token, KEYS) is None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=200))
def test_random_tokens_never_verify(token):
    assert verify_token(token, KEYS) is None


# --- property: round trips over random URLs and ids -------------------------------------------------------------

url_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), max_size=40
)
targets = st.builds(
    lambda scheme, host, path, query: f"{scheme}://{host}/{path}" + (f"?{query}" if query else ""),
    st.sampled_from(["http", "https", "HTTPS"]),
    st.from_regex(r"[a-z0-9]{1,10}(\.[a-z0-9]{1,10}){0,2}(:[0-9]{2,5})?", fullmatch=True),
    url_text.map(lambda s: s.replace("?", "").replace("#", "")),
    url_text,
)
ids = st.dictionaries(st.sampled_from(sorted(tracking.ID_FIELDS)), st.text(max_size=30), max_size=4)


@settings(max_examples=300, deadline=None)
@given(target=targets, send_key=st.text(min_size=1, max_size=60), ids=ids)
def test_click_round_trip(target, send_key, ids):
    url = click_url(BASE, KEY, send_key=send_key, target=target, **ids)
    kind, token = parse_tracking_path(url.removeprefix(BASE))
    found = verify_token(token, KEYS, kind=kind)
    assert found == {
        "version": 1,
        "key_id": "k1",
        "kind": "click",
        "send_key": send_key,
        "target": target,
        **ids,
    }


# --- rewriting HTML --------------------------------------------------------------------------------------------

PAGE = """<!doctype html>
<html><head><style>a { color: red }</style></head>
<BODY>
<p>Hello &amp; <a class="btn" href="https://shop.example/a?x=1&amp;y=2" target=_blank>Shop</a></p>
<a href='http://plain.example/'>plain</a>
<a href="javascript:alert(1)">js</a> <a href=" JaVaScRiPt:alert(1)">js2</a> <a href="java&#9;script:alert(1)">js3</a>
<a href="data:text/html;base64,PHNjcmlwdD4=">data</a>
<a href="mailto:help@acme.example">mail</a> <a href="tel:+12065550100">call</a>
<a href="#top">top</a> <a href="/relative">rel</a> <a name="anchor">no href</a>
<a ses:no-track href="https://no-track.example/">no track</a>
<a ses:tags="unsubscribeLinkTag:optout" href="https://acme.example/unsubscribe">unsubscribe</a>
<!-- <a href="https://commented.example/">in a comment</a> -->
<script>var s = '<a href="https://in-script.example/">';</script>
<a href="https://shop.example/b"
   title="multi
line">two lines</a>
</BODY>
</html>"""

UNTOUCHED = [
    '<a href="javascript:alert(1)">js</a>',
    '<a href=" JaVaScRiPt:alert(1)">js2</a>',
    '<a href="java&#9;script:alert(1)">js3</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD4=">data</a>',
    '<a href="mailto:help@acme.example">mail</a>',
    '<a href="tel:+12065550100">call</a>',
    '<a href="#top">top</a>',
    '<a href="/relative">rel</a>',
    '<a ses:no-track href="https://no-track.example/">no track</a>',
    '<a ses:tags="unsubscribeLinkTag:optout" href="https://acme.example/unsubscribe">unsubscribe</a>',
    '<!-- <a href="https://commented.example/">in a comment</a> -->',
    "<script>var s = '<a href=\"https://in-script.example/\">';</script>",
]


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.images = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "href" in attrs:
            self.hrefs.append(attrs["href"])
        if tag == "img":
            self.images.append(attrs)


def links(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    parser.close()
    return parser


def test_add_tracking_rewrites_http_links_only():
    out = add_tracking(PAGE, base_url=BASE, key=KEY, send_key="sk", endpoint_id="ep-1", campaign_id="c1")
    for fragment in UNTOUCHED:
        assert fragment in out
    found = links(out)
    tracked = [h for h in found.hrefs if h.startswith(BASE)]
    targets = [verify_token(token_of(h), KEYS, kind="click")["target"] for h in tracked]
    assert targets == ["https://shop.example/a?x=1&y=2", "http://plain.example/", "https://shop.example/b"]
    first = verify_token(token_of(tracked[0]), KEYS)
    assert (first["send_key"], first["endpoint_id"], first["campaign_id"]) == ("sk", "ep-1", "c1")
    assert f'<a class="btn" href="{tracked[0]}" target="_blank">Shop</a>' in out  # other attributes kept
    assert "javascript" not in "".join(tracked) and not any("data:" in t for t in targets)
    # the pixel: one, just before </BODY>
    assert len(found.images) == 1
    pixel = found.images[0]
    assert (pixel["width"], pixel["height"], pixel["alt"]) == ("1", "1", "")
    assert out.index(pixel["src"]) < out.index("</BODY>") and out.endswith("</BODY>\n</html>")
    _kind, token = parse_tracking_path(pixel["src"].removeprefix(BASE))
    assert verify_token(token, KEYS, kind="open")["endpoint_id"] == "ep-1"


def test_add_tracking_changes_nothing_else():
    out = add_tracking(PAGE, base_url=BASE, key=KEY, send_key="sk")
    page_rest = re.sub(r"<a [^>]*href=\"https?://(shop|plain)[^>]*>|<a href='http://plain[^>]*>", "<A>", PAGE)
    out_rest = re.sub(r"<a [^>]*href=\"https://t\.acme[^>]*>", "<A>", out)
    out_rest = re.sub(r'<img src="https://t\.acme[^>]*/>', "", out_rest)
    assert out_rest == page_rest


def test_add_tracking_options_and_idempotence():
    html = '<p><a href="https://x.example/">x</a></p>'
    assert (
        add_tracking(html, base_url=BASE, key=KEY, send_key="sk", track_opens=False, track_clicks=False)
        == html
    )
    clicks_only = add_tracking(html, base_url=BASE, key=KEY, send_key="sk", track_opens=False)
    assert "<img" not in clicks_only and "/t/c/" in clicks_only
    opens_only = add_tracking(html, base_url=BASE, key=KEY, send_key="sk", track_clicks=False)
    assert opens_only.startswith(html) and opens_only.endswith(
        '.gif" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0" />'
    )
    twice = add_tracking(opens_only, base_url=BASE, key=KEY, send_key="sk")
    assert twice.count("<img") == 1 and twice.count("/t/c/") == 1
    assert add_tracking(twice, base_url=BASE, key=KEY, send_key="sk") == twice


def test_a_self_closing_anchor_and_html_special_characters():
    html = '<a href="https://x.example/?q=&lt;b&gt;&amp;r=&quot;1&quot;" title="a &amp; b"/>'
    out = add_tracking(html, base_url=BASE, key=KEY, send_key="sk", track_opens=False)
    assert out.endswith(' title="a &amp; b" />')
    (href,) = links(out).hrefs
    assert verify_token(token_of(href), KEYS)["target"] == 'https://x.example/?q=<b>&r="1"'


@settings(max_examples=200, deadline=None)
@given(
    hrefs=st.lists(
        st.one_of(
            targets,
            st.sampled_from(["javascript:alert(1)", "data:,x", "mailto:a@b.example", "tel:1", "#", "/x", ""]),
            st.text(max_size=30),
        ),
        max_size=6,
    ),
    ids=ids,
)
def test_every_link_is_either_untouched_or_a_signed_link_to_itself(hrefs, ids):
    html = (
        "<html><body>"
        + "".join(
            f'<p>{i}<a href="{htmllib.escape(h, quote=True)}">link {i}</a></p>' for i, h in enumerate(hrefs)
        )
        + "</body></html>"
    )
    out = add_tracking(html, base_url=BASE, key=KEY, send_key="sk", **ids)
    found = links(out)
    assert len(found.hrefs) == len(hrefs)
    for original, now in zip(hrefs, found.hrefs, strict=True):
        if now == original:
            continue
        assert now.startswith(BASE + "/t/c/")
        payload = verify_token(token_of(now), KEYS, kind="click")
        assert payload["target"] == original.strip(" \t\n\r\f").translate({9: None, 10: None, 13: None})
        assert payload["target"].lower().startswith(("http://", "https://"))
        assert {k: payload[k] for k in ids} == ids
    assert len(found.images) == 1


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "<a ",
                    "<a href=",
                    "href=",
                    "<A HREF='",
                    '"',
                    "'",
                    ">",
                    "</a>",
                    "</body>",
                    "<body>",
                    "https://x.example/",
                    "javascript:",
                    "&amp;",
                    "&#9;",
                    "<!--",
                    "-->",
                    "<script>",
                    "</script>",
                    "\n",
                    "\r\n",
                    " ",
                    "/>",
                    "ses:no-track",
                    "<img src=",
                    "=",
                    "<",
                ]
            ),
            st.characters(codec="utf-8"),
        ),
        max_size=40,
    ).map("".join)
)
def test_any_html_is_rewritten_without_an_error(html):
    assert (
        add_tracking(html, base_url=BASE, key=KEY, send_key="sk", track_opens=False, track_clicks=False)
        == html
    )
    out = add_tracking(html, base_url=BASE, key=KEY, send_key="sk")
    for href in links(out).hrefs:
        if href.startswith(BASE + "/t/c/"):
            assert verify_token(token_of(href), KEYS, kind="click") is not None
