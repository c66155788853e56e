"""The inventory and compliance operations the worker runs (discovered by ``operations.registry``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.conf import settings

from tenantpilot.graph.errors import GraphError
from tenantpilot.graph.reasons import ReasonCode
from tenantpilot.graph.retry import Deadline
from tenantpilot.operations.choices import OperationType, RunOutcome, SummaryKey
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.reasons import RunReason
from tenantpilot.operations.registry import (
    OperationFailed,
    RunContext,
    RunResult,
    register_operation,
    register_periodic,
)
from tenantpilot.providers.gateway import graph_client
from tenantpilot.providers.selectors import connection_for_run

from .choices import PolicyType
from .coverage import specs_for
from .fetch import TypeOutcome
from .pacing import ThrottleBudget
from .services import SyncSummary, compliance_snapshot_record, schedules_run_due
from .services_types import selected_types
from .sync import sync_inventory, throttle_debits


def _item_key(policy_type: str) -> str:
    return f"items.{policy_type}"


def capped_waits_note(capped: int) -> str:
    """What the run says when Retry-After waits were shortened to its retry budget ("" when none)."""
    if not capped:
        return ""
    return (
        f"{capped} Retry-After wait(s) were longer than the run's retry budget left and were shortened "
        "(TENANTPILOT_RUN_RETRY_BUDGET_SECONDS)."
    )


def _with_note(message: str, note: str) -> str:
    return " ".join(p for p in (message, note) if p)


@register_operation(OperationType.INVENTORY_SYNC)
def inventory_sync(run: OperationRun, ctx: RunContext) -> RunResult:
    """Sync the inventoried policy types chosen for the run's environment (default: every type).

    ``succeeded`` when every type was listed completely and every item was stored with its
    content; ``partially_succeeded`` when some types failed (pages read before the failure are
    written, nothing of those types is marked gone), some items' sub-resources could not be read
    (those keep their previous version) or some items were unusable (skipped, counted and named);
    ``failed`` when no type could be listed at all.

    Every retry wait of the run, on all its threads, ends within one run-wide budget
    (``TENANTPILOT_RUN_RETRY_BUDGET_SECONDS``); a Retry-After shortened to it is logged with
    ``run=<id>``, counted as ``retry_waits_capped`` and named in the run's message.
    """
    connection = connection_for_run(run)
    environment = connection.environment
    specs = specs_for(selected_types(environment))  # only the types the MSP chose
    budget = ThrottleBudget()
    with graph_client(
        connection,
        retry_budget_seconds=settings.TENANTPILOT_RUN_RETRY_BUDGET_SECONDS,
        log_context=f"run={run.pk}",
        on_throttled=throttle_debits(budget, specs),  # the client's re-sends count against the budget
    ) as client:
        report = sync_inventory(
            client=client,
            run=run,
            environment=environment,
            connection=connection,
            specs=specs,
            budget=budget,
            # Saved with each heartbeat: a run whose worker dies keeps the counts of what it wrote.
            on_page=lambda written: ctx.set_progress(_progress_counts(written)),
        )
        stats = client.stats.snapshot()
        capped = client.deadline.capped_waits if client.deadline is not None else 0
    summary = report.summary
    counts: dict[str, int] = {
        SummaryKey.ITEMS: sum(o.items for o in report.outcomes.values()),
        SummaryKey.CREATED: summary.counts.created,
        SummaryKey.UPDATED: summary.counts.updated,
        SummaryKey.UNCHANGED: summary.counts.unchanged,
        SummaryKey.UNKNOWN: summary.counts.unknown,
        SummaryKey.SKIPPED: summary.counts.skipped,
        SummaryKey.GONE: summary.gone,
        SummaryKey.VERSIONS_CREATED: summary.counts.created + summary.counts.updated,
        SummaryKey.TYPES_SYNCED: len(summary.completed_types),
        SummaryKey.TYPES_FAILED: len(summary.failed_types),
        SummaryKey.REQUESTS: stats["requests"],
        SummaryKey.RETRIES: stats["retries"],
        SummaryKey.THROTTLED: stats["throttled"],
        SummaryKey.RETRY_WAITS_CAPPED: capped,
    }
    for policy_type, outcome in report.outcomes.items():
        counts[_item_key(policy_type)] = outcome.items
    note = capped_waits_note(capped)
    if not summary.failed_types and not summary.counts.unknown and not summary.counts.skipped:
        return RunResult(RunOutcome.SUCCEEDED, counts, message=note)
    first_error = _first_error(report.outcomes.values())
    if not summary.completed_types and not any(summary.written.values()):
        code = first_error.reason_code.value if first_error else RunReason.INTERNAL_ERROR.value
        message = first_error.message if first_error else "No policy type could be read."
        return RunResult(RunOutcome.FAILED, counts, code, _with_note(message, note))
    code = first_error.reason_code.value if first_error else ReasonCode.MALFORMED_RESPONSE.value
    return RunResult(RunOutcome.PARTIALLY_SUCCEEDED, counts, code, _with_note(sync_message(summary), note))


def sync_message(summary: SyncSummary) -> str:
    """What a partial sync did, truthfully per type (the run stores the first 300 characters).

    A failed type with nothing read says its items were left as they were; one that failed after
    some pages says those pages were applied and that nothing was marked gone; skipped items are
    counted and the first is named (all are named in the sync's audit row).
    """
    parts = []
    untouched = [t for t in sorted(summary.failed_types) if not summary.written.get(t)]
    part_read = [t for t in sorted(summary.failed_types) if summary.written.get(t)]
    if untouched:
        labels = ", ".join(f"{PolicyType(t).label} ({summary.failed_types[t]})" for t in untouched)
        parts.append(f"Not synced, items left as they were: {labels}.")
    if part_read:
        labels = ", ".join(
            f"{PolicyType(t).label} ({summary.failed_types[t]}, {summary.written[t]} read)" for t in part_read
        )
        parts.append(
            f"Listing stopped part-way: {labels}; items read before the failure were updated, none marked gone."
        )
    if summary.counts.skipped:
        first = summary.counts.skipped_items[0].describe() if summary.counts.skipped_items else ""
        parts.append(f"{summary.counts.skipped} unusable item(s) skipped (first: {first}).")
    if summary.counts.unknown:
        parts.append(f"{summary.counts.unknown} item(s) could not be read completely and keep their previous version.")
    return " ".join(parts)


def _progress_counts(summary: SyncSummary) -> dict[str, int]:
    """The running totals of a sync in progress: what the pages written so far did."""
    counts: dict[str, int] = {
        SummaryKey.ITEMS: sum(summary.written.values()),
        SummaryKey.CREATED: summary.counts.created,
        SummaryKey.UPDATED: summary.counts.updated,
        SummaryKey.UNCHANGED: summary.counts.unchanged,
        SummaryKey.UNKNOWN: summary.counts.unknown,
        SummaryKey.SKIPPED: summary.counts.skipped,
        SummaryKey.VERSIONS_CREATED: summary.counts.created + summary.counts.updated,
    }
    for policy_type, written in summary.written.items():
        if _item_key(policy_type) in SummaryKey.values:  # progress must never break the sync
            counts[_item_key(policy_type)] = written
    return counts


def _first_error(outcomes: Iterable[TypeOutcome]) -> GraphError | None:
    """The error to name on the run: a failed listing first, else a failed sub-resource read."""
    listed = list(outcomes)
    for outcome in listed:
        if outcome.error is not None:
            return outcome.error
    for outcome in listed:
        if outcome.item_error is not None:
            return outcome.item_error
    return None


@register_operation(OperationType.COMPLIANCE_SNAPSHOT)
def compliance_snapshot(run: OperationRun, ctx: RunContext) -> RunResult:
    """Read the compliance state summary and count the managed devices by compliance state.

    Retry waits end within the run's budget (``TENANTPILOT_RUN_RETRY_BUDGET_SECONDS``); a
    shortened Retry-After is logged with ``run=<id>``, counted and named in the run's message.
    """
    connection = connection_for_run(run)
    environment = connection.environment
    by_state: Counter[str] = Counter()
    deadline: Deadline | None = None
    try:
        with graph_client(
            connection, retry_budget_seconds=settings.TENANTPILOT_RUN_RETRY_BUDGET_SECONDS, log_context=f"run={run.pk}"
        ) as client:
            deadline = client.deadline
            summary = client.get("deviceCompliancePolicyDeviceStateSummary.get")
            for device in client.iter_items("managedDevices.list"):
                state = device.get("complianceState")
                by_state[state if isinstance(state, str) and state else "unknown"] += 1
    except GraphError as exc:
        note = capped_waits_note(deadline.capped_waits if deadline is not None else 0)
        raise OperationFailed(exc.reason_code.value, _with_note(exc.message, note)) from None
    capped = deadline.capped_waits if deadline is not None else 0
    total = sum(by_state.values())
    snapshot = compliance_snapshot_record(
        run=run, environment=environment, summary=summary, by_state=by_state, device_total=total
    )
    counts = {
        SummaryKey.DEVICES: total,
        SummaryKey.COMPLIANT: snapshot.compliant_count,
        SummaryKey.NONCOMPLIANT: snapshot.noncompliant_count,
    }
    if capped:
        counts[SummaryKey.RETRY_WAITS_CAPPED] = capped
    return RunResult(RunOutcome.SUCCEEDED, counts, message=capped_waits_note(capped))


# Hourly is the finest schedule frequency, so a tick a minute starts every due schedule on time.
register_periodic("schedules", interval_seconds=60)(schedules_run_due)
