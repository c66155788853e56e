"""Writes of the drift resolution loop: an operator's decision about one compare row.

Thin orchestration over the binding services (``tenantpilot.resources.services``), which write
and audit each binding in its own transaction. Every function here:

- authorizes ``baselines.manage`` on the environment first (not visible → ``NotFound``, no
  capability → ``Forbidden``);
- requires the compare row to belong to a result of *that* environment and workspace
  (``NotFound`` otherwise — a row of another environment looks missing), to be a row of the
  environment's latest result for its profile, and the action to make sense for the row's
  outcome (``ValidationFailed`` naming ``action``);
- validates the picked resource against the environment's present inventory (``ValidationFailed``
  naming ``inventory_item``) before anything is written;
- writes the binding (and an optional review-by date) in one transaction, so a refused review
  date leaves no binding behind.

Bindings are keyed by the row's canonical subject key: the baseline subject's key for subject
rows, the resource's own key for ``unexpected`` rows. Each binding names the compare's snapshot
as its source. An accepted limitation always stores the target's content hash from the compare
as its accepted fingerprint (reason ``accepted_content``), so a later compare shows drift again,
"changed since accepted", when the target changes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from tenantpilot.core.errors import NotFound, ValidationFailed
from tenantpilot.inventory.models import InventoryItem
from tenantpilot.resources import services as binding_services
from tenantpilot.resources.choices import ResolutionMode
from tenantpilot.resources.descriptors import ProviderResourceDescriptor
from tenantpilot.resources.models import ProviderResourceBinding
from tenantpilot.resources.selectors import inventory_item_descriptor
from tenantpilot.tenancy.authority import authorize
from tenantpilot.tenancy.models import ManagedEnvironment

from . import policies
from . import selectors_resolution as rsel
from .models import BaselineCompareItem
from .services import REVIEWABLE_MODES, binding_review_set

_ACTION_WORDS = {
    rsel.BIND: "binding to a resource",
    rsel.MISSING_EXPECTED: "marking as missing (expected)",
    rsel.EXCLUDE: "excluding",
    rsel.ACCEPT: "accepting as a limitation",
    rsel.SUPERSEDE: "superseding the decision",
    rsel.REVOKE: "revoking the decision",
}


def _check(
    actor: Any, environment: ManagedEnvironment, compare_item: BaselineCompareItem, action: str
) -> rsel.ResolutionState:
    """Authorize, tie the row to the environment, and check that ``action`` is open on it."""
    authorize(actor, policies.MANAGE_BASELINES, environment)
    result = compare_item.result
    if result.environment_id != environment.pk or result.workspace_id != environment.workspace_id:
        raise NotFound()
    state = rsel.resolution_state(item=compare_item, environment=environment)
    if not state.is_latest:
        raise ValidationFailed(
            "This row is from an earlier compare. Open the latest result and decide there.", field="action"
        )
    if action not in state.actions:
        raise ValidationFailed(
            f"{_ACTION_WORDS[action].capitalize()} does not apply to this row "
            f"({compare_item.get_outcome_display().lower()}"
            + (", already decided by an active binding" if state.active_binding is not None else "")
            + ").",
            field="action",
        )
    return state


def _item_id(raw: object) -> int:
    if isinstance(raw, bool) or raw in (None, ""):
        raise ValidationFailed("Pick a provider resource.", field="inventory_item")
    text = str(raw)
    if not text.isdigit():
        raise ValidationFailed("Pick a provider resource from the list.", field="inventory_item")
    return int(text)


def _descriptor(environment: ManagedEnvironment, item_id: int, policy_type: str) -> ProviderResourceDescriptor:
    """The descriptor of a present inventory item of ``policy_type`` in ``environment`` (field error otherwise)."""
    item = (
        InventoryItem.objects.present()
        .select_related("current_version")
        .filter(workspace_id=environment.workspace_id, environment=environment, pk=item_id, policy_type=policy_type)
        .first()
    )
    if item is None:
        raise ValidationFailed(
            f"Pick a present {policy_type} resource of this environment's inventory.", field="inventory_item"
        )
    return inventory_item_descriptor(item)


def _target_descriptor(
    environment: ManagedEnvironment, compare_item: BaselineCompareItem
) -> ProviderResourceDescriptor:
    if compare_item.target_item_id is None:
        raise ValidationFailed("This row names no resource of the environment.", field="inventory_item")
    try:
        return _descriptor(environment, compare_item.target_item_id, compare_item.policy_type)
    except ValidationFailed:
        raise ValidationFailed(
            "The resource of this row is no longer in the inventory. Sync and compare again.", field="inventory_item"
        ) from None


def _check_review_by(review_by: dt.date | None, mode: ResolutionMode | str) -> None:
    if review_by is None:
        return
    if str(mode) not in REVIEWABLE_MODES:
        raise ValidationFailed("Only accepted limitations and exclusions carry a review date.", field="review_by")
    if not isinstance(review_by, dt.date) or isinstance(review_by, dt.datetime):
        raise ValidationFailed("Enter the review date as a date.", field="review_by")
    if review_by < timezone.localdate():
        raise ValidationFailed("The review date must be today or later.", field="review_by")


def _sources(compare_item: BaselineCompareItem) -> dict[str, Any]:
    return {"source_baseline_snapshot_id": compare_item.result.snapshot_id}


def _with_review(binding: ProviderResourceBinding, actor: Any, review_by: dt.date | None) -> ProviderResourceBinding:
    if review_by is not None:
        binding_review_set(actor=actor, binding=binding, review_by=review_by)
    return binding


def resolve_bind_candidate(
    *,
    actor: Any,
    environment: ManagedEnvironment,
    compare_item: BaselineCompareItem,
    inventory_item_id: object,
    note: str,
) -> ProviderResourceBinding:
    """From an ``ambiguous_match``: bind the subject's canonical key to one of the listed candidates.

    The pick must be one of the row's candidates; the binding is a ``manual_binding``.
    """
    _check(actor, environment, compare_item, rsel.BIND)
    if compare_item.outcome != "ambiguous_match":
        raise ValidationFailed("Binding a candidate applies to an ambiguous match.", field="action")
    picked = _item_id(inventory_item_id)
    listed = {c.get("item_id") for c in compare_item.candidates or [] if isinstance(c, dict)}
    if picked not in listed:
        raise ValidationFailed("Pick one of the listed candidates.", field="inventory_item")
    descriptor = _descriptor(environment, picked, compare_item.policy_type)
    return binding_services.binding_create_manual(
        actor=actor,
        environment=environment,
        descriptor=descriptor,
        note=note,
        canonical_subject_key=compare_item.canonical_subject_key,
        **_sources(compare_item),
    )


def resolve_bind_other(
    *,
    actor: Any,
    environment: ManagedEnvironment,
    compare_item: BaselineCompareItem,
    inventory_item_id: object,
    note: str,
) -> ProviderResourceBinding:
    """From a ``missing`` subject: bind it to a present resource of the same type under another name."""
    _check(actor, environment, compare_item, rsel.BIND)
    if compare_item.outcome != "missing":
        raise ValidationFailed("Binding another resource applies to a missing subject.", field="action")
    descriptor = _descriptor(environment, _item_id(inventory_item_id), compare_item.policy_type)
    return binding_services.binding_create_manual(
        actor=actor,
        environment=environment,
        descriptor=descriptor,
        note=note,
        canonical_subject_key=compare_item.canonical_subject_key,
        **_sources(compare_item),
    )


def resolve_bind(
    *,
    actor: Any,
    environment: ManagedEnvironment,
    compare_item: BaselineCompareItem,
    inventory_item_id: object,
    note: str,
) -> ProviderResourceBinding:
    """Bind the row's subject to the picked resource: a listed candidate (ambiguous) or any (missing)."""
    if compare_item.outcome == "ambiguous_match":
        return resolve_bind_candidate(
            actor=actor,
            environment=environment,
            compare_item=compare_item,
            inventory_item_id=inventory_item_id,
            note=note,
        )
    return resolve_bind_other(
        actor=actor, environment=environment, compare_item=compare_item, inventory_item_id=inventory_item_id, note=note
    )


