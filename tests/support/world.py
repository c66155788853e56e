"""A small, fixed world of two workspaces and one user per relationship, for isolation tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tenantpilot.authz.roles import Role
from tenantpilot.tenancy.models import ManagedEnvironment, Workspace, WorkspaceMembership
from tests.factories import EnvironmentFactory, MembershipFactory, UserFactory, WorkspaceFactory, grant_environment


@dataclass
class World:
    """Workspace A (environments a1, a2) and workspace B (b1).

    Users: one per role in A; ``outsider`` belongs to no workspace; ``other`` owns B only;
    ``restricted`` is an A owner restricted to a2 (so a1 must look missing to them).
    """

    a: Workspace
    b: Workspace
    a1: ManagedEnvironment
    a2: ManagedEnvironment
    b1: ManagedEnvironment
    members: dict[Role, Any]
    memberships: dict[Role, WorkspaceMembership]
    outsider: Any
    other: Any
    restricted: Any

    @property
    def owner(self) -> Any:
        return self.members[Role.OWNER]

    @classmethod
    def build(cls) -> World:
        a = WorkspaceFactory(name="Alpha MSP", slug="alpha")
        b = WorkspaceFactory(name="Bravo MSP", slug="bravo")
        a1 = EnvironmentFactory(workspace=a, display_name="Alpha One")
        a2 = EnvironmentFactory(workspace=a, display_name="Alpha Two")
        b1 = EnvironmentFactory(workspace=b, display_name="Bravo One")
        members, memberships = {}, {}
        for role in Role:
            user = UserFactory(username=f"{role.value}@alpha.test")
            members[role] = user
            memberships[role] = MembershipFactory(workspace=a, user=user, role=role)
        other = UserFactory(username="owner@bravo.test")
        MembershipFactory(workspace=b, user=other, role=Role.OWNER)
        restricted = UserFactory(username="restricted@alpha.test")
        grant_environment(MembershipFactory(workspace=a, user=restricted, role=Role.OWNER), a2)
        outsider = UserFactory(username="outsider@example.test")
        return cls(a, b, a1, a2, b1, members, memberships, outsider, other, restricted)
