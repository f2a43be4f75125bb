"""E-mail as mailbox providers expect it: MJML to responsive HTML, CSS inlined, a text part, and the MIME message.

The pieces, in the order a send uses them:

- :func:`mjml_to_html` compiles an MJML template (``mjml-python``) to the table-based HTML email clients render;
- :func:`inline_css` moves ``<style>`` rules into ``style=""`` attributes (``css-inline``), keeping ``@media``
  rules in a ``<style>`` block so the layout stays responsive where clients read them; remote stylesheets are
  never fetched;
- :func:`html_to_text` derives the plain-text part (``inscriptis``), links written ``[text](url)``;
- :func:`compose_email` builds the RFC 5322 message with :class:`email.message.EmailMessage` and the ``SMTP``
  policy, so a personalised Subject or address holding CR or LF is refused instead of injecting a header.

Add tracking (``workbench.messages.tracking.add_tracking``) to the HTML *after* deriving the text part, so that
the text part shows the real links, not the redirects.

Message-ID is ``<HASH@domain>``, HASH the first 128 bits of SHA-256 of the send key in hex: the same send key
always gives the same Message-ID, so a retried send is the same message to every dedupe downstream, and the
header does not show the endpoint or user ids a send key is made of.
"""

from __future__ import annotations

import email.policy
import email.utils
import functools
import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from urllib.parse import urlsplit

from workbench.errors import InputError

MAX_HEADERS = 15  # Pinpoint's MessageHeader list (SES SendEmail Headers)
MAX_HEADER_NAME = 126
MAX_HEADER_VALUE = 870
SEND_KEY_HEADER = "X-Workbench-Send-Key"

# RFC 5322 field-name: printable US-ASCII except the colon.
_FIELD_NAME = re.compile(r"^[!-9;-~]+$")
# Headers compose_email writes itself: a custom header may not replace or repeat them.
_OWN_HEADERS = frozenset(
    h.lower()
    for h in (
        "From",
        "To",
        "Cc",
        "Bcc",
        "Subject",
        "Date",
        "Message-ID",
        "Reply-To",
        "MIME-Version",
        "Content-Type",
        "Content-Transfer-Encoding",
        "Content-Disposition",
        SEND_KEY_HEADER,
        "X-Workbench-Campaign-Id",
    )
)
# What may not appear in a header value: line breaks of every kind str.splitlines() knows (the email package
# refuses them too, less clearly) and other control characters (RFC 5322 allows none but tab).
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
_UNSUBSCRIBE_HEADERS = frozenset(("list-unsubscribe", "list-unsubscribe-post"))
_LOOPBACK = frozenset(("127.0.0.1", "localhost", "::1"))


class _HeaderClasses(HeaderRegistry):
    """The email package's header registry, each header's class built once.

    The stdlib's registry builds a new class with ``type()`` every time a header is set or parsed (about twenty
    times a message); building each once plans a campaign in a third less time (benchmarks/bench_campaign_plan.py:
    338 -> 508 messages/s).
    """

    @functools.cache  # noqa: B019 (one registry for the process: it is never freed anyway)
    def __getitem__(self, name: str) -> type:
        return super().__getitem__(name)


# SMTP's CRLF policy, folding headers only past RFC 5322's hard limit of 998 octets a line: at the default 78, a
# long unsubscribe URL (a signed token) would be folded into RFC 2047 encoded-words, which no client reads as a
# URL in List-Unsubscribe.
POLICY = email.policy.SMTP.clone(max_line_length=998, header_factory=_HeaderClasses())


