"""The audit log (read, filtered): rows of the workspace the caller may see, newest first."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from tenantpilot.audit import selectors
from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog

from .auth import scope_for
from .ids import Id
from .pagination import PageParams, paginate
from .schemas import ERRORS, Page

router = Router(tags=["audit"])


class AuditOut(Schema):
    """One audit row (metadata already redacted; hidden environments' ids removed)."""

    id: int
    action: str
    actor: str
    environment_id: int | None
    target_type: str
    target_id: str
    request_id: str
    metadata: dict[str, Any]
    created_at: dt.datetime

    @staticmethod
    def resolve_actor(obj: AuditLog) -> str:
        return obj.actor_label


@router.get("/w/{workspace}/audit", response={200: Page[AuditOut], **ERRORS}, url_name="audit-list")
def audit_list(
    request: HttpRequest,
    workspace: str,
    paging: Query[PageParams],
    action: AuditAction | None = None,
    environment_id: Id | None = None,
    actor_id: Id | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> Any:
    """Filter by action id, environment, actor (user id) and an inclusive date range."""
    scope = scope_for(request, workspace)
    rows = selectors.audit_list(
        scope=scope,
        environment_id=environment_id,
        actor_id=actor_id,
        action=action.value if action else "",
        date_from=date_from,
        date_to=date_to,
    )
    return paginate(rows, paging, lambda items: selectors.audit_rows_for_viewer(scope=scope, rows=items))
