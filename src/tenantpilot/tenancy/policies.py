"""Authorization rules of the tenancy domain: which capability each action needs."""

from __future__ import annotations

from tenantpilot.authz.capabilities import Capability
from tenantpilot.authz.roles import Role, can_grant
from tenantpilot.tenancy.authority import Scope

from .models import WorkspaceMembership

CREATE_ENVIRONMENT = Capability.ENVIRONMENT_MANAGE
UPDATE_ENVIRONMENT = Capability.ENVIRONMENT_MANAGE
ARCHIVE_ENVIRONMENT = Capability.ENVIRONMENT_MANAGE
MANAGE_MEMBERS = Capability.WORKSPACE_MANAGE_MEMBERS


RESTRICTED_CREATE_MESSAGE = "Only members who see every environment of the workspace can add environments."
RESTRICTED_TENANT_CHANGE_MESSAGE = "Only members who see every environment of the workspace can change a tenant id."
RESTRICTED_GRANT_ALL_MESSAGE = (
    "You see only some environments, so you cannot give access to all of them. Keep this member restricted."
)
OWN_ACCESS_MESSAGE = "You cannot change your own environment access or role. Ask another manager or owner."


def can_manage_environments(scope: Scope) -> bool:
    """May edit and archive the environments the member sees."""
    return scope.can(Capability.ENVIRONMENT_MANAGE)


def can_create_environment(scope: Scope) -> bool:
    """May add environments: the capability, and no restriction.

    A restricted member is refused environment creation altogether: whether a tenant id is
    already taken would otherwise tell them that a hidden environment uses it.
    """
    return scope.can(CREATE_ENVIRONMENT) and not scope.is_restricted


def can_change_tenant_id(scope: Scope) -> bool:
    """May change an environment's tenant id (same reason as ``can_create_environment``)."""
    return scope.can(UPDATE_ENVIRONMENT) and not scope.is_restricted


def is_own_membership(scope: Scope, membership: WorkspaceMembership) -> bool:
    """True when ``membership`` is the acting member's own: nobody changes their own role or access."""
    return membership.pk == scope.membership.pk


def can_manage_membership(scope: Scope, membership: WorkspaceMembership) -> bool:
    """A member with ``workspace.manage_members`` may act on *other* members at or below their own role."""
    return (
        scope.can(MANAGE_MEMBERS)
        and can_grant(scope.role, membership.role)
        and not is_own_membership(scope, membership)
    )


def can_assign_role(scope: Scope, role: str) -> bool:
    return scope.can(MANAGE_MEMBERS) and role in Role.values and can_grant(scope.role, role)
