"""The request log belongs to whoever cleared it last: a request still being served for an
earlier test (its client gave up on a slow answer) must not appear in the next test's log."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx

from graphsim import FaultRule, GraphSimulator


def _wait_for(condition: Callable[[], bool], *, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def test_a_request_that_arrived_before_clear_is_never_logged(graphsim: GraphSimulator, golden: httpx.Client) -> None:
    graphsim.add_fault(FaultRule(kind="latency", latency_ms=3000, path_contains="/organization"))
    answers: list[int] = []
    slow = threading.Thread(target=lambda: answers.append(golden.get("/v1.0/organization", timeout=60).status_code))
    slow.start()
    _wait_for(lambda: graphsim.requests_in_flight == 1)
    graphsim.clear_requests()  # the next test starts while the slow request is still served
    slow.join(timeout=60)
    assert answers == [200]
    assert graphsim.requests_in_flight == 0
    assert graphsim.requests == []
    golden.get("/v1.0/organization")
    assert [(r.path, r.status) for r in graphsim.requests] == [("/v1.0/organization", 200)]
