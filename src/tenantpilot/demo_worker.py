"""The demo's chain in its embedded worker: a periodic job that advances :func:`tenantpilot.demo.demo_advance`.

Only the demo's worker imports this module (``tenantpilot demo`` names it in
``TENANTPILOT_OPERATION_MODULES``), so production workers never run it. Once the chain is done the
job does nothing for the rest of the worker's life.
"""

from __future__ import annotations

from tenantpilot.demo import demo_advance
from tenantpilot.operations.registry import register_periodic

DEMO_CHAIN_INTERVAL_SECONDS = 2.0

_finished = False


@register_periodic("demo-chain", interval_seconds=DEMO_CHAIN_INTERVAL_SECONDS)
def demo_chain_tick() -> bool:
    """Advance the demo chain by what is ready; returns whether the chain is done."""
    global _finished  # one flag per worker process; a restart re-derives the state from the database
    if not _finished:
        _finished = demo_advance().done
    return _finished