def mjml_to_html(source: str, *, where: str | None = None) -> str:
    """Compile an MJML document to HTML; InputError naming the problem when it is not valid MJML.

    ``<mj-include>`` is refused: a template may not read files.
    """
    import mjml

    if not isinstance(source, str) or "<mjml" not in source:
        raise InputError("not an MJML document: it must start with <mjml>", file=where, field="HtmlPart")
    included: list[str] = []

    def refuse_include(path: str) -> str:
        included.append(path)
        raise ValueError("templates may not read files")

    try:
        return mjml.mjml2html(source, include_loader=refuse_include)
    except (ValueError, RuntimeError) as exc:
        if included:  # mjml words it "unable to load included template": say why
            reason = f"<mj-include path={included[0]!r}> is not allowed: templates may not read files"
        else:
            reason = f"invalid MJML: {exc}"
        raise InputError(reason, file=where, field="HtmlPart") from None


def inline_css(html: str) -> str:
    """``html`` with its ``<style>`` rules inlined into ``style=""`` attributes.

    ``@media`` and other at-rules stay in a ``<style>`` block (inline styles cannot express them, and responsive
    MJML layouts rely on them); ``<link rel=stylesheet>`` tags are dropped and never fetched.
    """
    import css_inline

    try:
        return css_inline.inline(html, keep_at_rules=True, load_remote_stylesheets=False)
    except css_inline.InlineError as exc:  # e.g. CSS that cannot be parsed
        raise InputError(f"cannot inline the CSS: {exc}", field="HtmlPart") from None


def html_to_text(html: str) -> str:
    """A plain-text rendering of ``html`` for the text part: layout kept, links as ``[text](url)``, no images."""
    from inscriptis import get_text
    from inscriptis.model.config import ParserConfig

    if not html or not html.strip():
        return ""
    text = get_text(html, ParserConfig(display_links=True))
    # inscriptis writes a link whose text is its URL twice: once is enough.
    text = re.sub(r"\[([^\]\n]+)\]\(\1\)", r"\1", text)
    return text.strip() + "\n"


