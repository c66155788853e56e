"""Workspaces (MSP teams), managed environments (customer tenants) and who may see them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q

from tenantpilot.authz.roles import Role
from tenantpilot.core.db import check_environment_workspace

DOMAIN_VALIDATOR = RegexValidator(
    r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))+$",
    "Enter a domain name such as contoso.onmicrosoft.com.",
)


def validate_tenant_guid(value: object) -> None:
    """An Entra tenant id is a GUID (the form Microsoft shows, with hyphens)."""
    try:
        parsed = uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise ValidationError("Enter the tenant id as a GUID, e.g. 00000000-0000-0000-0000-000000000000.") from None
    if str(parsed) != str(value).lower() or parsed.int == 0:
        raise ValidationError("Enter the tenant id as a GUID, e.g. 00000000-0000-0000-0000-000000000000.")


class Workspace(models.Model):
    """An MSP team: the outermost isolation boundary. Everything tenant-owned hangs off one."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120, validators=[MinLengthValidator(1)])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "workspaces"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ManagedEnvironmentQuerySet(models.QuerySet["ManagedEnvironment"]):
    def for_workspace(self, workspace: Workspace) -> ManagedEnvironmentQuerySet:
        return self.filter(workspace=workspace)

    def active(self) -> ManagedEnvironmentQuerySet:
        return self.filter(archived_at__isnull=True)


class ManagedEnvironment(models.Model):
    """A customer's Microsoft tenant inside a workspace."""

    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="environments")
    display_name = models.CharField(max_length=120)
    tenant_id = models.CharField("Entra tenant id", max_length=36, validators=[validate_tenant_guid])
    default_domain = models.CharField(max_length=253, blank=True, validators=[DOMAIN_VALIDATOR])
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ManagedEnvironmentQuerySet.as_manager()

    class Meta:
        db_table = "managed_environments"
        ordering = ["display_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "tenant_id"], name="managed_env_unique_tenant_per_workspace"),
            # Target of the composite (environment_id, workspace_id) foreign keys.
            models.UniqueConstraint(fields=["id", "workspace"], name="managed_env_id_workspace_uniq"),
            models.CheckConstraint(condition=~Q(display_name=""), name="managed_env_display_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class WorkspaceMembership(models.Model):
    """A user's role in a workspace, optionally restricted to a listed subset of environments."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    restricted_environments = models.BooleanField(
        default=False, help_text="When set, the member sees only the environments granted below."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "workspace_memberships"
        ordering = ["workspace", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique_user_per_workspace"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_known"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} ({self.role})"


class EnvironmentAccess(models.Model):
    """Grants a restricted membership access to one environment of the same workspace."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(WorkspaceMembership, on_delete=models.CASCADE, related_name="environment_grants")
    environment = models.ForeignKey(ManagedEnvironment, on_delete=models.CASCADE, related_name="access_grants")

    class Meta:
        db_table = "environment_access"
        constraints = [
            models.UniqueConstraint(fields=["membership", "environment"], name="environment_access_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} → {self.environment_id}"

    def clean(self) -> None:
        check_environment_workspace(self)
        if self.membership_id and self.membership.workspace_id != self.workspace_id:
            raise ValidationError({"membership": "The membership belongs to another workspace."})
