"""E-mail composition: MJML, CSS inlining, text parts, MIME structure, headers, List-Unsubscribe, injection."""

from __future__ import annotations

import email
import email.policy
import hashlib
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.errors import InputError
from workbench.messages.email import (
    compose_email,
    html_to_text,
    inline_css,
    message_id_for,
    mjml_to_html,
    validate_address,
)

SENDER = "Acme News <news@acme.example>"
HTML = (
    "<html><body><h1>Hello &amp; welcome, Zoë</h1>"
    '<p>5 &lt; 6 &gt; 4 "quoted" <a href="https://shop.example/a?x=1&amp;y=2">the shop</a></p>'
    "</body></html>"
)


def parse(msg) -> email.message.EmailMessage:
    """The message as a mail server receives it: serialised to bytes and parsed back."""
    data = msg.as_bytes()
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")  # SMTP policy: CRLF line ends only
    return email.message_from_bytes(data, policy=email.policy.default)


def compose(**kw):
    base = {"send_key": "c1:run1:ep-1:EMAIL", "sender": SENDER, "to": "bob@example.com", "subject": "Hi"}
    base.update(kw)
    return compose_email(**base)


# --- MIME structure ------------------------------------------------------------------------------------------


def test_html_and_text_make_multipart_alternative():
    msg = parse(compose(html=HTML, text="Hello & welcome, Zoë\n"))
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    plain, html = msg.iter_parts()
    assert plain.get_content_charset() == "utf-8" and html.get_content_charset() == "utf-8"
    assert plain.get_content().replace("\r\n", "\n") == "Hello & welcome, Zoë\n"
    assert html.get_content().replace("\r\n", "\n").rstrip("\n") == HTML  # special characters intact


def test_the_text_part_is_derived_from_the_html():
    msg = parse(compose(html=HTML))
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    assert "Hello & welcome, Zoë" in text
    assert "[the shop](https://shop.example/a?x=1&y=2)" in text  # links stay readable, entities decoded
    assert "<" not in text.replace("5 < 6", "")


def test_html_only_and_text_only():
    msg = parse(compose(html=HTML, derive_text=False))
    assert msg.get_content_type() == "text/html"
    assert msg.get_content().rstrip("\r\n") == HTML
    msg = parse(compose(text="just text <not html> & more"))
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content().rstrip("\r\n") == "just text <not html> & more"
    with pytest.raises(InputError, match="HTML part, a text part, or both"):
        compose()


# --- headers -----------------------------------------------------------------------------------------------------


def test_headers_of_a_transactional_message():
    when = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    msg = parse(
        compose(html=HTML, reply_to="Help <help@acme.example>", date=when, subject="Your order <#42> & co")
    )
    assert msg["From"] == SENDER
    assert msg["From"].addresses[0].addr_spec == "news@acme.example"
    assert msg["To"] == "bob@example.com"
    assert msg["Subject"] == "Your order <#42> & co"
    assert msg["Reply-To"] == "Help <help@acme.example>"
    assert msg["Date"].datetime == when
    assert msg["X-Workbench-Send-Key"] == "c1:run1:ep-1:EMAIL"
    expected = hashlib.sha256(b"c1:run1:ep-1:EMAIL").hexdigest()[:32]
    assert msg["Message-ID"] == f"<{expected}@acme.example>"
    assert msg["List-Unsubscribe"] is None and msg["List-Unsubscribe-Post"] is None
    assert msg["X-Workbench-Campaign-Id"] is None
    assert msg["MIME-Version"] == "1.0"


def test_non_ascii_subject_and_names_round_trip():
    msg = parse(
        compose(text="x", subject="Ça va? Déjà 20 % — “soldes” 🎉", sender="Zoë Café <zoe@acme.example>")
    )
    assert msg["Subject"] == "Ça va? Déjà 20 % — “soldes” 🎉"
    assert msg["From"].addresses[0].display_name == "Zoë Café"


