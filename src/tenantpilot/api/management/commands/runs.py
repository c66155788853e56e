"""``tenantpilot runs start|list|show``: operation runs at a terminal, on the API's services and selectors.

``runs start TYPE ENV`` answers like the API: a new run or the active run of the same operation
(exit 0), or *scope busy* naming the active run (exit 4). ``--wait`` follows the run to its end:
exit 0 when it succeeded, 1 otherwise (failed, partial, cancelled, or still running at ``--timeout``).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.dateparse import parse_datetime

from tenantpilot.api.cli import (
    EXIT_FAILED_RUN,
    EXIT_USAGE,
    ScopedCommand,
    add_common_arguments,
    dump,
    environment_arg,
    member_scope,
    positive_id,
)
from tenantpilot.api.runs import RunOut
from tenantpilot.authz.capabilities import Capability
from tenantpilot.baselines import selectors as baseline_selectors
from tenantpilot.baselines import services as baseline_services
from tenantpilot.inventory import services as inventory_services
from tenantpilot.operations import selectors
from tenantpilot.operations.choices import OperationType, RunOutcome, RunStatus
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.services import ScopeBusy, StartResult
from tenantpilot.providers import selectors as provider_selectors
from tenantpilot.providers import services as provider_services
from tenantpilot.tenancy.authority import Scope

COLUMNS = ("id", "type", "status", "outcome", "environment_id", "reason_code", "created_at", "finished_at")
START_TYPES = ("health-check", "inventory-sync", "compliance-snapshot", "baseline-capture", "baseline-compare")


class Command(ScopedCommand):
    help = "Start, list and show operation runs, acting as a workspace member."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{start,list,show}")

        start = actions.add_parser("start", help="start an operation on an environment")
        start.add_argument("operation", choices=START_TYPES)
        start.add_argument("environment", metavar="ENV", help="environment id or Microsoft tenant id")
        start.add_argument("--connection", type=positive_id, help="health-check: the connection (default: the default)")
        start.add_argument("--profile", type=positive_id, help="baseline-capture / baseline-compare: the profile id")
        start.add_argument("--force", action="store_true", help="baseline-capture: capture despite stale evidence")
        start.add_argument("--wait", action="store_true", help="wait for the run to end; exit 1 unless it succeeded")
        start.add_argument("--timeout", type=int, default=900, help="seconds --wait waits at most (default 900)")
        start.add_argument("--interval", type=float, default=2.0, help="seconds between --wait polls (default 2)")
        add_common_arguments(start)

        listing = actions.add_parser("list", help="list runs, newest first")
        listing.add_argument("--type", choices=[t.value for t in OperationType], default="")
        listing.add_argument("--status", choices=[s.value for s in RunStatus], default="")
        listing.add_argument("--outcome", choices=[o.value for o in RunOutcome], default="")
        listing.add_argument("--environment", metavar="ENV", help="environment id or Microsoft tenant id")
        listing.add_argument("--since", help="ISO 8601 time: runs created at or after it")
        listing.add_argument("--limit", type=positive_id, default=50, help="at most this many runs (default 50)")
        add_common_arguments(listing)

        show = actions.add_parser("show", help="show one run")
        show.add_argument("run_id", type=positive_id, metavar="RUN_ID")
        add_common_arguments(show)

    def handle(self, *args: Any, **options: Any) -> None:
        scope = member_scope(options["as_user"], options["workspace"])
        action = options["action"]
        if action == "list":
            self._list(scope, options)
        elif action == "show":
            run = selectors.operation_run_get(scope=scope, run_id=options["run_id"])
            self.emit(dump(RunOut, [run]), COLUMNS, options["format"], single=True)
        else:
            self._start(scope, options)

    def _list(self, scope: Scope, options: dict[str, Any]) -> None:
        environment_id = environment_arg(scope, options["environment"]).pk if options["environment"] else None
        rows = selectors.operation_run_list(
            scope=scope,
            operation_type=options["type"],
            status=options["status"],
            outcome=options["outcome"],
            environment_id=environment_id,
        )
        if options["since"]:
            since = _since(options["since"])
            rows = rows.filter(created_at__gte=since)
        self.emit(dump(RunOut, rows[: options["limit"]]), COLUMNS, options["format"])

    def _start(self, scope: Scope, options: dict[str, Any]) -> None:
        environment = environment_arg(scope, options["environment"])
        try:
            result = _start(scope, environment, options)
        except ScopeBusy as busy:
            # The active run is named in the message (and shown when visible): what the API puts in its 409.
            self.stderr.write(busy.message)
            raise
        run = result.run
        if options["wait"]:
            run = _wait(scope, run, timeout=options["timeout"], interval=options["interval"])
        self.emit(dump(RunOut, [run]), COLUMNS, options["format"], single=True)
        if options["wait"] and run.outcome != RunOutcome.SUCCEEDED:
            state = run.outcome if run.status == RunStatus.COMPLETED else f"still {run.status}"
            raise CommandError(f"Run #{run.pk} did not succeed ({state}).", returncode=EXIT_FAILED_RUN)


def _start(scope: Scope, environment: Any, options: dict[str, Any]) -> StartResult:
    operation = options["operation"]
    actor = scope.user
    if operation == "inventory-sync":
        scope.require(Capability.PROVIDER_RUN)
        return inventory_services.inventory_sync_start(actor=actor, environment=environment)
    if operation == "compliance-snapshot":
        scope.require(Capability.PROVIDER_RUN)
        return inventory_services.compliance_snapshot_start(actor=actor, environment=environment)
    if operation == "health-check":
        scope.require(Capability.PROVIDER_RUN)
        connection = (
            provider_selectors.connection_get(scope=scope, environment=environment, connection_id=options["connection"])
            if options["connection"] is not None
            else provider_selectors.connection_for_operations(environment)
        )
        if connection is None:
            raise CommandError("The environment has no usable connection: pass --connection.", returncode=EXIT_USAGE)
        return provider_services.connection_check_start(actor=actor, connection=connection)
    if options["profile"] is None:
        raise CommandError(f"{operation} needs --profile.", returncode=EXIT_USAGE)
    profile = baseline_selectors.profile_get(scope=scope, profile_id=options["profile"])
    if operation == "baseline-capture":
        scope.require(Capability.BASELINES_MANAGE)
        return baseline_services.baseline_capture_start(
            actor=actor, profile=profile, source_environment=environment, force=options["force"]
        )
    scope.require(Capability.PROVIDER_RUN)
    return baseline_services.baseline_compare_start(actor=actor, profile=profile, environment=environment)


def _wait(scope: Scope, run: OperationRun, *, timeout: int, interval: float) -> OperationRun:
    """The run, re-read until it has ended or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + max(timeout, 0)
    run = selectors.operation_run_get(scope=scope, run_id=run.pk)
    while run.status != RunStatus.COMPLETED and time.monotonic() < deadline:
        time.sleep(max(interval, 0.1))
        run = selectors.operation_run_get(scope=scope, run_id=run.pk)
    return run


def _since(raw: str) -> dt.datetime:
    try:
        since = parse_datetime(raw.strip())
    except ValueError:
        since = None
    if since is None:
        raise CommandError("--since: not an ISO 8601 date and time.", returncode=EXIT_USAGE)
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    return since