def validate_address(addr: str, *, field: str = "Address") -> str:
    """The normalised form of an e-mail address (``email_validator``, no DNS lookup); InputError if invalid.

    Addresses whose local part is not ASCII need SMTPUTF8, which the workbench does not send yet: refused. An
    internationalised domain is returned in its ASCII (punycode) form.
    """
    from email_validator import EmailNotValidError, validate_email

    if not isinstance(addr, str) or not addr.strip():
        raise InputError("no e-mail address", field=field)
    try:
        found = validate_email(addr.strip(), check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise InputError(f"invalid e-mail address {addr!r}: {exc}", field=field) from None
    return found.ascii_email or found.normalized


def _check_header_text(value: str, field: str) -> None:
    found = _CONTROL.search(value)
    if found:
        what = (
            "a line break"
            if found.group() in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
            else "a control character"
        )
        raise InputError(f"{what} ({found.group()!r}) in a header is refused (header injection)", field=field)


def _mailbox(value: str, field: str) -> Address:
    """``"Name <addr>"`` or ``"addr"`` as an Address, the addr-spec validated; CR/LF refused."""
    if not isinstance(value, str):
        raise InputError(f"expected an address as text, not {type(value).__name__}", field=field)
    return _parsed_mailbox(value, field)


@functools.lru_cache(maxsize=64)
def _parsed_mailbox(value: str, field: str) -> Address:
    """:func:`_mailbox` of a text. Remembers the last few: a campaign's From (and Reply-To) is parsed once, not
    for every message (10% less time to plan a campaign; benchmarks/bench_campaign_plan.py: 456 -> 508
    messages/s). An invalid address raises every time (nothing is remembered)."""
    _check_header_text(value, field)
    # The email package's own RFC 5322 parser (not parseaddr, which reads "a@x)<b@y>" as a@x on this Python):
    # exactly one mailbox, no group, no defect.
    try:
        parsed = POLICY.header_factory(field, value)
    except (IndexError, ValueError, TypeError):  # the parser trips on some malformed input ("bob@")
        raise InputError(f"{value!r} is not an e-mail address", field=field) from None
    if parsed.defects or len(parsed.addresses) != 1 or parsed.groups[0].display_name is not None:
        raise InputError(f"{value!r} is not one e-mail address (like 'Name <name@example.com>')", field=field)
    found = parsed.addresses[0]
    return Address(display_name=found.display_name, addr_spec=validate_address(found.addr_spec, field=field))


def message_id_for(send_key: str, domain: str) -> str:
    """The Message-ID of the message with this send key: ``<32 hex digits@domain>``, the same for every retry."""
    if not isinstance(send_key, str) or not send_key:
        raise InputError("a message needs a send key", field="send_key")
    domain = domain.strip().lower()
    if not re.fullmatch(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?", domain):
        raise InputError(f"{domain!r} is not a domain name for a Message-ID", field="domain")
    digest = hashlib.sha256(send_key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def _unsubscribe_target(value: str, field: str, *, https: bool) -> str:
    """An unsubscribe URI fit for ``List-Unsubscribe``: no spaces, angle brackets or commas (it is bracketed)."""
    value = value.strip()
    if not value or re.search(r"[\s<>,\"]", value) or not value.isascii():
        raise InputError(
            f"{value!r} cannot go in List-Unsubscribe (spaces, <>, commas or quotes)", field=field
        )
    if https:
        parts = urlsplit(value)
        loopback = parts.scheme == "http" and (parts.hostname or "") in _LOOPBACK
        if not parts.netloc or not (parts.scheme == "https" or loopback):
            raise InputError(
                f"the one-click unsubscribe URL must be https:// (RFC 8058), not {value!r}", field=field
            )
    return value


def _custom_headers(headers, *, promotional: bool) -> list[tuple[str, str]]:
    """Pinpoint's ``Headers`` (a list of ``{"Name", "Value"}``) or a mapping, checked against its limits."""
    if headers is None:
        return []
    if isinstance(headers, Mapping):
        items = list(headers.items())
    elif isinstance(headers, Sequence) and not isinstance(headers, str):
        items = []
        for i, h in enumerate(headers):
            if not isinstance(h, Mapping) or set(h) != {"Name", "Value"}:
                raise InputError(
                    "each header is an object with exactly Name and Value", field=f"Headers[{i}]"
                )
            items.append((h["Name"], h["Value"]))
    else:
        raise InputError("Headers must be a list of {Name, Value} or a mapping", field="Headers")
    if len(items) > MAX_HEADERS:
        raise InputError(f"{len(items)} custom headers: at most {MAX_HEADERS}", field="Headers")
    out = []
    for name, value in items:
        if not isinstance(name, str) or not isinstance(value, str):
            raise InputError("header names and values are text", field=f"Headers.{name}")
        if not _FIELD_NAME.fullmatch(name) or len(name) > MAX_HEADER_NAME:
            raise InputError(
                f"{name!r} is not a header name (printable ASCII without ':' or spaces, at most "
                f"{MAX_HEADER_NAME} characters)",
                field="Headers",
            )
        if len(value) > MAX_HEADER_VALUE:
            raise InputError(f"the value is over {MAX_HEADER_VALUE} characters", field=f"Headers.{name}")
        _check_header_text(value, f"Headers.{name}")
        lowered = name.lower()
        if lowered in _OWN_HEADERS or (promotional and lowered in _UNSUBSCRIBE_HEADERS):
            raise InputError(f"{name} is set by the workbench; it cannot be a custom header", field="Headers")
        if lowered in {n.lower() for n, _ in out}:
            raise InputError(f"{name} is given twice", field="Headers")
        out.append((name, value))
    return out


def compose_email(
    *,
    send_key: str,
    sender: str,
    to: str,
    subject: str,
    html: str | None = None,
    text: str | None = None,
    reply_to: str | None = None,
    promotional: bool = False,
    unsubscribe_url: str | None = None,
    unsubscribe_mailto: str | None = None,
    headers: Mapping[str, str] | Sequence[Mapping[str, str]] | None = None,
    campaign_id: str | None = None,
    derive_text: bool = True,
    date: datetime | None = None,
) -> EmailMessage:
    """One e-mail, ready for an SMTP server (``msg.as_bytes()`` gives CRLF lines).

    - Body: ``multipart/alternative`` (text/plain, then text/html) when there is HTML; the text part is derived
      from the HTML when ``text`` is None (unless ``derive_text=False``, which sends the HTML alone). Text alone
      is a single ``text/plain`` message. Both None is an error.
    - Headers: From (``sender``, ``"Name <addr>"`` or an address), To, Subject, Date, Message-ID (from the send
      key and the sender's domain, see :func:`message_id_for`), Reply-To, ``X-Workbench-Send-Key``, and
      ``X-Workbench-Campaign-Id`` when a campaign sends it; ``headers`` adds Pinpoint's custom headers (at most
      15, names <= 126 and values <= 870 characters).
    - Promotional mail carries ``List-Unsubscribe: <https URL>[, <mailto:...>]`` and ``List-Unsubscribe-Post:
      List-Unsubscribe=One-Click`` (RFC 2369, RFC 8058), and is refused without an https unsubscribe URL
      (``http://`` is allowed only on a loopback host, for local testing).

    Every problem raises :class:`InputError` naming the field: an invalid address, a CR/LF in the Subject or an
    address (header injection), a header over a limit.
    """
    if html is None and text is None:
        raise InputError("an e-mail needs an HTML part, a text part, or both", field="HtmlPart")
    if not isinstance(subject, str):
        raise InputError("the subject is text", field="Subject")
    _check_header_text(subject, "Subject")
    if not isinstance(send_key, str) or not send_key:
        raise InputError("a message needs a send key", field="send_key")
    _check_header_text(send_key, "send_key")
    if campaign_id is not None:
        _check_header_text(str(campaign_id), "campaign_id")
    from_addr = _mailbox(sender, "From")
    to_addr = _mailbox(to, "To")
    reply_addr = _mailbox(reply_to, "Reply-To") if reply_to else None
    custom = _custom_headers(headers, promotional=promotional)
    unsubscribe = []
    if promotional:
        if not unsubscribe_url:
            raise InputError(
                "promotional mail needs a one-click unsubscribe URL (List-Unsubscribe, RFC 8058)",
                field="unsubscribe_url",
            )
        unsubscribe.append(_unsubscribe_target(unsubscribe_url, "unsubscribe_url", https=True))
        if unsubscribe_mailto:
            mailto = unsubscribe_mailto.strip()
            if not mailto.lower().startswith("mailto:"):
                mailto = "mailto:" + validate_address(mailto, field="unsubscribe_mailto")
            unsubscribe.append(_unsubscribe_target(mailto, "unsubscribe_mailto", https=False))

    msg = EmailMessage(policy=POLICY)
    try:
        msg["From"] = from_addr
        msg["To"] = to_addr
        msg["Subject"] = subject
        when = date or datetime.now(UTC)
        msg["Date"] = email.utils.format_datetime(when if when.tzinfo else when.replace(tzinfo=UTC))
        msg["Message-ID"] = message_id_for(send_key, from_addr.domain)
        if reply_addr is not None:
            msg["Reply-To"] = reply_addr
        msg[SEND_KEY_HEADER] = send_key
        if campaign_id is not None:
            msg["X-Workbench-Campaign-Id"] = str(campaign_id)
        if unsubscribe:
            msg["List-Unsubscribe"] = ", ".join(f"<{u}>" for u in unsubscribe)
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        for name, value in custom:
            msg[name] = value
    except ValueError as exc:  # the email package's own refusal of CR/LF and malformed values
        raise InputError(f"cannot write the header: {exc}", field="headers") from None

    if text is None and html is not None and derive_text:
        text = html_to_text(html)
    if text is not None:
        msg.set_content(text, subtype="plain", charset="utf-8")
        if html is not None:
            msg.add_alternative(html, subtype="html", charset="utf-8")
    else:
        msg.set_content(html, subtype="html", charset="utf-8")
    return msg
