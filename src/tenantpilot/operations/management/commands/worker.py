"""``tenantpilot worker``: a django-tasks-db worker that also does the housekeeping.

It is django-tasks-db's ``db_worker`` (same options: ``--queue-name``, ``--interval``, ``--batch``,
``--max-tasks``, ``--worker-id``, ``--no-startup-delay``, ``--reload``) plus a housekeeping thread
that calls ``operations_reap`` every ``--reap-interval`` seconds and every registered periodic job
(``operations.registry.register_periodic``: due schedules, every minute) at its own interval,
and refreshes this worker's heartbeat row (``operations.heartbeats``, read by ``/readyz``).
Any number of workers, in any number
of processes on any number of machines sharing the database, may run at once: each task is
claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` (an exclusive transaction on SQLite), and each
run moves ``queued → running`` only once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from argparse import ArgumentParser
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands import db_worker

from tenantpilot.operations.heartbeats import (
    HEARTBEAT_INTERVAL_SECONDS,
    worker_heartbeat_forget,
    worker_heartbeat_record,
)
from tenantpilot.operations.registry import PeriodicJob, periodic_jobs
from tenantpilot.operations.services import operations_reap

logger = logging.getLogger("tenantpilot.operations.worker")


def default_worker_id() -> str:
    """``host-pid-random``: unique across processes and machines, readable in the run's record."""
    return f"{socket.gethostname()[:30]}-{os.getpid()}-{get_random_string(8)}"[:64]


class Housekeeper(threading.Thread):
    """Runs the reaper and the periodic jobs, each at its interval, on its own connection.

    Guarantees: no exception from a job stops the thread — a failing job is logged (by type) and
    tried again at its next interval, so one bad tick never silences the reaper or the scheduler
    for the rest of the worker's life. ``clock`` (monotonic seconds) and ``wake()`` exist so that
    tests can drive the ticks without sleeping.
    """

    def __init__(
        self,
        reap_interval: float,
        *,
        jobs: list[PeriodicJob] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(name="operations-housekeeper", daemon=True)
        self.jobs = jobs if jobs is not None else housekeeping_jobs(reap_interval)
        self.clock = clock
        self.stopped = threading.Event()
        self._wake = threading.Event()

    def wake(self) -> None:
        """Look at the jobs now instead of at the end of the current tick."""
        self._wake.set()

    def stop(self) -> None:
        """Ask the thread to end after the job it is running (if any)."""
        self.stopped.set()
        self._wake.set()

    def run(self) -> None:
        last_run: dict[str, float] = {}
        tick = min((job.interval_seconds for job in self.jobs), default=60.0)
        try:
            while not self.stopped.is_set():
                now = self.clock()
                for job in self.jobs:
                    if now - last_run.get(job.name, now - job.interval_seconds) >= job.interval_seconds:
                        run_job(job)
                        last_run[job.name] = now
                self._wake.wait(tick)
                self._wake.clear()
        finally:
            connection.close()


def housekeeping_jobs(reap_interval: float) -> list[PeriodicJob]:
    """The reaper (unless disabled with an interval of 0) and every registered periodic job."""
    reaper = [PeriodicJob("reaper", operations_reap, reap_interval)] if reap_interval > 0 else []
    return reaper + periodic_jobs()


def run_job(job: PeriodicJob) -> bool:
    """Run one housekeeping job; never raises. Returns whether it finished without an exception.

    Only the exception's type is logged: its text may carry a secret. A connection left broken by
    a database error is dropped, so the next tick opens a fresh one.
    """
    try:
        job.func()
    except DatabaseError as exc:
        logger.warning("housekeeping job %s failed: %s", job.name, type(exc).__name__)
        with contextlib.suppress(Exception):  # closing a broken connection may fail too
            connection.close()
        return False
    except Exception as exc:  # noqa: BLE001 - one failing job must not stop the housekeeping thread
        logger.error("housekeeping job %s raised %s; trying again at its next interval", job.name, type(exc).__name__)
        return False
    return True


class Command(db_worker.Command):
    help = "Run a background worker for operation runs (django-tasks-db), reaping runs of dead workers."

    def add_arguments(self, parser: ArgumentParser) -> None:  # type: ignore[override]
        super().add_arguments(parser)
        parser.set_defaults(worker_id=default_worker_id(), reload=False)
        parser.add_argument(
            "--reap-interval",
            type=float,
            default=float(settings.TENANTPILOT_REAPER_INTERVAL_SECONDS),
            help="Seconds between reaper passes (default: %(default)s; 0 disables the reaper).",
        )

    def handle(self, *args: Any, reap_interval: float, **options: Any) -> None:  # type: ignore[override]
        housekeeper = None
        worker_id = str(options.get("worker_id") or default_worker_id())
        if options.get("batch"):
            # One pass of everything, then the queued tasks, then exit.
            for job in housekeeping_jobs(reap_interval or 1.0):
                run_job(job)
        else:
            # The worker heartbeat first, so /readyz sees this worker within a tick of its start.
            started_at = timezone.now()
            beat = PeriodicJob(
                "worker-heartbeat",
                lambda: worker_heartbeat_record(worker_id, started_at=started_at),
                HEARTBEAT_INTERVAL_SECONDS,
            )
            housekeeper = Housekeeper(reap_interval, jobs=[beat, *housekeeping_jobs(reap_interval)])
            housekeeper.start()
        try:
            super().handle(*args, **options)
        finally:
            if housekeeper is not None:
                housekeeper.stop()
                housekeeper.join(timeout=30)
                run_job(PeriodicJob("worker-goodbye", lambda: worker_heartbeat_forget(worker_id), 0))
