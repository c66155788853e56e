"""The DB-only render guard itself: it refuses connections inside and restores them after, also under threads."""

from __future__ import annotations

import socket
import threading

import pytest

from tests.support.network import OutboundConnectionDuringRequest, no_outbound_connections


def test_the_guard_refuses_inside_and_restores_after():
    original = socket.socket.connect
    with no_outbound_connections(), pytest.raises(OutboundConnectionDuringRequest):
        socket.create_connection(("127.0.0.1", 9))
    assert socket.socket.connect is original


def test_concurrent_guards_leave_the_socket_functions_as_they_found_them():
    original_connect, original_create = socket.socket.connect, socket.create_connection
    barrier = threading.Barrier(8)

    def guarded() -> None:
        barrier.wait(timeout=60)
        for _ in range(200):
            with no_outbound_connections():
                pass

    threads = [threading.Thread(target=guarded) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert socket.socket.connect is original_connect
    assert socket.create_connection is original_create
