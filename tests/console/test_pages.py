"""Console behaviour beyond the matrix: login, picker, forms, confirmations, errors, admin, health."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.roles import Role
from tenantpilot.tenancy.models import ManagedEnvironment, WorkspaceMembership
from tests.factories import PASSWORD, EnvironmentFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(name, world, **kwargs):
    return reverse(name, kwargs={"workspace": world.a.slug, **kwargs})


def test_login_then_picker_lists_only_own_workspaces(client, world):
    MembershipFactory(workspace=world.b, user=world.owner, role=Role.READONLY)
    response = client.post(reverse("console:login"), {"username": world.owner.username, "password": PASSWORD})
    assert response.status_code == 302
    page = client.get(reverse("console:workspace-picker")).content.decode()
    assert world.a.name in page and world.b.name in page
    client.force_login(world.other)
    response = client.get(reverse("console:workspace-picker"))
    assert response.status_code == 302 and response["Location"].endswith(f"/w/{world.b.slug}/")


def test_wrong_password_shows_a_form_error(client, world):
    response = client.post(reverse("console:login"), {"username": world.owner.username, "password": "nope"})
    assert response.status_code == 200
    assert "enter a correct" in response.content.decode().lower()


def test_logout_is_post_only(client, world):
    client.force_login(world.owner)
    assert client.get(reverse("console:logout")).status_code == 405
    assert client.post(reverse("console:logout")).status_code == 302
    assert client.get(url("console:workspace-home", world)).status_code == 302


def test_not_found_page_is_identical_for_missing_and_foreign_workspaces(client, world):
    client.force_login(world.other)
    foreign = client.get(url("console:workspace-home", world))
    missing = client.get(reverse("console:workspace-home", kwargs={"workspace": "does-not-exist"}))
    assert foreign.status_code == missing.status_code == 404
    strip = lambda r: r.content.decode().split("<main>")[1]  # noqa: E731 - the body below the shared header
    assert strip(foreign) == strip(missing)


def test_create_environment_with_bad_guid_shows_field_error_and_writes_nothing(client, world):
    client.force_login(world.owner)
    before = (ManagedEnvironment.objects.count(), AuditLog.objects.count())
    response = client.post(
        url("console:environment-create", world), {"display_name": "X", "tenant_id": "12345", "default_domain": ""}
    )
    assert response.status_code == 400
    assert "tenant id as a GUID" in response.content.decode()
    assert (ManagedEnvironment.objects.count(), AuditLog.objects.count()) == before


def test_create_environment_duplicate_tenant_is_a_field_error(client, world):
    client.force_login(world.owner)
    response = client.post(
        url("console:environment-create", world), {"display_name": "X", "tenant_id": world.a1.tenant_id}
    )
    assert response.status_code == 400
    assert "already has an environment for this tenant id" in response.content.decode()


def test_create_environment_success_redirects_to_detail(client, world):
    client.force_login(world.owner)
    tenant = str(uuid.uuid4())
    response = client.post(
        url("console:environment-create", world),
        {"display_name": "Tailspin", "tenant_id": tenant, "default_domain": "tailspin.onmicrosoft.com"},
    )
    env = ManagedEnvironment.objects.get(tenant_id=tenant)
    assert response["Location"] == url("console:environment-detail", world, environment_id=env.pk)
    assert "Tailspin" in client.get(response["Location"]).content.decode()


def test_archive_asks_for_confirmation_before_acting(client, world):
    client.force_login(world.owner)
    page = client.get(url("console:environment-archive", world, environment_id=world.a1.pk))
    assert page.status_code == 200 and "Archive environment" in page.content.decode()
    world.a1.refresh_from_db()
    assert not world.a1.is_archived
    client.post(url("console:environment-archive", world, environment_id=world.a1.pk))
    world.a1.refresh_from_db()
    assert world.a1.is_archived
    home = client.get(url("console:workspace-home", world)).content.decode()
    assert world.a1.display_name not in home
    assert world.a1.display_name in client.get(url("console:workspace-home", world), {"archived": "1"}).content.decode()


def test_removing_the_last_owner_is_refused_with_a_message(client, db):
    owner_m = MembershipFactory(role=Role.OWNER)
    client.force_login(owner_m.user)
    response = client.post(
        reverse("console:member-remove", kwargs={"workspace": owner_m.workspace.slug, "membership_id": owner_m.pk}),
        follow=True,
    )
    assert "last owner cannot be removed" in response.content.decode()
    assert WorkspaceMembership.objects.filter(pk=owner_m.pk).exists()


def test_member_role_change_offers_only_grantable_roles(client, world):
    client.force_login(world.members[Role.MANAGER])
    page = client.get(url("console:members", world)).content.decode()
    assert 'value="owner"' not in page
    response = client.post(
        url("console:member-role", world, membership_id=world.memberships[Role.READONLY].pk), {"role": "owner"}
    )
    assert response.status_code == 302
    assert WorkspaceMembership.objects.get(pk=world.memberships[Role.READONLY].pk).role == Role.READONLY


def test_member_add_unknown_user_is_a_field_error(client, world):
    client.force_login(world.owner)
    response = client.post(url("console:member-add", world), {"user": "ghost@nowhere.test", "role": "readonly"})
    assert response.status_code == 400
    assert "No single active user" in response.content.decode()


def test_audit_list_filters_by_environment_action_actor_and_date(client, world):
    from tenantpilot.tenancy import services

    services.environment_update(actor=world.owner, environment=world.a1, display_name="A1 renamed")
    services.environment_update(actor=world.members[Role.MANAGER], environment=world.a2, display_name="A2 renamed")
    client.force_login(world.owner)
    # Each row links the environment it is about (the audit log names no internal model labels).
    a1_row, a2_row = (
        f'href="{url("console:environment-detail", world, environment_id=env.pk)}"' for env in (world.a1, world.a2)
    )
    page = client.get(url("console:audit", world), {"environment_id": world.a2.pk}).content.decode()
    assert a2_row in page and a1_row not in page
    page = client.get(
        url("console:audit", world), {"actor": world.owner.pk, "action": AuditAction.ENVIRONMENT_UPDATED}
    ).content.decode()
    assert a1_row in page and a2_row not in page
    response = client.get(url("console:audit", world), {"date_from": "2030-01-02", "date_to": "2030-01-01"})
    assert response.status_code == 400 and "end date is before" in response.content.decode()


def test_restricted_member_audit_list_hides_other_environments(client, world):
    from tenantpilot.tenancy import services

    services.environment_update(actor=world.owner, environment=world.a1, display_name="Secret customer")
    client.force_login(world.restricted)
    page = client.get(url("console:audit", world)).content.decode()
    assert "Secret customer" not in page
    assert url("console:environment-detail", world, environment_id=world.a1.pk) not in page
    assert client.get(url("console:audit", world), {"environment_id": world.a1.pk}).status_code == 400


def test_workspace_home_paginates(client, world, settings):
    settings.TENANTPILOT_PAGE_SIZE = 2
    for _ in range(3):
        EnvironmentFactory(workspace=world.a)
    client.force_login(world.owner)
    page1 = client.get(url("console:workspace-home", world)).content.decode()
    assert "Page 1 of 3" in page1
    assert "Page 3 of 3" in client.get(url("console:workspace-home", world), {"page": "999"}).content.decode()
    assert "Page 1 of 3" in client.get(url("console:workspace-home", world), {"page": "abc"}).content.decode()


def test_request_id_is_echoed_and_shared_with_the_audit_row(client, world):
    client.force_login(world.owner)
    response = client.post(
        url("console:environment-edit", world, environment_id=world.a1.pk),
        {"display_name": "Renamed", "tenant_id": world.a1.tenant_id},
        headers={"X-Request-ID": "req-1234567890"},
    )
    assert response["X-Request-ID"] == "req-1234567890"
    assert AuditLog.objects.get(action=AuditAction.ENVIRONMENT_UPDATED).request_id == "req-1234567890"
    assert len(client.get(reverse("healthz"), headers={"X-Request-ID": "bad id!"})["X-Request-ID"]) == 32


def test_healthz_reports_ok_without_details(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_system_admin_is_for_superusers_only(client, world):
    client.force_login(world.owner)
    assert client.get("/system/").status_code == 302
    staff = UserFactory(username="staff@example.test")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    assert client.get("/system/").status_code == 302
    root = UserFactory(username="root@example.test")
    root.is_staff = root.is_superuser = True
    root.save()
    client.force_login(root)
    assert client.get("/system/").status_code == 200
    assert client.get("/system/audit/auditlog/").status_code == 200
    assert client.get("/system/audit/auditlog/add/").status_code == 403


def test_environment_page_shows_connection_health_and_recent_runs(client, world):
    from tenantpilot.operations.choices import OperationType
    from tenantpilot.operations.services import OperationRunService, operation_start
    from tenantpilot.providers import services as provider_services

    connection = provider_services.connection_create(
        actor=world.owner,
        environment=world.a1,
        display_name="Reader",
        entra_tenant_id=world.a1.tenant_id,
        client_id=str(uuid.uuid4()),
        auth_type="client_secret",
        client_secret="s3cret-value",
    )
    provider_services.connection_record_health(
        connection=connection,
        health="unhealthy",
        reason_code="auth_secret_expired",
        message="Secret expired.",
        permissions={},
    )
    run = operation_start(
        actor=world.owner,
        operation_type=OperationType.PROVIDER_HEALTH_CHECK,
        environment=world.a1,
        connection=connection,
    ).run
    OperationRunService.fail(run.pk, reason_code="auth_secret_expired")
    client.force_login(world.members[Role.READONLY])
    page = client.get(url("console:environment-detail", world, environment_id=world.a1.pk)).content.decode()
    assert "Reader" in page and "Unhealthy" in page and "auth_secret_expired" in page
    assert f"/operations/{run.pk}/" in page
    assert "s3cret-value" not in page


def test_workspace_home_shows_each_environments_connection_health(client, world):
    from tenantpilot.providers import services as provider_services

    connection = provider_services.connection_create(
        actor=world.owner,
        environment=world.a1,
        display_name="Reader",
        entra_tenant_id=world.a1.tenant_id,
        client_id=str(uuid.uuid4()),
        auth_type="client_secret",
        client_secret="s3cret-value",
    )
    provider_services.connection_record_health(
        connection=connection, health="degraded", reason_code="permission_missing", message="", permissions={}
    )
    client.force_login(world.owner)
    page = client.get(url("console:workspace-home", world)).content.decode()
    assert "Degraded" in page and "permission_missing" in page
    assert page.count('<span class="badge muted">None</span>') == 1, "a2 has no connection"
