"""The capability registry: every permission the product checks, as constants.

Feature code names capabilities through ``Capability``, never through raw strings, and never
checks role names: a role is only ever turned into its capability set by ``authz.roles``.
"""

from __future__ import annotations

from enum import StrEnum


class Capability(StrEnum):
    """A thing a workspace member may be allowed to do."""

    WORKSPACE_VIEW = "workspace.view"
    WORKSPACE_MANAGE_MEMBERS = "workspace.manage_members"
    ENVIRONMENT_VIEW = "environment.view"
    ENVIRONMENT_MANAGE = "environment.manage"
    PROVIDER_VIEW = "provider.view"
    PROVIDER_MANAGE = "provider.manage"
    PROVIDER_RUN = "provider.run"
    INVENTORY_VIEW = "inventory.view"
    OPERATIONS_VIEW = "operations.view"
    BASELINES_VIEW = "baselines.view"
    BASELINES_MANAGE = "baselines.manage"
    AUDIT_VIEW = "audit.view"


VIEW_CAPABILITIES: frozenset[Capability] = frozenset(c for c in Capability if c.value.endswith(".view"))
RUN_CAPABILITIES: frozenset[Capability] = frozenset({Capability.PROVIDER_RUN})
MANAGE_CAPABILITIES: frozenset[Capability] = frozenset(Capability) - VIEW_CAPABILITIES - RUN_CAPABILITIES
