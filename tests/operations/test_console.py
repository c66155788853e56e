"""Run and notification pages: filters, visibility, polling, cancel, mark-read, query budgets."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.roles import Role
from tenantpilot.operations.choices import OperationType, RunOutcome, RunStatus
from tenantpilot.operations.models import Notification
from tenantpilot.operations.services import OperationRunService
from tests.factories import EnvironmentFactory
from tests.operations.helpers import finished_run, notification_for, queued_run

pytestmark = pytest.mark.django_db


def url(name, world, **kwargs):
    return reverse(name, kwargs={"workspace": world.a.slug, **kwargs})


def test_run_list_shows_visible_runs_with_filters(client, world):
    sync = finished_run(world.a1, outcome=RunOutcome.FAILED, reason_code="throttled")
    compare = finished_run(world.a2, type=OperationType.BASELINE_COMPARE)
    foreign = finished_run(world.b1)
    client.force_login(world.owner)
    page = client.get(url("console:operations", world)).content.decode()
    assert f"#{sync.pk}<" in page and f"#{compare.pk}<" in page and f"#{foreign.pk}<" not in page

    for params, shown, hidden in [
        ({"type": "baseline.compare"}, compare, sync),
        ({"outcome": "failed"}, sync, compare),
        ({"status": "completed", "environment_id": world.a1.pk}, sync, compare),
    ]:
        page = client.get(url("console:operations", world), params).content.decode()
        assert f"#{shown.pk}<" in page and f"#{hidden.pk}<" not in page, params


def test_restricted_member_sees_only_runs_of_their_environments(client, world):
    a1_run, a2_run = finished_run(world.a1), finished_run(world.a2)
    client.force_login(world.restricted)
    page = client.get(url("console:operations", world)).content.decode()
    assert f"#{a2_run.pk}<" in page and f"#{a1_run.pk}<" not in page
    response = client.get(url("console:operations", world), {"environment_id": world.a1.pk})
    assert response.status_code == 400 and f"#{a1_run.pk}<" not in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"type": "nope"},
        {"status": "exploded"},
        {"outcome": "<script>"},
        {"environment_id": "abc"},
        {"environment_id": "99999999999999999999999"},
        {"page": "-3"},
        {"type": ["inventory.sync", "x"]},
    ],
)
def test_garbage_filters_give_a_field_error_not_a_500(client, world, params):
    finished_run(world.a1)
    client.force_login(world.owner)
    response = client.get(url("console:operations", world), params)
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert 'class="field-error"' in response.content.decode()


def test_detail_shows_counts_reason_and_timing(client, world):
    run = finished_run(
        world.a1,
        outcome=RunOutcome.PARTIALLY_SUCCEEDED,
        reason_code="permission_missing",
        message="DeviceManagementConfiguration.Read.All is missing.",
        summary_counts={"permissions_checked": 4, "permissions_missing": 1},
    )
    client.force_login(world.members[Role.READONLY])
    body = client.get(url("console:operation-detail", world, run_id=run.pk)).content.decode()
    for text in (
        "Permissions checked",
        "Permissions missing",
        "Permission missing",
        "permission_missing",
        "DeviceManagementConfiguration.Read.All",
        "Partially succeeded",
        world.a1.display_name,
    ):
        assert text in body, text
    assert 'hx-trigger="every 2s"' not in body  # finished: nothing to poll


def test_active_run_polls_its_fragment_and_the_fragment_stops_when_terminal(client, world):
    run = queued_run(world.a1, initiator=world.owner)
    client.force_login(world.owner)
    status_url = url("console:operation-status", world, run_id=run.pk)
    detail = client.get(url("console:operation-detail", world, run_id=run.pk)).content.decode()
    assert f'hx-get="{status_url}"' in detail and 'hx-trigger="every 2s"' in detail

    OperationRunService.start(run.pk)
    fragment = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and 'hx-trigger="every 2s"' in fragment and "Running" in fragment

    OperationRunService.complete(run.pk, outcome=RunOutcome.SUCCEEDED, summary_counts={"items": 7})
    fragment = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in fragment and "Succeeded" in fragment and ">7<" in fragment


def test_run_of_another_workspace_or_hidden_environment_is_404(client, world):
    foreign = finished_run(world.b1)
    hidden = finished_run(world.a1)
    client.force_login(world.owner)
    assert client.get(url("console:operation-detail", world, run_id=foreign.pk)).status_code == 404
    client.force_login(world.restricted)
    assert client.get(url("console:operation-detail", world, run_id=hidden.pk)).status_code == 404
    assert client.get(url("console:operation-status", world, run_id=hidden.pk)).status_code == 404


def test_cancel_a_queued_run_then_a_second_cancel_is_refused_without_audit(client, world):
    run = queued_run(world.a1, initiator=world.members[Role.OPERATOR])
    client.force_login(world.members[Role.OPERATOR])
    response = client.post(url("console:operation-cancel", world, run_id=run.pk))
    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.status, run.outcome, run.reason_code) == (RunStatus.COMPLETED, RunOutcome.CANCELLED, "cancelled")
    assert AuditLog.objects.filter(action=AuditAction.OPERATION_CANCELLED).count() == 1
    assert Notification.objects.filter(run=run).count() == 1
    response = client.post(url("console:operation-cancel", world, run_id=run.pk), follow=True)
    assert "Only a queued run can be cancelled" in response.content.decode()
    assert AuditLog.objects.filter(action=AuditAction.OPERATION_CANCELLED).count() == 1


def test_cancel_is_post_only(client, world):
    run = queued_run(world.a1)
    client.force_login(world.owner)
    assert client.get(url("console:operation-cancel", world, run_id=run.pk)).status_code == 405


def test_notifications_are_per_user_and_mark_read_updates_the_nav_count(client, world):
    me, other = world.members[Role.OPERATOR], world.members[Role.MANAGER]
    run = finished_run(world.a1, initiator=me)
    mine = notification_for(me, world.a1, run=run)
    notification_for(me, world.a2)
    theirs = notification_for(other, world.a1)
    client.force_login(me)
    page = client.get(url("console:notifications", world)).content.decode()
    assert 'aria-label="2 unread"' in page
    assert f"/notifications/{mine.pk}/read/" in page and f"/notifications/{theirs.pk}/read/" not in page
    assert f"/operations/{run.pk}/" in page

    assert client.post(url("console:notification-read", world, notification_id=theirs.pk)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None

    response = client.post(url("console:notification-read", world, notification_id=mine.pk), {"next": "run"})
    assert response.status_code == 302 and response["Location"].endswith(f"/operations/{run.pk}/")
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert 'aria-label="1 unread"' in client.get(url("console:notifications", world)).content.decode()

    assert client.post(url("console:notification-read-all", world)).status_code == 302
    assert Notification.objects.filter(user=me, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(user=other, read_at__isnull=True).count() == 1
    assert client.get(url("console:notification-read", world, notification_id=mine.pk)).status_code == 405


def test_restricted_member_does_not_see_notifications_of_hidden_environments(client, world):
    hidden = notification_for(world.restricted, world.a1)
    visible = notification_for(world.restricted, world.a2)
    client.force_login(world.restricted)
    page = client.get(url("console:notifications", world)).content.decode()
    assert f"/notifications/{visible.pk}/read/" in page and f"/notifications/{hidden.pk}/read/" not in page
    assert 'aria-label="1 unread"' in page


def _count_queries(client, target):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(target)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("route", ["console:operations", "console:notifications"])
@pytest.mark.parametrize("role", ["owner", "restricted"])
def test_list_page_query_count_is_independent_of_row_count(client, world, settings, route, role):
    settings.TENANTPILOT_PAGE_SIZE = 50
    user = world.owner if role == "owner" else world.restricted
    client.force_login(user)

    def add(n):
        for _ in range(n):
            env = EnvironmentFactory(workspace=world.a)
            run = finished_run(world.a2, initiator=user)
            finished_run(env)
            notification_for(user, world.a2, run=run)

    add(2)
    small = _count_queries(client, url(route, world))
    add(20)
    large = _count_queries(client, url(route, world))
    assert large == small, f"{route}: {small} queries with few rows, {large} with many"
    assert small <= 12
