"""Baseline profiles (create, update, archive), snapshots and their items, assignments (assign, unassign), capture
and compare (start routes), compare results and their JSON and CSV export. A snapshot's source
environment is named only to members who may see it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import Field

from tenantpilot.authz.capabilities import Capability
from tenantpilot.baselines import exports, selectors, services
from tenantpilot.baselines.models import BaselineProfile, BaselineSnapshot
from tenantpilot.core.errors import NotFound

from .auth import actor, scope_for
from .ids import Id
from .pagination import PageParams, paginate
from .runs import START_RESPONSES, start_answer
from .schemas import ERRORS, Page

router = Router(tags=["baselines"])


class ProfileOut(Schema):
    """A baseline profile: which policy types it governs and how old evidence may be."""

    id: int
    name: str
    description: str
    policy_types: list[str]
    max_evidence_age_hours: int
    archived_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ProfileCreateIn(Schema):
    """A new profile (no policy types: every supported type)."""

    name: str = Field(max_length=120)
    description: str = Field("", max_length=500)
    policy_types: list[str] | None = Field(None, max_length=100)


class ProfileUpdateIn(Schema):
    """The fields to change (absent: unchanged). The next capture and compare use them."""

    name: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = Field(None, max_length=500)
    policy_types: list[str] | None = Field(None, min_length=1, max_length=100)
    ignored_fields: dict[str, list[str]] | None = Field(
        None, description="Per policy type, the setting names a compare ignores."
    )
    max_evidence_age_hours: int | None = Field(None, ge=1, le=2_147_483_647)


class SnapshotOut(Schema):
    """A captured baseline snapshot."""

    id: int
    status: str
    captured_at: dt.datetime
    evidence_at: dt.datetime | None
    captured_anyway: bool
    item_count: int
    policy_types: list[str]
    operation_run_id: int | None
    source_environment_id: int | None

    @staticmethod
    def resolve_source_environment_id(obj: BaselineSnapshot) -> int | None:
        return obj.environment_id if getattr(obj, "source_visible", False) else None


class SnapshotItemOut(Schema):
    """One captured baseline subject (its normalized payload is not listed)."""

    id: int
    policy_type: str
    subject_class: str
    canonical_subject_key: str
    display_label: str
    content_hash: str


class SnapshotItemFilters(PageParams):
    """``type``: one governed policy type; ``search``: in the label or the subject key."""

    type: str = Field("", max_length=64)
    search: str = Field("", max_length=200)


class AssignmentOut(Schema):
    """The profile is assigned to this environment."""

    environment_id: int
    created_at: dt.datetime


class AssignIn(Schema):
    """The environment to assign the profile to."""

    environment_id: int = Field(ge=1, le=2_147_483_647)


class CaptureIn(Schema):
    """Capture from ``source_environment_id``'s inventory; ``force`` accepts stale evidence (with a note)."""

    source_environment_id: int = Field(ge=1, le=2_147_483_647)
    force: bool = False
    note: str = Field("", max_length=2000)


class ResultOut(Schema):
    """The latest compare result of a profile against an environment."""

    id: int
    snapshot_id: int
    operation_run_id: int | None
    evidence_at: dt.datetime | None
    evidence_stale: bool
    incomplete_types: list[str]
    counts: dict[str, int]
    created_at: dt.datetime


class ExportOut(Schema):
    """The compare result as the console's JSON export: its header, the columns and the rows."""

    result: dict[str, Any]
    columns: list[str]
    rows: list[dict[str, Any]]


_P = "/w/{workspace}/baselines"
_ONE = _P + "/{profile_id}"
_PAIR = _ONE + "/environments/{environment_id}"


def _profile(request: HttpRequest, workspace: str, profile_id: int, capability: Capability) -> Any:
    scope = scope_for(request, workspace)
    profile = selectors.profile_get(scope=scope, profile_id=profile_id)
    scope.require(capability)
    return scope, profile


@router.get(_P, response={200: Page[ProfileOut], **ERRORS}, url_name="baseline-profile-list")
def profile_list(
    request: HttpRequest, workspace: str, paging: Query[PageParams], include_archived: bool = False
) -> Any:
    scope = scope_for(request, workspace)
    rows = selectors.profile_list(scope=scope, include_archived=include_archived).order_by("name", "pk")
    return paginate(rows, paging)


