"""Operation runs: list (filters), get (``ETag`` / ``If-None-Match``), cancel; and the one way
every start route answers — 202 with a new run, 200 with the deduplicated active run, 409 with
the run that keeps the scope busy."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from tenantpilot.authz.capabilities import Capability
from tenantpilot.operations import selectors, services
from tenantpilot.operations.choices import OperationType, RunOutcome, RunStatus
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.services import ScopeBusy, StartResult

from .auth import actor, scope_for
from .ids import Id
from .pagination import PageParams, paginate
from .schemas import ERRORS, ErrorBody, Page, errors_except

router = Router(tags=["operation runs"])


class RunOut(Schema):
    """An operation run. ``summary_counts`` are flat numbers under registered keys."""

    id: int
    type: str
    status: str
    outcome: str
    environment_id: int | None
    connection_id: int | None
    initiator: str
    summary_counts: dict[str, int]
    reason_code: str
    message: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @staticmethod
    def resolve_initiator(obj: OperationRun) -> str:
        return obj.initiator_label

    @staticmethod
    def resolve_summary_counts(obj: OperationRun) -> dict[str, int]:
        return {str(k): int(v) for k, v in (obj.summary_counts or {}).items() if isinstance(v, int)}


class BusyOut(Schema):
    """409 of a start route: the error, and the active run that keeps the scope busy (if visible)."""

    error: ErrorBody
    run: RunOut | None = None


START_RESPONSES: dict[Any, Any] = {200: RunOut, 202: RunOut, 409: BusyOut, **errors_except(409)}


def start_answer(request: HttpRequest, start: Callable[[], StartResult]) -> Status[Any]:
    """Call a start service and answer 202 (new run), 200 (deduplicated) or 409 (scope busy)."""
    try:
        result = start()
    except ScopeBusy as busy:
        return Status(
            409,
            {"error": {"code": "scope_busy", "message": busy.message, "field": None}, "run": busy.active_run},
        )
    return Status(200 if result.deduped else 202, result.run)


def run_etag(run: OperationRun) -> str:
    """A strong validator of what ``RunOut`` shows of ``run`` (heartbeats do not change it)."""
    body = json.dumps(RunOut.from_orm(run).dict(), sort_keys=True, default=str)
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


@router.get("/w/{workspace}/runs", response={200: Page[RunOut], **ERRORS}, url_name="run-list")
def run_list(
    request: HttpRequest,
    workspace: str,
    paging: Query[PageParams],
    type: OperationType | None = None,
    status: RunStatus | None = None,
    outcome: RunOutcome | None = None,
    environment_id: Id | None = None,
    since: dt.datetime | None = None,
) -> dict[str, Any]:
    """The runs the caller may see, newest first. ``since`` keeps runs created at or after it."""
    scope = scope_for(request, workspace)
    rows = selectors.operation_run_list(
        scope=scope,
        operation_type=type.value if type else "",
        status=status.value if status else "",
        outcome=outcome.value if outcome else "",
        environment_id=environment_id,
    )
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    return paginate(rows, paging)


@router.get("/w/{workspace}/runs/{run_id}", response={200: RunOut, 304: None, **ERRORS}, url_name="run-detail")
def run_get(request: HttpRequest, workspace: str, run_id: Id) -> Any:
    """One run. Answers carry an ``ETag``; poll with ``If-None-Match`` to get 304 until it changes."""
    scope = scope_for(request, workspace)
    run = selectors.operation_run_get(scope=scope, run_id=run_id)
    etag = run_etag(run)
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
        response["ETag"] = etag
        return response
    response = HttpResponse(
        json.dumps(RunOut.from_orm(run).dict(), default=_json_default), content_type="application/json"
    )
    response["ETag"] = etag
    return response


def _json_default(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


@router.post("/w/{workspace}/runs/{run_id}/cancel", response={200: RunOut, **ERRORS}, url_name="run-cancel")
def run_cancel(request: HttpRequest, workspace: str, run_id: Id) -> OperationRun:
    """Cancel an active run (409 when it has already finished)."""
    scope = scope_for(request, workspace)
    run = selectors.operation_run_get(scope=scope, run_id=run_id)
    scope.require(Capability.PROVIDER_RUN)
    return services.operation_cancel(actor=actor(request), run=run)
