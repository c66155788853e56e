"""The inventory type selection page: grouped types with permissions, saving, reference-data guard."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.roles import Role
from tenantpilot.console.views.inventory_types import TYPE_GROUPS
from tenantpilot.inventory.choices import REFERENCE_TYPES
from tenantpilot.inventory.coverage import ALL_TYPES
from tenantpilot.inventory.models import InventoryTypeSelection
from tenantpilot.inventory.services_types import inventory_types_update, selected_types
from tests.baselines.factories import assign, profile

pytestmark = pytest.mark.django_db

REFERENCE = sorted(REFERENCE_TYPES)


def _url(world, name="inventory-types"):
    return reverse(f"console:{name}", kwargs={"workspace": world.a.slug, "environment_id": world.a1.pk})


def _nothing_written(world, audit_before):
    return not InventoryTypeSelection.objects.filter(environment=world.a1).exists() and (
        AuditLog.objects.count() == audit_before
    )


def test_every_registered_type_is_in_exactly_one_group():
    grouped = [str(t) for _title, types in TYPE_GROUPS for t in types]
    assert sorted(grouped) == sorted(ALL_TYPES)
    titles = [title for title, _types in TYPE_GROUPS]
    assert titles[0] == "Configuration" and "Tenant administration" in titles and titles[-1] == "Entra"


def test_page_groups_types_with_their_permission_and_the_reference_note(client, world):
    client.force_login(world.members[Role.MANAGER])
    body = client.get(_url(world)).content.decode()
    for heading in ("Configuration", "Compliance", "Endpoint security", "Updates", "Scripts &amp; remediations"):
        assert f"<legend>{heading}</legend>" in body
    assert "Apps" in body and "Enrollment &amp; Autopilot" in body and "<legend>Entra</legend>" in body
    # a type, its checkbox (all checked by default) and its permission on the same row
    row = body.split('value="conditionalAccessPolicies"', 1)[1].split("</tr>", 1)[0]
    assert "checked" in row.split(">", 1)[0] and "<code>Policy.Read.All</code>" in row
    row = body.split('value="deviceManagementScripts"', 1)[1].split("</tr>", 1)[0]
    assert "<code>DeviceManagementScripts.Read.All</code>" in row
    assert body.count('name="policy_types"') == len(ALL_TYPES)
    assert body.count("reference data</span>") == len(REFERENCE_TYPES)
    assert "baseline compare reads them" in body and 'name="select_all"' in body
    assert f"{len(ALL_TYPES)} of {len(ALL_TYPES)} types selected" in body


def test_inventory_page_links_to_the_type_selection(client, world):
    client.force_login(world.members[Role.READONLY])
    body = client.get(reverse("console:inventory", kwargs={"workspace": world.a.slug, "environment_id": world.a1.pk}))
    assert f'href="{_url(world)}"' in body.content.decode()


def test_readonly_sees_the_selection_without_a_form(client, world):
    inventory_types_update(actor=world.owner, environment=world.a1, policy_types=["deviceConfigurations", *REFERENCE])
    client.force_login(world.members[Role.READONLY])
    response = client.get(_url(world))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="policy_types"' not in body and _url(world, "inventory-types-edit") not in body
    assert f"{1 + len(REFERENCE)} of {len(ALL_TYPES)} types selected" in body


def test_saving_a_selection_writes_it_and_one_audit_row(client, world):
    client.force_login(world.members[Role.MANAGER])
    chosen = ["mobileApps", "deviceConfigurations", *REFERENCE]
    response = client.post(_url(world, "inventory-types-edit"), {"policy_types": chosen})
    assert response.status_code == 302 and response["Location"] == _url(world)
    assert set(selected_types(world.a1)) == set(chosen)
    row = AuditLog.objects.get(action=AuditAction.INVENTORY_TYPES_UPDATED)
    assert row.environment_id == world.a1.pk and row.metadata["types"] == len(chosen)
    body = client.get(_url(world)).content.decode()
    assert 'value="mobileApps" checked' in body and 'value="intents" checked' not in body


def test_select_all_saves_every_type(client, world):
    inventory_types_update(actor=world.owner, environment=world.a1, policy_types=["groups"])
    client.force_login(world.owner)
    response = client.post(_url(world, "inventory-types-edit"), {"select_all": "1"})
    assert response.status_code == 302
    assert selected_types(world.a1) == ALL_TYPES
    assert InventoryTypeSelection.objects.get(environment=world.a1).policy_types == list(ALL_TYPES)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"policy_types": ["deviceConfigurations", "notAType"]},
        {"policy_types": ["'); DROP TABLE x; --"]},
        {"policy_types": [""]},
    ],
    ids=["empty", "unknown", "injection", "blank"],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(client, world, data):
    client.force_login(world.owner)
    before = AuditLog.objects.count()
    response = client.post(_url(world, "inventory-types-edit"), data)
    assert response.status_code == 400
    assert "policy_types: " in response.content.decode()
    assert _nothing_written(world, before)


def test_edit_is_post_only(client, world):
    client.force_login(world.owner)
    assert client.get(_url(world, "inventory-types-edit")).status_code == 405
    assert not InventoryTypeSelection.objects.exists()


def test_edit_needs_the_csrf_token(world):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(world.owner)
    before = AuditLog.objects.count()
    response = csrf_client.post(_url(world, "inventory-types-edit"), {"policy_types": ["groups"]})
    assert response.status_code == 403
    assert _nothing_written(world, before)


@pytest.mark.parametrize("dropped", REFERENCE)
def test_dropping_reference_data_is_refused_while_a_profile_is_assigned(client, world, dropped):
    assign(profile(world.a, "Gold standard"), world.a1)
    client.force_login(world.owner)
    before = AuditLog.objects.count()
    kept = [t for t in ALL_TYPES if t != dropped]
    response = client.post(_url(world, "inventory-types-edit"), {"policy_types": kept})
    assert response.status_code == 400
    body = response.content.decode()
    assert "policy_types: " in body and "must stay selected" in body and "1 baseline profile." in body
    assert _nothing_written(world, before)
    # the form keeps what the operator ticked, so nothing they chose is lost
    assert f'value="{dropped}" checked' not in body and 'value="intents" checked' in body


def test_dropping_reference_data_is_allowed_without_an_active_assignment(client, world):
    archived = profile(world.a, "Retired")
    archived.archived_at = timezone.now()
    archived.save()
    assign(archived, world.a1)
    assign(profile(world.a, "Other customer"), world.a2)  # another environment's assignment does not bind a1
    client.force_login(world.owner)
    response = client.post(_url(world, "inventory-types-edit"), {"policy_types": ["deviceConfigurations"]})
    assert response.status_code == 302
    assert selected_types(world.a1) == ("deviceConfigurations",)


def test_page_warns_when_an_assigned_profile_lacks_reference_data(client, world):
    inventory_types_update(actor=world.owner, environment=world.a1, policy_types=["deviceConfigurations", "groups"])
    assign(profile(world.a, "Gold standard"), world.a1)  # assigned after the types were narrowed
    client.force_login(world.members[Role.READONLY])
    body = client.get(_url(world)).content.decode()
    assert "Not selected, but needed by baseline compare: Scope tags, Assignment filters." in body
    assert "Gold standard" in body
