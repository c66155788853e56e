"""Every operations and notifications route passes the authorization matrix (tests/support/matrix.py)."""

from __future__ import annotations

import pytest

from tenantpilot.audit.actions import AuditAction
from tenantpilot.authz.capabilities import Capability as C
from tenantpilot.authz.roles import Role
from tests.operations.helpers import finished_run, notification_for, queued_run
from tests.support.matrix import RouteCase, run_matrix


def run_in_a1(world):
    return {"run_id": finished_run(world.a1).pk}


def queued_in_a1(world):
    return {"run_id": queued_run(world.a1).pk}


def readonly_notification(world):
    # The matrix's least role with workspace.view is read-only: the notification is theirs.
    return {"notification_id": notification_for(world.members[Role.READONLY], world.a1).pk}


CASES = [
    RouteCase("console:operations", C.OPERATIONS_VIEW),
    RouteCase("console:operation-detail", C.OPERATIONS_VIEW, kwargs=run_in_a1, environment_scoped=True),
    RouteCase("console:operation-status", C.OPERATIONS_VIEW, kwargs=run_in_a1, environment_scoped=True),
    RouteCase(
        "console:operation-cancel",
        C.PROVIDER_RUN,
        "POST",
        kwargs=queued_in_a1,
        data=lambda w: {},
        audit_action=AuditAction.OPERATION_CANCELLED,
        environment_scoped=True,
        ok_status=(302,),
    ),
    RouteCase("console:notifications", C.WORKSPACE_VIEW),
    RouteCase(
        "console:notification-read",
        C.WORKSPACE_VIEW,
        "POST",
        kwargs=readonly_notification,
        data=lambda w: {},
        ok_status=(302,),
        restricted_status=(404,),  # another member's notification
        unaudited_reason="marks the actor's own notification read",
    ),
    RouteCase(
        "console:notification-read-all",
        C.WORKSPACE_VIEW,
        "POST",
        data=lambda w: {},
        ok_status=(302,),
        unaudited_reason="marks the actor's own notifications read",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=str)
def test_route_passes_authorization_matrix(client, world, case):
    result = run_matrix(client, world, case)
    assert len(result.rows) >= 4
