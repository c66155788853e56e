"""Explicit authority (seed 339): only the URL, an explicit environment_id or the record decide."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from tenantpilot.authz.capabilities import Capability
from tenantpilot.authz.roles import Role
from tenantpilot.core.errors import Forbidden, NotFound
from tenantpilot.tenancy.authority import (
    LEGACY_ENVIRONMENT_ALIASES,
    authorize,
    parse_environment_id,
    resolve_workspace,
)
from tenantpilot.tenancy.models import ManagedEnvironment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("raw", [None, "", "abc", "-1", "0", "1.5", "1e3", True, "9" * 30, " 7x"])
def test_parse_environment_id_refuses_anything_but_a_positive_integer(raw):
    assert parse_environment_id(raw) is None


def test_parse_environment_id_accepts_digits():
    assert parse_environment_id("42") == 42
    assert parse_environment_id(42) == 42


def test_resolve_workspace_is_not_found_for_outsider_missing_and_anonymous(world):
    with pytest.raises(NotFound):
        resolve_workspace(world.outsider, world.a.slug)
    with pytest.raises(NotFound):
        resolve_workspace(world.owner, "no-such-workspace")
    with pytest.raises(NotFound):
        resolve_workspace(AnonymousUser(), world.a.slug)


def test_inactive_member_has_no_authority(world):
    world.owner.is_active = False
    world.owner.save()
    with pytest.raises(NotFound):
        resolve_workspace(world.owner, world.a.slug)


def test_authorize_takes_the_workspace_from_the_record(world):
    assert authorize(world.owner, Capability.ENVIRONMENT_MANAGE, world.a1).workspace == world.a
    with pytest.raises(NotFound):
        authorize(world.other, Capability.ENVIRONMENT_VIEW, world.a1)


def test_authorize_distinguishes_not_found_from_forbidden(world):
    with pytest.raises(Forbidden):
        authorize(world.members[Role.READONLY], Capability.ENVIRONMENT_MANAGE, world.a1)
    with pytest.raises(NotFound):
        authorize(world.restricted, Capability.ENVIRONMENT_VIEW, world.a1)
    assert authorize(world.restricted, Capability.ENVIRONMENT_VIEW, world.a2).workspace == world.a


def test_restricted_member_sees_only_granted_environments(world):
    scope = resolve_workspace(world.restricted, world.a.slug)
    assert list(scope.environments()) == [world.a2]
    with pytest.raises(NotFound):
        scope.environment(world.a1.pk)


def test_scope_environment_refuses_another_workspaces_environment(world):
    scope = resolve_workspace(world.owner, world.a.slug)
    with pytest.raises(NotFound):
        scope.environment(world.b1.pk)


@pytest.mark.parametrize("alias", LEGACY_ENVIRONMENT_ALIASES)
def test_legacy_alias_cannot_reach_another_workspaces_environment(client, world, alias):
    client.force_login(world.owner)
    url = reverse("console:workspace-home", kwargs={"workspace": world.a.slug})
    response = client.get(url, {alias: world.b1.pk, "archived": "1"})
    assert response.status_code == 200
    assert world.b1.display_name not in response.content.decode()


@pytest.mark.parametrize("alias", LEGACY_ENVIRONMENT_ALIASES)
def test_legacy_alias_does_not_widen_a_restricted_member(client, world, alias):
    client.force_login(world.restricted)
    response = client.get(reverse("console:audit", kwargs={"workspace": world.a.slug}), {alias: world.a1.pk})
    assert response.status_code == 200
    response = client.get(reverse("console:workspace-home", kwargs={"workspace": world.a.slug}), {alias: world.a1.pk})
    assert world.a1.display_name not in response.content.decode()


@pytest.mark.parametrize("alias", LEGACY_ENVIRONMENT_ALIASES)
def test_legacy_alias_does_not_grant_workspace_authority(client, world, alias):
    client.force_login(world.other)
    url = reverse("console:workspace-home", kwargs={"workspace": world.a.slug})
    assert client.get(url, {alias: world.b1.pk}).status_code == 404
    assert client.get(url, {"workspace": world.b.slug, alias: world.b.pk}).status_code == 404


def test_remembered_environment_in_session_grants_nothing(client, world):
    client.force_login(world.restricted)
    session = client.session
    for key in ("environment_id", "last_environment_id", "tenant_id", "current_tenant"):
        session[key] = world.a1.pk
    session["workspace"] = world.a.slug
    session.save()
    url = reverse("console:environment-detail", kwargs={"workspace": world.a.slug, "environment_id": world.a1.pk})
    assert client.get(url).status_code == 404
    home = client.get(reverse("console:workspace-home", kwargs={"workspace": world.a.slug}))
    assert world.a1.display_name not in home.content.decode()


def test_remembered_workspace_in_session_grants_nothing(client, world):
    client.force_login(world.other)
    session = client.session
    session["workspace"] = world.a.slug
    session["workspace_id"] = world.a.pk
    session.save()
    assert client.get(reverse("console:audit", kwargs={"workspace": world.a.slug})).status_code == 404


def test_environment_id_of_another_workspace_in_url_is_not_found(client, world):
    client.force_login(world.owner)
    url = reverse("console:environment-detail", kwargs={"workspace": world.a.slug, "environment_id": world.b1.pk})
    assert client.get(url).status_code == 404
    assert ManagedEnvironment.objects.filter(pk=world.b1.pk).exists()


def test_scope_require_visible_refuses_hidden_and_foreign_environments_alike(world):
    restricted = resolve_workspace(world.restricted, "alpha")
    assert restricted.is_restricted
    restricted.require_visible(world.a2)
    for environment in (world.a1, world.b1):
        with pytest.raises(NotFound):
            restricted.require_visible(environment)
    unrestricted = resolve_workspace(world.owner, "alpha")
    assert not unrestricted.is_restricted
    unrestricted.require_visible(world.a1)
    with pytest.raises(NotFound):
        unrestricted.require_visible(world.b1)


def test_scope_environments_is_visible_to(world):
    restricted = resolve_workspace(world.restricted, "alpha")
    assert list(restricted.environments()) == list(ManagedEnvironment.objects.visible_to(restricted)) == [world.a2]
    assert ManagedEnvironment.objects.visible_to(restricted).count() == 1
