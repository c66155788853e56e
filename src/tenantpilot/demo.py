"""The demo data set: one workspace, graphsim's customer tenants with connections, one login per role.

Idempotent: running it again finds what exists and resets the demo passwords, so the printed
logins always work. Every write goes through the domain services (audited like any other).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from graphsim import fixtures_catalog as fx
from tenantpilot.authz.roles import Role
from tenantpilot.providers import services as provider_services
from tenantpilot.providers.choices import AuthType
from tenantpilot.providers.models import ProviderConnection
from tenantpilot.tenancy import services
from tenantpilot.tenancy.models import ManagedEnvironment, Workspace, WorkspaceMembership

DEMO_WORKSPACE_SLUG = "demo-msp"
DEMO_PASSWORD_PREFIX = "demo-"  # noqa: S105 - local demo logins only; the console listens on 127.0.0.1
# The demo's customer tenants are graphsim's shipped tenants, each with one connection whose
# credentials the simulator knows (the Woodgrove one has an expired secret on purpose).
DEMO_ENVIRONMENTS = (
    ("Contoso (golden)", fx.GOLDEN_TENANT_ID, fx.GOLDEN_DOMAIN, fx.GOLDEN_CLIENT_ID, fx.GOLDEN_CLIENT_SECRET),
    ("Fabrikam (drifted)", fx.DRIFTED_TENANT_ID, fx.DRIFTED_DOMAIN, fx.DRIFTED_CLIENT_ID, fx.DRIFTED_CLIENT_SECRET),
    (
        "Northwind (duplicate names)",
        fx.DUPLICATES_TENANT_ID,
        fx.DUPLICATES_DOMAIN,
        fx.DUPLICATES_CLIENT_ID,
        fx.DUPLICATES_CLIENT_SECRET,
    ),
    ("Tailspin (renamed)", fx.RENAMED_TENANT_ID, fx.RENAMED_DOMAIN, fx.RENAMED_CLIENT_ID, fx.RENAMED_CLIENT_SECRET),
    (
        "Woodgrove (expired secret)",
        fx.BROKEN_TENANT_ID,
        fx.BROKEN_DOMAIN,
        fx.BROKEN_EXPIRED_CLIENT_ID,
        fx.BROKEN_EXPIRED_CLIENT_SECRET,
    ),
)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str


def seed_demo() -> list[DemoLogin]:
    """Create (or refresh) the demo workspace and return the logins to print."""
    user_model = get_user_model()
    logins: list[DemoLogin] = []
    with transaction.atomic():
        users = {}
        for role in Role:
            username = f"{role.value}@demo.local"
            user, _ = user_model.objects.get_or_create(username=username, defaults={"email": username})
            password = f"{DEMO_PASSWORD_PREFIX}{role.value}"
            user.set_password(password)
            user.save()
            users[role] = user
            logins.append(DemoLogin(username, password, role.label))
        admin, _ = user_model.objects.get_or_create(
            username="admin", defaults={"email": "admin@demo.local", "is_staff": True, "is_superuser": True}
        )
        admin.set_password(f"{DEMO_PASSWORD_PREFIX}admin")
        admin.save()
        logins.append(DemoLogin("admin", f"{DEMO_PASSWORD_PREFIX}admin", "Platform superuser (/system/)"))

        owner = users[Role.OWNER]
        workspace = Workspace.objects.filter(slug=DEMO_WORKSPACE_SLUG).first()
        if workspace is None:
            workspace = services.workspace_create(actor=owner, name="Demo MSP", slug=DEMO_WORKSPACE_SLUG, owner=owner)
        for role, user in users.items():
            if not WorkspaceMembership.objects.filter(workspace=workspace, user=user).exists():
                services.membership_add(actor=owner, workspace=workspace, user_identifier=user.username, role=role)
        for name, tenant_id, domain, client_id, secret in DEMO_ENVIRONMENTS:
            environment = ManagedEnvironment.objects.filter(workspace=workspace, tenant_id=tenant_id).first()
            if environment is None:
                environment = services.environment_create(
                    actor=owner, workspace=workspace, display_name=name, tenant_id=tenant_id, default_domain=domain
                )
            if not ProviderConnection.objects.filter(environment=environment).exists():
                provider_services.connection_create(
                    actor=owner,
                    environment=environment,
                    display_name="TenantPilot reader",
                    entra_tenant_id=tenant_id,
                    client_id=client_id,
                    auth_type=AuthType.CLIENT_SECRET,
                    client_secret=secret,
                )
    return logins
