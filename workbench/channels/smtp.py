"""The ``smtp`` adapter: real SMTP (STARTTLS or implicit TLS, AUTH) over a small pool of connections.

It is also how a project sends through an email service's SMTP relay (Amazon SES, Postmark, Mailgun, ...): set
``host``/``port``/``starttls`` and name the variables holding the SMTP credentials in ``username_env`` and
``password_env``.

The pool is deliberately simple: ``connections = N`` starts N worker threads and each worker owns one connection,
opened on its first message and kept open for the next ones; a broken connection (421, a timeout, a lost
socket) is closed and the worker opens a fresh one for its next message. That is all a pool has to do here.

Each message is one SMTP transaction (MAIL FROM, RCPT TO the message's address only, DATA with the ``mime``
bytes as given: line endings made CRLF and leading dots stuffed, as the protocol requires), and every reply is
mapped to an outcome (reliability.md 1.5):

- 250 after the data: accepted; the provider id is the queue id from the reply ("queued as X", "id=X",
  SES's "Ok X") when there is one, else the message's Message-ID.
- 4xx anywhere (421, 451, 452, 454...): retryable; 421 and 454 (throttling) also carry ``retry_after``.
- 5xx on RCPT or after the data: permanent; ``address_problem`` for 5.1.x and 5.2.1 (and a bare 550/551/553 on
  RCPT: "user unknown"), not for 5.7.x (policy, authentication, spam: fix the sender, not the list).
- connection refused, lost, or timed out before the data's final dot was sent: retryable.
- connection lost or timed out after the final dot, with no reply: ambiguous (RFC 1047: the server may already
  have queued it).
"""

from __future__ import annotations

import email.utils
import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..errors import InputError
from ._common import (
    check_settings,
    secret_from_env,
    setting_bool,
    setting_float,
    setting_int,
    setting_str,
)
from .base import ChannelAdapter, ChannelContext, Outcome, OutgoingMessage, SendResult

SETTINGS = (
    "host",
    "port",
    "from",
    "connections",
    "timeout",
    "starttls",
    "ssl",
    "username_env",
    "password_env",
    "ca_file",
    "tls_verify",
    "helo_name",
    "retry_after_seconds",
)

_ENHANCED = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})\b")
_QUEUE_ID = (
    re.compile(r"queued as\s+([A-Za-z0-9._:-]+)", re.IGNORECASE),  # Postfix, aiosmtpd sinks
    re.compile(r"\bid=([A-Za-z0-9._:-]+)", re.IGNORECASE),  # Exim
    re.compile(r"^ok\s+([A-Za-z0-9-]{16,})", re.IGNORECASE),  # Amazon SES: "Ok 0100018b...-000000"
)
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(\S[^\r\n]*)", re.IGNORECASE | re.MULTILINE)
_FROM = re.compile(rb"^from:[ \t]*(\S[^\r\n]*)", re.IGNORECASE | re.MULTILINE)
_LINE_END = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"^\.", re.MULTILINE)
_ADDRESS_TEXT = re.compile(
    r"user unknown|unknown user|no such (user|mailbox)|does not exist|mailbox unavailable", re.I
)

_STAGE_NAMES = {"MAIL": "MAIL FROM", "RCPT": "RCPT TO", "END": "end of DATA", "BODY": "DATA"}

# Replies that ask the client to slow down: 421 (service closing) and 454 (Amazon SES "Throttling failure").
THROTTLE_CODES = frozenset({421, 454})


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", errors="replace") if isinstance(reply, bytes) else str(reply)


def _header(mime: bytes, pattern: re.Pattern[bytes]) -> str | None:
    end = mime.find(b"\r\n\r\n")
    if end < 0:
        end = mime.find(b"\n\n")
    found = pattern.search(mime[: end if end >= 0 else len(mime)])
    return found.group(1).strip().decode("utf-8", errors="replace") if found else None


