"""The authorization matrix (tests/support/matrix.py) for the invitation routes of the members page.

Kept in its own module (the route meta-test in test_authorization_matrix.py and the outside probe
collect ``CASES`` from every ``test_*matrix*.py``). The invitee's link and the platform page are not
workspace routes; tests/console/test_invitations.py covers who may open them.
"""

from __future__ import annotations

import uuid

import pytest

from tenantpilot.audit.actions import AuditAction
from tenantpilot.authz.capabilities import Capability as C
from tenantpilot.authz.roles import Role
from tenantpilot.tenancy.services_invitations import invitation_create
from tests.support.matrix import RouteCase, run_matrix


def _address() -> str:
    return f"invitee-{uuid.uuid4().hex[:10]}@customer.test"


def new_invitation(world):
    return {"email": _address(), "role": Role.READONLY.value, "expires_in_days": "7"}


def new_invitation_to_a2(world):
    return {**new_invitation(world), "restricted": "on", "environments": [world.a2.pk]}


def fresh_invitation(world):
    created = invitation_create(actor=world.owner, workspace=world.a, email=_address(), role=Role.READONLY.value)
    return {"invitation_id": created.invitation.pk}


CASES = [
    RouteCase("console:invitation-create", C.WORKSPACE_MANAGE_MEMBERS),
    RouteCase(
        "console:invitation-create",
        C.WORKSPACE_MANAGE_MEMBERS,
        "POST",
        data=new_invitation,
        audit_action=AuditAction.INVITATION_CREATED,
        ok_status=(302,),
        # "All environments" exceeds what a member restricted to a2 sees: a field error.
        restricted_status=(400,),
    ),
    RouteCase(
        "console:invitation-create",
        C.WORKSPACE_MANAGE_MEMBERS,
        "POST",
        data=new_invitation_to_a2,
        audit_action=AuditAction.INVITATION_CREATED,
        ok_status=(302,),
    ),
    RouteCase("console:invitation-revoke", C.WORKSPACE_MANAGE_MEMBERS, kwargs=fresh_invitation),
    RouteCase(
        "console:invitation-revoke",
        C.WORKSPACE_MANAGE_MEMBERS,
        "POST",
        kwargs=fresh_invitation,
        data=lambda w: {},
        audit_action=AuditAction.INVITATION_REVOKED,
        ok_status=(302,),
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=str)
def test_invitation_route_passes_authorization_matrix(client, world, case):
    result = run_matrix(client, world, case)
    assert len(result.rows) >= 4
