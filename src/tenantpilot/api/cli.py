"""What the operator CLI commands share: acting as a named member of a named workspace, the same
services and selectors as the API, the API's output schemas, three output formats, and exit codes
scripts can trust.

Exit codes: 0 ok; 1 a run that did not succeed (``runs start --wait``); 2 usage or invalid input;
3 not found or no access (an unknown user, not a member, a hidden or missing record, a missing
capability); 4 refused because the scope is busy with another run.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from ninja import Schema

from tenantpilot.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from tenantpilot.tenancy.authority import Scope, resolve_workspace
from tenantpilot.tenancy.models import ManagedEnvironment

EXIT_FAILED_RUN = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_BUSY = 4
FORMATS = ("table", "json", "csv")
NO_ACCESS = "Not found, or you have no access to it."


def add_common_arguments(parser: CommandParser) -> None:
    """``--as EMAIL``, ``--workspace SLUG`` (both required) and ``--format``."""
    parser.add_argument("--as", dest="as_user", required=True, metavar="EMAIL", help="act as this member")
    parser.add_argument("--workspace", required=True, metavar="SLUG", help="the workspace to act in")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")


def member_scope(email: str, workspace: str) -> Scope:
    """The scope of the active user ``email`` (login name or e-mail) in ``workspace`` — exit 3 when
    the user is unknown or not a member (the same answer for both)."""
    users = get_user_model()._default_manager.filter(is_active=True)
    user = users.filter(username=email).first() or users.filter(Q(email__iexact=email)).order_by("pk").first()
    if user is None:
        raise CommandError(NO_ACCESS, returncode=EXIT_NOT_FOUND)
    try:
        return resolve_workspace(user, workspace)
    except NotFound:
        raise CommandError(NO_ACCESS, returncode=EXIT_NOT_FOUND) from None


def environment_arg(scope: Scope, raw: str) -> ManagedEnvironment:
    """The environment ``raw`` names — its id or its Microsoft tenant id — among those ``scope`` sees
    (never its display name: names are not identity)."""
    text = raw.strip()
    if text.isdigit():
        return scope.environment(int(text))
    environment = scope.environments().filter(tenant_id__iexact=text).first()
    if environment is None:
        raise NotFound()
    return environment


def positive_id(raw: str) -> int:
    """An argparse type: a record id (a usage error otherwise)."""
    if not raw.isdigit() or not 1 <= int(raw) <= 2_147_483_647:
        raise ValueError(raw)
    return int(raw)


positive_id.__name__ = "id"


def as_error(exc: DomainError) -> CommandError:
    """The domain error as the CLI's message and exit code (never a trace)."""
    if isinstance(exc, NotFound):
        return CommandError(NO_ACCESS, returncode=EXIT_NOT_FOUND)
    if isinstance(exc, Forbidden):
        return CommandError(f"No access: {exc.message}", returncode=EXIT_NOT_FOUND)
    if isinstance(exc, ValidationFailed):
        field = getattr(exc, "field", None)
        return CommandError(f"{field}: {exc.message}" if field else exc.message, returncode=EXIT_USAGE)
    if isinstance(exc, Conflict):
        return CommandError(exc.message, returncode=EXIT_BUSY)
    return CommandError(exc.message, returncode=EXIT_USAGE)


def dump(schema: type[Schema], rows: Iterable[Any]) -> list[dict[str, Any]]:
    """``rows`` through the API's output schema, as JSON-ready dicts (the same fields as the API)."""
    return [schema.from_orm(row).model_dump(mode="json") for row in rows]


def render(records: list[dict[str, Any]], columns: Sequence[str], fmt: str, *, single: bool = False) -> str:
    """``records`` as ``json`` (every field; one object when ``single``), or ``csv`` / ``table``
    (the given ``columns``; nested values as compact JSON)."""
    if fmt == "json":
        return json.dumps(records[0] if single else records, indent=2, sort_keys=True)
    cells = [[_cell(record.get(column)) for column in columns] for record in records]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(cells)
        return buffer.getvalue().rstrip("\n")
    widths = [max([len(column), *(len(row[i]) for row in cells)]) for i, column in enumerate(columns)]
    lines = ["  ".join(column.upper().ljust(widths[i]) for i, column in enumerate(columns)).rstrip()]
    lines += ["  ".join(value.ljust(widths[i]) for i, value in enumerate(row)).rstrip() for row in cells]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value)


class ScopedCommand(BaseCommand):
    """A command that acts as ``--as`` in ``--workspace``; domain errors become exit codes 2–4."""

    requires_migrations_checks = False

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except DomainError as exc:
            raise as_error(exc) from None

    def emit(self, records: list[dict[str, Any]], columns: Sequence[str], fmt: str, *, single: bool = False) -> None:
        """Write ``records`` in ``fmt`` to stdout."""
        text = render(records, columns, fmt, single=single)
        if text:
            self.stdout.write(text)
