"""Which Graph reads and application permissions a chosen set of policy types needs (pure).

An MSP chooses per environment what its inventory syncs (:class:`.models.InventoryTypeSelection`,
absent: every type). From that one set the sync derives its :class:`.choices.PolicyTypeSpec` list
and the health check the permissions it probes, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable

from tenantpilot.graph.contracts import GraphContract, get_contract

from .choices import POLICY_TYPE_SPECS, PolicyTypeSpec

#: Every inventoried type, in registry order (the default selection).
ALL_TYPES: tuple[str, ...] = tuple(POLICY_TYPE_SPECS)


def ordered_types(policy_types: Iterable[str]) -> tuple[str, ...]:
    """The registered types among ``policy_types``, in registry order, without repeats."""
    chosen = set(policy_types)
    return tuple(t for t in ALL_TYPES if t in chosen)


def specs_for(policy_types: Iterable[str]) -> list[PolicyTypeSpec]:
    """The read specs of the chosen types, in registry order (unknown names are ignored)."""
    return [POLICY_TYPE_SPECS[t] for t in ordered_types(policy_types)]


def contracts_for(policy_types: Iterable[str]) -> list[GraphContract]:
    """Every contract a sync of the chosen types executes (:attr:`.choices.PolicyTypeSpec.contract_names`)."""
    contracts: dict[str, GraphContract] = {}
    for spec in specs_for(policy_types):
        for name in spec.contract_names:
            contracts.setdefault(name, get_contract(name))
    return list(contracts.values())


def permission_probes_for(policy_types: Iterable[str]) -> dict[str, GraphContract]:
    """One cheap, parameterless read per permission the chosen types need.

    The key is the least-privileged application permission; the probe is the first (by name)
    chosen type's list contract that requires it — or, when only a single-object read does (the
    tenant-wide ``deviceManagement/settings``), that read — so a granted probe proves the sync
    can read. (Every sub-resource needs its list's permission, so these cover them all.)
    """
    probes: dict[str, GraphContract] = {}
    for contract in sorted(contracts_for(policy_types), key=lambda c: (not c.paged, c.name)):
        if not contract.placeholders:
            probes.setdefault(contract.required_permission, contract)
    return dict(sorted(probes.items()))
