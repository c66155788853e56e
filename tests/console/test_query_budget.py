"""List pages: the number of queries does not grow with the number of rows."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.services import audit_record
from tenantpilot.authz.roles import Role
from tests.factories import EnvironmentFactory, MembershipFactory, WorkspaceFactory, grant_environment

pytestmark = pytest.mark.django_db


def _add_rows(world, n):
    for _ in range(n):
        env = EnvironmentFactory(workspace=world.a)
        member = MembershipFactory(workspace=world.a, role=Role.READONLY)
        grant_environment(member, env)
        MembershipFactory(workspace=WorkspaceFactory(), user=world.owner, role=Role.READONLY)
        with transaction.atomic():
            audit_record(
                actor=world.owner,
                action=AuditAction.ENVIRONMENT_UPDATED,
                workspace=world.a,
                environment=env,
                target=env,
            )


LIST_PAGES = [
    ("console:workspace-picker", False, {}),
    ("console:workspace-home", True, {}),
    ("console:members", True, {}),
    ("console:audit", True, {}),
    ("console:audit", True, {"date_from": "2000-01-01", "date_to": "2999-12-31"}),
    ("console:audit", True, {"action": AuditAction.ENVIRONMENT_UPDATED.value}),
    ("console:notifications", True, {}),
]


@pytest.mark.parametrize(("route", "in_workspace", "filters"), LIST_PAGES)
def test_list_page_query_count_is_independent_of_row_count(client, world, settings, route, in_workspace, filters):
    settings.TENANTPILOT_PAGE_SIZE = 50
    client.force_login(world.owner)
    target = reverse(route, kwargs={"workspace": world.a.slug} if in_workspace else None)
    params = {"all": "1", **filters}

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(target, params)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    _add_rows(world, 2)
    small = count()
    _add_rows(world, 20)
    large = count()
    assert large == small, f"{route}: {small} queries with few rows, {large} with many"
    assert small <= 15, f"{route}: {small} queries is over the page budget"