@router.post(_P, response={201: ProfileOut, **ERRORS}, url_name="baseline-profile-create")
def profile_create(request: HttpRequest, workspace: str, payload: ProfileCreateIn) -> Any:
    scope = scope_for(request, workspace)
    scope.require(Capability.BASELINES_MANAGE)
    profile = services.profile_create(
        actor=actor(request),
        workspace=scope.workspace,
        name=payload.name,
        description=payload.description,
        policy_types=payload.policy_types,
    )
    return Status(201, profile)


@router.get(_ONE, response={200: ProfileOut, **ERRORS}, url_name="baseline-profile")
def profile_get(request: HttpRequest, workspace: str, profile_id: Id) -> BaselineProfile:
    return _profile(request, workspace, profile_id, Capability.BASELINES_VIEW)[1]


@router.patch(_ONE, response={200: ProfileOut, **ERRORS}, url_name="baseline-profile-update")
def profile_update(request: HttpRequest, workspace: str, profile_id: Id, payload: ProfileUpdateIn) -> Any:
    """Change the profile (409 when archived); captured snapshots keep what they captured."""
    _, profile = _profile(request, workspace, profile_id, Capability.BASELINES_MANAGE)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return services.profile_update(actor=actor(request), profile=profile, **changes)


@router.post(_ONE + "/archive", response={200: ProfileOut, **ERRORS}, url_name="baseline-profile-archive")
def profile_archive(request: HttpRequest, workspace: str, profile_id: Id) -> Any:
    """Archive the profile (idempotent): its snapshots and results stay readable, no new capture or compare."""
    _, profile = _profile(request, workspace, profile_id, Capability.BASELINES_MANAGE)
    return services.profile_archive(actor=actor(request), profile=profile)


@router.get(_ONE + "/snapshots", response={200: Page[SnapshotOut], **ERRORS}, url_name="baseline-snapshots")
def snapshot_list(request: HttpRequest, workspace: str, profile_id: Id, paging: Query[PageParams]) -> Any:
    scope, profile = _profile(request, workspace, profile_id, Capability.BASELINES_VIEW)
    return paginate(selectors.snapshot_list(scope=scope, profile=profile), paging)


@router.get(_ONE + "/snapshots/{snapshot_id}", response={200: SnapshotOut, **ERRORS}, url_name="baseline-snapshot")
def snapshot_get(request: HttpRequest, workspace: str, profile_id: Id, snapshot_id: Id) -> Any:
    """One snapshot's evidence (its source named only to members who may see it)."""
    scope, profile = _profile(request, workspace, profile_id, Capability.BASELINES_VIEW)
    return selectors.snapshot_get(scope=scope, profile=profile, snapshot_id=snapshot_id)


@router.get(
    _ONE + "/snapshots/{snapshot_id}/items",
    response={200: Page[SnapshotItemOut], **ERRORS},
    url_name="baseline-snapshot-items",
)
def snapshot_item_list(
    request: HttpRequest, workspace: str, profile_id: Id, snapshot_id: Id, filters: Query[SnapshotItemFilters]
) -> Any:
    """The snapshot's subjects by type and label (an unknown ``type`` is a field error)."""
    scope, profile = _profile(request, workspace, profile_id, Capability.BASELINES_VIEW)
    snapshot = selectors.snapshot_get(scope=scope, profile=profile, snapshot_id=snapshot_id)
    rows = selectors.snapshot_items(scope=scope, snapshot=snapshot, policy_type=filters.type, search=filters.search)
    return paginate(rows, filters)


@router.get(_ONE + "/assignments", response={200: Page[AssignmentOut], **ERRORS}, url_name="baseline-assignments")
def assignment_list(request: HttpRequest, workspace: str, profile_id: Id, paging: Query[PageParams]) -> Any:
    """The profile's assignments to environments the caller may see."""
    scope, profile = _profile(request, workspace, profile_id, Capability.BASELINES_VIEW)
    return paginate(selectors.assignment_list(scope=scope, profile=profile), paging)


@router.post(_ONE + "/assignments", response={201: AssignmentOut, **ERRORS}, url_name="baseline-assign")
def assignment_create(request: HttpRequest, workspace: str, profile_id: Id, payload: AssignIn) -> Any:
    scope, profile = _profile(request, workspace, profile_id, Capability.BASELINES_MANAGE)
    environment = scope.environment(payload.environment_id)
    return Status(201, services.profile_assign(actor=actor(request), profile=profile, environment=environment))


