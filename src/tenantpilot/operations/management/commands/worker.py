"""``tenantpilot worker``: a django-tasks-db worker that also does the housekeeping.

It is django-tasks-db's ``db_worker`` (same options: ``--queue-name``, ``--interval``, ``--batch``,
``--max-tasks``, ``--worker-id``, ``--no-startup-delay``, ``--reload``) plus a housekeeping thread
that calls ``operations_reap`` every ``--reap-interval`` seconds and every registered periodic job
(``operations.registry.register_periodic``: due schedules, every minute) at its own interval.
Any number of workers, in any number
of processes on any number of machines sharing the database, may run at once: each task is
claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` (an exclusive transaction on SQLite), and each
run moves ``queued → running`` only once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands import db_worker

from tenantpilot.operations.registry import PeriodicJob, periodic_jobs
from tenantpilot.operations.services import operations_reap

logger = logging.getLogger("tenantpilot.operations.worker")


def default_worker_id() -> str:
    """``host-pid-random``: unique across processes and machines, readable in the run's record."""
    return f"{socket.gethostname()[:30]}-{os.getpid()}-{get_random_string(8)}"[:64]


class Housekeeper(threading.Thread):
    """Runs the reaper and the periodic jobs, each at its interval, on its own connection."""

    def __init__(self, reap_interval: float) -> None:
        super().__init__(name="operations-housekeeper", daemon=True)
        self.jobs = housekeeping_jobs(reap_interval)
        self.stopped = threading.Event()

    def run(self) -> None:
        last_run: dict[str, float] = {}
        tick = min(job.interval_seconds for job in self.jobs)
        try:
            while True:
                now = time.monotonic()
                for job in self.jobs:
                    if now - last_run.get(job.name, -job.interval_seconds) >= job.interval_seconds:
                        run_job(job)
                        last_run[job.name] = now
                if self.stopped.wait(tick):
                    return
        finally:
            connection.close()


def housekeeping_jobs(reap_interval: float) -> list[PeriodicJob]:
    """The reaper (unless disabled with an interval of 0) and every registered periodic job."""
    reaper = [PeriodicJob("reaper", operations_reap, reap_interval)] if reap_interval > 0 else []
    return reaper + periodic_jobs()


def run_job(job: PeriodicJob) -> None:
    try:
        job.func()
    except DatabaseError as exc:
        logger.warning("housekeeping job %s failed: %s", job.name, type(exc).__name__)


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
        if options.get("batch"):
            # One pass of everything, then the queued tasks, then exit.
            for job in housekeeping_jobs(reap_interval or 1.0):
                run_job(job)
        else:
            housekeeper = Housekeeper(reap_interval)
            housekeeper.start()
        try:
            super().handle(*args, **options)
        finally:
            if housekeeper is not None:
                housekeeper.stopped.set()
