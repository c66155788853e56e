"""Environment restrictions bind managers and owners too (issue 8, items 1–5).

A restricted member can neither see, count, name, grant nor infer an environment outside its
restriction, and nobody changes their own role or environment access.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import reverse

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.roles import Role
from tenantpilot.core.errors import Forbidden, ValidationFailed
from tenantpilot.tenancy import services
from tenantpilot.tenancy.models import EnvironmentAccess, WorkspaceMembership
from tenantpilot.tenancy.selectors import workspace_list_for_user
from tests.factories import MembershipFactory, UserFactory, grant_environment
from tests.operations.helpers import notification_for

pytestmark = pytest.mark.django_db

MANAGING_ROLES = [Role.OWNER, Role.MANAGER]


def _restricted(world, role, *environments):
    membership = MembershipFactory(workspace=world.a, role=role)
    grant_environment(membership, *(environments or (world.a2,)))
    return membership


def _grants(membership):
    return set(EnvironmentAccess.objects.filter(membership=membership).values_list("environment_id", flat=True))


def _snapshot(membership):
    membership.refresh_from_db()
    return membership.role, membership.restricted_environments, _grants(membership), AuditLog.objects.count()


# 1. Nobody widens (or changes) their own access or role.


@pytest.mark.parametrize("role", MANAGING_ROLES)
@pytest.mark.parametrize("restricted", [True, False])
def test_nobody_changes_their_own_environment_access(world, role, restricted):
    me = _restricted(world, role) if restricted else MembershipFactory(workspace=world.a, role=role)
    before = _snapshot(me)
    with pytest.raises(Forbidden):
        services.membership_set_environment_access(actor=me.user, membership=me, restricted=False, environment_ids=[])
    with pytest.raises(Forbidden):
        services.membership_set_environment_access(
            actor=me.user, membership=me, restricted=True, environment_ids=[world.a1.pk, world.a2.pk]
        )
    assert _snapshot(me) == before


@pytest.mark.parametrize("role", MANAGING_ROLES)
def test_nobody_changes_their_own_role(world, role):
    me = _restricted(world, role)
    before = _snapshot(me)
    for new_role in Role:
        with pytest.raises(Forbidden):
            services.membership_change_role(actor=me.user, membership=me, role=new_role)
    assert _snapshot(me) == before


@pytest.mark.parametrize("role", MANAGING_ROLES)
def test_console_refuses_own_access_and_role_and_the_restriction_stays(client, world, role):
    me = _restricted(world, role)
    client.force_login(me.user)
    access_url = reverse("console:member-access", kwargs={"workspace": "alpha", "membership_id": me.pk})
    assert client.get(access_url).status_code == 403
    assert client.post(access_url, {}).status_code == 403  # no "restricted": would lift the restriction
    role_url = reverse("console:member-role", kwargs={"workspace": "alpha", "membership_id": me.pk})
    assert client.post(role_url, {"role": Role.OWNER.value}).status_code == 403
    hidden = reverse("console:environment-detail", kwargs={"workspace": "alpha", "environment_id": world.a1.pk})
    assert client.get(hidden).status_code == 404
    me.refresh_from_db()
    assert me.restricted_environments and _grants(me) == {world.a2.pk}


def test_member_list_offers_no_action_on_ones_own_row(client, world):
    client.force_login(world.owner)
    body = client.get(reverse("console:members", kwargs={"workspace": "alpha"})).content.decode()
    own = world.memberships[Role.OWNER].pk
    other = world.memberships[Role.READONLY].pk
    assert f"/members/{own}/access/" not in body
    assert f"/members/{other}/access/" in body


# 2. A restricted member grants only what it sees, and never "all environments".


@pytest.mark.parametrize("role", MANAGING_ROLES)
def test_restricted_member_cannot_grant_a_hidden_environment(world, role):
    me = _restricted(world, role)
    target = _restricted(world, Role.READONLY)
    before = _snapshot(target)
    with pytest.raises(ValidationFailed) as hidden:
        services.membership_set_environment_access(
            actor=me.user, membership=target, restricted=True, environment_ids=[world.a1.pk]
        )
    with pytest.raises(ValidationFailed) as missing:
        services.membership_set_environment_access(
            actor=me.user, membership=target, restricted=True, environment_ids=[999_999]
        )
    # A hidden environment and a missing one get the same answer: no existence oracle.
    assert (hidden.value.field, hidden.value.message) == (missing.value.field, missing.value.message)
    assert hidden.value.field == "environments"
    assert _snapshot(target) == before


@pytest.mark.parametrize("role", MANAGING_ROLES)
def test_restricted_member_cannot_grant_all_environments(world, role):
    me = _restricted(world, role)
    target = _restricted(world, Role.READONLY)
    before = _snapshot(target)
    with pytest.raises(ValidationFailed) as refused:
        services.membership_set_environment_access(
            actor=me.user, membership=target, restricted=False, environment_ids=[]
        )
    assert refused.value.field == "restricted"
    assert "all" in refused.value.message
    assert _snapshot(target) == before


def test_restricted_member_cannot_narrow_a_member_who_sees_everything(world):
    me = _restricted(world, Role.MANAGER)
    target = world.memberships[Role.OPERATOR]
    before = _snapshot(target)
    with pytest.raises(ValidationFailed) as refused:
        services.membership_set_environment_access(
            actor=me.user, membership=target, restricted=True, environment_ids=[world.a2.pk]
        )
    assert refused.value.field == "restricted"
    assert _snapshot(target) == before


def test_restricted_member_grants_what_it_sees_and_leaves_hidden_grants_alone(world):
    me = _restricted(world, Role.MANAGER, world.a2)
    a3 = world.a.environments.create(display_name="Alpha Three", tenant_id=str(uuid.uuid4()))
    grant_environment(me, a3)
    target = _restricted(world, Role.READONLY, world.a1, world.a2)
    services.membership_set_environment_access(
        actor=me.user, membership=target, restricted=True, environment_ids=[a3.pk]
    )
    assert _grants(target) == {world.a1.pk, a3.pk}  # a2 taken away, a3 given, hidden a1 untouched
    row = AuditLog.objects.filter(action=AuditAction.MEMBER_ACCESS_CHANGED).latest("id")
    assert row.metadata["environment_ids"] == [a3.pk]


def test_console_grant_of_a_hidden_environment_is_a_field_error(client, world):
    me = _restricted(world, Role.MANAGER)
    target = _restricted(world, Role.READONLY)
    client.force_login(me.user)
    url = reverse("console:member-access", kwargs={"workspace": "alpha", "membership_id": target.pk})
    response = client.post(url, {"restricted": "on", "environments": [world.a1.pk]})
    assert response.status_code == 400
    assert "environments" in response.context["form"].errors
    assert _grants(target) == {world.a2.pk}
    response = client.post(url, {"environments": [world.a2.pk]})  # "restricted" unticked: all environments
    assert response.status_code == 400
    assert "restricted" in response.context["form"].errors
    target.refresh_from_db()
    assert target.restricted_environments


@pytest.mark.parametrize("role", MANAGING_ROLES)
def test_member_added_by_a_restricted_member_starts_restricted_with_nothing(world, role):
    me = _restricted(world, role)
    user = UserFactory()
    added = services.membership_add(actor=me.user, workspace=world.a, user_identifier=user.username, role=Role.READONLY)
    assert added.restricted_environments and _grants(added) == set()
    unrestricted = services.membership_add(
        actor=world.owner, workspace=world.a, user_identifier=UserFactory().username, role=Role.READONLY
    )
    assert not unrestricted.restricted_environments


# 3. The access form offers only environments the viewer sees.


def test_access_form_lists_only_environments_the_viewer_sees(client, world):
    me = _restricted(world, Role.MANAGER)
    target = _restricted(world, Role.READONLY, world.a1, world.a2)
    client.force_login(me.user)
    url = reverse("console:member-access", kwargs={"workspace": "alpha", "membership_id": target.pk})
    response = client.get(url)
    assert response.status_code == 200
    choices = list(response.context["form"].fields["environments"].choices)
    assert choices == [(world.a2.pk, world.a2.display_name)]
    assert response.context["form"].initial["environments"] == [world.a2.pk]
    assert world.a1.display_name not in response.content.decode()


# 4. Environment creation is no tenant-id oracle.


def test_console_environment_create_is_refused_to_restricted_members_alike(client, world):
    me = _restricted(world, Role.MANAGER)
    client.force_login(me.user)
    url = reverse("console:environment-create", kwargs={"workspace": "alpha"})
    answers = []
    for tenant in (world.a1.tenant_id, str(uuid.uuid4())):
        response = client.post(url, {"display_name": "Probe", "tenant_id": tenant})
        # Per-response tokens (CSP nonce, CSRF) aside, the two answers must be identical.
        body = re.sub(r'(nonce="|X-CSRFToken": "|value=")[^"]*"', r"\1…", response.content.decode())
        answers.append((response.status_code, body))
    assert answers[0] == answers[1]
    assert answers[0][0] == 403
    assert "already" not in answers[0][1]
    assert client.get(url).status_code == 403
    home = client.get(reverse("console:workspace-home", kwargs={"workspace": "alpha"})).content.decode()
    assert url not in home


# 5. The workspace picker counts only what the viewer sees.


def test_workspace_picker_counts_only_visible_environments(client, world):
    me = _restricted(world, Role.READONLY)
    MembershipFactory(workspace=world.b, user=me.user, role=Role.READONLY)
    client.force_login(me.user)
    response = client.get(reverse("console:workspace-picker"))
    counts = {ws.slug: ws.environment_count for ws in response.context["workspaces"]}
    assert counts == {"alpha": 1, "bravo": 1}
    client.force_login(world.owner)
    response = client.get(reverse("console:workspace-picker"), {"all": "1"})
    assert {ws.slug: ws.environment_count for ws in response.context["workspaces"]} == {"alpha": 2}


def test_workspace_picker_count_ignores_archived_and_other_members_grants(world):
    me = _restricted(world, Role.READONLY, world.a1, world.a2)
    services.environment_set_archived(actor=world.owner, environment=world.a1, archived=True)
    other = _restricted(world, Role.READONLY, world.a2)
    assert {ws.slug: ws.environment_count for ws in workspace_list_for_user(user=me.user)} == {"alpha": 1}
    assert {ws.slug: ws.environment_count for ws in workspace_list_for_user(user=other.user)} == {"alpha": 1}
    assert WorkspaceMembership.objects.filter(user=me.user).count() == 1


def test_mark_all_read_counts_only_visible_notifications(client, world):
    me = _restricted(world, Role.READONLY)
    notification_for(me.user, world.a1)  # sent before the restriction, about a now-hidden environment
    notification_for(me.user, world.a2)
    client.force_login(me.user)
    response = client.post(reverse("console:notification-read-all", kwargs={"workspace": "alpha"}), follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert shown == ["1 notification(s) marked read."]
