"""Provider resource bindings of an environment: list (filters, subject history), detail with the
decision trail, create (the resource is picked from inventory), supersede and revoke (confirmed).

Rendering is DB-only: the descriptor of a picked inventory item is built by the provider adapter
from the stored payload, never by asking the provider.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tenantpilot.authz.capabilities import Capability
from tenantpilot.console.decorators import workspace_view
from tenantpilot.console.forms import form_status
from tenantpilot.console.forms_bindings import (
    BindingCreateForm,
    BindingFilterForm,
    BindingRevokeForm,
    BindingSupersedeForm,
    InventorySearchForm,
)
from tenantpilot.console.pagination import paginate, query_without_page
from tenantpilot.core.errors import NotFound, ValidationFailed
from tenantpilot.inventory.choices import PolicyType
from tenantpilot.providers.selectors import connection_list
from tenantpilot.resources import policies, selectors, services
from tenantpilot.resources.choices import ResolutionMode
from tenantpilot.resources.models import ProviderResourceBinding
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.models import ManagedEnvironment

PICKER_PAGE_SIZE = 10


def _context(scope: Scope, environment: ManagedEnvironment, **extra: Any) -> dict[str, Any]:
    return {"scope": scope, "environment": environment, "can_manage": policies.can_manage_bindings(scope), **extra}


def _to_detail(scope: Scope, environment: ManagedEnvironment, binding: ProviderResourceBinding) -> HttpResponse:
    return redirect(
        "console:binding-detail", workspace=scope.workspace.slug, environment_id=environment.pk, binding_id=binding.pk
    )


def _type_choices() -> list[tuple[str, str]]:
    return list(PolicyType.choices)


def _picker(request: HttpRequest, scope: Scope, environment: ManagedEnvironment) -> dict[str, Any]:
    """The inventory search of a form page (GET ``q``, ``policy_type``, ``page``; ``item`` = the picked one)."""
    search = InventorySearchForm(request.GET or None, type_choices=_type_choices())
    query, policy_type = "", ""
    if search.is_bound and search.is_valid():
        query, policy_type = search.cleaned_data["q"], search.cleaned_data["policy_type"]
    candidates = selectors.inventory_candidates(
        scope=scope, environment=environment, query=query, policy_type=policy_type
    )
    params = request.GET.copy()
    params.pop("item", None)
    params.pop("page", None)
    return {
        "search": search,
        "candidates": paginate(request, candidates, per_page=PICKER_PAGE_SIZE),
        "picker_query": params.urlencode(),
        "query": query_without_page(request),
    }


def _picked_item(scope: Scope, environment: ManagedEnvironment, item_id: object) -> Any:
    if item_id in (None, ""):
        return None
    try:
        return selectors.inventory_item_get(scope=scope, environment=environment, item_id=item_id)
    except NotFound:
        return None


def _descriptor_for(form: Any, scope: Scope, environment: ManagedEnvironment, item_id: int) -> Any:
    """The picked item's descriptor, or ``None`` after putting the error on the form's resource field."""
    item = _picked_item(scope, environment, item_id)
    if item is None:
        form.add_error("inventory_item", "Pick a provider resource from this environment's inventory.")
        return None
    try:
        return selectors.inventory_item_descriptor(item)
    except ValidationFailed as error:
        form.add_service_error(error)
        return None


@workspace_view(Capability.BASELINES_VIEW)
def binding_list_view(request: HttpRequest, scope: Scope, environment: ManagedEnvironment) -> HttpResponse:
    filters = BindingFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    bindings = selectors.binding_list(
        scope=scope,
        environment=environment,
        status=data.get("status") or None,
        mode=data.get("mode") or None,
        subject_class=data.get("subject_class") or None,
        subject_key=data.get("subject") or None,
        connection_id=data.get("connection") or None,
    )
    page = paginate(request, bindings)
    return render(
        request,
        "console/bindings/list.html",
        _context(
            scope,
            environment,
            page=page,
            filters=filters,
            subject=data.get("subject") or "",
            connection_filter=data.get("connection") or None,
            query=query_without_page(request),
        ),
        status=form_status(filters),
    )


@workspace_view(Capability.BASELINES_VIEW)
def binding_detail(
    request: HttpRequest, scope: Scope, environment: ManagedEnvironment, binding_id: int
) -> HttpResponse:
    binding = selectors.binding_get(scope=scope, environment=environment, binding_id=binding_id)
    trail = selectors.binding_history(
        scope=scope,
        environment=environment,
        provider_key=binding.provider_key,
        canonical_subject_key=binding.canonical_subject_key,
    )
    return render(request, "console/bindings/detail.html", _context(scope, environment, binding=binding, trail=trail))


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.BASELINES_MANAGE)
def binding_create(request: HttpRequest, scope: Scope, environment: ManagedEnvironment) -> HttpResponse:
    connection_choices = (
        [(c.pk, c.display_name) for c in connection_list(scope=scope, environment=environment)]
        if (scope.can(Capability.PROVIDER_VIEW))
        else []
    )
    initial = {"inventory_item": request.GET.get("item") or None}
    form = BindingCreateForm(request.POST or None, initial=initial, connection_choices=connection_choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        descriptor = _descriptor_for(form, scope, environment, data["inventory_item"])
        if descriptor is not None:
            try:
                binding = services.binding_create(
                    actor=request.user,
                    environment=environment,
                    resolution_mode=data["resolution_mode"],
                    descriptor=descriptor,
                    note=data["note"],
                    legacy_subject_key=data["legacy_subject_key"],
                    provider_connection_id=data["provider_connection"],
                )
            except ValidationFailed as error:
                form.add_service_error(error)
            else:
                messages.success(request, f"Binding recorded for “{binding.subject_label}”.")
                return _to_detail(scope, environment, binding)
    picked_id = form.data.get("inventory_item") if form.is_bound else request.GET.get("item")
    return render(
        request,
        "console/bindings/form.html",
        _context(
            scope,
            environment,
            form=form,
            picked=_picked_item(scope, environment, picked_id),
            **_picker(request, scope, environment),
        ),
        status=form_status(form),
    )


def _require_active(
    request: HttpRequest, scope: Scope, environment: ManagedEnvironment, binding: ProviderResourceBinding
) -> HttpResponse | None:
    if binding.is_in_force:
        return None
    messages.error(
        request, f"This binding is {binding.get_status_display_label().lower()}; only an active binding can change."
    )
    return _to_detail(scope, environment, binding)


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.BASELINES_MANAGE)
def binding_supersede(
    request: HttpRequest, scope: Scope, environment: ManagedEnvironment, binding_id: int
) -> HttpResponse:
    """GET: the new decision's form. POST: a confirmation step naming the subject; POST with ``confirm``: supersede."""
    binding = selectors.binding_get(scope=scope, environment=environment, binding_id=binding_id)
    inactive = _require_active(request, scope, environment, binding)
    if inactive is not None:
        return inactive
    initial = {"resolution_mode": binding.resolution_mode, "inventory_item": request.GET.get("item") or None}
    form = BindingSupersedeForm(request.POST or None, initial=initial)
    template = "console/bindings/supersede.html"
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        descriptor: Any = None
        if data["inventory_item"]:
            descriptor = _descriptor_for(form, scope, environment, data["inventory_item"])
        if not form.errors:
            if data["confirm"]:
                options: dict[str, Any] = {"descriptor": descriptor} if descriptor is not None else {}
                try:
                    successor = services.binding_supersede(
                        actor=request.user,
                        binding=binding,
                        resolution_mode=data["resolution_mode"],
                        note=data["note"],
                        **options,
                    )
                except ValidationFailed as error:
                    form.add_service_error(error)
                else:
                    messages.success(request, f"Binding for “{binding.subject_label}” superseded.")
                    return _to_detail(scope, environment, successor)
            else:
                template = "console/bindings/supersede_confirm.html"
    picked_id = form.data.get("inventory_item") if form.is_bound else request.GET.get("item")
    return render(
        request,
        template,
        _context(
            scope,
            environment,
            form=form,
            binding=binding,
            new_mode_label=ResolutionMode(form.cleaned_data["resolution_mode"]).label
            if form.is_bound and not form.errors
            else "",
            picked=_picked_item(scope, environment, picked_id),
            **_picker(request, scope, environment),
        ),
        status=form_status(form),
    )


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.BASELINES_MANAGE)
def binding_revoke(
    request: HttpRequest, scope: Scope, environment: ManagedEnvironment, binding_id: int
) -> HttpResponse:
    """GET: the confirmation page naming the subject (with the note field). POST: revoke."""
    binding = selectors.binding_get(scope=scope, environment=environment, binding_id=binding_id)
    inactive = _require_active(request, scope, environment, binding)
    if inactive is not None:
        return inactive
    form = BindingRevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.binding_revoke(actor=request.user, binding=binding, note=form.cleaned_data["note"])
        except ValidationFailed as error:
            form.add_service_error(error)
        else:
            messages.success(request, f"Binding for “{binding.subject_label}” revoked.")
            return _to_detail(scope, environment, binding)
    return render(
        request,
        "console/bindings/revoke_confirm.html",
        _context(scope, environment, form=form, binding=binding),
        status=form_status(form),
    )