@router.delete(_ONE + "/assignments/{environment_id}", response={204: None, **ERRORS}, url_name="baseline-unassign")
def assignment_delete(request: HttpRequest, workspace: str, profile_id: Id, environment_id: Id) -> Any:
    """Remove the profile's assignment to the environment (404 when not assigned); results stay readable."""
    scope = scope_for(request, workspace)
    environment = scope.environment(environment_id)
    profile = selectors.profile_get(scope=scope, profile_id=profile_id)
    scope.require(Capability.BASELINES_MANAGE)
    if not selectors.assigned_environment(scope=scope, profile=profile, environment=environment):
        raise NotFound()
    services.profile_unassign(actor=actor(request), profile=profile, environment=environment)
    return Status(204, None)


@router.post(_ONE + "/capture", response=START_RESPONSES, url_name="baseline-capture")
def capture(request: HttpRequest, workspace: str, profile_id: Id, payload: CaptureIn) -> Any:
    """Start a capture: 202 new run, 200 the same capture already active, 409 scope busy."""
    scope, profile = _profile(request, workspace, profile_id, Capability.BASELINES_MANAGE)
    environment = scope.environment(payload.source_environment_id)
    return start_answer(
        request,
        lambda: services.baseline_capture_start(
            actor=actor(request),
            profile=profile,
            source_environment=environment,
            force=payload.force,
            note=payload.note,
        ),
    )


@router.post(_PAIR + "/compare", response=START_RESPONSES, url_name="baseline-compare")
def compare(request: HttpRequest, workspace: str, profile_id: Id, environment_id: Id) -> Any:
    """Start a compare of the latest snapshot against the environment (202 / 200 / 409)."""
    scope = scope_for(request, workspace)
    environment = scope.environment(environment_id)
    profile = selectors.profile_get(scope=scope, profile_id=profile_id)
    scope.require(Capability.PROVIDER_RUN)
    return start_answer(
        request, lambda: services.baseline_compare_start(actor=actor(request), profile=profile, environment=environment)
    )


def _result(
    request: HttpRequest, workspace: str, profile_id: int, environment_id: int, result_id: int | None = None
) -> Any:
    """The latest result of the pair, or ``result_id`` of this pair (a result of another pair,
    environment or workspace is 404, as is a pair never compared)."""
    scope = scope_for(request, workspace)
    environment = scope.environment(environment_id)
    profile = selectors.profile_get(scope=scope, profile_id=profile_id)
    result = selectors.result_get(scope=scope, profile=profile, environment=environment, result_id=result_id)
    if result is None:
        raise NotFound()
    return result


_RESULT_ID = Query(None, description="An older result of this pair (see ``…/results``); default: the latest.")


@router.get(_PAIR, response={200: ResultOut, **ERRORS}, url_name="baseline-result")
def result_get(
    request: HttpRequest, workspace: str, profile_id: Id, environment_id: Id, result: Id | None = _RESULT_ID
) -> Any:
    """The latest (or ``?result=``) compare result of the pair (404 when never compared)."""
    return _result(request, workspace, profile_id, environment_id, result)


@router.get(_PAIR + "/export", response={200: ExportOut, **ERRORS}, url_name="baseline-export")
def result_export(
    request: HttpRequest, workspace: str, profile_id: Id, environment_id: Id, result: Id | None = _RESULT_ID
) -> Any:
    """The latest (or ``?result=``) compare result as a JSON document (``export.csv``: the same rows as CSV)."""
    return json.loads(exports.export_json(_result(request, workspace, profile_id, environment_id, result)))


_CSV_RESPONSE = {
    "200": {
        "description": "The compare result's rows as CSV (the console's export columns, a header row).",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


@router.get(
    _PAIR + "/export.csv",
    response={**ERRORS},
    url_name="baseline-export-csv",
    openapi_extra={"responses": _CSV_RESPONSE},
)
def result_export_csv(
    request: HttpRequest, workspace: str, profile_id: Id, environment_id: Id, result: Id | None = _RESULT_ID
) -> HttpResponse:
    """The latest (or ``?result=``) compare result as CSV (``text/csv``), as the console's download."""
    found = _result(request, workspace, profile_id, environment_id, result)
    response = HttpResponse(exports.export_csv(found), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="compare-{profile_id}-{environment_id}-{found.pk}.csv"'
    return response
