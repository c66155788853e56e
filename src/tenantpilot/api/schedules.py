"""An environment's schedules (how often each operation runs by itself, and what the scheduler did
lately) and its inventory type selection (which policy types a sync reads), read and changed as
the console's schedule and inventory-type pages do, on the same services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from tenantpilot.authz.capabilities import Capability
from tenantpilot.inventory import selectors, services
from tenantpilot.inventory.choices import ScheduleFrequency
from tenantpilot.inventory.coverage import ALL_TYPES
from tenantpilot.inventory.services_types import inventory_types_update, selected_types
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.models import ManagedEnvironment

from .auth import actor, scope_for
from .ids import Id
from .pagination import PageParams, paginate
from .schemas import ERRORS, Page

router = Router(tags=["schedules"])

_ENV = "/w/{workspace}/environments/{environment_id}"


class ScheduleOut(Schema):
    """How often one operation runs by itself in the environment (``off``, ``hourly``, ``daily``)."""

    operation_type: str
    frequency: str
    next_run_at: dt.datetime | None
    last_run_at: dt.datetime | None
    last_result: str
    last_run_id: int | None


class ScheduleEventOut(Schema):
    """One recent thing the scheduler did: a scheduled run (``run_id``) or a skipped turn (why)."""

    at: dt.datetime
    operation_type: str
    status: str
    reason_code: str
    run_id: int | None
    is_problem: bool


class SchedulesOut(Page[ScheduleOut]):
    """Every schedulable operation of the environment (``off`` when never set), and the latest events."""

    history: list[ScheduleEventOut]


class ScheduleIn(Schema):
    """The new frequency."""

    frequency: ScheduleFrequency


class InventoryTypesOut(Schema):
    """The policy types the environment's inventory sync reads, and every type it could read."""

    policy_types: list[str]
    available: list[str]


class InventoryTypesIn(Schema):
    """The policy types to sync (at least one; reference data an assigned baseline needs stays)."""

    policy_types: list[str] = Field(min_length=1, max_length=len(ALL_TYPES) + 1)


def _env(request: HttpRequest, workspace: str, environment_id: int, capability: Capability) -> Any:
    scope = scope_for(request, workspace)
    environment = scope.environment(environment_id)
    scope.require(capability)
    return scope, environment


def _schedule_rows(scope: Scope, environment: ManagedEnvironment) -> list[dict[str, Any]]:
    schedules = selectors.schedule_list(scope=scope, environment=environment)
    rows = []
    for kind in services.SCHEDULABLE_OPERATIONS:
        schedule = schedules.get(kind.value)
        rows.append(
            {
                "operation_type": kind.value,
                "frequency": schedule.frequency if schedule else ScheduleFrequency.OFF.value,
                "next_run_at": schedule.next_run_at if schedule else None,
                "last_run_at": schedule.last_run_at if schedule else None,
                "last_result": schedule.last_result if schedule else "",
                "last_run_id": schedule.last_run_id if schedule else None,
            }
        )
    return rows


@router.get(_ENV + "/schedules", response={200: SchedulesOut, **ERRORS}, url_name="schedule-list")
def schedule_list(request: HttpRequest, workspace: str, environment_id: Id, paging: Query[PageParams]) -> Any:
    """Every schedulable operation with its frequency, and the scheduler's latest runs and skipped turns."""
    scope, environment = _env(request, workspace, environment_id, Capability.PROVIDER_VIEW)
    page = paginate(_schedule_rows(scope, environment), paging)
    history = [
        {
            "at": event.at,
            "operation_type": event.operation_type,
            "status": event.status,
            "reason_code": event.reason_code,
            "run_id": event.run_id,
            "is_problem": event.is_problem,
        }
        for event in selectors.schedule_history(scope=scope, environment=environment)
    ]
    return {**page, "history": history}


@router.put(_ENV + "/schedules/{operation_type}", response={200: ScheduleOut, **ERRORS}, url_name="schedule-update")
def schedule_update(
    request: HttpRequest, workspace: str, environment_id: Id, operation_type: str, payload: ScheduleIn
) -> Any:
    """Set how often ``operation_type`` runs by itself (audited; on or changed: due at the next tick)."""
    scope, environment = _env(request, workspace, environment_id, Capability.PROVIDER_MANAGE)
    services.schedule_update(
        actor=actor(request), environment=environment, operation_type=operation_type, frequency=payload.frequency.value
    )
    return next(row for row in _schedule_rows(scope, environment) if row["operation_type"] == operation_type)


def _types(environment: ManagedEnvironment) -> dict[str, Any]:
    return {"policy_types": list(selected_types(environment)), "available": list(ALL_TYPES)}


@router.get(_ENV + "/inventory-types", response={200: InventoryTypesOut, **ERRORS}, url_name="inventory-types")
def inventory_types(request: HttpRequest, workspace: str, environment_id: Id) -> Any:
    """The policy types the environment syncs (every type when none were chosen)."""
    _, environment = _env(request, workspace, environment_id, Capability.PROVIDER_VIEW)
    return _types(environment)


@router.put(_ENV + "/inventory-types", response={200: InventoryTypesOut, **ERRORS}, url_name="inventory-types-update")
def inventory_types_set(request: HttpRequest, workspace: str, environment_id: Id, payload: InventoryTypesIn) -> Any:
    """Choose the policy types the next sync reads (audited). Unknown types, none, or dropping
    reference data an assigned baseline profile needs: 400 naming ``policy_types``."""
    _, environment = _env(request, workspace, environment_id, Capability.PROVIDER_MANAGE)
    inventory_types_update(actor=actor(request), environment=environment, policy_types=payload.policy_types)
    return _types(environment)