def resolve_mark_missing_expected(
    *, actor: Any, environment: ManagedEnvironment, compare_item: BaselineCompareItem, note: str
) -> ProviderResourceBinding:
    """From a ``missing`` subject: record that it is knowingly absent here (no resource needed)."""
    _check(actor, environment, compare_item, rsel.MISSING_EXPECTED)
    subject = compare_item.snapshot_item
    if subject is None:
        raise ValidationFailed("The baseline subject of this row is gone.", field="action")
    return binding_services.binding_mark_missing_expected(
        actor=actor,
        environment=environment,
        note=note,
        canonical_subject_key=compare_item.canonical_subject_key,
        subject_class=subject.subject_class,
        **_sources(compare_item),
    )


def resolve_exclude(
    *,
    actor: Any,
    environment: ManagedEnvironment,
    compare_item: BaselineCompareItem,
    note: str,
    review_by: dt.date | None = None,
) -> ProviderResourceBinding:
    """From ``unexpected``: exclude the resource (``excluded_non_governed`` on its own canonical key)."""
    _check(actor, environment, compare_item, rsel.EXCLUDE)
    _check_review_by(review_by, ResolutionMode.EXCLUDED_NON_GOVERNED)
    descriptor = _target_descriptor(environment, compare_item)
    with transaction.atomic():
        binding = binding_services.binding_create_exclusion(
            actor=actor,
            environment=environment,
            note=note,
            descriptor=descriptor,
            canonical_subject_key=compare_item.canonical_subject_key,
            **_sources(compare_item),
        )
        return _with_review(binding, actor, review_by)


