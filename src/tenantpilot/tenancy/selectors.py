"""Reads of the tenancy domain. The scope is always a required argument."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from tenantpilot.authz.authority import Scope
from tenantpilot.authz.capabilities import Capability

from .models import ManagedEnvironment, Workspace, WorkspaceMembership


def workspace_list_for_user(*, user: Any) -> QuerySet[Workspace]:
    """The workspaces ``user`` is a member of (nothing else exists, as far as they can tell)."""
    if not getattr(user, "is_authenticated", False):
        return Workspace.objects.none()
    return (
        Workspace.objects.filter(memberships__user=user)
        .annotate(
            environment_count=Count("environments", filter=Q(environments__archived_at__isnull=True), distinct=True)
        )
        .order_by("name")
    )


def environment_list(*, scope: Scope, include_archived: bool = False, search: str = "") -> QuerySet[ManagedEnvironment]:
    """The environments the member may see, optionally with archived ones, filtered by a search."""
    scope.require(Capability.ENVIRONMENT_VIEW)
    qs = scope.environments()
    if not include_archived:
        qs = qs.filter(archived_at__isnull=True)
    search = search.strip()
    if search:
        qs = qs.filter(
            Q(display_name__icontains=search) | Q(tenant_id__icontains=search) | Q(default_domain__icontains=search)
        )
    return qs.order_by("display_name", "id")


def environment_get(*, scope: Scope, environment_id: object) -> ManagedEnvironment:
    """One visible environment by its explicit id; ``NotFound`` otherwise."""
    environment = scope.environment(environment_id)
    scope.require(Capability.ENVIRONMENT_VIEW)
    return environment


def membership_list(*, scope: Scope) -> QuerySet[WorkspaceMembership]:
    scope.require(Capability.WORKSPACE_VIEW)
    return (
        WorkspaceMembership.objects.filter(workspace=scope.workspace)
        .select_related("user")
        .annotate(grant_count=Count("environment_grants"))
        .order_by("user__username")
    )


def membership_get(*, scope: Scope, membership_id: object) -> WorkspaceMembership:
    from tenantpilot.core.errors import NotFound

    pk = str(membership_id)
    if not pk.isdigit():
        raise NotFound()
    membership = (
        WorkspaceMembership.objects.select_related("user").filter(workspace=scope.workspace, pk=int(pk)).first()
    )
    if membership is None:
        raise NotFound()
    return membership
