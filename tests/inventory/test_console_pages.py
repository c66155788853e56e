"""Inventory, item history and diff, compliance and schedule pages: DB-only, filters, bad input."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tenantpilot.audit.models import AuditLog
from tenantpilot.inventory.models import Schedule
from tenantpilot.operations.models import OperationRun
from tests.inventory.factories import make_item, make_snapshot
from tests.providers.support import secret_connection

pytestmark = pytest.mark.django_db


def _url(world, name, **extra):
    return reverse(f"console:{name}", kwargs={"workspace": world.a.slug, "environment_id": world.a1.pk, **extra})


def test_inventory_list_filters_by_type_search_and_gone(client, world):
    client.force_login(world.owner)
    make_item(world.a1, name="WIN - Restrictions")
    tag = make_item(world.a1, policy_type="roleScopeTags", name="Scope tag Paris")
    make_item(world.a1, name="Removed policy", gone=True)
    page = client.get(_url(world, "inventory")).content.decode()
    assert "WIN - Restrictions" in page and "Scope tag Paris" in page and "Removed policy" not in page
    page = client.get(_url(world, "inventory"), {"type": "roleScopeTags"}).content.decode()
    assert "Scope tag Paris" in page and "WIN - Restrictions" not in page
    page = client.get(_url(world, "inventory"), {"q": tag.provider_object_id}).content.decode()
    assert "Scope tag Paris" in page and "WIN - Restrictions" not in page
    page = client.get(_url(world, "inventory"), {"q": "restrict"}).content.decode()
    assert "WIN - Restrictions" in page and "Scope tag Paris" not in page
    page = client.get(_url(world, "inventory"), {"gone": "on"}).content.decode()
    assert "Removed policy" in page and "Gone since" in page


@pytest.mark.parametrize(("params", "field"), [({"type": "bogus"}, "Type"), ({"q": "x" * 300}, "Name or id")])
def test_inventory_list_bad_filter_is_a_400_naming_the_field(client, world, params, field):
    client.force_login(world.owner)
    make_item(world.a1, name="Visible policy")
    response = client.get(_url(world, "inventory"), params)
    assert response.status_code == 400
    body = response.content.decode()
    assert f"{field}:" in body and "Visible policy" not in body


def test_inventory_list_query_count_is_independent_of_row_count(client, world, settings):
    settings.TENANTPILOT_PAGE_SIZE = 50
    client.force_login(world.owner)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(_url(world, "inventory"), {"gone": "on"}).status_code == 200
        return len(ctx.captured_queries)

    make_item(world.a1, name="one")
    small = count()
    for i in range(30):
        make_item(world.a1, name=f"more {i}", gone=i % 2 == 0, payloads=[{"displayName": "a"}, {"displayName": "b"}])
    assert count() == small


def test_item_detail_shows_history_and_a_readable_diff(client, world):
    client.force_login(world.owner)
    item = make_item(
        world.a1,
        name="Diffed",
        payloads=[
            {"displayName": "Diffed", "passwordMinimumLength": 8, "cameraBlocked": False},
            {"displayName": "Diffed", "passwordMinimumLength": 14, "cameraBlocked": False},
            {"displayName": "Diffed", "passwordMinimumLength": 14, "cameraBlocked": True},
        ],
    )
    page = client.get(_url(world, "inventory-item", item_id=item.pk)).content.decode()
    assert "v3 (current)" in page and "v1" in page
    assert '<span class="diff-del">-  &quot;cameraBlocked&quot;: false,</span>' in page  # default: latest two
    page = client.get(_url(world, "inventory-item", item_id=item.pk), {"from": 1, "to": 2}).content.decode()
    assert '<span class="diff-del">-  &quot;passwordMinimumLength&quot;: 8</span>' in page
    assert '<span class="diff-add">+  &quot;passwordMinimumLength&quot;: 14</span>' in page
    assert "cameraBlocked&quot;: true" not in page.split("Changes from")[1].split("Current content")[0]


@pytest.mark.parametrize(
    ("params", "field"), [({"from": "x", "to": 1}, "from"), ({"from": 1, "to": 9}, "to"), ({"from": 1}, "to")]
)
def test_item_detail_bad_diff_request_is_a_400_naming_the_field(client, world, params, field):
    client.force_login(world.owner)
    item = make_item(world.a1, payloads=[{"a": 1}, {"a": 2}])
    response = client.get(_url(world, "inventory-item", item_id=item.pk), params)
    assert response.status_code == 400
    assert f"{field}: " in response.content.decode()


def test_item_of_another_environment_is_404(client, world):
    client.force_login(world.owner)
    other = make_item(world.a2)
    assert client.get(_url(world, "inventory-item", item_id=other.pk)).status_code == 404


def test_compliance_page_shows_latest_and_history(client, world):
    client.force_login(world.owner)
    make_snapshot(world.a1, device_total=10, compliant_count=7, noncompliant_count=2, unknown_count=1)
    make_snapshot(world.a1, device_total=12, compliant_count=9, noncompliant_count=3)
    page = client.get(_url(world, "compliance")).content.decode()
    assert "12 managed devices" in page
    assert page.count("<tr><td>") == 2


def test_sync_button_enqueues_and_redirects_to_the_run(client, world):
    client.force_login(world.owner)
    secret_connection(world, world.a1)
    response = client.post(_url(world, "inventory-sync"))
    run = OperationRun.objects.get(environment=world.a1)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "console:operation-detail", kwargs={"workspace": world.a.slug, "run_id": run.pk}
    )
    assert run.type == "inventory.sync" and run.initiator == world.owner


def test_snapshot_button_on_busy_scope_links_the_active_run(client, world):
    client.force_login(world.owner)
    secret_connection(world, world.a1)
    client.post(_url(world, "inventory-sync"))
    active = OperationRun.objects.get(environment=world.a1)
    response = client.post(_url(world, "compliance-snapshot"), follow=True)
    assert response.redirect_chain[0][0].endswith(f"/operations/{active.pk}/")
    assert "Scope busy" in response.content.decode()
    assert OperationRun.objects.filter(environment=world.a1).count() == 1


def test_sync_without_connection_explains_and_writes_nothing(client, world):
    client.force_login(world.owner)
    response = client.post(_url(world, "inventory-sync"), follow=True)
    assert "no provider connection" in response.content.decode()
    assert not OperationRun.objects.filter(environment=world.a1).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"operation_type": "inventory.sync", "frequency": "weekly"}, "frequency"),
        ({"operation_type": "baseline.capture", "frequency": "daily"}, "operation_type"),
        ({"frequency": "daily"}, "operation_type"),
    ],
)
def test_schedule_edit_bad_input_names_the_field_and_writes_nothing(client, world, data, field):
    client.force_login(world.owner)
    audits = AuditLog.objects.count()
    response = client.post(_url(world, "schedule-edit"), data)
    assert response.status_code == 400
    assert f"{field}: " in response.content.decode()
    assert not Schedule.objects.exists() and AuditLog.objects.count() == audits


def test_schedule_page_shows_the_saved_frequency(client, world):
    client.force_login(world.owner)
    client.post(_url(world, "schedule-edit"), {"operation_type": "compliance.snapshot", "frequency": "hourly"})
    page = client.get(_url(world, "schedules")).content.decode()
    assert '<option value="hourly" selected>' in page
