"""Authorization rules of the tenancy domain: which capability each action needs."""

from __future__ import annotations

from tenantpilot.authz.authority import Scope
from tenantpilot.authz.capabilities import Capability
from tenantpilot.authz.roles import Role, can_grant

from .models import WorkspaceMembership

CREATE_ENVIRONMENT = Capability.ENVIRONMENT_MANAGE
UPDATE_ENVIRONMENT = Capability.ENVIRONMENT_MANAGE
ARCHIVE_ENVIRONMENT = Capability.ENVIRONMENT_MANAGE
MANAGE_MEMBERS = Capability.WORKSPACE_MANAGE_MEMBERS


def can_manage_environments(scope: Scope) -> bool:
    return scope.can(Capability.ENVIRONMENT_MANAGE)


def can_manage_membership(scope: Scope, membership: WorkspaceMembership) -> bool:
    """A member with ``workspace.manage_members`` may act on members at or below their own role."""
    return scope.can(MANAGE_MEMBERS) and can_grant(scope.role, membership.role)


def can_assign_role(scope: Scope, role: str) -> bool:
    return scope.can(MANAGE_MEMBERS) and role in Role.values and can_grant(scope.role, role)
