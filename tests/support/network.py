"""The DB-only render guard: a request that opens an outbound connection fails the test."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.test import Client


class OutboundConnectionDuringRequest(AssertionError):
    pass


_ORIGINAL_CONNECT = socket.socket.connect
_ORIGINAL_CREATE = socket.create_connection
# The guard patches the process-wide socket functions, so concurrent guards (twenty threads each
# with a GuardedClient) share one patch: the first to enter installs it, the last to leave puts
# the originals back. Saving and restoring per guard would let an interleaving restore another
# guard's patch and leave every later test unable to connect.
_guard_lock = threading.Lock()
_guard_depth = 0


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise OutboundConnectionDuringRequest(f"outbound connection during a request: {args[1:] or args}")


@contextmanager
def no_outbound_connections() -> Iterator[None]:
    """Fail any Python-level socket connect (httpx, requests, MSAL) inside the block.

    The database driver (libpq, or SQLite's file) does not go through Python sockets, so the
    guard catches exactly the calls a view must never make: Graph and the token endpoint.
    Safe under concurrent use from several threads.
    """
    global _guard_depth
    with _guard_lock:
        if _guard_depth == 0:
            socket.socket.connect = _refuse  # type: ignore[method-assign]
            socket.create_connection = _refuse
        _guard_depth += 1
    try:
        yield
    finally:
        with _guard_lock:
            _guard_depth -= 1
            if _guard_depth == 0:
                socket.socket.connect = _ORIGINAL_CONNECT  # type: ignore[method-assign]
                socket.create_connection = _ORIGINAL_CREATE


class GuardedClient(Client):
    """Django's test client with the DB-only render guard around every request."""

    def request(self, **request: Any) -> Any:
        with no_outbound_connections():
            return super().request(**request)
