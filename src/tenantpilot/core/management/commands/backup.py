"""``tenantpilot backup --output FILE``: a consistent backup of the database while the product runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenantpilot.core.backups import KEY_RING_REMINDER, BackupError, backup_database


class Command(BaseCommand):
    help = (
        "Back up the database to FILE while TenantPilot runs: SQLite with its online backup API "
        "(one self-contained, integrity-checked file), PostgreSQL with pg_dump --format=custom "
        "(restore with `tenantpilot restore` or pg_restore). The credential key ring is not included."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", "-o", required=True, help="the backup file to write (created 0600)")
        parser.add_argument("--force", action="store_true", help="replace FILE if it exists")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup_database(Path(options["output"]), replace=options["force"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Backed up the {result.vendor} database to {result.path} ({result.size_bytes} bytes).")
        self.stdout.write(KEY_RING_REMINDER)
