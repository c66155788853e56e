"""Who may do what with alerts, and who receives them."""

from __future__ import annotations

from tenantpilot.authz.capabilities import Capability
from tenantpilot.authz.roles import Role, capabilities_for

#: Setting one's own e-mail preference: any member.
SET_OWN_PREFERENCE = Capability.WORKSPACE_VIEW
#: The workspace's webhook, recovery setting and the delivery log: owners and managers.
MANAGE_ALERTS = Capability.WORKSPACE_MANAGE_MEMBERS
#: Alerts go to the members whose role holds this capability (owners and managers).
RECEIVE_ALERTS = Capability.WORKSPACE_MANAGE_MEMBERS


def recipient_roles() -> list[str]:
    """The roles whose members receive alerts (by capability, never by role name)."""
    return [role.value for role in Role if RECEIVE_ALERTS in capabilities_for(role)]