def smtp_payload(mime: bytes) -> bytes:
    """The DATA payload for ``mime``: CRLF line endings, leading dots doubled, and the final ``.`` line."""
    data = _LEADING_DOT.sub(b"..", _LINE_END.sub(b"\r\n", mime))
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def classify_reply(
    stage: str, code: int, reply: bytes | str, *, throttle_wait: float = 60.0
) -> tuple[Outcome, bool, float | None]:
    """(outcome, address_problem, retry_after) for a non-250 reply at ``stage`` (MAIL, RCPT, DATA, END)."""
    text = _text(reply)
    if 200 <= code < 300:
        return Outcome.ACCEPTED, False, None
    if 400 <= code < 500:
        return Outcome.RETRYABLE, False, (throttle_wait if code in THROTTLE_CODES else None)
    if code < 500:  # 1xx/3xx where a final answer was due: the server is confused; try again later
        return Outcome.RETRYABLE, False, None
    found = _ENHANCED.match(text)
    if found:
        subject, detail = int(found.group(2)), int(found.group(3))
        # 5.1.x is the recipient's address (5.1.7/5.1.8 are the sender's); 5.2.1 a disabled mailbox.
        address = (subject == 1 and detail not in (7, 8)) or (subject, detail) == (2, 1)
        return Outcome.PERMANENT, address and stage in ("RCPT", "DATA", "END"), None
    address = (stage == "RCPT" and code in (550, 551, 553)) or (
        stage in ("RCPT", "DATA", "END") and bool(_ADDRESS_TEXT.search(text))
    )
    return Outcome.PERMANENT, address, None


def _code(code: int, reply: bytes | str) -> str:
    found = _ENHANCED.match(_text(reply))
    return f"{code} {found.group(0)}" if found else str(code)


class _Batch:
    """State shared by one send() call's workers: once the server is unreachable, the rest fail fast."""

    unreachable: str | None = None


class _Broken(Exception):
    """The connection cannot be used for another message."""