def test_message_id_is_stable_for_a_send_key():
    first = parse(compose(text="a", to="one@example.com"))["Message-ID"]
    again = parse(compose(text="other body", to="one@example.com", subject="retry"))["Message-ID"]
    other = parse(compose(text="a", send_key="c1:run1:ep-2:EMAIL"))["Message-ID"]
    assert first == again != other
    assert message_id_for("k", "Acme.Example") == f"<{hashlib.sha256(b'k').hexdigest()[:32]}@acme.example>"
    with pytest.raises(InputError):
        message_id_for("", "acme.example")
    with pytest.raises(InputError):
        message_id_for("k", "acme.example>\r\nBcc: x@y.z")


def test_promotional_mail_carries_one_click_unsubscribe():
    msg = parse(
        compose(
            html=HTML,
            promotional=True,
            unsubscribe_url="https://t.acme.example/u/abc.def",
            unsubscribe_mailto="unsub@acme.example",
            campaign_id="camp-1",
        )
    )
    assert msg["List-Unsubscribe"] == "<https://t.acme.example/u/abc.def>, <mailto:unsub@acme.example>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["X-Workbench-Campaign-Id"] == "camp-1"
    only_url = parse(compose(text="x", promotional=True, unsubscribe_url="https://t.acme.example/u/abc"))
    assert only_url["List-Unsubscribe"] == "<https://t.acme.example/u/abc>"


def test_promotional_mail_without_an_https_unsubscribe_url_is_refused():
    with pytest.raises(InputError, match="one-click unsubscribe URL") as err:
        compose(text="x", promotional=True)
    assert err.value.field == "unsubscribe_url"
    with pytest.raises(InputError, match="must be https"):
        compose(text="x", promotional=True, unsubscribe_url="http://t.acme.example/u/abc")
    with pytest.raises(InputError, match="must be https"):
        compose(text="x", promotional=True, unsubscribe_url="mailto:unsub@acme.example")
    with pytest.raises(InputError, match="cannot go in List-Unsubscribe"):
        compose(
            text="x", promotional=True, unsubscribe_url="https://t.acme.example/u/a>, <https://evil.example"
        )
    # loopback http is allowed, for local testing against `workbench serve`
    msg = parse(compose(text="x", promotional=True, unsubscribe_url="http://127.0.0.1:8080/u/abc"))
    assert msg["List-Unsubscribe"] == "<http://127.0.0.1:8080/u/abc>"


def test_custom_headers():
    msg = parse(compose(text="x", headers=[{"Name": "X-Tag", "Value": "spring <sale> & more"}]))
    assert msg["X-Tag"] == "spring <sale> & more"
    msg = parse(compose(text="x", headers={"List-Unsubscribe": "<https://acme.example/u>", "X-A": "1"}))
    assert msg["List-Unsubscribe"] == "<https://acme.example/u>"  # transactional mail may set it itself
    assert msg["X-A"] == "1"
    assert parse(compose(text="x", headers={f"X-{i}": "v" for i in range(15)}))["X-14"] == "v"


@pytest.mark.parametrize(
    ("headers", "match"),
    [
        ({f"X-{i}": "v" for i in range(16)}, "16 custom headers: at most 15"),
        ({"X-" + "a" * 125: "v"}, "is not a header name"),
        ({"X-Long": "v" * 871}, "over 870"),
        ({"X Bad": "v"}, "is not a header name"),
        ({"X:Bad": "v"}, "is not a header name"),
        ({"From": "evil@example.com"}, "set by the workbench"),
        ({"message-id": "<x@y>"}, "set by the workbench"),
        ({"X-Workbench-Send-Key": "other"}, "set by the workbench"),
        ({"X-A": "ok\r\nBcc: victim@example.com"}, "header injection"),
        ([{"Name": "X-A"}], "exactly Name and Value"),
        ([{"Name": "X-A", "Value": "1"}, {"Name": "x-a", "Value": "2"}], "given twice"),
        ("X-A: 1", "must be a list"),
    ],
)
def test_bad_custom_headers(headers, match):
    with pytest.raises(InputError, match=match):
        compose(text="x", headers=headers)


