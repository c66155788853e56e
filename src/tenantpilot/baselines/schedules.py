"""Scheduled baseline compare: one turn compares every profile assigned to the environment.

Registered with the inventory scheduler (:func:`tenantpilot.inventory.services.register_schedule_runner`)
when this app's operation handlers load. A turn runs on fresh inventory: while an inventory sync
of the environment is due or active, it waits (the turn stays open and the next tick looks again;
the period is not lost). The start gate allows one active run per environment, so the profiles
are compared one after the other: a profile that finds the environment busy is tried again on the
next tick. Which profiles a turn has already compared is read from the runs it started (their
context names the schedule and the turn), so nothing is lost when a worker or a ticker restarts.
"""

from __future__ import annotations

import datetime as dt

from tenantpilot.core.errors import ValidationFailed
from tenantpilot.inventory.choices import ScheduleFrequency, ScheduleResult
from tenantpilot.inventory.models import Schedule
from tenantpilot.inventory.services import ScheduleTurn, register_schedule_runner
from tenantpilot.operations.choices import OperationType
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.services import ScopeBusy
from tenantpilot.tenancy.models import ManagedEnvironment

from .choices import SnapshotStatus
from .models import BaselineProfile
from .services import baseline_compare_start_system


def inventory_sync_pending(environment: ManagedEnvironment, now: dt.datetime) -> bool:
    """Whether an inventory sync of ``environment`` is active, or due by its schedule at ``now``."""
    active = OperationRun.objects.active().filter(environment=environment, type=OperationType.INVENTORY_SYNC)
    if active.exists():
        return True
    return (
        Schedule.objects.filter(environment=environment, operation_type=OperationType.INVENTORY_SYNC)
        .exclude(frequency=ScheduleFrequency.OFF)
        .filter(next_run_at__lte=now)
        .exists()
    )


def comparable_profiles(environment: ManagedEnvironment) -> list[BaselineProfile]:
    """Profiles assigned to ``environment`` that are not archived and have a complete snapshot (by id)."""
    return list(
        BaselineProfile.objects.filter(
            workspace_id=environment.workspace_id,
            archived_at__isnull=True,
            assignments__environment=environment,
            snapshots__status=SnapshotStatus.COMPLETE,
        )
        .distinct()
        .order_by("pk")
    )


def _turn_key(schedule: Schedule) -> str:
    assert schedule.next_run_at is not None  # only due schedules run
    return schedule.next_run_at.isoformat()


def _compared_this_turn(schedule: Schedule) -> set[int]:
    """The profiles this turn of ``schedule`` already started a compare for."""
    ids = OperationRun.objects.filter(
        environment_id=schedule.environment_id,
        type=OperationType.BASELINE_COMPARE,
        context__schedule_id=schedule.pk,
        context__schedule_turn=_turn_key(schedule),
    ).values_list("context__profile_id", flat=True)
    return {int(pk) for pk in ids if isinstance(pk, int)}


@register_schedule_runner(OperationType.BASELINE_COMPARE)
def baseline_compare_schedule_turn(schedule: Schedule, now: dt.datetime) -> ScheduleTurn:
    """Advance one due turn of a compare schedule; see the module docstring for the rules.

    Returns ``waiting_for_sync`` (turn open) while a sync is pending; ``no_baseline`` (turn done,
    audited as a skip) when no assigned profile has a snapshot; ``started`` when it started a
    compare (turn open while other profiles remain); ``waiting_for_scope`` (turn open) when the
    environment was busy.
    """
    environment = schedule.environment
    if inventory_sync_pending(environment, now):
        return ScheduleTurn(ScheduleResult.WAITING_FOR_SYNC, done=False)
    profiles = comparable_profiles(environment)
    if not profiles:
        return ScheduleTurn(ScheduleResult.NO_BASELINE)
    compared = _compared_this_turn(schedule)
    pending = [p for p in profiles if p.pk not in compared]
    context = {"schedule_id": schedule.pk, "schedule_turn": _turn_key(schedule)}
    started_run: OperationRun | None = None
    while pending:
        profile = pending[0]
        try:
            started = baseline_compare_start_system(profile=profile, environment=environment, context=context)
        except ValidationFailed:
            pending.pop(0)  # archived or lost its snapshot meanwhile: nothing to compare
            continue
        except ScopeBusy as busy:
            if started_run is not None:
                return ScheduleTurn(ScheduleResult.STARTED, started_run, done=False)
            return ScheduleTurn(ScheduleResult.WAITING_FOR_SCOPE, busy.active_run, done=False)
        if started.deduped:
            # An earlier compare of this profile is still active: compare again once it ended.
            return ScheduleTurn(ScheduleResult.DEDUPED, started.run, done=False)
        pending.pop(0)
        started_run = started.run
    if started_run is None:
        return ScheduleTurn(ScheduleResult.NO_BASELINE) if not compared else ScheduleTurn(ScheduleResult.STARTED)
    return ScheduleTurn(ScheduleResult.STARTED, started_run)
