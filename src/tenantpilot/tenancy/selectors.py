"""Reads of the tenancy domain. The scope is always a required argument."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from tenantpilot.authz.capabilities import Capability
from tenantpilot.core.errors import NotFound
from tenantpilot.tenancy.authority import Scope

from .models import ManagedEnvironment, Workspace, WorkspaceMembership


def workspace_list_for_user(*, user: Any) -> QuerySet[Workspace]:
    """The workspaces ``user`` is a member of (nothing else exists, as far as they can tell).

    Each carries ``environment_count``: the active environments the user may see there.
    """
    if not getattr(user, "is_authenticated", False):
        return Workspace.objects.none()
    visible_active = (
        ManagedEnvironment.objects.visible_to_user(user)
        .active()
        .filter(workspace=OuterRef("pk"))
        .order_by()
        .values("workspace")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Workspace.objects.filter(memberships__user=user)
        # Active environments *the user may see*: a restricted member never learns how many
        # environments are hidden from them.
        .annotate(environment_count=Coalesce(Subquery(visible_active), 0))
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
    """The workspace's members, each with ``grant_count``: their grants *the viewer may see*.

    A restricted viewer never counts grants of environments hidden from them.
    """
    scope.require(Capability.WORKSPACE_VIEW)
    return (
        WorkspaceMembership.objects.filter(workspace=scope.workspace)
        .select_related("user")
        .annotate(
            grant_count=Count(
                "environment_grants",
                filter=Q(environment_grants__environment__in=ManagedEnvironment.objects.visible_to(scope).values("pk")),
            )
        )
        .order_by("user__username")
    )


def membership_visible_grant_ids(*, scope: Scope, membership: WorkspaceMembership) -> list[int]:
    """Ids of the environments granted to ``membership`` that the viewer may see, in name order."""
    return list(
        ManagedEnvironment.objects.visible_to(scope)
        .filter(access_grants__membership=membership)
        .order_by("display_name", "id")
        .values_list("pk", flat=True)
    )


def grantable_environment_choices(*, scope: Scope) -> list[tuple[int, str]]:
    """``(id, name)`` of the environments the viewer may grant: exactly those they may see."""
    return [(e.pk, e.display_name) for e in ManagedEnvironment.objects.visible_to(scope).order_by("display_name", "id")]


def membership_get(*, scope: Scope, membership_id: object) -> WorkspaceMembership:
    """One membership of the scope's workspace by id; ``NotFound`` otherwise."""
    pk = str(membership_id)
    if not pk.isdigit():
        raise NotFound()
    membership = (
        WorkspaceMembership.objects.select_related("user").filter(workspace=scope.workspace, pk=int(pk)).first()
    )
    if membership is None:
        raise NotFound()
    return membership
