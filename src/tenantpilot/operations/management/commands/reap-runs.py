"""``tenantpilot reap-runs``: fail runs whose worker died (see ``operations_reap``). Safe to run anywhere, any time."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenantpilot.operations.services import operations_reap


class Command(BaseCommand):
    help = "Mark operation runs whose worker was lost as failed (reason worker_lost)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--stale-seconds",
            type=float,
            default=None,
            help="Seconds without a heartbeat after which a run counts as lost (default: TENANTPILOT_RUN_STALE_SECONDS).",
        )

    def handle(self, *args: Any, stale_seconds: float | None, **options: Any) -> None:
        if stale_seconds is not None and stale_seconds < 0:
            raise CommandError("--stale-seconds must be zero or greater.")
        reaped = operations_reap(stale_seconds=stale_seconds)
        self.stdout.write(f"Reaped {len(reaped)} run(s)" + (f": {', '.join(map(str, reaped))}" if reaped else "."))
