"""Members pages: least-privilege defaults and an access form that saves only what was ticked;
the operations filter offers only runnable operation types."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.roles import Role
from tenantpilot.operations import registry
from tenantpilot.operations.choices import OperationType
from tenantpilot.tenancy.models import WorkspaceMembership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def url(name, world, **kwargs):
    return reverse(name, kwargs={"workspace": world.a.slug, **kwargs})


def _selected_option(page: str, select_name: str) -> str:
    select = re.search(rf'<select name="{select_name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, f"no <select name={select_name}>"
    chosen = re.findall(r'<option value="([^"]*)"[^>]*selected', select.group(1))
    assert len(chosen) == 1, chosen
    return chosen[0]


def test_add_member_form_preselects_read_only(client, world):
    client.force_login(world.owner)
    page = client.get(url("console:member-add", world)).content.decode()
    assert _selected_option(page, "role") == Role.READONLY.value


def test_add_member_form_keeps_the_chosen_role_after_an_error(client, world):
    client.force_login(world.owner)
    response = client.post(url("console:member-add", world), {"user": "ghost@nowhere.test", "role": "manager"})
    assert response.status_code == 400
    assert _selected_option(response.content.decode(), "role") == Role.MANAGER.value


def test_add_member_without_changing_the_role_adds_a_read_only_member(client, world):
    newcomer = UserFactory(username="newcomer@alpha.test")
    client.force_login(world.owner)
    page = client.get(url("console:member-add", world)).content.decode()
    response = client.post(
        url("console:member-add", world), {"user": newcomer.username, "role": _selected_option(page, "role")}
    )
    assert response.status_code == 302
    assert WorkspaceMembership.objects.get(workspace=world.a, user=newcomer).role == Role.READONLY


def test_access_form_refuses_ticked_environments_without_restriction(client, world):
    target = world.memberships[Role.OPERATOR]
    client.force_login(world.owner)
    audits = AuditLog.objects.filter(action=AuditAction.MEMBER_ACCESS_CHANGED).count()
    response = client.post(
        url("console:member-access", world, membership_id=target.pk), {"environments": [world.a1.pk]}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Only the environments selected below" in page and "You selected environments" in page
    # The tick survives the error so nothing the manager chose is lost.
    assert re.search(rf'value="{world.a1.pk}"[^>]*checked', page)
    target.refresh_from_db()
    assert target.restricted_environments is False
    assert AuditLog.objects.filter(action=AuditAction.MEMBER_ACCESS_CHANGED).count() == audits
    # No success message was queued for the next page.
    assert "saved" not in client.get(url("console:members", world)).content.decode()


def test_access_form_saves_a_ticked_restriction(client, world):
    target = world.memberships[Role.OPERATOR]
    client.force_login(world.owner)
    response = client.post(
        url("console:member-access", world, membership_id=target.pk),
        {"restricted": "on", "environments": [world.a1.pk]},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.restricted_environments is True
    page = client.get(url("console:members", world)).content.decode()
    assert "Environment access of operator@alpha.test saved." in page and "1 selected" in page


def test_access_form_with_nothing_ticked_saves_all_environments(client, world):
    target = world.memberships[Role.OPERATOR]
    client.force_login(world.owner)
    response = client.post(url("console:member-access", world, membership_id=target.pk), {})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.restricted_environments is False


def _offered_operation_types(page: str) -> set[str]:
    select = re.search(r'<select name="type"[^>]*>(.*?)</select>', page, re.S)
    assert select
    return {v for v in re.findall(r'<option value="([^"]*)"', select.group(1)) if v}


def test_operations_filter_offers_exactly_the_types_with_a_handler(client, world):
    client.force_login(world.owner)
    offered = _offered_operation_types(client.get(url("console:operations", world)).content.decode())
    assert offered == {t.value for t in OperationType if registry.handler_for(t.value) is not None}
    assert OperationType.INVENTORY_SYNC.label in client.get(url("console:operations", world)).content.decode()


def test_operations_filter_hides_a_type_without_handler(client, world, monkeypatch):
    # The registry is process state: remove one handler for this test only (restored afterwards).
    monkeypatch.delitem(registry._HANDLERS, OperationType.COMPLIANCE_SNAPSHOT.value)
    client.force_login(world.owner)
    page = client.get(url("console:operations", world)).content.decode()
    offered = _offered_operation_types(page)
    assert OperationType.COMPLIANCE_SNAPSHOT.value not in offered
    assert OperationType.INVENTORY_SYNC.value in offered
    # Asking for it anyway is a field error, not a 500.
    response = client.get(url("console:operations", world), {"type": OperationType.COMPLIANCE_SNAPSHOT.value})
    assert response.status_code == 400


def test_invite_form_preselects_read_only(client, world):
    client.force_login(world.owner)
    page = client.get(url("console:invitation-create", world)).content.decode()
    assert _selected_option(page, "role") == Role.READONLY.value