def test_promotional_mail_may_not_override_its_unsubscribe_headers():
    with pytest.raises(InputError, match="set by the workbench"):
        compose(
            text="x",
            promotional=True,
            unsubscribe_url="https://t.acme.example/u/abc",
            headers={"List-Unsubscribe-Post": "nope"},
        )


# --- header injection and addresses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        "Hello\r\nBcc: victim@example.com",
        "Hello\nBcc: victim@example.com",
        "Hello\rBcc: victim@example.com",
        "Hello\u2028Bcc: victim@example.com",
        "Hello\x85Bcc: victim@example.com",
        "Hello\x00",
    ],
)
def test_a_line_break_in_a_personalised_subject_is_refused(subject):
    with pytest.raises(InputError, match="header injection") as err:
        compose(text="x", subject=subject)
    assert err.value.field == "Subject"


@pytest.mark.parametrize("field", ["to", "sender", "reply_to"])
def test_a_line_break_in_an_address_is_refused(field):
    with pytest.raises(InputError, match="header injection"):
        compose(text="x", **{field: "bob@example.com\r\nBcc: victim@example.com"})


@pytest.mark.parametrize(
    "to",
    [
        "not-an-address",
        "bob@",
        "bob@localhost",
        "a b@example.com",
        "bob@example.com, eve@example.com",
        "alice@example.org)<bob@example.org>",
        "Group: bob@example.com;",
        "ü@example.com",  # needs SMTPUTF8
        "",
    ],
)
def test_invalid_recipients_are_refused(to):
    with pytest.raises(InputError) as err:
        compose(text="x", to=to)
    assert err.value.field == "To"


def test_an_invalid_sender_is_refused_every_time_and_a_valid_one_parsed_once():
    """The parsed From is remembered between messages (a campaign's is the same for all); a refusal is not."""
    for _ in range(2):
        with pytest.raises(InputError) as err:
            compose(text="x", sender="News <news@@acme.example>")
        assert err.value.field == "From"
    from workbench.messages.email import _parsed_mailbox

    compose(text="x")
    hits = _parsed_mailbox.cache_info().hits
    fresh = [f"{uuid.uuid4().hex}@example.com" for _ in range(2)]  # recipients no other test has used
    first, second = (parse(compose(text="x", to=to)) for to in fresh)
    assert _parsed_mailbox.cache_info().hits == hits + 2  # the From of both, remembered
    assert first["From"] == second["From"] == SENDER
    assert [first["To"], second["To"]] == fresh


def test_header_classes_are_built_once():
    from workbench.messages.email import POLICY

    assert POLICY.header_factory["subject"] is POLICY.header_factory["subject"]


def test_validate_address():
    assert validate_address("  Bob@Example.COM ") == "Bob@example.com"
    assert validate_address("zoe@exämple.com") == "zoe@xn--exmple-cua.com"
    with pytest.raises(InputError, match="invalid e-mail address") as err:
        validate_address("bob@@example.com", field="Address")
    assert err.value.field == "Address"
    with pytest.raises(InputError):
        validate_address(None)


def test_a_send_key_or_campaign_id_with_a_line_break_is_refused():
    with pytest.raises(InputError) as err:
        compose(text="x", send_key="k\r\nBcc: v@example.com")
    assert err.value.field == "send_key"
    with pytest.raises(InputError) as err:
        compose(text="x", campaign_id="c\nBcc: v@example.com")
    assert err.value.field == "campaign_id"


header_text = st.text(
    alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from(list("\r\n<>&\"'=?:;,\u2028"))),
    max_size=120,
)


