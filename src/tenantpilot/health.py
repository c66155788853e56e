"""Probes for load balancers and orchestrators: ``/healthz`` (liveness) and ``/readyz`` (readiness).

Both are anonymous, never cached, GET/HEAD only, exempt from the HTTPS redirect, and answer a tiny
JSON body with no version, host name, exception text or count: what failed is logged (by type).

- ``/healthz``: the web process answers. No database query, so a database outage does not make
  an orchestrator restart every web process.
- ``/readyz``: this process can serve: the database answers, every migration is applied, and at
  least one ``tenantpilot worker`` refreshed its heartbeat within the last minute (otherwise runs
  started here would wait forever). 503 names the failing check (``database``, ``migrations``,
  ``workers``) and nothing else.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from tenantpilot.operations.heartbeats import workers_alive

logger = logging.getLogger("tenantpilot.health")

WORKER_WINDOW_SECONDS = 60.0
_migrations_applied = False  # once applied they stay applied for this process's code


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: 200 whenever the process can answer; touches nothing else."""
    return JsonResponse({"status": "ok"})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("readiness: database unreachable (%s)", type(exc).__name__)
        return False
    return True


def _migrations_ok() -> bool:
    global _migrations_applied
    if _migrations_applied:
        return True
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        logger.warning("readiness: %d migration(s) not applied; run `tenantpilot migrate`", len(pending))
        return False
    _migrations_applied = True
    return True


def _workers_ok() -> bool:
    if workers_alive(within_seconds=WORKER_WINDOW_SECONDS) < 1:
        logger.warning("readiness: no worker heartbeat in the last %d s", int(WORKER_WINDOW_SECONDS))
        return False
    return True


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 ``{"status": "ready"}`` or 503 naming the failing checks only."""
    checks: dict[str, bool] = {"database": _database_ok()}
    # Each check only when the one before passed: without the tables, "workers" means nothing.
    for name, check in (("migrations", _migrations_ok), ("workers", _workers_ok)):
        if not all(checks.values()):
            break
        try:
            checks[name] = check()
        except DatabaseError as exc:
            logger.warning("readiness: %s check failed (%s)", name, type(exc).__name__)
            checks[name] = False
    failing = sorted(name for name, ok in checks.items() if not ok)
    if failing:
        return JsonResponse({"status": "unavailable", "failing": failing}, status=503)
    return JsonResponse({"status": "ready"})
