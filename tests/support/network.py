"""The DB-only render guard: a request that opens an outbound connection fails the test."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.test import Client


class OutboundConnectionDuringRequest(AssertionError):
    pass


@contextmanager
def no_outbound_connections() -> Iterator[None]:
    """Fail any Python-level socket connect (httpx, requests, MSAL) inside the block.

    The database driver (libpq, or SQLite's file) does not go through Python sockets, so the
    guard catches exactly the calls a view must never make: Graph and the token endpoint.
    """
    original_connect = socket.socket.connect
    original_create = socket.create_connection

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OutboundConnectionDuringRequest(f"outbound connection during a request: {args[1:] or args}")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse
    try:
        yield
    finally:
        socket.socket.connect = original_connect  # type: ignore[method-assign]
        socket.create_connection = original_create


class GuardedClient(Client):
    """Django's test client with the DB-only render guard around every request."""

    def request(self, **request: Any) -> Any:
        with no_outbound_connections():
            return super().request(**request)
