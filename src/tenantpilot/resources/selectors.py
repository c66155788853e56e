"""Reads of provider resource bindings, always inside an explicit environment the member may see.

Missing and not visible raise the same ``NotFound``. Also here: the inventory candidates an
operator may pick as a binding's provider resource, and the descriptor built from one (the
adapter is pure, so this stays DB-only).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from tenantpilot.core.errors import NotFound, ValidationFailed
from tenantpilot.inventory.models import InventoryItem
from tenantpilot.providers.models import ProviderConnection
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.models import ManagedEnvironment

from . import policies
from .adapters import UnclassifiableResource, UnknownProvider, get_adapter
from .choices import BindingStatus, ResolutionMode, SubjectClass
from .descriptors import ProviderResourceDescriptor
from .models import ProviderResourceBinding


def inventory_provider_key(environment_id: int) -> str:
    """The provider a *new* inventory sync of the environment would read from.

    That is the provider of the environment's default connection, else the provider a new
    connection gets by default. Never the identity of a stored item: every inventory row carries
    the provider key it was read with (``InventoryItem.provider_key``), which does not change
    when the default connection does; :func:`inventory_item_descriptor` reads the row's key.
    """
    key = (
        ProviderConnection.objects.filter(environment_id=environment_id, is_default=True)
        .values_list("provider_key", flat=True)
        .first()
    )
    return key or str(ProviderConnection._meta.get_field("provider_key").get_default())


def _require_view(scope: Scope, environment: ManagedEnvironment) -> None:
    scope.require(policies.VIEW_BINDINGS)
    if environment.workspace_id != scope.workspace.pk or not scope.can_access_environment(environment):
        raise NotFound()


def binding_list(
    *,
    scope: Scope,
    environment: ManagedEnvironment,
    status: str | None = None,
    mode: str | None = None,
    subject_class: str | None = None,
    subject_key: str | None = None,
    connection_id: int | None = None,
) -> QuerySet[ProviderResourceBinding]:
    """The environment's bindings, newest decision first, optionally filtered.

    Filters take stored values; an unknown value raises ``ValidationFailed`` naming the filter.
    ``subject_key`` narrows to the history of one canonical subject key, ``connection_id`` to
    the rows that name one provider connection (e.g. those blocking its deletion).
    """
    _require_view(scope, environment)
    qs = ProviderResourceBinding.objects.filter(workspace=scope.workspace, environment=environment)
    for name, value, allowed in (
        ("status", status, BindingStatus.values()),
        ("mode", mode, ResolutionMode.values()),
        ("subject_class", subject_class, SubjectClass.values()),
    ):
        if value and value not in allowed:
            raise ValidationFailed(f"Unknown {name.replace('_', ' ')} {value!r}.", field=name)
    if status:
        qs = qs.filter(binding_status=status)
    if mode:
        qs = qs.filter(resolution_mode=mode)
    if subject_class:
        qs = qs.filter(subject_class=subject_class)
    if subject_key:
        qs = qs.filter(canonical_subject_key=subject_key)
    if connection_id:
        qs = qs.filter(provider_connection_id=connection_id)
    return qs.select_related("provider_connection").order_by("-decided_at", "-id")


def binding_get(*, scope: Scope, environment: ManagedEnvironment, binding_id: object) -> ProviderResourceBinding:
    """One binding of the environment by id; ``NotFound`` when missing or elsewhere."""
    _require_view(scope, environment)
    pk = str(binding_id)
    if not pk.isdigit():
        raise NotFound()
    binding = (
        ProviderResourceBinding.objects.select_related(
            "provider_connection", "superseded_by", "source_operation_run", "source_inventory_item"
        )
        .filter(workspace=scope.workspace, environment=environment, pk=int(pk))
        .first()
    )
    if binding is None:
        raise NotFound()
    return binding


def binding_history(
    *, scope: Scope, environment: ManagedEnvironment, provider_key: str, canonical_subject_key: str
) -> QuerySet[ProviderResourceBinding]:
    """Every decision ever recorded for one subject in the environment, newest first (the decision trail)."""
    _require_view(scope, environment)
    return (
        ProviderResourceBinding.objects.filter(
            workspace=scope.workspace,
            environment=environment,
            provider_key=provider_key,
            canonical_subject_key=canonical_subject_key,
        )
        .select_related("provider_connection")
        .order_by("-decided_at", "-id")
    )


def active_binding_for(
    *, environment: ManagedEnvironment, provider_key: str, canonical_subject_key: str
) -> ProviderResourceBinding | None:
    """The decision in force for a subject, if any. System code only (e.g. baseline compare): no actor."""
    return (
        ProviderResourceBinding.objects.active()
        .filter(
            workspace_id=environment.workspace_id,
            environment=environment,
            provider_key=provider_key,
            canonical_subject_key=canonical_subject_key,
        )
        .first()
    )


# -- picking a provider resource from inventory ------------------------------------------------------


def inventory_candidates(
    *, scope: Scope, environment: ManagedEnvironment, query: str = "", policy_type: str = ""
) -> Any:
    """Inventory items of the environment an operator may bind, matched by name, type or provider id."""
    _require_view(scope, environment)
    qs = InventoryItem.objects.filter(workspace=scope.workspace, environment=environment)
    query = (query or "").strip()
    if query:
        qs = qs.filter(
            Q(display_name__icontains=query)
            | Q(provider_object_id__icontains=query)
            | Q(policy_type__icontains=query)
            | Q(odata_type__icontains=query)
        )
    if policy_type:
        qs = qs.filter(policy_type=policy_type)
    return qs.order_by("policy_type", "display_name", "id")


def inventory_item_get(*, scope: Scope, environment: ManagedEnvironment, item_id: object) -> Any:
    """One inventory item of the environment (with its current version), else ``NotFound``."""
    _require_view(scope, environment)
    pk = str(item_id)
    if not pk.isdigit():
        raise NotFound()
    item = (
        InventoryItem.objects.select_related("current_version")
        .filter(workspace=scope.workspace, environment=environment, pk=int(pk))
        .first()
    )
    if item is None:
        raise NotFound()
    return item


def inventory_item_descriptor(item: Any, *, provider_key: str | None = None) -> ProviderResourceDescriptor:
    """Describe an inventory item through its provider's adapter (pure; no provider call).

    The provider is the item's own ``provider_key`` (the one it was synced with), so the
    descriptor and its canonical key survive a change of the environment's default connection.

    The raw object is the item's stored payload if it has one, else its current version's payload
    (as the provider returned it), else the identity fields the item keeps. Raises ``ValidationFailed``
    (``field="inventory_item"``) when the adapter cannot identify it.
    """
    provider_key = provider_key or getattr(item, "provider_key", "") or inventory_provider_key(item.environment_id)
    version = getattr(item, "current_version", None)
    payload = getattr(item, "payload", None) or (version.payload if version is not None else None)
    if not isinstance(payload, dict) or not payload:
        payload = {"id": item.provider_object_id, "@odata.type": item.odata_type, "displayName": item.display_name}
    try:
        adapter = get_adapter(provider_key)
        return adapter.describe(
            item.policy_type,
            payload,
            source_inventory_item_id=item.pk,
            source_policy_version_id=version.pk if version is not None else None,
        )
    except (UnclassifiableResource, UnknownProvider, ValueError) as exc:
        raise ValidationFailed(f"This inventory item cannot be identified: {exc}", field="inventory_item") from None
