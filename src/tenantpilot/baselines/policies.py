"""Which capability each baseline action needs.

Viewing profiles, snapshots and compare results needs ``baselines.view``; creating, editing,
archiving and assigning profiles, capturing a snapshot and setting review dates need
``baselines.manage``; starting a compare is a run (``provider.run``), so operators may re-compare
after a decision without managing profiles.
"""

from __future__ import annotations

from tenantpilot.authz.capabilities import Capability
from tenantpilot.tenancy.authority import Scope

VIEW_BASELINES = Capability.BASELINES_VIEW
MANAGE_BASELINES = Capability.BASELINES_MANAGE
RUN_COMPARE = Capability.PROVIDER_RUN


def can_view_baselines(scope: Scope) -> bool:
    return scope.can(VIEW_BASELINES)


def can_manage_baselines(scope: Scope) -> bool:
    return scope.can(MANAGE_BASELINES)


def can_run_compare(scope: Scope) -> bool:
    return scope.can(RUN_COMPARE)
