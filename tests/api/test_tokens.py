"""Personal API tokens: stored keyed-hashed, expiry, revocation (audited), read-only, and a token
acting with its owner's *current* membership; the one error shape; 401 with WWW-Authenticate."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.roles import Role
from tenantpilot.tenancy import services as tenancy_services
from tenantpilot.tenancy.authority import scope_for_workspace
from tenantpilot.tenancy.models import ApiToken, WorkspaceMembership
from tenantpilot.tenancy.services_tokens import api_token_create, api_token_revoke
from tests.api.conftest import bearer, make_token

pytestmark = pytest.mark.django_db


def envs_url(world, workspace=None):
    return reverse("api-v1:environment-list", kwargs={"workspace": (workspace or world.a).slug})


def test_token_is_prefixed_shown_once_and_stored_only_as_a_keyed_hash(world):
    token, text = make_token(world.owner, world.a)
    assert text.startswith("tpat_") and len(text) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert text not in str(stored.__dict__)
    assert stored.digest != text and len(stored.digest) == 64
    row = AuditLog.objects.get(action=AuditAction.API_TOKEN_CREATED)
    assert text not in str(row.metadata) and stored.digest not in str(row.metadata)


def test_expiry_defaults_to_90_days_and_is_at_most_a_year(world):
    token, _ = make_token(world.owner, world.a)
    assert abs((token.expires_at - timezone.now()) - dt.timedelta(days=90)) < dt.timedelta(minutes=1)
    scope = scope_for_workspace(world.owner, world.a)
    for bad in (0, 366, "soon"):
        with pytest.raises(Exception) as refused:
            api_token_create(scope=scope, name="x", expires_in_days=bad)
        assert getattr(refused.value, "field", None) == "expires_in_days"


def test_anonymous_and_bad_tokens_get_401_with_a_bearer_challenge(client, world):
    for headers in ({}, bearer("tpat_not-a-real-token"), {"Authorization": "Basic abc"}):
        response = client.get(envs_url(world), headers=headers)
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["error"]["code"] == "unauthenticated"


def test_a_session_cookie_is_not_an_api_credential(client, world):
    client.force_login(world.owner)
    assert client.get(envs_url(world)).status_code == 401


def test_a_valid_token_lists_environments_and_records_its_use(client, world, owner_token):
    token, text = owner_token
    response = client.get(envs_url(world), headers=bearer(text), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 200
    body = response.json()
    assert {row["display_name"] for row in body["items"]} == {"Alpha One", "Alpha Two"}
    assert body["count"] == 2 and body["next_page"] is None
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_ip == "203.0.113.7"


def test_expired_token_is_refused(client, world, owner_token):
    token, text = owner_token
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(
        created_at=now - dt.timedelta(days=91), expires_at=now - dt.timedelta(seconds=1)
    )
    assert client.get(envs_url(world), headers=bearer(text)).status_code == 401


def test_revoked_token_is_refused_and_its_use_is_audited(client, world, owner_token):
    token, text = owner_token
    api_token_revoke(scope=scope_for_workspace(world.owner, world.a), token_id=token.pk)
    assert AuditLog.objects.filter(action=AuditAction.API_TOKEN_REVOKED, workspace=world.a).count() == 1
    assert client.get(envs_url(world), headers=bearer(text)).status_code == 401
    used = AuditLog.objects.get(action=AuditAction.API_TOKEN_USED_AFTER_REVOKE)
    assert used.workspace_id == world.a.pk and text not in str(used.metadata)


def test_a_member_cannot_revoke_another_members_token_but_an_owner_can(world):
    token, _ = make_token(world.members[Role.OPERATOR], world.a)
    with pytest.raises(Exception) as refused:
        api_token_revoke(scope=scope_for_workspace(world.members[Role.READONLY], world.a), token_id=token.pk)
    assert type(refused.value).__name__ == "NotFound"
    revoked = api_token_revoke(scope=scope_for_workspace(world.owner, world.a), token_id=token.pk)
    assert revoked.revoked_at is not None and revoked.revoked_by == world.owner


def test_read_only_token_reads_but_every_mutation_is_403(client, world):
    _, text = make_token(world.owner, world.a, read_only=True)
    assert client.get(envs_url(world), headers=bearer(text)).status_code == 200
    response = client.post(
        envs_url(world), data={"display_name": "X"}, content_type="application/json", headers=bearer(text)
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_demotion_takes_effect_on_the_next_request(client, world):
    manager = world.members[Role.MANAGER]
    _, text = make_token(manager, world.a)
    url = reverse("api-v1:environment-archive", kwargs={"workspace": "alpha", "environment_id": world.a2.pk})
    tenancy_services.membership_change_role(
        actor=world.owner, membership=world.memberships[Role.MANAGER], role="readonly"
    )
    response = client.post(url, data={"archived": True}, content_type="application/json", headers=bearer(text))
    assert response.status_code == 403


def test_removal_ends_the_tokens_power_at_once(client, world):
    operator = world.members[Role.OPERATOR]
    _, text = make_token(operator, world.a)
    assert client.get(envs_url(world), headers=bearer(text)).status_code == 200
    tenancy_services.membership_remove(actor=world.owner, membership=world.memberships[Role.OPERATOR])
    assert client.get(envs_url(world), headers=bearer(text)).status_code == 401


def test_restriction_applies_to_the_token_at_once(client, world):
    manager = world.members[Role.MANAGER]
    _, text = make_token(manager, world.a)
    tenancy_services.membership_set_environment_access(
        actor=world.owner, membership=world.memberships[Role.MANAGER], restricted=True, environment_ids=[world.a2.pk]
    )
    body = client.get(envs_url(world), headers=bearer(text)).json()
    assert [row["display_name"] for row in body["items"]] == ["Alpha Two"]
    url = reverse("api-v1:environment-detail", kwargs={"workspace": "alpha", "environment_id": world.a1.pk})
    assert client.get(url, headers=bearer(text)).status_code == 404


def test_a_workspace_a_token_on_workspace_b_paths_is_404(client, world):
    WorkspaceMembership.objects.create(workspace=world.b, user=world.owner, role=Role.OWNER)
    _, text = make_token(world.owner, world.a)
    response = client.get(envs_url(world, world.b), headers=bearer(text))
    assert response.status_code == 404
    assert "Bravo" not in response.content.decode()


def test_workspace_list_names_only_the_tokens_workspace(client, world):
    WorkspaceMembership.objects.create(workspace=world.b, user=world.owner, role=Role.OWNER)
    _, text = make_token(world.owner, world.a)
    body = client.get(reverse("api-v1:workspace-list"), headers=bearer(text)).json()
    assert [(w["slug"], w["role"]) for w in body["items"]] == [("alpha", "owner")]


def test_rate_limit_answers_429_with_retry_after(client, world, settings, owner_token):
    settings.TENANTPILOT_API_RATE_LIMIT = 2
    _, text = owner_token
    statuses = [client.get(envs_url(world), headers=bearer(text)).status_code for _ in range(3)]
    assert statuses[:2] == [200, 200] and statuses[2] == 429
    response = client.get(envs_url(world), headers=bearer(text))
    assert int(response["Retry-After"]) >= 1
    assert response.json()["error"]["code"] == "rate_limited"


def test_input_errors_are_400_naming_the_field(client, world, owner_token):
    _, text = owner_token
    response = client.get(envs_url(world), {"page_size": 1000}, headers=bearer(text))
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "page_size"
    response = client.post(
        envs_url(world), data={"tenant_id": "x"}, content_type="application/json", headers=bearer(text)
    )
    assert response.status_code == 400 and response.json()["error"]["field"] == "display_name"
    response = client.post(
        envs_url(world),
        data={"display_name": "Bad", "tenant_id": "not-a-guid"},
        content_type="application/json",
        headers=bearer(text),
    )
    assert response.status_code == 400 and response.json()["error"]["field"] == "tenant_id"
    response = client.post(envs_url(world), data="{not json", content_type="application/json", headers=bearer(text))
    assert response.status_code == 400 and set(response.json()["error"]) == {"code", "message", "field"}


def test_legacy_environment_aliases_are_inert(client, world, owner_token):
    _, text = owner_token
    url = reverse("api-v1:run-list", kwargs={"workspace": "alpha"})
    for alias in ("tenant", "tenant_id", "managed_environment_id"):
        response = client.get(url, {alias: world.b1.pk}, headers=bearer(text))
        assert response.status_code == 200 and response.json()["count"] == 0


def test_openapi_document_and_docs_need_a_signed_in_user(client, world):
    assert client.get("/api/v1/openapi.json").status_code == 302
    client.force_login(world.owner)
    document = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/w/{workspace}/environments" in document["paths"]
    assert client.get("/api/v1/docs").status_code == 200
