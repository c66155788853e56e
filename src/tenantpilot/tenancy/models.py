"""Workspaces (MSP teams), managed environments (customer tenants) and who may see them."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator, RegexValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q

from tenantpilot.authz.roles import Role
from tenantpilot.core.db import check_environment_workspace

from .models_invitations import Invitation, InvitationEnvironment  # noqa: F401  (registers the invitation models)
from .models_tokens import ApiToken, ApiTokenQuerySet  # noqa: F401  (registers the token model with the app)

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


class EnvironmentScope(Protocol):
    """What environment scoping needs to know of an actor: the workspace and their membership in it.

    ``tenancy.authority.Scope`` is one; it is named by shape so the models stay below ``authority``.
    """

    @property
    def workspace(self) -> Workspace: ...

    @property
    def membership(self) -> WorkspaceMembership: ...


class ManagedEnvironmentQuerySet(models.QuerySet["ManagedEnvironment"]):
    """Environments, with the one scoping rule every environment query goes through.

    ``visible_to(scope)`` is the restricted queryset (in the spirit of NetBox's
    ``RestrictedQuerySet``): every selector that lists, counts or resolves environments, or lists
    records carrying an environment (through ``restrict_to_visible_environments``), starts from it,
    so a new page cannot forget a member's restriction.
    """

    def for_workspace(self, workspace: Workspace) -> ManagedEnvironmentQuerySet:
        return self.filter(workspace=workspace)

    def active(self) -> ManagedEnvironmentQuerySet:
        return self.filter(archived_at__isnull=True)

    def visible_to(self, scope: EnvironmentScope) -> ManagedEnvironmentQuerySet:
        """The environments of ``scope``'s workspace its member may see (archived ones included).

        An unrestricted member sees every environment of the workspace; a restricted one only
        those granted to their membership. Nothing of another workspace, ever. One row per
        environment (a subquery, not a join), so counts stay true.
        """
        qs = self.filter(workspace=scope.workspace)
        if scope.membership.restricted_environments:
            qs = qs.filter(
                pk__in=EnvironmentAccess.objects.filter(membership=scope.membership).values("environment_id")
            )
        return qs

    def visible_to_user(self, user: Any) -> ManagedEnvironmentQuerySet:
        """Across every workspace ``user`` belongs to, the environments they may see.

        The same rule as ``visible_to`` for each of the user's memberships, in one query (for
        pages that span workspaces, such as the workspace picker). Anonymous: nothing.
        """
        if not getattr(user, "is_authenticated", False):
            return self.none()
        unrestricted = WorkspaceMembership.objects.filter(
            workspace=OuterRef("workspace"), user=user, restricted_environments=False
        )
        granted = EnvironmentAccess.objects.filter(
            environment=OuterRef("pk"),
            membership__user=user,
            membership__workspace=OuterRef("workspace"),
            membership__restricted_environments=True,
        )
        return self.filter(Exists(unrestricted) | Exists(granted))


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


def restrict_to_visible_environments(
    qs: models.QuerySet[Any], scope: EnvironmentScope, *, field: str = "environment", workspace_level: bool = True
) -> models.QuerySet[Any]:
    """Narrow ``qs`` (rows carrying ``workspace`` and an environment ``field``) to what ``scope`` may see.

    Rows of another workspace never pass. Rows about an environment the member cannot see never
    pass. Rows with no environment (workspace-level rows) pass only when ``workspace_level``.
    Built on ``ManagedEnvironment.objects.visible_to``: the one place the restriction rule lives.
    """
    qs = qs.filter(workspace=scope.workspace)
    if not scope.membership.restricted_environments:
        # Every environment of the workspace is visible, and a row's environment is always of
        # the row's workspace (composite foreign keys), so the workspace filter is the whole rule.
        return qs if workspace_level else qs.filter(**{f"{field}__isnull": False})
    visible = Q(**{f"{field}__in": ManagedEnvironment.objects.visible_to(scope).values("pk")})
    if workspace_level:
        return qs.filter(Q(**{f"{field}__isnull": True}) | visible)
    return qs.filter(visible)
