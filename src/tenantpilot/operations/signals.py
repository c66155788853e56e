"""Signals the operations domain sends, for apps above it (e.g. ``alerts``) to listen to.

Operations never imports its listeners: an upper app connects a receiver in its ``ready()``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import Signal

logger = logging.getLogger("tenantpilot.operations.signals")

#: Sent with ``run=`` inside the transaction that ends a run (status ``completed``), after the
#: initiator's notification. A receiver that writes must do so in a savepoint of its own.
run_finished = Signal()


def send_run_finished(run: Any) -> None:
    """Tell the listeners that ``run`` ended; a listener's error is logged by type, never raised."""
    for receiver, result in run_finished.send_robust(sender=type(run), run=run):
        if isinstance(result, Exception):
            logger.error(
                "run_finished receiver %s raised %s", getattr(receiver, "__qualname__", receiver), type(result).__name__
            )
