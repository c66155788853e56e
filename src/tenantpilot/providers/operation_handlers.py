"""The provider operations the worker runs (discovered by ``operations.registry``)."""

from __future__ import annotations

from tenantpilot.operations.choices import OperationType, RunOutcome, SummaryKey
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.registry import RunContext, RunResult, register_operation

from .choices import ConnectionHealth
from .health import check_connection
from .selectors import connection_for_run
from .services import connection_record_health


@register_operation(OperationType.PROVIDER_HEALTH_CHECK)
def provider_health_check(run: OperationRun, ctx: RunContext) -> RunResult:
    """Check one connection and record what was found on it; the run carries the same verdict."""
    connection = connection_for_run(run)
    report = check_connection(connection)
    connection_record_health(
        connection=connection,
        health=report.health,
        reason_code=report.reason_code,
        message=report.message,
        permissions=report.permissions,
    )
    counts = {
        # Zero when the check stopped before probing (no token, wrong tenant): nothing was checked.
        SummaryKey.PERMISSIONS_CHECKED: len(report.permissions),
        SummaryKey.PERMISSIONS_MISSING: len(report.missing_permissions),
    }
    if report.health == ConnectionHealth.HEALTHY:
        return RunResult(RunOutcome.SUCCEEDED, counts)
    if report.health == ConnectionHealth.DEGRADED:
        return RunResult(RunOutcome.PARTIALLY_SUCCEEDED, counts, report.reason_code, report.message)
    return RunResult(RunOutcome.FAILED, counts, report.reason_code, report.message)
