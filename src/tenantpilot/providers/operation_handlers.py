"""The provider operations the worker runs (discovered by ``operations.registry``)."""

from __future__ import annotations

from django.conf import settings

from tenantpilot.operations.choices import OperationType, RunOutcome, SummaryKey
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.registry import RunContext, RunResult, register_operation

from .choices import ConnectionHealth
from .credentials import CredentialUnavailable
from .gateway import on_credential_unavailable
from .health import check_connection
from .models import ProviderConnection
from .selectors import connection_for_run
from .services import connection_record_health


def record_credential_unavailable(connection: ProviderConnection, error: CredentialUnavailable) -> None:
    """Mark the connection unhealthy with the registered reason and the actionable message
    (restore the key or enter the secret again), whichever run found the credential unreadable."""
    connection_record_health(
        connection=connection,
        health=ConnectionHealth.UNHEALTHY,
        reason_code=error.reason_code,
        message=error.message,
        permissions={},
    )


on_credential_unavailable(record_credential_unavailable)


@register_operation(OperationType.PROVIDER_HEALTH_CHECK)
def provider_health_check(run: OperationRun, ctx: RunContext) -> RunResult:
    """Check one connection and record what was found on it; the run carries the same verdict.

    Retry waits end within ``TENANTPILOT_HEALTH_CHECK_RETRY_BUDGET_SECONDS``; a Retry-After
    shortened to it is logged with ``run=<id>``, counted as ``retry_waits_capped`` and named in
    the run's message (not in the connection's health message).
    """
    connection = connection_for_run(run)
    report = check_connection(
        connection,
        retry_budget_seconds=settings.TENANTPILOT_HEALTH_CHECK_RETRY_BUDGET_SECONDS,
        log_context=f"run={run.pk}",
    )
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
    message = report.message
    if report.retry_waits_capped:
        counts[SummaryKey.RETRY_WAITS_CAPPED] = report.retry_waits_capped
        note = (
            f"{report.retry_waits_capped} Retry-After wait(s) were longer than the check's retry budget left "
            "and were shortened (TENANTPILOT_HEALTH_CHECK_RETRY_BUDGET_SECONDS)."
        )
        message = f"{message} {note}" if message else note
    if report.health == ConnectionHealth.HEALTHY:
        return RunResult(RunOutcome.SUCCEEDED, counts, message=message)
    if report.health == ConnectionHealth.DEGRADED:
        return RunResult(RunOutcome.PARTIALLY_SUCCEEDED, counts, report.reason_code, message)
    return RunResult(RunOutcome.FAILED, counts, report.reason_code, message)
