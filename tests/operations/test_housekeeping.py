"""The worker's housekeeping thread survives a failing job and keeps ticking (driven by a fake clock)."""

from __future__ import annotations

import logging
import queue

import pytest
from django.db import OperationalError

from tenantpilot.operations.management.commands.worker import Housekeeper, run_job
from tenantpilot.operations.registry import PeriodicJob

TIMEOUT = 30  # generous: the CI box is loaded; the test never waits this long when it passes


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_job_raising_once_does_not_stop_the_housekeeping_thread(caplog):
    calls: queue.Queue[int] = queue.Queue()
    other: queue.Queue[int] = queue.Queue()
    attempts = []

    def flaky() -> None:
        attempts.append(1)
        calls.put(len(attempts))
        if len(attempts) == 1:
            raise RuntimeError("boom with a secret-looking text")

    clock = FakeClock()
    jobs = [PeriodicJob("flaky", flaky, 60.0), PeriodicJob("other", lambda: other.put(1), 60.0)]
    housekeeper = Housekeeper(0, jobs=jobs, clock=clock)
    caplog.set_level(logging.WARNING, logger="tenantpilot.operations.worker")
    housekeeper.start()
    try:
        assert calls.get(timeout=TIMEOUT) == 1  # the first tick: the job raised
        assert other.get(timeout=TIMEOUT) == 1  # ... and the job after it in the same tick still ran
        clock.now += 61
        housekeeper.wake()
        assert calls.get(timeout=TIMEOUT) == 2  # the next tick ran it again: the thread lived on
        assert housekeeper.is_alive()
    finally:
        housekeeper.stop()
        housekeeper.join(timeout=TIMEOUT)
    assert not housekeeper.is_alive()
    failures = [r for r in caplog.records if "flaky" in r.getMessage()]
    assert len(failures) == 1 and "RuntimeError" in failures[0].getMessage()
    assert "secret-looking" not in caplog.text  # the type only, never the text


@pytest.mark.parametrize("error", [RuntimeError("x"), KeyError("x"), OperationalError("x")])
def test_run_job_never_raises_and_reports_failure(error, caplog):
    def boom() -> None:
        raise error

    caplog.set_level(logging.WARNING, logger="tenantpilot.operations.worker")
    assert run_job(PeriodicJob("boom", boom, 1.0)) is False
    assert type(error).__name__ in caplog.text
    assert run_job(PeriodicJob("fine", lambda: None, 1.0)) is True
