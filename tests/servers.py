"""Real local servers for tests: an SMTP sink with fault injection and an HTTP provider (Twilio, FCM, webhooks).

Everything binds to 127.0.0.1 on a free port and records what it received. Import from a test module (the tests
folder is on ``sys.path``)::

    from servers import http_provider, smtp_server, smtp_server_process

    with smtp_server(faults={"gone@example.com": "550", 3: "drop"}) as smtp:
        ...  # [channels.email] host = smtp.host, port = smtp.port
        assert smtp.message_ids() == [...]

    with http_provider(faults={"+12065550123": "21610", "*": "500"}) as provider:
        ...  # base_url = provider.base_url; provider.requests lists every request

SMTP faults (``faults`` maps a recipient address, or a message number counted from 1 at each MAIL FROM over the
whole server, to a kind, or to a list of kinds used one per attempt and then no fault):

=============== =========================================================================
``"421"``       ``421 4.7.0`` then the server closes the connection (at MAIL / RCPT)
``"451"``       ``451 4.3.0`` on RCPT (temporary local problem)
``"452"``       ``452 4.3.1`` after the data (insufficient storage)
``"454"``       ``454 4.7.0 Throttling failure`` on RCPT (what Amazon SES answers)
``"550"``       ``550 5.1.1 User unknown`` on RCPT (a hard bounce)
``"554"``       ``554 5.7.1 Message rejected`` after the data (policy)
``"drop"``      after the data's final dot: close the connection without a reply, message NOT kept
``"drop_queued"`` same, but the message IS kept (the RFC 1047 duplicate window)
``"slow"``      wait before the 250 (``"slow:5"`` for 5 seconds; default 2)
``"ok"``        no fault (useful in a list: ``["451", "ok"]``)
=============== =========================================================================

Another process can run the SMTP sink (the delivery tests kill -9 their sender, not the sink)::

    python tests/servers.py smtp --port 0 --record ids.txt [--fault ADDRESS_OR_N=KIND ...]

prints ``listening 127.0.0.1 PORT`` once it accepts connections and appends each kept message's Message-ID
to ``ids.txt``, one per line. :func:`smtp_server_process` wraps that in a context manager.

HTTP faults (``faults`` maps a recipient -- the SMS ``To``, the FCM token, a webhook endpoint id or address --,
a request number counted from 1, or ``"*"`` (every request) to a kind or a list of kinds): ``"429"``
(``Retry-After: 1``; ``"429:5"`` for 5 s), ``"500"``, ``"503"``, ``"400"``, ``"401"``, ``"21610"`` and ``"21211"``
(Twilio 400 with that code), ``"unregistered"`` (FCM 404 UNREGISTERED), ``"invalid_token"`` (FCM 400
INVALID_ARGUMENT on message.token), ``"hang"`` (keep the request, answer after 5 s; ``"hang:S"``), ``"ok"``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import hmac
import itertools
import json
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl

HOST = "127.0.0.1"
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(\S[^\r\n]*)", re.IGNORECASE | re.MULTILINE)


class FaultPlan:
    """Which fault applies to a request: by address (case-insensitive), by number, or ``"*"``; thread-safe."""

    def __init__(self, faults: Mapping[Any, Any] | None = None):
        self._lock = threading.Lock()
        self.faults: dict[Any, Any] = {}
        for key, value in (faults or {}).items():
            self.set(key, value)

    def set(self, key: Any, value: Any) -> None:
        """Add or replace one fault (a kind, or a list of kinds consumed one per attempt)."""
        key = key.lower() if isinstance(key, str) else key
        with self._lock:
            self.faults[key] = list(value) if isinstance(value, list | tuple) else value

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def take(self, *keys: Any) -> str | None:
        """The fault for the first key that has one (consuming a step of a list); None for no fault."""
        with self._lock:
            for key in (*keys, "*"):
                key = key.lower() if isinstance(key, str) else key
                if key not in self.faults:
                    continue
                value = self.faults[key]
                kind = value if not isinstance(value, list) else (value.pop(0) if value else "ok")
                return None if kind in (None, "ok") else str(kind)
        return None


def _seconds(kind: str, default: float) -> float:
    _, _, arg = kind.partition(":")
    return float(arg) if arg else default


# --- SMTP ---------------------------------------------------------------------------------------------------


@dataclass
class Received:
    """One message the SMTP sink kept."""

    number: int
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    message_id: str | None
    queue_id: str


SMTP_REPLIES = {
    "421": "421 4.7.0 Try again later, closing connection",
    "451": "451 4.3.0 Temporary local problem",
    "452": "452 4.3.1 Insufficient storage",
    "454": "454 4.7.0 Throttling failure: Maximum sending rate exceeded",
    "550": "550 5.1.1 User unknown",
    "554": "554 5.7.1 Message rejected",
}
_AT_RCPT = {"421", "451", "454", "550"}


class FaultySmtpHandler:
    """aiosmtpd handler: keeps every accepted message and injects the planned faults."""

    def __init__(self, faults: Mapping[Any, Any] | None = None, record: Path | None = None):
        self.plan = FaultPlan(faults)
        self.messages: list[Received] = []
        self.attempts = 0  # MAIL FROM commands seen
        self.connections = 0  # connections that said EHLO
        self.in_data = 0
        self.peak_in_data = 0  # most transactions between the final dot and the reply at once (pool tests)
        self._numbers = itertools.count(1)
        self._record = open(record, "ab", buffering=0) if record else None  # noqa: SIM115 -- closed in close()
        self._lock = threading.Lock()

    def close(self) -> None:
        if self._record is not None:
            self._record.close()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        if not getattr(
            session, "wb_counted", False
        ):  # one per connection (a client says EHLO again after TLS)
            session.wb_counted = True
            self.connections += 1
        session.host_name = hostname
        return responses

    async def _close_with(self, server, reply: str | None) -> None:
        if reply:
            await server.push(reply)
        server.transport.close()
        await (
            asyncio.Event().wait()
        )  # connection_lost() cancels this handler: the client gets no further reply

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        number = next(self._numbers)
        self.attempts += 1
        envelope.wb_number = number
        envelope.wb_fault = self.plan.take(number)
        if envelope.wb_fault == "421":
            await self._close_with(server, SMTP_REPLIES["421"])
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        fault = envelope.wb_fault or self.plan.take(address)
        envelope.wb_fault = fault
        if fault == "421":
            await self._close_with(server, SMTP_REPLIES["421"])
        if fault in _AT_RCPT:
            envelope.wb_fault = None
            return SMTP_REPLIES[fault]
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        fault = envelope.wb_fault or ""
        if fault in ("452", "554"):
            return SMTP_REPLIES[fault]
        if fault == "drop":
            await self._close_with(server, None)
        if fault.startswith("slow"):
            self.in_data += 1
            self.peak_in_data = max(self.peak_in_data, self.in_data)
            try:
                await asyncio.sleep(_seconds(fault, 2.0))
            finally:
                self.in_data -= 1
        data = bytes(envelope.original_content or b"")
        header_end = data.find(b"\r\n\r\n")
        found = _MESSAGE_ID.search(data[: header_end if header_end >= 0 else len(data)])
        message_id = found.group(1).strip().decode() if found else None
        queue_id = f"Q{envelope.wb_number:08d}"
        received = Received(
            envelope.wb_number, envelope.mail_from, list(envelope.rcpt_tos), data, message_id, queue_id
        )
        with self._lock:
            self.messages.append(received)
            if self._record is not None:
                self._record.write(f"{message_id or '<none ' + queue_id + '>'}\n".encode())
        if fault == "drop_queued":
            await self._close_with(server, None)
        return f"250 2.0.0 Ok: queued as {queue_id}"


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1/localhost and its key, made with the openssl command (cert, key)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            *(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
            ),
            *("-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _controller_class():
    from aiosmtpd.controller import Controller

    class FreePortController(Controller):
        """aiosmtpd's Controller that accepts port 0 (the OS picks a free port: no race between picking and binding)."""

        def _create_server(self):
            async def create():
                server = await self.loop.create_server(
                    self._factory_invoker, host=self.hostname, port=self.port, ssl=self.ssl_context
                )
                self.port = server.sockets[0].getsockname()[1]
                return server

            return create()

    return FreePortController


