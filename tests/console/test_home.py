"""The workspace landing page answers the first questions from the database, inside the member's scope."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tenantpilot.authz.roles import Role
from tenantpilot.baselines.models import BaselineCompareResult
from tenantpilot.operations.choices import OperationType, RunOutcome, RunStatus
from tenantpilot.operations.models import OperationRun
from tenantpilot.providers import services as provider_services
from tests.baselines.factories import assign, profile, snapshot
from tests.factories import EnvironmentFactory
from tests.inventory.factories import make_snapshot
from tests.operations.helpers import queued_run
from tests.support.matrix import hidden_environment_leaks, restricted_identities

pytestmark = pytest.mark.django_db


def home(client, world, user, **params):
    client.force_login(user)
    response = client.get(reverse("console:workspace-home", kwargs={"workspace": world.a.slug}), params)
    assert response.status_code == 200
    return response.content.decode()


def connect(world, env, *, health="healthy", reason=""):
    conn = provider_services.connection_create(
        actor=world.owner,
        environment=env,
        display_name="Reader",
        entra_tenant_id=env.tenant_id,
        client_id=str(uuid.uuid4()),
        auth_type="client_secret",
        client_secret="home-s3cret-canary",
    )
    provider_services.connection_record_health(
        connection=conn, health=health, reason_code=reason, message="", permissions={}
    )
    return conn


def completed(env, *, kind=OperationType.INVENTORY_SYNC, outcome=RunOutcome.SUCCEEDED, age=dt.timedelta(0), **fields):
    at = timezone.now() - age
    return OperationRun.objects.create(
        workspace=env.workspace,
        environment=env,
        type=kind,
        scope_key=f"env:{env.pk}",
        status=RunStatus.COMPLETED,
        outcome=outcome,
        initiator_label="test",
        started_at=at,
        heartbeat_at=at,
        finished_at=at,
        **fields,
    )


def compared(env, prof, snap, counts, *, age=dt.timedelta(0)):
    at = timezone.now() - age
    return BaselineCompareResult.objects.create(
        workspace=env.workspace,
        environment=env,
        profile=prof,
        snapshot=snap,
        evidence_at=at,
        counts=counts,
        created_at=at,
    )


def healthy_synced(world, name):
    env = EnvironmentFactory(workspace=world.a, display_name=name)
    connect(world, env)
    completed(env)
    return env


def test_unhealthy_connection_offers_fix_credential_to_managers_and_recheck_to_operators(client, world):
    conn = connect(world, world.a1, health="unhealthy", reason="auth_secret_expired")
    credential_url = reverse(
        "console:connection-credential",
        kwargs={"workspace": "alpha", "environment_id": world.a1.pk, "connection_id": conn.pk},
    )
    check_url = reverse(
        "console:connection-check",
        kwargs={"workspace": "alpha", "environment_id": world.a1.pk, "connection_id": conn.pk},
    )
    page = home(client, world, world.owner)
    assert f'href="{credential_url}">Fix credential</a>' in page
    assert "auth_secret_expired" in page and "home-s3cret-canary" not in page
    page = home(client, world, world.members[Role.OPERATOR])
    assert f'action="{check_url}"' in page and "Re-check connection" in page
    assert credential_url not in page
    page = home(client, world, world.members[Role.READONLY])
    assert "Re-check connection" not in page and "View connection" in page


def test_environment_without_connection_comes_first_with_add_a_connection(client, world):
    healthy_synced(world, "Aardvark healthy")
    page = home(client, world, world.owner)
    add_url = reverse("console:connection-create", kwargs={"workspace": "alpha", "environment_id": world.a1.pk})
    assert f'href="{add_url}">Add a connection</a>' in page
    assert page.index("Alpha One") < page.index("Aardvark healthy"), "broken environments come first"
    assert "All good" in page


def test_stale_partial_and_failed_inventory_are_named_with_their_action(client, world):
    stale = healthy_synced(world, "Stale one")
    completed(stale, age=dt.timedelta(hours=30))
    OperationRun.objects.filter(environment=stale, finished_at__gt=timezone.now() - dt.timedelta(hours=1)).delete()
    partial = EnvironmentFactory(workspace=world.a, display_name="Partial one")
    connect(world, partial)
    completed(partial, outcome=RunOutcome.PARTIALLY_SUCCEEDED)
    failed = EnvironmentFactory(workspace=world.a, display_name="Failed one")
    connect(world, failed)
    completed(failed, age=dt.timedelta(hours=2))
    failed_run = completed(failed, outcome=RunOutcome.FAILED, reason_code="throttled", message="Graph kept saying 429.")
    page = home(client, world, world.members[Role.OPERATOR])
    assert "Stale</span>" in page and "Partial</span>" in page and "Last sync failed" in page
    sync_url = reverse("console:inventory-sync", kwargs={"workspace": "alpha", "environment_id": stale.pk})
    assert f'action="{sync_url}"' in page
    run_url = reverse("console:operation-detail", kwargs={"workspace": "alpha", "run_id": failed_run.pk})
    assert f'href="{run_url}">View failed sync</a>' in page
    # ... and the failure is listed with its registered reason and message.
    failed_section = page[page.index('id="failed-h"') :]
    assert "Throttled" in failed_section and "<code>throttled</code>" in failed_section
    assert "Graph kept saying 429." in failed_section


def test_failed_run_with_a_credential_reason_links_to_the_credential(client, world):
    conn = connect(world, world.a2, health="unhealthy", reason="auth_invalid_secret")
    completed(
        world.a2,
        kind=OperationType.PROVIDER_HEALTH_CHECK,
        outcome=RunOutcome.FAILED,
        reason_code="auth_invalid_secret",
        connection=conn,
    )
    page = home(client, world, world.owner)
    failed_section = page[page.index('id="failed-h"') :]
    credential_url = reverse(
        "console:connection-credential",
        kwargs={"workspace": "alpha", "environment_id": world.a2.pk, "connection_id": conn.pk},
    )
    assert f'href="{credential_url}">Fix credential</a>' in failed_section


def test_running_operations_are_listed_and_become_the_environments_next_action(client, world):
    env = healthy_synced(world, "Busy one")
    run = queued_run(env)
    page = home(client, world, world.members[Role.READONLY])
    run_url = reverse("console:operation-detail", kwargs={"workspace": "alpha", "run_id": run.pk})
    running = page[page.index('id="running-h"') : page.index('id="failed-h"')]
    assert run_url in running and "Busy one" in running
    assert f'href="{run_url}">View running inventory sync</a>' in page
    assert 'class="tile-n">1</span> running now' in page


def test_drift_counts_per_environment_from_the_latest_compare_with_a_trend(client, world):
    env = healthy_synced(world, "Drifting one")
    clean = healthy_synced(world, "Clean one")
    prof = profile(world.a, "Windows baseline")
    snap = snapshot(prof, world.a2)
    assign(prof, env)
    assign(prof, clean)
    compared(env, prof, snap, {"drift": 1, "match": 9}, age=dt.timedelta(days=2))
    compared(env, prof, snap, {"drift": 3, "missing": 1, "match": 6}, age=dt.timedelta(hours=1))
    compared(clean, prof, snap, {"match": 10})
    # An unassigned pair's result is history, not current drift.
    other = profile(world.a, "Old baseline")
    compared(clean, other, snapshot(other, world.a2), {"drift": 50})
    page = home(client, world, world.members[Role.READONLY])
    result_url = reverse(
        "console:baseline-result", kwargs={"workspace": "alpha", "profile_id": prof.pk, "environment_id": env.pk}
    )
    assert "4 need attention" in page
    assert f'href="{result_url}">Open drift</a>' in page
    hotspots = page[page.index('id="drift-h"') : page.index('id="running-h"')]
    assert "Drifting one" in hotspots and "Clean one" not in hotspots and "Old baseline" not in hotspots
    assert 'class="tile-n">1</span> drifting (4 items need attention)' in page
    assert '<svg class="spark drift" role="img"' in page
    assert "Items needing attention in Drifting one, Windows baseline, last 2 compares: 2 points, from 1 to 4" in page


def test_compliance_trend_is_an_inline_svg_of_the_compliant_share(client, world):
    env = healthy_synced(world, "Compliant one")
    for compliant in (5, 8, 9):
        make_snapshot(env, device_total=10, compliant_count=compliant)
    page = home(client, world, world.members[Role.READONLY])
    assert "90.0&nbsp;%" in page
    assert "<title>Compliant devices in Compliant one, %: 3 points, from 50 to 90</title>" in page


def test_restricted_member_sees_nothing_of_a_hidden_environment(client, world):
    user = restricted_identities(world)[Role.OWNER]
    conn = connect(world, world.a1, health="unhealthy", reason="auth_secret_expired")
    completed(world.a1, outcome=RunOutcome.FAILED, reason_code="throttled")
    queued_run(world.a1)
    prof = profile(world.a, "Shared baseline")
    assign(prof, world.a1)
    compared(world.a1, prof, snapshot(prof, world.a2), {"drift": 7})
    make_snapshot(world.a1, device_total=4, compliant_count=1)
    make_snapshot(world.a1, device_total=4, compliant_count=2)
    page = home(client, world, user)
    assert hidden_environment_leaks(page, world) == []
    assert f"/connections/{conn.pk}/" not in page
    assert 'class="tile-n">1</span> active environment' in page
    assert 'class="tile-n">0</span> drifting' in page
    assert 'class="tile-n">0</span> running now' in page
    assert "<svg" not in page
    assert "Alpha Two" in page


def _populate(world, n):
    prof = profile(world.a)
    snap = snapshot(prof, world.a2)
    for i in range(n):
        env = EnvironmentFactory(workspace=world.a)
        connect(world, env, health="unhealthy" if i % 3 == 0 else "healthy", reason="auth_failed" if i % 3 == 0 else "")
        completed(env, age=dt.timedelta(hours=i))
        completed(env, outcome=RunOutcome.FAILED, reason_code="throttled")
        if i % 2:
            queued_run(env)
        assign(prof, env)
        compared(env, prof, snap, {"drift": i}, age=dt.timedelta(days=1))
        compared(env, prof, snap, {"drift": i + 1})
        make_snapshot(env, device_total=10, compliant_count=i % 10)
        make_snapshot(env, device_total=10, compliant_count=(i + 3) % 10)


def test_landing_page_query_count_does_not_grow_with_environments(client, world, settings):
    settings.TENANTPILOT_PAGE_SIZE = 50
    client.force_login(world.owner)
    url = reverse("console:workspace-home", kwargs={"workspace": world.a.slug})

    def count() -> int:
        with CaptureQueriesContext(db_connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    _populate(world, 3)
    small = count()
    _populate(world, 27)
    large = count()
    assert large == small, f"{small} queries with 3 environments, {large} with 30"
    assert small <= 14, f"{small} queries is over the landing page's budget"
