"""Fixtures of the alert tests: a real local SMTP server (aiosmtpd), a real local HTTP receiver
(http.server in a thread), handlers swapped in for one test, and a controllable clock."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tenantpilot.operations.choices import OperationType
from tenantpilot.operations.registry import RunResult, override_handler


@pytest.fixture
def handlers() -> Iterator[Callable[..., None]]:
    """``handlers(OperationType.X, fn)`` installs ``fn`` for this test only."""
    with ExitStack() as stack:

        def install(kind: OperationType, fn: Callable[..., RunResult]) -> None:
            stack.enter_context(override_handler(kind, fn))

        yield install


class _Collector:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 Message accepted"


def smtp_mailers(port: int) -> dict[str, Any]:
    """Django's mailers with the default one speaking plain SMTP to 127.0.0.1:``port``."""
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, "use_ssl": False, "timeout": 30},
        }
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server(settings) -> Iterator[_Collector]:
    """A real SMTP server on 127.0.0.1; Django's SMTP backend points at it. ``.messages`` are envelopes."""
    collector = _Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=_free_port(), ready_timeout=30)
    controller.start()
    settings.MAILERS = smtp_mailers(controller.port)
    try:
        yield collector
    finally:
        controller.stop()


@dataclass
class Receiver:
    """A local webhook receiver: records each request before answering with the next queued status."""

    url: str = ""
    requests: list[tuple[dict[str, str], bytes, str]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self) -> int:
        with self.lock:
            return self.statuses.pop(0) if self.statuses else 200


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    """A real HTTP server in a thread on 127.0.0.1 (allowed as an insecure webhook host)."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.requests.append((dict(self.headers.items()), body, self.path))
            status = state.next_status()
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", f"{state.url}elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/tenantpilot/"
    settings.TENANTPILOT_ALERT_WEBHOOK_INSECURE_HOSTS = ["127.0.0.1"]
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


class Clock:
    """A clock tests move by hand."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)

    def advance(self, seconds: float) -> dt.datetime:
        self.now += dt.timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()