class SmtpSink(SimpleNamespace):
    """What :func:`smtp_server` yields: ``host``, ``port``, ``handler``, ``messages``, ``ca_file``..."""

    def message_ids(self) -> list[str | None]:
        """Message-IDs of the kept messages, in arrival order (duplicates stay: tests count them)."""
        return [m.message_id for m in self.handler.messages]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Wait until at least ``count`` messages were kept (a sender may still be finishing)."""
        deadline = time.monotonic() + timeout
        while len(self.handler.messages) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return list(self.handler.messages)


@contextlib.contextmanager
def smtp_server(
    faults: Mapping[Any, Any] | None = None,
    *,
    starttls: bool = False,
    implicit_tls: bool = False,
    auth: Mapping[str, str] | None = None,
    record: Path | None = None,
    port: int = 0,
) -> Iterator[SmtpSink]:
    """An aiosmtpd SMTP server on 127.0.0.1 in this process (a thread), with faults; yields an :class:`SmtpSink`.

    ``starttls``/``implicit_tls`` use a fresh self-signed certificate (``sink.ca_file`` is what a client trusts);
    ``auth`` maps user names to passwords (AUTH PLAIN/LOGIN, offered only over TLS when TLS is on).
    """
    from aiosmtpd.smtp import AuthResult

    handler = FaultySmtpHandler(faults, record)
    tmp = tempfile.TemporaryDirectory(prefix="smtp-sink-")
    ca_file = None
    tls = None
    if starttls or implicit_tls:
        cert, key = self_signed_cert(Path(tmp.name))
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(cert, key)
        ca_file = cert
    kwargs: dict[str, Any] = {}
    if auth is not None:

        def authenticator(server, session, envelope, mechanism, auth_data):
            user = auth_data.login.decode() if isinstance(auth_data.login, bytes) else auth_data.login
            password = (
                auth_data.password.decode() if isinstance(auth_data.password, bytes) else auth_data.password
            )
            return AuthResult(success=auth.get(user) == password, handled=False)

        kwargs.update(authenticator=authenticator, auth_require_tls=bool(tls))
    if starttls:
        kwargs["tls_context"] = tls
    cls = _controller_class()
    controller = cls(handler, hostname=HOST, port=port, ssl_context=tls if implicit_tls else None, **kwargs)
    controller.start()
    try:
        yield SmtpSink(
            host=HOST, port=controller.port, handler=handler, messages=handler.messages, ca_file=ca_file
        )
    finally:
        controller.stop()
        handler.close()
        tmp.cleanup()


@contextlib.contextmanager
def smtp_server_process(
    record: Path, faults: Mapping[Any, Any] | None = None, *, port: int = 0, timeout: float = 20.0
) -> Iterator[SimpleNamespace]:
    """The SMTP sink in another process; yields ``host``, ``port``, ``record`` (its Message-ID file), ``process``."""
    args = [
        sys.executable,
        str(Path(__file__).resolve()),
        "smtp",
        "--port",
        str(port),
        "--record",
        str(record),
    ]
    for key, kind in (faults or {}).items():
        args += ["--fault", f"{key}={kind}"]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        line = _read_line(process, timeout)
        _, host, bound = line.split()
        yield SimpleNamespace(host=host, port=int(bound), record=Path(record), process=process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _read_line(process: subprocess.Popen, timeout: float) -> str:
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not box or not box[0].startswith("listening"):
        process.kill()
        raise RuntimeError(f"the SMTP sink did not start (got {box!r})")
    return box[0]


def read_message_ids(record: Path) -> list[str]:
    """The Message-IDs a sink process recorded, one per kept message."""
    return Path(record).read_text().split() if Path(record).exists() else []


# --- HTTP provider --------------------------------------------------------------------------------------------


@dataclass
class HttpRequest:
    """One request the HTTP provider received."""

    number: int
    kind: str  # "sms", "push", "webhook"
    path: str
    headers: dict[str, str]
    body: bytes
    fault: str | None
    status: int
    payload: Any = None  # the parsed form (dict) or JSON
    verified: bool | None = None  # webhooks: the signature checked out
    extra: dict[str, Any] = field(default_factory=dict)


class HttpProvider(SimpleNamespace):
    """What :func:`http_provider` yields: ``base_url``, ``requests``, ``plan`` (its faults), the credentials."""

    def of_kind(self, kind: str, status: int | None = None) -> list[HttpRequest]:
        return [r for r in self.requests if r.kind == kind and (status is None or r.status == status)]


def _http_app(provider: HttpProvider):
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    numbers = itertools.count(1)

    async def respond(kind, request: Request, body, payload, keys, ok, *, verified=None):
        number = next(numbers)
        fault = provider.plan.take(*keys, number, "*")
        status, answer, headers = 200, ok, {}
        if fault is None or fault.startswith("hang"):
            status = 201 if kind == "sms" else 200
        elif fault.startswith("429"):
            status, headers = 429, {"Retry-After": str(int(_seconds(fault, 1.0)))}
            answer = {"code": 20429, "message": "Too Many Requests", "status": 429}
            if kind == "push":
                answer = {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}}
        elif fault in ("500", "503", "400", "401"):
            status = int(fault)
            answer = {"code": status, "message": f"injected {status}", "status": status}
        elif fault in ("21610", "21211"):
            status = 400
            text = {
                "21610": "Attempt to send to unsubscribed recipient",
                "21211": "Invalid 'To' Phone Number",
            }
            answer = {"code": int(fault), "message": text[fault], "status": 400}
        elif fault == "unregistered":
            status = 404
            answer = {
                "error": {
                    "code": 404,
                    "message": "Requested entity was not found.",
                    "status": "NOT_FOUND",
                    "details": [
                        {
                            "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                            "errorCode": "UNREGISTERED",
                        }
                    ],
                }
            }
        elif fault == "invalid_token":
            status = 400
            answer = {
                "error": {
                    "code": 400,
                    "message": "The registration token is not a valid FCM registration token",
                    "status": "INVALID_ARGUMENT",
                    "details": [
                        {
                            "@type": "type.googleapis.com/google.rpc.BadRequest",
                            "fieldViolations": [
                                {"field": "message.token", "description": "Invalid registration"}
                            ],
                        },
                        {
                            "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                            "errorCode": "INVALID_ARGUMENT",
                        },
                    ],
                }
            }
        if verified is False:
            status, answer = 401, {"message": "bad signature"}
        provider.requests.append(
            HttpRequest(
                number, kind, request.url.path, dict(request.headers), body, fault, status, payload, verified
            )
        )
        if fault and fault.startswith("hang"):
            deadline = time.monotonic() + _seconds(fault, 5.0)
            while time.monotonic() < deadline and not provider.stopping:  # ends early when the server stops
                await asyncio.sleep(0.02)
        return JSONResponse(answer, status_code=status, headers=headers)

    async def twilio(request: Request):
        body = await request.body()
        form = dict(parse_qsl(body.decode()))
        expected = "Basic " + base64.b64encode(f"{provider.account}:{provider.token}".encode()).decode()
        if (
            request.headers.get("authorization") != expected
            or request.path_params["account"] != provider.account
        ):
            provider.requests.append(
                HttpRequest(0, "sms", request.url.path, dict(request.headers), body, None, 401, form)
            )
            return JSONResponse({"code": 20003, "message": "Authenticate", "status": 401}, status_code=401)
        sid = "SM" + hashlib.sha256(body + str(time.time_ns()).encode()).hexdigest()[:32]
        ok = {
            "sid": sid,
            "status": "queued",
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
        }
        return await respond("sms", request, body, form, [form.get("To", "")], ok)

    async def fcm(request: Request):
        body = await request.body()
        payload = json.loads(body or b"null")
        if request.headers.get("authorization") != f"Bearer {provider.fcm_token}":
            provider.requests.append(
                HttpRequest(0, "push", request.url.path, dict(request.headers), body, None, 401, payload)
            )
            return JSONResponse({"error": {"code": 401, "status": "UNAUTHENTICATED"}}, status_code=401)
        token = (payload or {}).get("message", {}).get("token", "")
        name = f"projects/{request.path_params['project']}/messages/0:{time.time_ns()}"
        return await respond("push", request, body, payload, [token], {"name": name})

    async def webhook(request: Request):
        body = await request.body()
        payload = json.loads(body or b"null")
        verified = _verify(provider.webhook_secret, body, request.headers)
        endpoints = (payload or {}).get("Endpoints", {}) if isinstance(payload, dict) else {}
        keys = [*endpoints, *(e.get("Address", "") for e in endpoints.values() if isinstance(e, dict))]
        return await respond("webhook", request, body, payload, keys, {"ok": True}, verified=verified)

    routes = [
        Route("/2010-04-01/Accounts/{account}/Messages.json", twilio, methods=["POST"]),
        Route("/v1/projects/{project}/messages:send", fcm, methods=["POST"]),
        Route("/webhook", webhook, methods=["POST"]),
        Route("/webhook/{name}", webhook, methods=["POST"]),
    ]
    return Starlette(routes=routes)


def _verify(secret: str, body: bytes, headers: Mapping[str, str], tolerance: float = 300) -> bool:
    """The receiver's side of the webhook signature, written from the documented scheme (not the adapter's code)."""
    timestamp = headers.get("x-workbench-timestamp", "")
    signature = headers.get("x-workbench-signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    expected = (
        "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )
    return hmac.compare_digest(expected, signature)


@contextlib.contextmanager
def http_provider(
    faults: Mapping[Any, Any] | None = None,
    *,
    account: str = "ACtest",
    token: str = "sms-token",
    fcm_token: str = "fcm-token",
    webhook_secret: str = "webhook-secret",
    port: int = 0,
) -> Iterator[HttpProvider]:
    """A Starlette app under uvicorn in a thread on 127.0.0.1: Twilio Messages, FCM v1 and ``/webhook``."""
    import uvicorn

    provider = HttpProvider(
        requests=[],
        plan=FaultPlan(faults),
        account=account,
        token=token,
        fcm_token=fcm_token,
        webhook_secret=webhook_secret,
        stopping=False,
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    provider.port = sock.getsockname()[1]
    provider.base_url = f"http://{HOST}:{provider.port}"
    config = uvicorn.Config(
        _http_app(provider),
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not server.started:
        raise RuntimeError("the HTTP provider did not start")
    try:
        yield provider
    finally:
        provider.stopping = True
        server.should_exit = True
        thread.join(15)
        sock.close()


# --- command line ---------------------------------------------------------------------------------------------


def _fault_arg(text: str) -> tuple[Any, Any]:
    key, _, kind = text.partition("=")
    return (int(key) if key.isdigit() else key), (kind.split(",") if "," in kind else kind)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local test servers (SMTP sink, HTTP provider).")
    parser.add_argument("server", choices=["smtp", "http"])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--record", type=Path, help="smtp: append each kept message's Message-ID to this file"
    )
    parser.add_argument(
        "--fault", action="append", default=[], type=_fault_arg, help="ADDRESS_OR_N=KIND[,KIND...]"
    )
    args = parser.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    faults = dict(args.fault)
    if args.server == "smtp":
        with smtp_server(faults, record=args.record, port=args.port) as sink:
            print(f"listening {sink.host} {sink.port}", flush=True)
            while not stop.wait(0.5):
                pass
    else:
        with http_provider(faults, port=args.port) as provider:
            print(f"listening {HOST} {provider.port}", flush=True)
            while not stop.wait(0.5):
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
