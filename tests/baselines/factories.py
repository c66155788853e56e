"""Test rows for baselines, inventory items and operation runs (tests may build rows directly).

Shared by ``tests/baselines`` and the binding tests in ``tests/resources``.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from django.utils import timezone

from tenantpilot.baselines.models import BaselineAssignment, BaselineProfile, BaselineSnapshot
from tenantpilot.core.fingerprint import payload_fingerprint
from tenantpilot.inventory.models import InventoryItem, PolicyVersion
from tenantpilot.operations.models import OperationRun, scope_key_for

_seq = itertools.count(1)


def profile(workspace: Any, name: str | None = None) -> BaselineProfile:
    return BaselineProfile.objects.create(workspace=workspace, name=name or f"Profile {next(_seq)}")


def snapshot(profile_: BaselineProfile, golden: Any = None) -> BaselineSnapshot:
    return BaselineSnapshot.objects.create(
        workspace_id=profile_.workspace_id, profile=profile_, environment=golden, captured_at=timezone.now()
    )


def assign(profile_: BaselineProfile, environment: Any) -> BaselineAssignment:
    return BaselineAssignment.objects.create(
        workspace_id=profile_.workspace_id, profile=profile_, environment=environment
    )


def assigned_snapshot(environment: Any) -> BaselineSnapshot:
    """A snapshot of a new profile that is assigned to ``environment``."""
    p = profile(environment.workspace)
    assign(p, environment)
    return snapshot(p)


def completed_run(environment: Any) -> OperationRun:
    """A finished operation run in ``environment`` (built directly; only its scope matters here)."""
    now = timezone.now()
    return OperationRun.objects.create(
        workspace_id=environment.workspace_id,
        environment=environment,
        type="inventory.sync",
        scope_key=f"{scope_key_for(workspace_id=environment.workspace_id, environment_id=environment.pk)}:{uuid.uuid4().hex}",
        status="completed",
        outcome="succeeded",
        initiator_label="system",
        started_at=now,
        finished_at=now,
    )


def graph_policy(display_name: str = "Windows baseline", object_id: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
        "id": object_id or str(uuid.uuid4()),
        "displayName": display_name,
        "version": 1,
        **extra,
    }


def inventory_item(
    environment: Any,
    payload: dict[str, Any] | None = None,
    *,
    policy_type: str = "deviceConfigurations",
    gone: bool = False,
) -> InventoryItem:
    """An inventory item with one policy version holding ``payload`` as Graph returned it."""
    payload = payload or graph_policy()
    now = timezone.now()
    digest = payload_fingerprint(payload)
    item = InventoryItem.objects.create(
        workspace_id=environment.workspace_id,
        environment=environment,
        policy_type=policy_type,
        provider_object_id=payload["id"],
        odata_type=payload.get("@odata.type", ""),
        display_name=payload.get("displayName") or payload.get("name") or "",
        payload_hash=digest,
        first_seen_at=now,
        last_seen_at=now,
        gone_at=now if gone else None,
    )
    version = PolicyVersion.objects.create(
        workspace_id=environment.workspace_id,
        environment=environment,
        item=item,
        version_number=1,
        payload=payload,
        normalized=payload,
        payload_hash=digest,
        captured_at=now,
    )
    item.current_version = version
    item.save(update_fields=["current_version"])
    return item