class SmtpAdapter(ChannelAdapter):
    """Sends email over SMTP; see the module docstring for the settings' meaning and the reply mapping."""

    name = "smtp"
    channels = frozenset({"EMAIL"})

    def __init__(self, config: Mapping[str, Any], context: ChannelContext):
        super().__init__(config, context)
        c = self.config
        check_settings(c, SETTINGS, self.name)
        self.host = setting_str(c, "host", required=True)
        self.ssl = setting_bool(c, "ssl", False)
        self.starttls = setting_bool(c, "starttls", False)
        if self.ssl and self.starttls:
            raise InputError(
                "choose one: ssl = true (implicit TLS, usually port 465) or starttls = true (usually 587)",
                field="ssl",
            )
        self.port = setting_int(c, "port", 465 if self.ssl else 587 if self.starttls else 25, minimum=1)
        sender = setting_str(c, "from")
        self.sender = email.utils.parseaddr(sender)[1] if sender else ""
        if sender and "@" not in self.sender:
            raise InputError(f"not an e-mail address: {sender!r}", field="from")
        self.connections = setting_int(c, "connections", 1, minimum=1)
        self.timeout = setting_float(c, "timeout", 30.0)
        self.throttle_wait = setting_float(c, "retry_after_seconds", 60.0)
        self.helo_name = setting_str(c, "helo_name") or None
        self.username = secret_from_env(c, "username_env", context.environ, required=False)
        self.password = secret_from_env(c, "password_env", context.environ, required=False)
        if (self.username is None) != (self.password is None):
            missing = "password_env" if self.password is None else "username_env"
            raise InputError("AUTH needs both username_env and password_env", field=missing)
        self.tls_context = None
        if self.ssl or self.starttls:
            ca_file = setting_str(c, "ca_file") or None
            try:
                self.tls_context = ssl.create_default_context(cafile=ca_file)
            except (OSError, ssl.SSLError) as err:
                raise InputError(f"cannot read the CA file {ca_file}: {err}", field="ca_file") from None
            if not setting_bool(c, "tls_verify", True):
                self.tls_context.check_hostname = False
                self.tls_context.verify_mode = ssl.CERT_NONE
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: set[smtplib.SMTP] = set()
        self._executor: ThreadPoolExecutor | None = None

    # --- the pool -------------------------------------------------------------------------------------------

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        """Send each message in its own SMTP transaction over the pool; one result per message, in order."""
        if not messages:
            return []
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.connections, thread_name_prefix="smtp")
        batch = _Batch()
        results: list[SendResult | None] = [None] * len(messages)
        todo = iter(range(len(messages)))
        take = threading.Lock()

        def work() -> None:  # each worker takes the next message until none is left: one future per worker
            while True:
                with take:
                    i = next(todo, None)
                if i is None:
                    return
                results[i] = self._send_one(messages[i], batch)

        for future in [self._executor.submit(work) for _ in range(min(self.connections, len(messages)))]:
            future.result()
        return [r for r in results if r is not None]

    def close(self) -> None:
        """Wait for the workers, then QUIT every open connection."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        with self._lock:
            conns, self._open = list(self._open), set()
        for conn in conns:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()

    def _drop(self, conn: smtplib.SMTP) -> None:
        self._local.conn = None
        with self._lock:
            self._open.discard(conn)
        try:
            conn.close()
        except OSError:
            pass

    def _connect(self) -> smtplib.SMTP:
        if self.helo_name is None:
            self.helo_name = socket.getfqdn()  # once per adapter: it may ask the resolver
        if self.ssl:
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host,
                self.port,
                local_hostname=self.helo_name,
                timeout=self.timeout,
                context=self.tls_context,
            )
        else:
            conn = smtplib.SMTP(self.host, self.port, local_hostname=self.helo_name, timeout=self.timeout)
        try:
            conn.ehlo_or_helo_if_needed()
            if self.starttls:
                conn.starttls(context=self.tls_context)
                conn.ehlo()
            if self.username is not None:
                conn.login(self.username, self.password or "")
        except BaseException:
            conn.close()
            raise
        with self._lock:
            self._open.add(conn)
        return conn

    # --- one message ----------------------------------------------------------------------------------------

    def _send_one(self, message: OutgoingMessage, batch: _Batch) -> SendResult:
        key = message.send_key
        if message.channel.upper() != "EMAIL":
            return SendResult(
                key, Outcome.PERMANENT, code="channel", detail=f"smtp carries EMAIL, not {message.channel}"
            )
        if message.mime is None:
            return SendResult(
                key, Outcome.PERMANENT, code="mime", detail="no MIME message to send (not composed)"
            )
        if batch.unreachable is not None:
            return SendResult(key, Outcome.RETRYABLE, code="connect", detail=batch.unreachable)
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = self._local.conn = self._connect()
            except Exception as err:
                return self._connect_failure(key, err, batch)
        try:
            return self._transaction(conn, message)
        except _Broken as broken:
            self._drop(conn)
            return broken.args[0]

    def _connect_failure(self, key: str, err: Exception, batch: _Batch) -> SendResult:
        where = f"{self.host}:{self.port}"
        if isinstance(err, smtplib.SMTPAuthenticationError):
            return SendResult(
                key,
                Outcome.PERMANENT,
                code=_code(err.smtp_code, err.smtp_error),
                detail=f"{where} refused the login (check username_env/password_env): {_text(err.smtp_error)}",
            )
        if isinstance(err, smtplib.SMTPNotSupportedError):
            return SendResult(key, Outcome.PERMANENT, code="config", detail=f"{where}: {err}")
        if isinstance(err, ssl.SSLCertVerificationError):
            return SendResult(
                key, Outcome.PERMANENT, code="tls", detail=f"{where}: TLS certificate refused: {err}"
            )
        if isinstance(err, smtplib.SMTPResponseException):  # a 4xx/5xx greeting, or a refused STARTTLS
            outcome, _, retry_after = classify_reply(
                "CONNECT", err.smtp_code, err.smtp_error, throttle_wait=self.throttle_wait
            )
            return SendResult(
                key,
                outcome,
                code=_code(err.smtp_code, err.smtp_error),
                detail=f"{where}: {_text(err.smtp_error)}",
                retry_after=retry_after,
            )
        if isinstance(err, smtplib.SMTPException) and not isinstance(err, smtplib.SMTPServerDisconnected):
            # "SMTP AUTH extension not supported", "No suitable authentication method": retrying will not help
            return SendResult(key, Outcome.PERMANENT, code="config", detail=f"{where}: {err}")
        # refused, unreachable, timed out, lost during the greeting or TLS: nothing was sent
        detail = f"cannot connect to {where}: {err or type(err).__name__}"
        batch.unreachable = detail
        return SendResult(key, Outcome.RETRYABLE, code="connect", detail=detail)

    def _refused(self, key: str, stage: str, code: int, reply: bytes) -> SendResult:
        outcome, address_problem, retry_after = classify_reply(
            stage, code, reply, throttle_wait=self.throttle_wait
        )
        return SendResult(
            key,
            outcome,
            code=_code(code, reply),
            detail=f"{_STAGE_NAMES.get(stage, stage)}: {_text(reply)}",
            retry_after=retry_after,
            address_problem=address_problem,
        )

    def _after_refusal(self, conn: smtplib.SMTP, result: SendResult, code: int) -> SendResult:
        """Reset the transaction so the connection serves the next message, or give the connection up."""
        if code == 421:
            raise _Broken(result)
        try:
            conn.rset()
        except (smtplib.SMTPException, OSError):
            raise _Broken(result) from None
        return result

    def _transaction(self, conn: smtplib.SMTP, message: OutgoingMessage) -> SendResult:
        key = message.send_key
        mime = bytes(message.mime or b"")
        sender = self.sender or email.utils.parseaddr(_header(mime, _FROM) or "")[1]
        payload = smtp_payload(mime)
        options = []
        if conn.does_esmtp:
            if conn.has_extn("size"):
                options.append(f"SIZE={len(payload)}")
            if conn.has_extn("8bitmime") and not mime.isascii():
                options.append("BODY=8BITMIME")
            if conn.has_extn("smtputf8") and not (sender + message.address).isascii():
                options.append("SMTPUTF8")
        stage = "MAIL"
        try:
            code, reply = conn.mail(sender, options)
            if code != 250:
                return self._after_refusal(conn, self._refused(key, stage, code, reply), code)
            stage = "RCPT"
            code, reply = conn.rcpt(message.address)
            if code not in (250, 251):
                return self._after_refusal(conn, self._refused(key, stage, code, reply), code)
            stage = "DATA"
            conn.putcmd("data")
            code, reply = conn.getreply()
            if code != 354:
                return self._after_refusal(conn, self._refused(key, stage, code, reply), code)
            stage = "BODY"
            conn.send(payload)
            stage = "END"  # the final dot is out: from here on the server may have queued the message
            code, reply = conn.getreply()
        except UnicodeEncodeError:
            result = SendResult(
                key,
                Outcome.PERMANENT,
                code="smtputf8",
                detail=f"{_STAGE_NAMES.get(stage, stage)}: the server does not accept non-ASCII addresses",
            )
            raise _Broken(result) from None
        except (smtplib.SMTPException, OSError) as err:
            if stage == "END":
                result = SendResult(
                    key,
                    Outcome.AMBIGUOUS,
                    code="lost-after-data",
                    detail=f"no reply after the message was sent ({err or type(err).__name__}); it may have been queued",
                )
            else:
                result = SendResult(
                    key,
                    Outcome.RETRYABLE,
                    code="lost",
                    detail=f"{_STAGE_NAMES.get(stage, stage)}: connection lost ({err or type(err).__name__})",
                )
            raise _Broken(result) from None
        if code != 250:
            result = self._refused(key, stage, code, reply)
            if code == 421:
                raise _Broken(result)
            return result
        return SendResult(
            key, Outcome.ACCEPTED, provider_message_id=self._provider_id(_text(reply), mime), code="250"
        )

    @staticmethod
    def _provider_id(reply: str, mime: bytes) -> str | None:
        text = _ENHANCED.sub("", reply).strip()
        for pattern in _QUEUE_ID:
            found = pattern.search(text)
            if found:
                return found.group(1)
        return _header(mime, _MESSAGE_ID)