def resolve_accept(
    *,
    actor: Any,
    environment: ManagedEnvironment,
    compare_item: BaselineCompareItem,
    note: str,
    review_by: dt.date | None = None,
) -> ProviderResourceBinding:
    """From ``drift``: accept the target's current state as a known limitation.

    The binding names the target resource and stores the compare's content hash of it as the
    accepted fingerprint: the next compare shows ``accepted_limitation`` while the target keeps
    that content, and ``drift`` "changed since accepted" once it changes.
    """
    _check(actor, environment, compare_item, rsel.ACCEPT)
    _check_review_by(review_by, ResolutionMode.ACCEPTED_LIMITATION)
    descriptor = _target_descriptor(environment, compare_item)
    with transaction.atomic():
        binding = binding_services.binding_create_accepted_limitation(
            actor=actor,
            environment=environment,
            note=note,
            accepted_fingerprint=compare_item.target_content_hash,
            descriptor=descriptor,
            canonical_subject_key=compare_item.canonical_subject_key,
            **_sources(compare_item),
        )
        return _with_review(binding, actor, review_by)


def _supersede_mode(value: object, state: rsel.ResolutionState) -> ResolutionMode:
    try:
        mode = ResolutionMode(str(value))
    except ValueError:
        mode = None
    if mode is None or mode not in state.supersede_modes:
        allowed = ", ".join(m.label.lower() for m in state.supersede_modes)
        raise ValidationFailed(f"Choose the new decision ({allowed}).", field="resolution_mode")
    return mode


def resolve_supersede(
    *,
    actor: Any,
    environment: ManagedEnvironment,
    compare_item: BaselineCompareItem,
    resolution_mode: object,
    note: str,
    inventory_item_id: object = None,
    review_by: dt.date | None = None,
) -> ProviderResourceBinding:
    """Replace the decision in force for the row's subject with a new one (old row ``superseded``).

    New decisions: ``accepted_limitation`` (the target as it is, with its fingerprint),
    ``manual_binding`` (to a picked present resource of the same type), ``missing_expected``
    (no resource) or ``excluded_non_governed``. The interface confirms before calling this.
    """
    state = _check(actor, environment, compare_item, rsel.SUPERSEDE)
    mode = _supersede_mode(resolution_mode, state)
    _check_review_by(review_by, mode)
    current = state.active_binding
    assert current is not None  # SUPERSEDE is only open with a decision in force
    options: dict[str, Any] = {}
    if mode is ResolutionMode.ACCEPTED_LIMITATION:
        options["descriptor"] = _target_descriptor(environment, compare_item)
        options["accepted_fingerprint"] = compare_item.target_content_hash
    elif mode is ResolutionMode.MANUAL_BINDING:
        options["descriptor"] = _descriptor(environment, _item_id(inventory_item_id), compare_item.policy_type)
    elif mode is ResolutionMode.MISSING_EXPECTED:
        options["descriptor"] = None
    elif compare_item.target_item_id is not None:
        options["descriptor"] = _target_descriptor(environment, compare_item)
    else:
        options["descriptor"] = None
    with transaction.atomic():
        binding = binding_services.binding_supersede(
            actor=actor,
            binding=current,
            resolution_mode=mode.value,
            note=note,
            **_sources(compare_item),
            **options,
        )
        return _with_review(binding, actor, review_by)


def resolve_revoke(
    *, actor: Any, environment: ManagedEnvironment, compare_item: BaselineCompareItem, note: str
) -> ProviderResourceBinding:
    """End the decision in force for the row's subject as ``revoked``: the next compare decides by rule again."""
    state = _check(actor, environment, compare_item, rsel.REVOKE)
    current = state.active_binding
    assert current is not None  # REVOKE is only open with a decision in force
    return binding_services.binding_revoke(actor=actor, binding=current, note=note)
