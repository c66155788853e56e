"""Signals the providers domain sends, for apps above it (e.g. ``alerts``) to listen to."""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import Signal

logger = logging.getLogger("tenantpilot.providers.signals")

#: Sent with ``connection=``, ``previous_health=`` and ``previous_reason_code=`` inside the
#: transaction that records a health check's result. A receiver that writes must do so in a
#: savepoint of its own.
connection_health_recorded = Signal()


def send_connection_health_recorded(connection: Any, *, previous_health: str, previous_reason_code: str) -> None:
    """Tell the listeners a check's result was stored; a listener's error is logged by type, never raised."""
    results = connection_health_recorded.send_robust(
        sender=type(connection),
        connection=connection,
        previous_health=previous_health,
        previous_reason_code=previous_reason_code,
    )
    for receiver, result in results:
        if isinstance(result, Exception):
            logger.error(
                "connection_health_recorded receiver %s raised %s",
                getattr(receiver, "__qualname__", receiver),
                type(result).__name__,
            )
