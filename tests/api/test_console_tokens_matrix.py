"""The console's API token pages pass the authorization matrix, and a new token is shown once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tenantpilot.audit.actions import AuditAction
from tenantpilot.authz.capabilities import Capability as C
from tenantpilot.authz.roles import Role
from tenantpilot.tenancy.models import ApiToken
from tests.api.conftest import make_token
from tests.support.matrix import RouteCase, run_matrix


def readonly_members_token(world):
    # The least role with workspace.view is read-only: revoking their own token.
    return {"token_id": make_token(world.members[Role.READONLY], world.a)[0].pk}


CASES = [
    RouteCase("console:api-tokens", C.WORKSPACE_VIEW),
    RouteCase(
        "console:api-tokens",
        C.WORKSPACE_VIEW,
        "POST",
        data=lambda w: {"name": "ci", "expires_in_days": 30},
        audit_action=AuditAction.API_TOKEN_CREATED,
    ),
    RouteCase(
        "console:api-token-revoke",
        C.WORKSPACE_VIEW,
        "POST",
        kwargs=readonly_members_token,
        data=lambda w: {},
        audit_action=AuditAction.API_TOKEN_REVOKED,
        ok_status=(302,),
        restricted_status=(404,),
    ),  # another member's token
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=str)
def test_token_route_passes_authorization_matrix(client, world, case):
    assert len(run_matrix(client, world, case).rows) >= 5


@pytest.mark.django_db
def test_new_token_is_shown_once_and_listed_by_hint_only(client, world):
    client.force_login(world.members[Role.OPERATOR])
    url = reverse("console:api-tokens", kwargs={"workspace": world.a.slug})
    created = client.post(url, {"name": "pipeline", "expires_in_days": 7, "read_only": "on"})
    body = created.content.decode()
    token = ApiToken.objects.get(name="pipeline")
    text = body.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert text.startswith(token.hint) and token.read_only
    again = client.get(url).content.decode()
    assert text not in again and token.hint in again
    assert created["Cache-Control"].startswith("no-store") or "no-store" in created["Cache-Control"]


@pytest.mark.django_db
def test_owner_sees_every_members_token_and_a_readonly_member_only_their_own(client, world):
    make_token(world.members[Role.OPERATOR], world.a)
    url = reverse("console:api-tokens", kwargs={"workspace": world.a.slug})
    client.force_login(world.owner)
    assert "operator@alpha.test" in client.get(url).content.decode()
    client.force_login(world.members[Role.READONLY])
    assert "operator@alpha.test" not in client.get(url).content.decode()
