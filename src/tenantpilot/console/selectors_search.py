"""Search across one workspace: environments, inventory items, operation runs and bindings.

Every kind is read through the member's scope, the same rule as every other page: environments
only through ``ManagedEnvironment.objects.visible_to`` (``scope.environments()``), and rows of an
environment only through ``restrict_to_visible_environments`` — a restricted member's search can
neither list, count nor link a row of an environment hidden from them. A kind needs its own view
capability; a member without it is not offered that kind. Matching is by name (contains,
case-insensitive) or by exact id; never a fuzzy match on an id.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from tenantpilot.authz.capabilities import Capability
from tenantpilot.core.errors import Forbidden, ValidationFailed
from tenantpilot.inventory.models import InventoryItem
from tenantpilot.operations.models import OperationRun
from tenantpilot.resources.choices import BindingStatus
from tenantpilot.resources.models import ProviderResourceBinding
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.models import ManagedEnvironment, restrict_to_visible_environments

#: The longest search text accepted (longer is refused with a message naming the field).
MAX_QUERY_LENGTH = 100


class SearchKind(models.TextChoices):
    """What a search finds, in the order the results page shows the groups."""

    ENVIRONMENTS = "environments", "Environments"
    ITEMS = "items", "Inventory items"
    RUNS = "runs", "Operation runs"
    BINDINGS = "bindings", "Bindings"


#: The view capability each kind needs.
KIND_CAPABILITY: dict[SearchKind, Capability] = {
    SearchKind.ENVIRONMENTS: Capability.ENVIRONMENT_VIEW,
    SearchKind.ITEMS: Capability.INVENTORY_VIEW,
    SearchKind.RUNS: Capability.OPERATIONS_VIEW,
    SearchKind.BINDINGS: Capability.BASELINES_VIEW,
}


def clean_query(raw: object) -> str:
    """The search text, stripped; ``ValidationFailed`` (field ``q``) when empty, too long or
    holding control characters (which no name or id contains, and PostgreSQL refuses NUL)."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not text:
        raise ValidationFailed("Enter a name or an id to search for.", field="q")
    if len(text) > MAX_QUERY_LENGTH:
        raise ValidationFailed(f"Search for at most {MAX_QUERY_LENGTH} characters (this has {len(text)}).", field="q")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ValidationFailed("The search text contains control characters.", field="q")
    return text


def search_kinds(scope: Scope) -> list[SearchKind]:
    """The kinds this member may search, in page order."""
    return [kind for kind in SearchKind if scope.can(KIND_CAPABILITY[kind])]


def search(*, scope: Scope, kind: SearchKind, query: str) -> QuerySet[Any]:
    """The rows of ``kind`` matching ``query`` that the member may see, in a stable order.

    ``query`` must come from :func:`clean_query`. ``Forbidden`` when the member lacks the kind's
    view capability.
    """
    capability = KIND_CAPABILITY[kind]
    if not scope.can(capability):
        raise Forbidden()
    if kind == SearchKind.ENVIRONMENTS:
        return _environments(scope, query)
    if kind == SearchKind.ITEMS:
        return _items(scope, query)
    if kind == SearchKind.RUNS:
        return _runs(scope, query)
    return _bindings(scope, query)


def _environments(scope: Scope, query: str) -> QuerySet[ManagedEnvironment]:
    return (
        scope.environments()
        .filter(Q(display_name__icontains=query) | Q(tenant_id__iexact=query) | Q(default_domain__icontains=query))
        .order_by(
            Case(When(archived_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()),
            "display_name",
            "pk",
        )
    )


def _items(scope: Scope, query: str) -> QuerySet[InventoryItem]:
    """Items by name (contains) or provider object id (exact), present ones first; payloads never loaded."""
    return (
        restrict_to_visible_environments(InventoryItem.objects.all(), scope, workspace_level=False)
        .filter(Q(display_name__icontains=query) | Q(provider_object_id__iexact=query))
        .select_related("environment")
        .only(
            "pk",
            "policy_type",
            "provider_object_id",
            "display_name",
            "gone_at",
            "environment_id",
            "environment__display_name",
            "environment__workspace_id",
        )
        .order_by(
            Case(When(gone_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()),
            "display_name",
            "pk",
        )
    )


def parse_run_id(query: str) -> int | None:
    """A run id as typed (``123`` or ``#123``), else ``None``."""
    text = query.removeprefix("#").strip()
    if not text.isdigit() or len(text) > 18:
        return None
    return int(text)


def _runs(scope: Scope, query: str) -> QuerySet[OperationRun]:
    """The run with this id (``123`` or ``#123``), if the member may see it."""
    run_id = parse_run_id(query)
    qs = restrict_to_visible_environments(OperationRun.objects.all(), scope).select_related("environment")
    if run_id is None:
        return qs.none()
    return qs.filter(pk=run_id).order_by("-created_at", "-pk")


def _bindings(scope: Scope, query: str) -> QuerySet[ProviderResourceBinding]:
    """Bindings by canonical subject key (contains) or provider resource id (exact), active first."""
    return (
        restrict_to_visible_environments(ProviderResourceBinding.objects.all(), scope, workspace_level=False)
        .filter(
            Q(canonical_subject_key__icontains=query)
            | Q(provider_resource_id__iexact=query)
            | Q(provider_resource_external_id__iexact=query)
        )
        .select_related("environment")
        .defer("resource_descriptor")
        .order_by(
            Case(
                When(binding_status=BindingStatus.ACTIVE, then=Value(0)), default=Value(1), output_field=IntegerField()
            ),
            "-decided_at",
            "-pk",
        )
    )
