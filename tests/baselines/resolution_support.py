"""A compare result built directly (no simulator) with one row per outcome the resolution loop acts on.

Fast enough to build anew for every request of the authorization matrix. The result is the
latest of its (profile, environment); the inventory items are real rows with payloads, so the
binding services can describe them through the provider adapter.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from tenantpilot.baselines.models import (
    BaselineCompareItem,
    BaselineCompareResult,
    BaselineSnapshotItem,
)
from tenantpilot.inventory.models import InventoryItem
from tenantpilot.resources.selectors import inventory_item_descriptor
from tests.baselines import factories as f

HASH_A = "a" * 64
HASH_B = "b" * 64


@dataclass
class Scenario:
    environment: Any
    profile: Any
    snapshot: Any
    result: BaselineCompareResult
    ambiguous: BaselineCompareItem
    missing: BaselineCompareItem
    drift: BaselineCompareItem
    unexpected: BaselineCompareItem
    candidates: list[InventoryItem]
    other: InventoryItem  # a resource under another name, for binding the missing subject


def _key_like(item: InventoryItem) -> str:
    """A baseline subject key of the same type as ``item`` (the golden tenant's own object id)."""
    key = str(inventory_item_descriptor(item).canonical_key)
    return key.replace(item.provider_object_id, str(uuid.uuid4()))


def _subject(snapshot: Any, like: InventoryItem, label: str) -> BaselineSnapshotItem:
    descriptor = inventory_item_descriptor(like)
    key = _key_like(like)
    return BaselineSnapshotItem.objects.create(
        workspace_id=snapshot.workspace_id,
        snapshot=snapshot,
        policy_type=like.policy_type,
        subject_class=descriptor.subject_class.value,
        canonical_subject_key=key,
        match_key=label.casefold(),
        source_object_id=key.rsplit(":", 1)[-1],
        display_label=label,
        normalized={"displayName": label, "passwordMinimumLength": 12},
        content_hash=HASH_A,
    )


def _row(result: BaselineCompareResult, subject: BaselineSnapshotItem | None, **fields: Any) -> BaselineCompareItem:
    return BaselineCompareItem.objects.create(
        result=result,
        policy_type=subject.policy_type if subject else fields.pop("policy_type"),
        canonical_subject_key=subject.canonical_subject_key if subject else fields.pop("canonical_subject_key"),
        snapshot_item=subject,
        baseline_label=subject.display_label if subject else "",
        **fields,
    )


def build_scenario(environment: Any, *, label: str = "") -> Scenario:
    """A profile assigned to ``environment`` and its latest compare with ambiguous, missing, drift, unexpected rows."""
    tag = label or uuid.uuid4().hex[:6]
    profile = f.profile(environment.workspace, name=f"Resolution {tag}")
    f.assign(profile, environment)
    snapshot = f.snapshot(profile)
    same_name = f"WIN - Twin {tag}"
    candidates = [f.inventory_item(environment, f.graph_policy(same_name)) for _ in range(2)]
    other = f.inventory_item(environment, f.graph_policy(f"Renamed restrictions {tag}"))
    drifted = f.inventory_item(environment, f.graph_policy(f"WIN - Drifted {tag}"))
    extra = f.inventory_item(environment, f.graph_policy(f"Legacy kiosk {tag}"))
    now = timezone.now()
    result = BaselineCompareResult.objects.create(
        workspace_id=environment.workspace_id,
        environment=environment,
        profile=profile,
        snapshot=snapshot,
        evidence_at=now,
        counts={"ambiguous_match": 1, "missing": 1, "drift": 1, "unexpected": 1},
        created_at=now,
    )
    ambiguous = _row(
        result,
        _subject(snapshot, candidates[0], same_name),
        outcome="ambiguous_match",
        reason="several_candidates",
        candidates=[{"item_id": c.pk, "object_id": c.provider_object_id, "label": c.display_name} for c in candidates],
    )
    missing = _row(
        result, _subject(snapshot, other, f"WIN - Restrictions {tag}"), outcome="missing", reason="no_candidate"
    )
    drift = _row(
        result,
        _subject(snapshot, drifted, drifted.display_name),
        outcome="drift",
        reason="subject_key",
        target_item=drifted,
        target_object_id=drifted.provider_object_id,
        target_label=drifted.display_name,
        target_content_hash=HASH_B,
        changes=[{"path": "passwordMinimumLength", "baseline": 12, "target": 8}],
    )
    unexpected = _row(
        result,
        None,
        policy_type=extra.policy_type,
        canonical_subject_key=str(inventory_item_descriptor(extra).canonical_key),
        outcome="unexpected",
        reason="not_in_baseline",
        target_item=extra,
        target_object_id=extra.provider_object_id,
        target_label=extra.display_name,
        target_content_hash=HASH_A,
    )
    return Scenario(environment, profile, snapshot, result, ambiguous, missing, drift, unexpected, candidates, other)
