"""Choosing which policy types an environment's inventory sync reads (the only write path)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.services import audit_record
from tenantpilot.core.errors import ValidationFailed
from tenantpilot.graph.contracts import GraphContract
from tenantpilot.tenancy.authority import authorize
from tenantpilot.tenancy.models import ManagedEnvironment

from . import policies
from .choices import REFERENCE_TYPES, PolicyType
from .coverage import ALL_TYPES, ordered_types, permission_probes_for
from .models import InventoryTypeSelection

# Apps above inventory (baselines) say which consumers need an environment's reference data
# (groups, filters, scope tags): each check returns the names of those consumers.
_reference_consumers: list[Callable[[ManagedEnvironment], list[str]]] = []


def register_reference_consumer(check: Callable[[ManagedEnvironment], list[str]]) -> None:
    """Register ``check(environment) -> names`` of what needs the environment's reference data."""
    if check not in _reference_consumers:
        _reference_consumers.append(check)


def reference_consumers(environment: ManagedEnvironment) -> list[str]:
    """Names of everything that needs ``environment``'s reference data (e.g. assigned baseline profiles)."""
    return sorted({name for check in _reference_consumers for name in check(environment)})


def selected_types(environment: ManagedEnvironment) -> tuple[str, ...]:
    """The types ``environment`` syncs, in registry order; every type when none were chosen."""
    row = InventoryTypeSelection.objects.filter(environment=environment).only("policy_types").first()
    if row is None:
        return ALL_TYPES
    chosen = ordered_types(t for t in row.policy_types if isinstance(t, str))
    return chosen or ALL_TYPES


def chosen_type_probes(environment: ManagedEnvironment) -> dict[str, GraphContract]:
    """The permission probes of the types ``environment`` syncs (the health check's probe source)."""
    return permission_probes_for(selected_types(environment))


def inventory_types_update(
    *, actor: Any, environment: ManagedEnvironment, policy_types: Iterable[object]
) -> InventoryTypeSelection:
    """Set which types ``environment`` syncs (audited; needs the schedule-management capability).

    Refuses an empty set, unregistered names, and dropping reference data (groups, filters, scope
    tags) that a registered consumer such as an assigned baseline profile needs
    (``ValidationFailed`` naming ``policy_types``).
    The next sync reads only these types (items of other types are left as they are, never
    marked gone) and the next health check probes exactly their permissions.
    """
    authorize(actor, policies.MANAGE_SCHEDULES, environment)
    given = list(policy_types)
    unknown = sorted({str(t) for t in given if not isinstance(t, str) or t not in ALL_TYPES})
    if unknown:
        raise ValidationFailed(f"Unknown policy types: {', '.join(unknown)[:200]}.", field="policy_types")
    chosen = list(ordered_types(t for t in given if isinstance(t, str)))
    if not chosen:
        raise ValidationFailed("Choose at least one policy type.", field="policy_types")
    missing = [PolicyType(t).label for t in ALL_TYPES if t in REFERENCE_TYPES and t not in chosen]
    consumers = reference_consumers(environment) if missing else []
    if consumers:
        raise ValidationFailed(
            f"{', '.join(missing)} must stay selected: baseline compare needs them as reference data "
            f"(to show assignments by name), and this environment is assigned to "
            f"{len(consumers)} baseline profile{'s' if len(consumers) != 1 else ''}.",
            field="policy_types",
        )
    with transaction.atomic():
        row = InventoryTypeSelection.objects.select_for_update().filter(environment=environment).first()
        before = list(row.policy_types) if row is not None else list(ALL_TYPES)
        if row is None:
            row = InventoryTypeSelection(workspace_id=environment.workspace_id, environment=environment)
        row.policy_types = chosen
        row.full_clean()
        row.save()
        audit_record(
            actor=actor,
            action=AuditAction.INVENTORY_TYPES_UPDATED,
            workspace=environment.workspace,
            environment=environment,
            target=row,
            metadata={
                "types": len(chosen),
                "added": sorted(set(chosen) - set(before)),
                "removed": sorted(set(before) - set(chosen)),
            },
        )
    return row
