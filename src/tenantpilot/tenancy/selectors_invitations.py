"""Reads of invitations. The scope is always a required argument; only who manages members sees them."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from tenantpilot.core.errors import NotFound
from tenantpilot.tenancy.authority import Scope

from . import policies
from .models import ManagedEnvironment
from .models_invitations import Invitation


def invitation_list(*, scope: Scope) -> QuerySet[Invitation]:
    """The workspace's invitations neither accepted nor revoked (pending and expired), newest first.

    Each carries ``grant_count``: its environments *the viewer may see* (never a hidden one).
    """
    scope.require(policies.MANAGE_MEMBERS)
    return (
        Invitation.objects.for_workspace(scope.workspace)
        .filter(accepted_at__isnull=True, revoked_at__isnull=True)
        .select_related("invited_by")
        .annotate(
            grant_count=Count(
                "environment_grants",
                filter=Q(environment_grants__environment__in=ManagedEnvironment.objects.visible_to(scope).values("pk")),
            )
        )
        .order_by("-created_at", "-id")
    )


def invitation_get(*, scope: Scope, invitation_id: object) -> Invitation:
    """One invitation of the scope's workspace by id; ``NotFound`` otherwise."""
    scope.require(policies.MANAGE_MEMBERS)
    pk = str(invitation_id)
    if not pk.isdigit() or len(pk) > 18:
        raise NotFound()
    invitation = Invitation.objects.filter(workspace=scope.workspace, pk=int(pk)).first()
    if invitation is None:
        raise NotFound()
    return invitation
