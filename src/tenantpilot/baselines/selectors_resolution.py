"""Reads of the drift resolution loop: one compare row in its environment, what may be done with it,
the resources an operator may pick for it, and the workspace's overdue reviews.

Every read is scoped: the workspace comes from the caller's :class:`Scope`, the environment is
one the member may see (``visible_to``), and a row of another environment is ``NotFound`` — the
same answer as a row that does not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from tenantpilot.core.errors import NotFound
from tenantpilot.inventory.models import InventoryItem
from tenantpilot.resources.choices import BindingStatus, ResolutionMode
from tenantpilot.resources.models import ProviderResourceBinding
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.models import ManagedEnvironment

from . import policies
from .choices import CompareOutcome
from .models import BaselineCompareItem, BaselineCompareResult, BindingReview

#: The actions of the resolution page.
BIND = "bind"
MISSING_EXPECTED = "missing_expected"
EXCLUDE = "exclude"
ACCEPT = "accept"
SUPERSEDE = "supersede"
REVOKE = "revoke"

#: Decisions an operator may supersede an active binding with, from a compare row.
SUPERSEDE_MODES = (
    ResolutionMode.ACCEPTED_LIMITATION,
    ResolutionMode.MANUAL_BINDING,
    ResolutionMode.MISSING_EXPECTED,
    ResolutionMode.EXCLUDED_NON_GOVERNED,
)

_SHA256_LENGTH = 64


@dataclass(frozen=True)
class ResolutionState:
    """What the resolution page knows about one compare row.

    ``active_binding`` is the decision in force for the row's canonical subject key *now* (it may
    be newer than the compare); ``is_latest`` says whether the row belongs to the newest result of
    its (profile, environment) — only those rows can be acted on, so nobody decides on stale
    evidence. ``actions`` is the set of actions that make sense for the outcome.
    """

    item: BaselineCompareItem
    result: BaselineCompareResult
    active_binding: ProviderResourceBinding | None
    is_latest: bool
    actions: frozenset[str]
    supersede_modes: tuple[ResolutionMode, ...]

    @property
    def decided_by_binding(self) -> bool:
        return self.active_binding is not None


def _pk(raw: object) -> int:
    text = str(raw)
    if not text.isdigit():
        raise NotFound()
    return int(text)


def resolution_item_get(*, scope: Scope, environment: ManagedEnvironment, item_id: object) -> BaselineCompareItem:
    """The compare row ``item_id`` of a result of ``environment`` in the scope's workspace, else ``NotFound``.

    Needs ``baselines.view`` and an environment the member may see.
    """
    scope.require(policies.VIEW_BASELINES)
    scope.require_visible(environment)
    item = (
        BaselineCompareItem.objects.select_related("result", "result__profile", "result__snapshot", "snapshot_item")
        .filter(
            pk=_pk(item_id),
            result__environment=environment,
            result__workspace=scope.workspace,
        )
        .first()
    )
    if item is None:
        raise NotFound()
    return item


def active_binding_of(item: BaselineCompareItem, environment: ManagedEnvironment) -> ProviderResourceBinding | None:
    """The decision in force now for the row's canonical subject key in ``environment`` (system read)."""
    return (
        ProviderResourceBinding.objects.active()
        .filter(
            workspace_id=environment.workspace_id,
            environment=environment,
            canonical_subject_key=item.canonical_subject_key,
        )
        .order_by("-pk")
        .first()
    )


