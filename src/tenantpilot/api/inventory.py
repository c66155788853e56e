"""Inventory items and their policy versions (read, and the diff of two versions), compliance
snapshots (read), and the two start routes of an environment: inventory sync and compliance
snapshot. Version content is the normalized payload with script bodies redacted, as the console shows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from tenantpilot.authz.capabilities import Capability
from tenantpilot.core.errors import NotFound
from tenantpilot.inventory import selectors, services
from tenantpilot.inventory.models import InventoryItem, PolicyVersion

from .auth import actor, scope_for
from .ids import Id
from .pagination import PageParams, paginate
from .runs import START_RESPONSES, start_answer
from .schemas import ERRORS, Page

router = Router(tags=["inventory"])


class ItemOut(Schema):
    """An inventory item: one Intune object as last seen."""

    id: int
    policy_type: str
    provider_object_id: str
    odata_type: str
    display_name: str
    metadata: dict[str, Any]
    last_seen_at: dt.datetime
    gone_at: dt.datetime | None
    current_version: int | None

    @staticmethod
    def resolve_current_version(obj: InventoryItem) -> int | None:
        return obj.current_version.version_number if obj.current_version is not None else None


class VersionOut(Schema):
    """A captured version of an item (without its content)."""

    version_number: int
    payload_hash: str
    captured_at: dt.datetime
    operation_run_id: int | None


class VersionContentOut(VersionOut):
    """A version with its normalized content (script bodies redacted)."""

    normalized: Any

    @staticmethod
    def resolve_normalized(obj: PolicyVersion) -> Any:
        return selectors.redact_scripts(obj.normalized)


class DiffOut(Schema):
    """A unified diff of two versions' normalized, pretty-printed JSON."""

    from_version: int
    to_version: int
    identical: bool
    lines: list[str]


class ComplianceOut(Schema):
    """A compliance snapshot: device counts by state."""

    id: int
    captured_at: dt.datetime
    device_total: int
    compliant_count: int
    noncompliant_count: int
    unknown_count: int
    in_grace_period_count: int
    error_count: int
    conflict_count: int
    not_applicable_count: int


_ENV = "/w/{workspace}/environments/{environment_id}"


def _item(request: HttpRequest, workspace: str, environment_id: int, item_id: int) -> InventoryItem:
    scope = scope_for(request, workspace)
    environment = scope.environment(environment_id)
    return selectors.inventory_item_get(scope=scope, environment=environment, item_id=item_id)


# The start routes come before ``inventory/{item_id}`` so that path never swallows ``sync``.
@router.post(_ENV + "/inventory/sync", response=START_RESPONSES, url_name="inventory-sync")
def inventory_sync(request: HttpRequest, workspace: str, environment_id: Id) -> Any:
    """Start an inventory sync: 202 new run, 200 already active, 409 scope busy."""
    scope = scope_for(request, workspace)
    environment = scope.environment(environment_id)
    scope.require(Capability.PROVIDER_RUN)
    return start_answer(request, lambda: services.inventory_sync_start(actor=actor(request), environment=environment))


@router.post(_ENV + "/compliance/snapshot", response=START_RESPONSES, url_name="compliance-snapshot")
def compliance_snapshot(request: HttpRequest, workspace: str, environment_id: Id) -> Any:
    """Start a compliance snapshot: 202 new run, 200 already active, 409 scope busy."""
    scope = scope_for(request, workspace)
    environment = scope.environment(environment_id)
    scope.require(Capability.PROVIDER_RUN)
    return start_answer(
        request, lambda: services.compliance_snapshot_start(actor=actor(request), environment=environment)
    )


@router.get(_ENV + "/inventory", response={200: Page[ItemOut], **ERRORS}, url_name="inventory-list")
def inventory_list(
    request: HttpRequest,
    workspace: str,
    environment_id: Id,
    paging: Query[PageParams],
    policy_type: str = Query("", max_length=64),
    search: str = Query("", max_length=200),
    include_gone: bool = False,
) -> Any:
    """The environment's items by type and name; ``search`` matches a name or a provider object id."""
    scope = scope_for(request, workspace)
    environment = scope.environment(environment_id)
    rows = selectors.inventory_list(
        scope=scope, environment=environment, policy_type=policy_type, search=search.strip(), include_gone=include_gone
    )
    return paginate(rows, paging)


@router.get(_ENV + "/inventory/{item_id}", response={200: ItemOut, **ERRORS}, url_name="inventory-item")
def inventory_item(request: HttpRequest, workspace: str, environment_id: Id, item_id: Id) -> InventoryItem:
    return _item(request, workspace, environment_id, item_id)


@router.get(
    _ENV + "/inventory/{item_id}/versions", response={200: Page[VersionOut], **ERRORS}, url_name="inventory-versions"
)
def inventory_versions(
    request: HttpRequest, workspace: str, environment_id: Id, item_id: Id, paging: Query[PageParams]
) -> Any:
    """The item's versions, newest first."""
    item = _item(request, workspace, environment_id, item_id)
    return paginate(selectors.version_list(item=item), paging)


@router.get(
    _ENV + "/inventory/{item_id}/versions/{version_number}",
    response={200: VersionContentOut, **ERRORS},
    url_name="inventory-version",
)
def inventory_version(
    request: HttpRequest, workspace: str, environment_id: Id, item_id: Id, version_number: Id
) -> PolicyVersion:
    item = _item(request, workspace, environment_id, item_id)
    version = PolicyVersion.objects.filter(item=item, version_number=version_number).first()
    if version is None:
        raise NotFound()
    return version


@router.get(_ENV + "/inventory/{item_id}/diff", response={200: DiffOut, **ERRORS}, url_name="inventory-diff")
def inventory_diff(
    request: HttpRequest,
    workspace: str,
    environment_id: Id,
    item_id: Id,
    from_version: int = Query(..., alias="from", ge=1, le=2_147_483_647),
    to_version: int = Query(..., alias="to", ge=1, le=2_147_483_647),
) -> dict[str, Any]:
    """The diff from version ``from`` to version ``to`` (404 when either does not exist)."""
    item = _item(request, workspace, environment_id, item_id)
    diff = selectors.version_diff(item=item, old_number=from_version, new_number=to_version)
    return {
        "from_version": from_version,
        "to_version": to_version,
        "identical": diff.identical,
        "lines": [text for _css, text in diff.lines],
    }


@router.get(_ENV + "/compliance", response={200: Page[ComplianceOut], **ERRORS}, url_name="compliance-list")
def compliance_list(request: HttpRequest, workspace: str, environment_id: Id, paging: Query[PageParams]) -> Any:
    """The environment's compliance snapshots, newest first, a page at a time."""
    scope = scope_for(request, workspace)
    environment = scope.environment(environment_id)
    return paginate(selectors.compliance_snapshots(scope=scope, environment=environment), paging)
