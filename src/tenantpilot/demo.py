"""The demo data set: one workspace, a few customer tenants, one login per role.

Idempotent: running it again finds what exists and resets the demo passwords, so the printed
logins always work. Every write goes through the domain services (audited like any other).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from tenantpilot.authz.roles import Role
from tenantpilot.tenancy import services
from tenantpilot.tenancy.models import ManagedEnvironment, Workspace, WorkspaceMembership

DEMO_WORKSPACE_SLUG = "demo-msp"
DEMO_PASSWORD_PREFIX = "demo-"  # noqa: S105 - local demo logins only; the console listens on 127.0.0.1
DEMO_ENVIRONMENTS = (
    ("Contoso (golden)", "11111111-1111-4111-8111-111111111111", "contoso.onmicrosoft.com"),
    ("Fabrikam", "22222222-2222-4222-8222-222222222222", "fabrikam.onmicrosoft.com"),
    ("Northwind Traders", "33333333-3333-4333-8333-333333333333", "northwind.onmicrosoft.com"),
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
        for name, tenant_id, domain in DEMO_ENVIRONMENTS:
            if not ManagedEnvironment.objects.filter(workspace=workspace, tenant_id=tenant_id).exists():
                services.environment_create(
                    actor=owner, workspace=workspace, display_name=name, tenant_id=tenant_id, default_domain=domain
                )
    return logins
