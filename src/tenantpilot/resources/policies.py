"""Which capability each binding action needs (seed 381: reuse the baseline capabilities).

Viewing bindings needs ``baselines.view``; every mutation (create, supersede, revoke) needs
``baselines.manage``. Non-members and members without access to the environment never get
this far: the authority helpers answer ``NotFound`` first.
"""

from __future__ import annotations

from tenantpilot.authz.capabilities import Capability
from tenantpilot.tenancy.authority import Scope

VIEW_BINDINGS = Capability.BASELINES_VIEW
MANAGE_BINDINGS = Capability.BASELINES_MANAGE


def can_view_bindings(scope: Scope) -> bool:
    return scope.can(VIEW_BINDINGS)


def can_manage_bindings(scope: Scope) -> bool:
    return scope.can(MANAGE_BINDINGS)
