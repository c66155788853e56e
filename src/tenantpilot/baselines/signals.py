"""Signals the baselines domain sends, for apps above it (e.g. ``alerts``) to listen to."""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import Signal

logger = logging.getLogger("tenantpilot.baselines.signals")

#: Sent with ``result=`` (a ``BaselineCompareResult`` whose items are stored) inside the
#: transaction that records a compare. A receiver that writes must do so in a savepoint of its own.
compare_recorded = Signal()


def send_compare_recorded(result: Any) -> None:
    """Tell the listeners a compare result was stored; a listener's error is logged by type, never raised."""
    for receiver, outcome in compare_recorded.send_robust(sender=type(result), result=result):
        if isinstance(outcome, Exception):
            logger.error(
                "compare_recorded receiver %s raised %s",
                getattr(receiver, "__qualname__", receiver),
                type(outcome).__name__,
            )
