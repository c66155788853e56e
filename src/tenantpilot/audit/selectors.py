"""Reads of the audit log, always inside one workspace and the member's visible environments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Protocol

from django.db.models import QuerySet
from django.utils import timezone

from tenantpilot.authz.capabilities import Capability

from .models import AuditLog


class AuditViewer(Protocol):
    """The member reading the log, named by shape so ``audit`` stays below ``tenancy``
    (``tenancy.authority.Scope`` is one, and the environment rule stays there)."""

    @property
    def membership(self) -> Any: ...

    def require(self, capability: Capability) -> None: ...

    def environment(self, environment_id: object) -> Any: ...

    def environments(self) -> QuerySet[Any]: ...

    def visible_rows(
        self, qs: QuerySet[Any], *, field: str = "environment", workspace_level: bool = True
    ) -> QuerySet[Any]: ...


def _start_of_day(day: dt.date, *, days_after: int = 0) -> dt.datetime | None:
    """Midnight at the start of ``day`` (+ ``days_after``) in the active time zone, aware.

    ``None`` when that instant is outside what a datetime can hold (year 1 or 9999 at the
    edges of the calendar): the bound then excludes nothing.
    """
    try:
        start = dt.datetime.combine(day + dt.timedelta(days=days_after), dt.time.min)
        aware = timezone.make_aware(start, timezone.get_current_timezone())
        aware.astimezone(dt.UTC)  # the database compares in UTC; this must be representable too
    except OverflowError:
        return None
    return aware


def audit_list(
    *,
    scope: AuditViewer,
    environment_id: int | None = None,
    actor_id: int | None = None,
    action: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditLog]:
    """Audit rows of the workspace the member may see, newest first, with optional filters.

    Rows about an environment the member cannot see are never listed; workspace-level rows
    (no environment) are. ``environment_id`` must name a visible environment (else NotFound).
    """
    scope.require(Capability.AUDIT_VIEW)
    qs = scope.visible_rows(AuditLog.objects.all()).select_related("environment")
    if environment_id is not None:
        qs = qs.filter(environment=scope.environment(environment_id))
    if actor_id is not None:
        qs = qs.filter(actor_id=actor_id)
    if action:
        qs = qs.filter(action=action)
    # A half-open range on the raw column (start of ``date_from`` .. start of the day after
    # ``date_to``, in the active time zone) keeps the (workspace, created_at) indexes usable;
    # ``created_at__date`` would cast every row's timestamp and scan the table.
    if date_from is not None and (start := _start_of_day(date_from)) is not None:
        qs = qs.filter(created_at__gte=start)
    if date_to is not None and (end := _start_of_day(date_to, days_after=1)) is not None:
        qs = qs.filter(created_at__lt=end)
    return qs.order_by("-created_at", "-id")


# Metadata keys of workspace-level rows that list environment ids (e.g. a member's access change).
ENVIRONMENT_ID_LIST_KEYS = ("environment_ids",)


def audit_rows_for_viewer(*, scope: AuditViewer, rows: Iterable[AuditLog]) -> list[AuditLog]:
    """``rows`` ready to show to ``scope``'s member: ids of environments hidden from them are dropped
    from the metadata lists that name environments (in memory only; the log itself never changes).

    A restricted member thus never reads the id of a hidden environment in a workspace-level row.
    One query at most, whatever the number of rows.
    """
    rows = list(rows)
    if not scope.membership.restricted_environments:
        return rows
    if not any(isinstance(row.metadata, dict) and set(ENVIRONMENT_ID_LIST_KEYS) & set(row.metadata) for row in rows):
        return rows
    visible = set(scope.environments().values_list("pk", flat=True))
    for row in rows:
        if not isinstance(row.metadata, dict):
            continue
        for key in ENVIRONMENT_ID_LIST_KEYS:
            if isinstance(row.metadata.get(key), list):
                row.metadata = {**row.metadata, key: [pk for pk in row.metadata[key] if pk in visible]}
    return rows
