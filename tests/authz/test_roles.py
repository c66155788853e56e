"""Role → capability maps follow seed 061 and a role grants only roles at or below its own."""

from __future__ import annotations

from tenantpilot.authz.capabilities import MANAGE_CAPABILITIES, RUN_CAPABILITIES, VIEW_CAPABILITIES, Capability
from tenantpilot.authz.roles import Role, can_grant, capabilities_for, grantable_roles

REQUIRED = {
    "workspace.view",
    "workspace.manage_members",
    "environment.view",
    "environment.manage",
    "provider.view",
    "provider.manage",
    "provider.run",
    "inventory.view",
    "operations.view",
    "baselines.view",
    "baselines.manage",
    "audit.view",
}


def test_registry_holds_every_required_capability():
    assert {c.value for c in Capability} >= REQUIRED


def test_capability_groups_partition_the_registry():
    assert frozenset(Capability) == VIEW_CAPABILITIES | RUN_CAPABILITIES | MANAGE_CAPABILITIES
    assert not (VIEW_CAPABILITIES & MANAGE_CAPABILITIES)
    assert Capability.PROVIDER_RUN in RUN_CAPABILITIES


def test_owner_and_manager_view_manage_and_run():
    for role in (Role.OWNER, Role.MANAGER):
        assert capabilities_for(role) == frozenset(Capability)


def test_operator_views_and_runs_but_never_manages():
    caps = capabilities_for(Role.OPERATOR)
    assert caps == VIEW_CAPABILITIES | RUN_CAPABILITIES
    assert not caps & MANAGE_CAPABILITIES


def test_readonly_only_views():
    assert capabilities_for(Role.READONLY) == VIEW_CAPABILITIES


def test_unknown_role_has_no_capability():
    assert capabilities_for("superhero") == frozenset()


def test_a_role_grants_only_roles_at_or_below_its_own():
    assert can_grant(Role.OWNER, Role.OWNER)
    assert can_grant(Role.MANAGER, Role.MANAGER)
    assert not can_grant(Role.MANAGER, Role.OWNER)
    assert not can_grant(Role.OPERATOR, Role.MANAGER)
    assert not can_grant(Role.READONLY, Role.OPERATOR)
    assert not can_grant("superhero", Role.READONLY)
    assert grantable_roles(Role.MANAGER) == [Role.MANAGER, Role.OPERATOR, Role.READONLY]