def is_latest_result(result: BaselineCompareResult) -> bool:
    """Whether ``result`` is the newest compare of its profile in its environment."""
    latest = (
        BaselineCompareResult.objects.filter(profile_id=result.profile_id, environment_id=result.environment_id)
        .order_by("-created_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return latest == result.pk


def supersede_modes_for(item: BaselineCompareItem) -> tuple[ResolutionMode, ...]:
    """The decisions that may replace an active binding of this row.

    Accepting needs the target's content hash; marking missing-expected needs a baseline subject.
    """
    modes = []
    for mode in SUPERSEDE_MODES:
        if mode is ResolutionMode.ACCEPTED_LIMITATION and not (
            item.target_item_id and len(item.target_content_hash or "") == _SHA256_LENGTH
        ):
            continue
        if mode is ResolutionMode.MISSING_EXPECTED and item.snapshot_item_id is None:
            continue
        modes.append(mode)
    return tuple(modes)


def actions_for(item: BaselineCompareItem, active: ProviderResourceBinding | None) -> frozenset[str]:
    """The actions that make sense for the row's outcome (see the module docstring of the views).

    With a decision in force for the subject, the only actions are superseding or revoking it;
    without one: ``ambiguous_match`` → bind a candidate; ``missing`` → mark missing-expected or
    bind a resource under another name; ``unexpected`` → exclude; ``drift`` → accept.
    """
    if active is not None:
        return frozenset({SUPERSEDE, REVOKE})
    outcome = item.outcome
    if outcome == CompareOutcome.AMBIGUOUS_MATCH and item.candidates:
        return frozenset({BIND})
    if outcome == CompareOutcome.MISSING and item.snapshot_item_id is not None:
        return frozenset({BIND, MISSING_EXPECTED})
    if outcome == CompareOutcome.UNEXPECTED and item.target_item_id is not None:
        return frozenset({EXCLUDE})
    if (
        outcome == CompareOutcome.DRIFT
        and item.target_item_id is not None
        and len(item.target_content_hash or "") == _SHA256_LENGTH
    ):
        return frozenset({ACCEPT})
    return frozenset()


def resolution_state(*, item: BaselineCompareItem, environment: ManagedEnvironment) -> ResolutionState:
    """The row, its current decision and the actions open on it (none unless it is the latest result)."""
    active = active_binding_of(item, environment)
    latest = is_latest_result(item.result)
    return ResolutionState(
        item=item,
        result=item.result,
        active_binding=active,
        is_latest=latest,
        actions=actions_for(item, active) if latest else frozenset(),
        supersede_modes=supersede_modes_for(item) if latest and active is not None else (),
    )


def pickable_resources(
    *, scope: Scope, environment: ManagedEnvironment, policy_type: str, query: str = ""
) -> QuerySet[InventoryItem]:
    """Present inventory items of ``policy_type`` in ``environment`` to bind a subject to (searchable)."""
    scope.require(policies.VIEW_BASELINES)
    scope.require_visible(environment)
    qs = InventoryItem.objects.present().filter(
        workspace=scope.workspace, environment=environment, policy_type=policy_type
    )
    query = (query or "").strip()
    if query:
        qs = qs.filter(Q(display_name__icontains=query) | Q(provider_object_id__icontains=query))
    return qs.order_by("display_name", "provider_object_id", "pk")


@dataclass(frozen=True)
class OverdueReview:
    """One accepted limitation or exclusion whose review-by date has passed."""

    review: BindingReview
    binding: ProviderResourceBinding
    environment: ManagedEnvironment
    days_overdue: int


def overdue_reviews(*, scope: Scope, today: dt.date) -> list[OverdueReview]:
    """Active accepted limitations and exclusions of visible environments due before ``today``.

    Oldest first. Environments the member may not see are left out (``visible_to``); the binding's
    status stays the single truth (a review of a revoked or superseded binding is never listed).
    """
    scope.require(policies.VIEW_BASELINES)
    visible = ManagedEnvironment.objects.visible_to(scope)
    rows: Any = (
        BindingReview.objects.filter(
            workspace=scope.workspace,
            environment__in=visible,
            review_by__lt=today,
            binding__binding_status=BindingStatus.ACTIVE,
            binding__resolution_mode__in=[
                ResolutionMode.ACCEPTED_LIMITATION.value,
                ResolutionMode.EXCLUDED_NON_GOVERNED.value,
            ],
        )
        .select_related("binding", "environment")
        .order_by("review_by", "pk")
    )
    return [
        OverdueReview(
            review=row, binding=row.binding, environment=row.environment, days_overdue=(today - row.review_by).days
        )
        for row in rows
    ]
