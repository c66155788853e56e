"""``tenantpilot restore --input FILE``: bring a backup made by ``tenantpilot backup`` back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenantpilot.core.backups import KEY_RING_REMINDER, BackupError, restore_database


class Command(BaseCommand):
    help = (
        "Restore a backup into the configured database. Stop every TenantPilot process first. "
        "SQLite: refuses a database that already holds data unless --replace. PostgreSQL: "
        "restores with pg_restore into an empty database only (createdb a new one first). "
        "Then run `tenantpilot migrate` if the backup comes from an older release."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--input", "-i", required=True, help="a file written by `tenantpilot backup`")
        parser.add_argument(
            "--replace", action="store_true", help="SQLite: overwrite a database that already holds data"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = restore_database(Path(options["input"]), replace=options["replace"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Restored the {result.vendor} database from {options['input']}.")
        if result.pending_migrations:
            self.stdout.write(
                f"{len(result.pending_migrations)} migration(s) still to apply: run `tenantpilot migrate`."
            )
        else:
            self.stdout.write("The schema is up to date.")
        self.stdout.write(KEY_RING_REMINDER)
