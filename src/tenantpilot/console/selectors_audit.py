"""What the audit log page needs besides its rows: names and link permissions for the sentences.

One query per kind of record a page of rows mentions (users, environments, connections,
profiles, bindings) and none for a kind it does not mention, so the page's query count does not
grow with its rows. Environments, connections and bindings are looked up only among those the
viewer may see: a hidden one is never named, only referred to in neutral words.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth import get_user_model

from tenantpilot.alerts.policies import MANAGE_ALERTS
from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.capabilities import Capability
from tenantpilot.baselines.models import BaselineProfile
from tenantpilot.console.audit_sentences import AuditContext, BindingFacts, referenced_ids
from tenantpilot.providers.models import ProviderConnection
from tenantpilot.resources.models import ProviderResourceBinding
from tenantpilot.tenancy.authority import Scope


def audit_context_for(*, scope: Scope, rows: Sequence[AuditLog]) -> AuditContext:
    """The :class:`AuditContext` to render ``rows`` for ``scope``'s member."""
    ids = referenced_ids(rows)
    ids.users.update(row.actor_id for row in rows if row.actor_id is not None)
    users: dict[int, str] = {}
    if ids.users:
        users = {
            pk: str(name)
            for pk, name in get_user_model()
            .objects.filter(pk__in=ids.users)
            .values_list("pk", get_user_model().USERNAME_FIELD)
        }
    environments: dict[int, str] = {}
    if ids.environments:
        environments = dict(scope.environments().filter(pk__in=ids.environments).values_list("pk", "display_name"))
    connections: dict[int, str] = {}
    if ids.connections and scope.can(Capability.PROVIDER_VIEW):
        connections = dict(
            ProviderConnection.objects.filter(pk__in=ids.connections, environment__in=scope.environments()).values_list(
                "pk", "display_name"
            )
        )
    profiles: dict[int, str] = {}
    if ids.profiles and scope.can(Capability.BASELINES_VIEW):
        profiles = dict(
            BaselineProfile.objects.filter(workspace=scope.workspace, pk__in=ids.profiles).values_list("pk", "name")
        )
    bindings: dict[int, BindingFacts] = {}
    if ids.bindings and scope.can(Capability.BASELINES_VIEW):
        for binding in ProviderResourceBinding.objects.filter(
            workspace=scope.workspace, pk__in=ids.bindings, environment__in=scope.environments()
        ).only("pk", "provider_resource_label", "operator_note", "end_note"):
            bindings[binding.pk] = BindingFacts(
                resource_label=binding.provider_resource_label,
                note=binding.operator_note,
                end_note=binding.end_note,
            )
    return AuditContext(
        workspace_slug=scope.workspace.slug,
        users=users,
        environments=environments,
        connections=connections,
        profiles=profiles,
        bindings=bindings,
        can_view_operations=scope.can(Capability.OPERATIONS_VIEW),
        can_view_inventory=scope.can(Capability.INVENTORY_VIEW),
        can_view_providers=scope.can(Capability.PROVIDER_VIEW),
        can_view_baselines=scope.can(Capability.BASELINES_VIEW),
        can_view_members=scope.can(Capability.WORKSPACE_VIEW),
        can_view_alerts=scope.can(MANAGE_ALERTS) and not scope.is_restricted,
    )
