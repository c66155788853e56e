"""``tenantpilot compare-export ENVIRONMENT_ID [--profile ID] --format json|csv [--output FILE]``.

Writes the latest compare result of the environment (of ``--profile`` when given, else of the
most recent compare of any profile). Exit codes: 0 written, 2 usage error, 3 nothing found.
This is a platform (operator-shell) command: whoever runs it has the database already.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tenantpilot.baselines.exports import export_csv, export_json
from tenantpilot.baselines.models import BaselineCompareResult

EXIT_USAGE = 2
EXIT_NOT_FOUND = 3


class Command(BaseCommand):
    help = "Export an environment's latest baseline compare result as JSON or CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("environment_id", help="The managed environment's id.")
        parser.add_argument("--profile", default=None, help="The baseline profile's id (default: latest of any).")
        parser.add_argument("--format", dest="fmt", default=None, help="json or csv.")
        parser.add_argument("--output", default=None, help="File to write (default: standard output).")

    def _fail(self, code: int, message: str) -> None:
        self.stderr.write(message)
        sys.exit(code)

    def handle(
        self, *args: Any, environment_id: str, profile: str | None, fmt: str | None, output: str | None, **options: Any
    ) -> None:
        if fmt not in ("json", "csv"):
            self._fail(EXIT_USAGE, "--format must be json or csv.")
        if not str(environment_id).isdigit():
            self._fail(EXIT_USAGE, "ENVIRONMENT_ID must be a positive integer.")
        if profile is not None and not str(profile).isdigit():
            self._fail(EXIT_USAGE, "--profile must be a positive integer.")
        results = BaselineCompareResult.objects.filter(environment_id=int(environment_id))
        if profile is not None:
            results = results.filter(profile_id=int(profile))
        result = results.select_related("profile", "environment").order_by("-created_at", "-pk").first()
        if result is None:
            self._fail(EXIT_NOT_FOUND, "No compare result found for this environment (and profile).")
        assert result is not None
        text = export_json(result) if fmt == "json" else export_csv(result)
        if output:
            try:
                Path(output).write_text(text, encoding="utf-8")
            except OSError as exc:
                self._fail(EXIT_USAGE, f"--output cannot be written: {exc.strerror}.")
            self.stdout.write(f"Wrote compare result {result.pk} to {output}.")
        else:
            self.stdout.write(text, ending="")
