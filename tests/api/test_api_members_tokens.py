"""Member changes and token routes of the API keep the console's rules: nobody changes their own
role or access, a restricted manager never widens access, the last owner stays; a created token
is shown once and works, is audited without its text; only owners and unrestricted managers see
and revoke everyone's tokens."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.roles import Role
from tenantpilot.tenancy.models import ApiToken, WorkspaceMembership
from tests.api.conftest import bearer, make_token
from tests.factories import MembershipFactory, grant_environment

pytestmark = pytest.mark.django_db


def _url(name, world, **kwargs):
    return reverse(f"api-v1:{name}", kwargs={"workspace": world.a.slug, **kwargs})


def _send(client, method, url, text, body=None):
    data = json.dumps(body) if body is not None else ""
    return client.generic(method, url, data=data, content_type="application/json", headers=bearer(text))


def test_nobody_changes_their_own_role_or_access(client, world):
    _, text = make_token(world.members[Role.MANAGER], world.a)
    own = world.memberships[Role.MANAGER].pk
    role = _send(client, "POST", _url("member-role", world, membership_id=own), text, {"role": "owner"})
    access = _send(client, "PUT", _url("member-access", world, membership_id=own), text, {"restricted": False})
    assert (role.status_code, access.status_code) == (403, 403)
    assert role.json()["error"]["code"] == "forbidden"
    assert WorkspaceMembership.objects.get(pk=own).role == Role.MANAGER
    assert not AuditLog.objects.filter(action=AuditAction.MEMBER_ROLE_CHANGED).exists()


def test_a_manager_cannot_grant_a_role_above_their_own(client, world):
    _, text = make_token(world.members[Role.MANAGER], world.a)
    target = world.memberships[Role.READONLY].pk
    response = _send(client, "POST", _url("member-role", world, membership_id=target), text, {"role": "owner"})
    assert response.status_code == 403
    assert WorkspaceMembership.objects.get(pk=target).role == Role.READONLY


def test_an_unknown_role_is_a_field_error(client, world, owner_token):
    target = world.memberships[Role.READONLY].pk
    response = _send(client, "POST", _url("member-role", world, membership_id=target), owner_token[1], {"role": "god"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "role"


def test_a_restricted_manager_cannot_lift_a_restriction(client, world):
    manager = MembershipFactory(workspace=world.a, role=Role.MANAGER)
    grant_environment(manager, world.a2)
    target = MembershipFactory(workspace=world.a, role=Role.READONLY)
    grant_environment(target, world.a2)
    _, text = make_token(manager.user, world.a)
    url = _url("member-access", world, membership_id=target.pk)
    lift = _send(client, "PUT", url, text, {"restricted": False})
    hidden = _send(client, "PUT", url, text, {"restricted": True, "environment_ids": [world.a1.pk]})
    assert lift.status_code == 400 and lift.json()["error"]["field"] == "restricted"
    assert hidden.status_code == 400 and hidden.json()["error"]["field"] == "environments"
    target.refresh_from_db()
    assert target.restricted_environments is True


def test_the_access_answer_names_only_environments_the_caller_sees(client, world, owner_token):
    target = world.memberships[Role.READONLY].pk
    body = {"restricted": True, "environment_ids": [world.a2.pk]}
    response = _send(client, "PUT", _url("member-access", world, membership_id=target), owner_token[1], body)
    assert response.status_code == 200
    assert response.json()["visible_environment_ids"] == [world.a2.pk]
    assert response.json()["restricted_environments"] is True


def test_the_last_owner_is_never_removed_and_a_removed_members_token_dies(client, world):
    lone = MembershipFactory(role=Role.OWNER)
    _, lone_text = make_token(lone.user, lone.workspace)
    url = reverse("api-v1:member-remove", kwargs={"workspace": lone.workspace.slug, "membership_id": lone.pk})
    assert _send(client, "DELETE", url, lone_text).status_code == 409
    _, victim_text = make_token(world.members[Role.OPERATOR], world.a)
    _, owner_text = make_token(world.owner, world.a)
    removed = _send(
        client, "DELETE", _url("member-remove", world, membership_id=world.memberships[Role.OPERATOR].pk), owner_text
    )
    assert removed.status_code == 204
    assert client.get(_url("environment-list", world), headers=bearer(victim_text)).status_code == 401


def test_a_created_token_is_shown_once_works_and_is_audited_without_its_text(client, world):
    _, text = make_token(world.members[Role.READONLY], world.a)
    response = _send(client, "POST", _url("token-create", world), text, {"name": "ci", "read_only": True})
    assert response.status_code == 201
    secret = response.json()["secret"]
    assert secret.startswith("tpat_") and response.json()["token"]["read_only"] is True
    assert client.get(_url("environment-list", world), headers=bearer(secret)).status_code == 200
    listed = client.get(_url("token-list", world), headers=bearer(text))
    assert secret not in listed.content.decode()
    assert {t["name"] for t in listed.json()["items"]} == {"test", "ci"}
    row = AuditLog.objects.filter(action=AuditAction.API_TOKEN_CREATED).latest("pk")
    assert secret not in json.dumps(row.metadata)


def test_a_token_lifetime_beyond_a_year_is_a_field_error(client, world, owner_token):
    response = _send(client, "POST", _url("token-create", world), owner_token[1], {"name": "x", "expires_in_days": 400})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "expires_in_days"


def test_only_owners_and_unrestricted_managers_list_everyones_tokens(client, world):
    make_token(world.members[Role.OPERATOR], world.a)
    _, readonly_text = make_token(world.members[Role.READONLY], world.a)
    _, manager_text = make_token(world.members[Role.MANAGER], world.a)
    _, restricted_text = make_token(world.restricted, world.a)
    url = _url("token-list", world) + "?everyone=true"
    assert client.get(url, headers=bearer(readonly_text)).status_code == 403
    assert client.get(url, headers=bearer(restricted_text)).status_code == 403
    everyone = client.get(url, headers=bearer(manager_text)).json()
    assert everyone["count"] == ApiToken.objects.filter(workspace=world.a).count()
    own = client.get(_url("token-list", world), headers=bearer(readonly_text)).json()
    assert [t["username"] for t in own["items"]] == [world.members[Role.READONLY].username]


def test_a_manager_revokes_another_members_token_and_it_stops_working(client, world):
    victim, victim_text = make_token(world.members[Role.OPERATOR], world.a)
    _, readonly_text = make_token(world.members[Role.READONLY], world.a)
    _, manager_text = make_token(world.members[Role.MANAGER], world.a)
    url = _url("token-revoke", world, token_id=victim.pk)
    assert _send(client, "POST", url, readonly_text).status_code == 404
    response = _send(client, "POST", url, manager_text)
    assert response.status_code == 200 and response.json()["usable"] is False
    assert client.get(_url("environment-list", world), headers=bearer(victim_text)).status_code == 401
    assert AuditLog.objects.filter(action=AuditAction.API_TOKEN_REVOKED, actor=world.members[Role.MANAGER]).count() == 1