@settings(max_examples=200, deadline=None)
@given(
    subject=header_text,
    body=st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r"), max_size=300),
)
def test_fuzzed_subjects_never_inject_a_header(subject, body):
    try:
        msg = compose(html=f"<p>{body}</p>", text=body, subject=subject)
    except InputError as err:
        assert err.field == "Subject"
        return
    parsed = parse(msg)
    assert sorted(parsed.keys()) == sorted(
        [
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "X-Workbench-Send-Key",
            "MIME-Version",
            "Content-Type",
        ]
    )
    assert parsed["Subject"].split() == subject.split()  # folding may change runs of white space only
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n").rstrip("\n") == body.rstrip("\n")


# --- MJML, CSS inlining, text ----------------------------------------------------------------------------------

MJML = """<mjml>
  <mj-head><mj-style>.note { color: #ff0000; }</mj-style></mj-head>
  <mj-body>
    <mj-section><mj-column>
      <mj-text css-class="note">Hello &amp; welcome</mj-text>
      <mj-button href="https://shop.example/buy">Buy</mj-button>
    </mj-column></mj-section>
  </mj-body>
</mjml>"""


def test_mjml_compiles_to_responsive_html():
    html = mjml_to_html(MJML)
    assert html.lower().startswith("<!doctype html>")
    assert "Hello &amp; welcome" in html
    assert 'href="https://shop.example/buy"' in html
    assert "@media" in html  # the responsive column rules


@pytest.mark.parametrize(
    ("source", "match"),
    [
        ("<mjml><mj-body><mj-section>", "invalid MJML: unexpected end of stream"),
        ("<p>not mjml</p>", "not an MJML document"),
        ('<mjml><mj-body><mj-include path="/etc/passwd"/></mj-body></mjml>', "may not read files"),
    ],
)
def test_invalid_mjml_names_the_problem(source, match):
    with pytest.raises(InputError, match=match) as err:
        mjml_to_html(source, where="welcome.json")
    assert err.value.file == "welcome.json" and err.value.field == "HtmlPart"


def test_inline_css_keeps_media_queries_and_fetches_nothing():
    html = (
        "<html><head><style>p { color: red } @media (max-width: 480px) { p { color: blue } }</style>"
        '<link rel="stylesheet" href="http://127.0.0.1:9/never.css"></head>'
        "<body><p>5 &lt; 6 &amp; ok</p></body></html>"
    )
    out = inline_css(html)
    assert '<p style="color: red;">5 &lt; 6 &amp; ok</p>' in out
    assert "@media (max-width: 480px)" in out
    assert "never.css" not in out
    full = inline_css(mjml_to_html(MJML))
    assert "color: #ff0000" in full


def test_html_to_text():
    text = html_to_text(
        "<h1>Title &amp; more</h1><p>Visit <a href='https://a.example/x?y=1&amp;z=2'>our shop</a>.</p>"
        "<p><a href='https://a.example/'>https://a.example/</a></p><img src='https://t.example/p.gif' alt=''>"
        "<ul><li>one</li><li>two</li></ul><style>p{color:red}</style><script>alert(1)</script>"
    )
    assert text.startswith("Title & more\n")
    assert "Visit [our shop](https://a.example/x?y=1&z=2)." in text
    assert "[https://a.example/](https://a.example/)" not in text and "https://a.example/" in text
    assert "* one" in text and "* two" in text
    assert "p.gif" not in text and "color:red" not in text and "alert" not in text
    assert html_to_text("") == "" and html_to_text("   ") == ""


def test_a_long_unsubscribe_url_stays_one_readable_uri():
    url = "https://t.acme.example/u/" + "A1b2_-" * 60 + ".sig"
    data = compose(text="x", promotional=True, unsubscribe_url=url, send_key="k" * 300).as_bytes()
    assert f"List-Unsubscribe: <{url}>\r\n".encode() in data  # not folded into =?utf-8?q?...?= words
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert msg["List-Unsubscribe"] == f"<{url}>"
    assert msg["X-Workbench-Send-Key"] == "k" * 300
