"""``tenantpilot run-schedules``: one scheduler tick (start every due schedule, then exit)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tenantpilot.inventory.services import schedules_run_due


class Command(BaseCommand):
    help = "Start every due schedule once (system runs) and print what each did."

    def handle(self, *args: Any, **options: Any) -> None:
        results = schedules_run_due()
        for result in results:
            run = f" run #{result.run_id}" if result.run_id else ""
            self.stdout.write(f"schedule #{result.schedule_id} {result.operation_type}: {result.result}{run}")
        self.stdout.write(f"{len(results)} due schedule(s) handled.")
