"""The caller's notifications in the workspace: list, mark one read, mark all read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from tenantpilot.authz.capabilities import Capability
from tenantpilot.operations import selectors, services

from .auth import actor, scope_for
from .ids import Id
from .pagination import PageParams, paginate
from .schemas import ERRORS, Page

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    """A notification for the caller (e.g. a run of theirs finished)."""

    id: int
    level: str
    title: str
    body: str
    run_id: int | None
    environment_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class MarkedOut(Schema):
    """How many notifications were marked read."""

    marked: int


@router.get(
    "/w/{workspace}/notifications", response={200: Page[NotificationOut], **ERRORS}, url_name="notification-list"
)
def notification_list(request: HttpRequest, workspace: str, paging: Query[PageParams], unread: bool = False) -> Any:
    scope = scope_for(request, workspace)
    scope.require(Capability.WORKSPACE_VIEW)
    rows = selectors.notification_list(scope=scope).order_by("-created_at", "-id")
    if unread:
        rows = rows.filter(read_at__isnull=True)
    return paginate(rows, paging)


@router.post(
    "/w/{workspace}/notifications/{notification_id}/read",
    response={200: NotificationOut, **ERRORS},
    url_name="notification-read",
)
def notification_read(request: HttpRequest, workspace: str, notification_id: Id) -> Any:
    scope = scope_for(request, workspace)
    scope.require(Capability.WORKSPACE_VIEW)
    notification = selectors.notification_get(scope=scope, notification_id=notification_id)
    return services.notification_mark_read(actor=actor(request), notification=notification)


@router.post(
    "/w/{workspace}/notifications/read-all", response={200: MarkedOut, **ERRORS}, url_name="notification-read-all"
)
def notification_read_all(request: HttpRequest, workspace: str) -> dict[str, int]:
    """Mark every notification of the caller's in this workspace read; answers how many of the visible ones."""
    scope = scope_for(request, workspace)
    scope.require(Capability.WORKSPACE_VIEW)
    count = selectors.notification_unread_count(scope=scope)
    services.notification_mark_all_read(actor=actor(request), workspace=scope.workspace)
    return {"marked": count}
