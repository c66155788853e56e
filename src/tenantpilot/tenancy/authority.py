"""Explicit authority (seed 339): the fetch-and-authorize helpers every interface uses.

Where authority may come from:
- the workspace: the URL (``/w/<slug>/…``) or the record being acted on;
- the environment: an explicit ``environment_id`` (path or filter) or the record.

There is no other source: no session value, no "last used" environment, and the legacy
aliases ``tenant``, ``tenant_id`` and ``managed_environment_id`` are never read. Answers:
not a member / no access to the environment → ``NotFound`` (404, indistinguishable from a
missing record); a member without the capability → ``Forbidden`` (403).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, QuerySet

from tenantpilot.authz.capabilities import Capability
from tenantpilot.authz.roles import capabilities_for
from tenantpilot.core.errors import Forbidden, NotFound

from .models import (
    ManagedEnvironment,
    ManagedEnvironmentQuerySet,
    Workspace,
    WorkspaceMembership,
    restrict_to_visible_environments,
)

# The only request parameter that names an environment. Listed here so tests can prove the
# legacy aliases next to it stay inert.
ENVIRONMENT_PARAM = "environment_id"
LEGACY_ENVIRONMENT_ALIASES = ("tenant", "tenant_id", "managed_environment_id")


@dataclass(frozen=True)
class Scope:
    """An authenticated member inside one workspace, with their capabilities resolved once."""

    user: Any
    workspace: Workspace
    membership: WorkspaceMembership
    capabilities: frozenset[Capability] = field(default_factory=frozenset)

    def can(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def require(self, capability: Capability) -> None:
        """Raise ``Forbidden`` unless the member has ``capability``."""
        if capability not in self.capabilities:
            raise Forbidden()

    @property
    def role(self) -> str:
        return self.membership.role

    @property
    def is_restricted(self) -> bool:
        """True when the member sees only the environments granted to them."""
        return bool(self.membership.restricted_environments)

    def environments(self) -> ManagedEnvironmentQuerySet:
        """The environments this member may see (archived ones included; filter as needed).

        Only a shorthand for ``ManagedEnvironment.objects.visible_to(self)``, the one scoping rule.
        """
        return ManagedEnvironment.objects.visible_to(self)

    def visible_rows(
        self, qs: QuerySet[Any], *, field: str = "environment", workspace_level: bool = True
    ) -> QuerySet[Any]:
        """``qs`` narrowed to this workspace's rows the member may see: a shorthand for
        ``restrict_to_visible_environments`` for apps below ``tenancy`` that take a scope by shape."""
        return restrict_to_visible_environments(qs, self, field=field, workspace_level=workspace_level)

    def can_access_environment(self, environment: ManagedEnvironment) -> bool:
        """True when ``environment`` is one this member may see."""
        if environment.workspace_id != self.workspace.pk:
            return False
        if not self.is_restricted:
            return True
        return self.environments().filter(pk=environment.pk).exists()

    def require_visible(self, environment: ManagedEnvironment) -> None:
        """Raise ``NotFound`` unless ``environment`` is one this member may see.

        Selectors that take an already-resolved environment call this themselves instead of
        trusting the interface that resolved it (defence in depth; no query when unrestricted).
        """
        if not self.can_access_environment(environment):
            raise NotFound()

    def environment(self, environment_id: object) -> ManagedEnvironment:
        """The visible environment with this explicit id, else ``NotFound``."""
        pk = parse_environment_id(environment_id)
        if pk is None:
            raise NotFound()
        env = self.environments().filter(pk=pk).first()
        if env is None:
            raise NotFound()
        return env


def parse_environment_id(raw: object) -> int | None:
    """An explicit environment id as an int, or ``None`` when absent or not a positive integer."""
    if raw is None or isinstance(raw, bool):
        return None
    text = str(raw).strip()
    if not text.isdigit() or len(text) > 18:
        return None
    value = int(text)
    return value if value > 0 else None


def _is_member_user(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def scope_for_workspace(user: Any, workspace: Workspace) -> Scope:
    """The member's scope in ``workspace``, or ``NotFound`` when not a member."""
    if not _is_member_user(user):
        raise NotFound()
    membership = WorkspaceMembership.objects.filter(workspace=workspace, user=user).first()
    if membership is None:
        raise NotFound()
    return Scope(user, workspace, membership, capabilities_for(membership.role))


def resolve_workspace(user: Any, slug: object) -> Scope:
    """Workspace authority from the URL: the slug must name a workspace the user belongs to."""
    if not _is_member_user(user) or not isinstance(slug, str):
        raise NotFound()
    membership = WorkspaceMembership.objects.select_related("workspace").filter(workspace__slug=slug, user=user).first()
    if membership is None:
        raise NotFound()
    return Scope(user, membership.workspace, membership, capabilities_for(membership.role))


def authorize(user: Any, capability: Capability, record: Model) -> Scope:
    """Authority from the record: its workspace (and environment) decide, nothing else.

    ``record`` is a ``Workspace``, a ``ManagedEnvironment`` or any tenant-owned row with
    ``workspace_id`` (and optionally ``environment_id``).
    """
    if isinstance(record, Workspace):
        workspace = record
    else:
        workspace_id = getattr(record, "workspace_id", None)
        if workspace_id is None:
            raise NotFound()
        workspace = Workspace.objects.filter(pk=workspace_id).first()  # type: ignore[assignment]
        if workspace is None:
            raise NotFound()
    scope = scope_for_workspace(user, workspace)
    environment = record if isinstance(record, ManagedEnvironment) else getattr(record, "environment", None)
    if environment is not None and not scope.can_access_environment(environment):
        raise NotFound()
    scope.require(capability)
    return scope
