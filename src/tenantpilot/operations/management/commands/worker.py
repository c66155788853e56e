"""``tenantpilot worker``: a django-tasks-db worker that also reaps runs whose worker died.

It is django-tasks-db's ``db_worker`` (same options: ``--queue-name``, ``--interval``, ``--batch``,
``--max-tasks``, ``--worker-id``, ``--no-startup-delay``, ``--reload``) plus a reaper thread that
calls ``operations_reap`` every ``--reap-interval`` seconds. Any number of workers, in any number
of processes on any number of machines sharing the database, may run at once: each task is
claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` (an exclusive transaction on SQLite), and each
run moves ``queued → running`` only once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands import db_worker

from tenantpilot.operations.services import operations_reap

logger = logging.getLogger("tenantpilot.operations.worker")


def default_worker_id() -> str:
    """``host-pid-random``: unique across processes and machines, readable in the run's record."""
    return f"{socket.gethostname()[:30]}-{os.getpid()}-{get_random_string(8)}"[:64]


class Reaper(threading.Thread):
    """Calls ``operations_reap`` now and then every ``interval`` seconds, on its own connection."""

    def __init__(self, interval: float) -> None:
        super().__init__(name="operations-reaper", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while True:
                reap_once()
                if self.stopped.wait(self.interval):
                    return
        finally:
            connection.close()


def reap_once() -> list[int]:
    try:
        return operations_reap()
    except DatabaseError as exc:
        logger.warning("reaper pass failed: %s", type(exc).__name__)
        return []


class Command(db_worker.Command):
    help = "Run a background worker for operation runs (django-tasks-db), reaping runs of dead workers."

    def add_arguments(self, parser: ArgumentParser) -> None:  # type: ignore[override]
        super().add_arguments(parser)
        parser.set_defaults(worker_id=default_worker_id(), reload=False)
        parser.add_argument(
            "--reap-interval",
            type=float,
            default=float(settings.TENANTPILOT_REAPER_INTERVAL_SECONDS),
            help="Seconds between reaper passes (default: %(default)s; 0 disables the reaper thread).",
        )

    def handle(self, *args: Any, reap_interval: float, **options: Any) -> None:  # type: ignore[override]
        reaper = None
        if options.get("batch") or reap_interval <= 0:
            reap_once()
        else:
            reaper = Reaper(reap_interval)
            reaper.start()
        try:
            super().handle(*args, **options)
        finally:
            if reaper is not None:
                reaper.stopped.set()
