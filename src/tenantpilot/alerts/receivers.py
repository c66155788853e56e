"""The receivers of the lower apps' signals: each turns one event into at most one alert.

They run inside the transaction of the event (a run's end, a health result, a compare result),
each in a savepoint of its own: an alerting bug is logged by type and rolled back alone, and
never fails the run or loses the event's own write.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

from tenantpilot.baselines.signals import compare_recorded
from tenantpilot.operations.signals import run_finished
from tenantpilot.providers.credentials import register_sealed_store
from tenantpilot.providers.signals import connection_health_recorded

from . import services

logger = logging.getLogger("tenantpilot.alerts")


def _guarded(name: str, action: Callable[[], object]) -> None:
    try:
        with transaction.atomic():
            action()
    except Exception as exc:  # noqa: BLE001 - alerting must never break the event it reports
        logger.error("alerting on %s failed: %s", name, type(exc).__name__)


def on_run_finished(sender: Any, *, run: Any, **kwargs: Any) -> None:
    """A run ended: alert on a change of its target's state."""
    _guarded("run_finished", lambda: services.alert_on_run_finished(run))


def on_connection_health_recorded(sender: Any, *, connection: Any, **kwargs: Any) -> None:
    """A health check's result was stored: alert on a change of the connection's health."""
    _guarded("connection_health_recorded", lambda: services.alert_on_connection_health(connection))


def on_compare_recorded(sender: Any, *, result: Any, **kwargs: Any) -> None:
    """A compare result was stored: alert on new drift (or drift cleared)."""
    _guarded("compare_recorded", lambda: services.alert_on_compare(result))


def connect() -> None:
    """Connect the receivers (idempotent: each has a dispatch uid); called by ``AlertsConfig.ready``."""
    run_finished.connect(on_run_finished, dispatch_uid="alerts.run_finished")
    connection_health_recorded.connect(on_connection_health_recorded, dispatch_uid="alerts.connection_health")
    compare_recorded.connect(on_compare_recorded, dispatch_uid="alerts.compare_recorded")
    register_sealed_store(services.rotate_sealed_webhooks)
