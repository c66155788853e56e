"""Worker liveness: each ``tenantpilot worker`` says it is alive, readiness asks whether any is.

These are platform housekeeping writes (no workspace, no operator, nothing to audit), made only
by the worker process itself; the only reader is ``/readyz``.
"""

from __future__ import annotations

import datetime as dt
import os
import socket

from django.db import transaction
from django.utils import timezone

from .models import WorkerHeartbeat

HEARTBEAT_INTERVAL_SECONDS = 15.0
FORGET_AFTER = dt.timedelta(days=1)


def worker_heartbeat_record(worker_id: str, *, started_at: dt.datetime | None = None) -> WorkerHeartbeat:
    """Create or refresh this worker's row (``seen_at`` = now) and prune rows silent for a day."""
    now = timezone.now()
    with transaction.atomic():
        heartbeat, created = WorkerHeartbeat.objects.update_or_create(
            worker_id=worker_id,
            defaults={"seen_at": now, "hostname": socket.gethostname()[:255], "pid": os.getpid()},
            create_defaults={
                "seen_at": now,
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
                "started_at": started_at or now,
            },
        )
        if created:
            WorkerHeartbeat.objects.filter(seen_at__lt=now - FORGET_AFTER).delete()
    return heartbeat


def worker_heartbeat_forget(worker_id: str) -> None:
    """Remove this worker's row: it is stopping and will pick up no more tasks."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def workers_alive(*, within_seconds: float = 60.0) -> int:
    """How many workers refreshed their heartbeat in the last ``within_seconds``."""
    since = timezone.now() - dt.timedelta(seconds=within_seconds)
    return WorkerHeartbeat.objects.filter(seen_at__gte=since).count()
