"""Schedules and the inventory type selection through the API, on the console's services: every
schedulable operation is listed (``off`` until set), a change is audited once and makes the
schedule due, bad values name the field and change nothing."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.inventory.coverage import ALL_TYPES
from tenantpilot.inventory.models import Schedule
from tenantpilot.inventory.services import SCHEDULABLE_OPERATIONS
from tenantpilot.inventory.services_types import selected_types
from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db


def _url(name, world, **kwargs):
    return reverse(f"api-v1:{name}", kwargs={"workspace": world.a.slug, "environment_id": world.a1.pk, **kwargs})


def _put(client, url, text, body):
    return client.put(url, data=json.dumps(body), content_type="application/json", headers=bearer(text))


def test_schedules_list_every_schedulable_operation_off_until_set(client, world, owner_token):
    body = client.get(_url("schedule-list", world), headers=bearer(owner_token[1])).json()
    assert [r["operation_type"] for r in body["items"]] == [o.value for o in SCHEDULABLE_OPERATIONS]
    assert {r["frequency"] for r in body["items"]} == {"off"}
    assert body["history"] == []


def test_a_schedule_change_is_audited_once_and_makes_it_due(client, world, owner_token):
    url = _url("schedule-update", world, operation_type="inventory.sync")
    changed = _put(client, url, owner_token[1], {"frequency": "daily"})
    assert changed.status_code == 200
    assert changed.json()["frequency"] == "daily" and changed.json()["next_run_at"] is not None
    assert _put(client, url, owner_token[1], {"frequency": "daily"}).status_code == 200
    assert AuditLog.objects.filter(action=AuditAction.SCHEDULE_UPDATED).count() == 1
    listed = client.get(_url("schedule-list", world), headers=bearer(owner_token[1])).json()["items"]
    assert {r["operation_type"]: r["frequency"] for r in listed}["inventory.sync"] == "daily"


def test_a_bad_schedule_names_the_field_and_writes_nothing(client, world, owner_token):
    bad_frequency = _put(
        client, _url("schedule-update", world, operation_type="inventory.sync"), owner_token[1], {"frequency": "weekly"}
    )
    assert bad_frequency.status_code == 400 and bad_frequency.json()["error"]["field"] == "frequency"
    bad_operation = _put(
        client, _url("schedule-update", world, operation_type="audit.purge"), owner_token[1], {"frequency": "daily"}
    )
    assert bad_operation.status_code == 400 and bad_operation.json()["error"]["field"] == "operation_type"
    assert not Schedule.objects.exists()


def test_inventory_types_read_and_change_the_selection(client, world, owner_token):
    url = _url("inventory-types", world)
    assert client.get(url, headers=bearer(owner_token[1])).json()["policy_types"] == list(ALL_TYPES)
    chosen = [t for t in ALL_TYPES if t != ALL_TYPES[-1]]
    changed = _put(client, _url("inventory-types-update", world), owner_token[1], {"policy_types": chosen})
    assert changed.status_code == 200 and changed.json()["policy_types"] == chosen
    assert list(selected_types(world.a1)) == chosen
    assert AuditLog.objects.filter(action=AuditAction.INVENTORY_TYPES_UPDATED).count() == 1


def test_unknown_inventory_types_name_the_field_and_change_nothing(client, world, owner_token):
    response = _put(client, _url("inventory-types-update", world), owner_token[1], {"policy_types": ["noSuchType"]})
    assert response.status_code == 400 and response.json()["error"]["field"] == "policy_types"
    assert list(selected_types(world.a1)) == list(ALL_TYPES)
