"""Inventory, policy versions (with diffs), compliance snapshots and schedules of an environment.

DB-only: the start actions ("Sync inventory", "Take compliance snapshot") only enqueue a run.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import BooleanField, Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tenantpilot.authz.capabilities import Capability
from tenantpilot.console.decorators import workspace_view
from tenantpilot.console.item_readable import assignments_of, item_facts, settings_of, structured_diff
from tenantpilot.console.pagination import paginate, query_without_page
from tenantpilot.console.views.connections import run_url
from tenantpilot.core.errors import Conflict, NotFound, ValidationFailed
from tenantpilot.inventory import policies, selectors, services
from tenantpilot.inventory.choices import PolicyType, ScheduleFrequency, ScheduleResult
from tenantpilot.inventory.models import InventoryItem
from tenantpilot.operations.choices import OperationType
from tenantpilot.operations.services import ScopeBusy, StartResult
from tenantpilot.resources.adapters.microsoft import DEFAULT_ENROLLMENT_SUFFIXES, DEFAULT_SCOPE_TAG_ID
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.models import ManagedEnvironment


class InventoryFilterForm(forms.Form):
    """The inventory list's filters (GET). Unknown values are errors that name the field."""

    type = forms.ChoiceField(
        choices=[("", "All types"), *sorted(PolicyType.choices, key=lambda choice: str(choice[1]).lower())],
        required=False,
    )
    q = forms.CharField(max_length=200, required=False, strip=True, label="Name or id")
    gone = forms.BooleanField(required=False, label="Show gone items")


class DiffForm(forms.Form):
    """Which two versions to compare (GET ``from`` / ``to``, version numbers)."""

    to = forms.IntegerField(min_value=1, max_value=10**9)


# "from" is a Python keyword, so the field is added by name.
DiffForm.base_fields = {"from": forms.IntegerField(min_value=1, max_value=10**9), **DiffForm.base_fields}


class ScheduleForm(forms.Form):
    """One schedule change."""

    operation_type = forms.ChoiceField(
        choices=[(o.value, o.label) for o in services.SCHEDULABLE_OPERATIONS], label="Operation"
    )
    frequency = forms.ChoiceField(choices=ScheduleFrequency.choices)


# Policy types in the order of their labels (what people read), not of their Graph keys.
TYPE_LABEL_ORDER: dict[str, int] = {
    value: rank for rank, (value, _label) in enumerate(sorted(PolicyType.choices, key=lambda c: str(c[1]).lower()))
}
_GUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
#: Provider built-ins recognisable from an item's row alone (id and whitelisted metadata), the
#: same facts the Microsoft resource adapter uses: the tenant-prefixed default enrollment
#: configurations (priority 0 or not listed), the Default scope tag ``"0"`` and scope tags and
#: Intune roles flagged ``isBuiltIn``.
BUILTIN_ITEM = (
    (
        Q(
            policy_type=PolicyType.DEVICE_ENROLLMENT_CONFIGURATIONS,
            provider_object_id__regex=rf"^{_GUID}_({'|'.join(DEFAULT_ENROLLMENT_SUFFIXES)})$",
        )
        & (Q(metadata__priority=0) | ~Q(metadata__has_key="priority"))
    )
    | Q(policy_type=PolicyType.ROLE_SCOPE_TAGS, provider_object_id=DEFAULT_SCOPE_TAG_ID)
    | Q(policy_type__in=[PolicyType.ROLE_SCOPE_TAGS, PolicyType.ROLE_DEFINITIONS], metadata__isBuiltIn=True)
)


def ordered_for_people(items: QuerySet[InventoryItem]) -> QuerySet[InventoryItem]:
    """``items`` by type label, then name (case-insensitive), built-ins last within their type;
    each row carries ``is_builtin``."""
    type_rank = Case(
        *(When(policy_type=value, then=Value(rank)) for value, rank in TYPE_LABEL_ORDER.items()),
        default=Value(len(TYPE_LABEL_ORDER)),
        output_field=IntegerField(),
    )
    builtin = Case(When(BUILTIN_ITEM, then=Value(True)), default=Value(False), output_field=BooleanField())
    return items.annotate(type_rank=type_rank, is_builtin=builtin).order_by(
        "type_rank", "policy_type", "is_builtin", Lower("display_name"), "display_name", "pk"
    )


def _env_context(scope: Scope, environment: ManagedEnvironment, **extra: Any) -> dict[str, Any]:
    return {
        "scope": scope,
        "environment": environment,
        "can_run": policies.can_run_operations(scope),
        "can_manage_schedules": policies.can_manage_schedules(scope),
        **extra,
    }


@workspace_view(Capability.INVENTORY_VIEW)
def inventory_list_view(request: HttpRequest, scope: Scope, environment: ManagedEnvironment) -> HttpResponse:
    form = InventoryFilterForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(
            request,
            "console/inventory/list.html",
            _env_context(scope, environment, form=form, page=None),
            status=400,
        )
    data = form.cleaned_data if request.GET else {}
    items = selectors.inventory_list(
        scope=scope,
        environment=environment,
        policy_type=data.get("type") or "",
        search=data.get("q") or "",
        include_gone=bool(data.get("gone")),
    )
    page = paginate(request, ordered_for_people(items))
    return render(
        request,
        "console/inventory/list.html",
        _env_context(scope, environment, form=form, page=page, query=query_without_page(request)),
    )


@workspace_view(Capability.INVENTORY_VIEW)
def inventory_item_detail(
    request: HttpRequest, scope: Scope, environment: ManagedEnvironment, item_id: int
) -> HttpResponse:
    item = selectors.inventory_item_get(scope=scope, environment=environment, item_id=item_id)
    versions = list(selectors.version_list(item=item)[:200])
    diff = None
    status = 200
    form = DiffForm(request.GET if ("from" in request.GET or "to" in request.GET) else None)
    if form.is_bound:
        if form.is_valid():
            try:
                diff = selectors.version_diff(
                    item=item, old_number=form.cleaned_data["from"], new_number=form.cleaned_data["to"]
                )
            except NotFound:
                form.add_error("to", "No such version of this item.")
                status = 400
        else:
            status = 400
    elif len(versions) >= 2:
        diff = selectors.version_diff(
            item=item, old_number=versions[1].version_number, new_number=versions[0].version_number
        )
    current_json = "\n".join(selectors.pretty(item.current_version.normalized)) if item.current_version else ""
    names = selectors.inventory_reference_names(environment_id=environment.pk)
    current = selectors.redact_scripts(item.current_version.normalized) if item.current_version else None
    changes = (
        structured_diff(selectors.redact_scripts(diff.old.normalized), selectors.redact_scripts(diff.new.normalized))
        if diff is not None
        else []
    )
    picked_from = diff.old.version_number if diff else (versions[1].version_number if len(versions) >= 2 else None)
    picked_to = diff.new.version_number if diff else (versions[0].version_number if versions else None)
    return render(
        request,
        "console/inventory/detail.html",
        _env_context(
            scope,
            environment,
            item=item,
            versions=versions,
            diff=diff,
            form=form,
            current_json=current_json,
            facts=item_facts(item.metadata, names),
            assignments=assignments_of(current, names),
            settings=settings_of(current),
            changes=changes,
            picked_from=picked_from,
            picked_to=picked_to,
            is_builtin=InventoryItem.objects.filter(BUILTIN_ITEM, pk=item.pk).exists(),
        ),
        status=status,
    )


def _started(
    request: HttpRequest, scope: Scope, environment: ManagedEnvironment, start: Any, label: str
) -> HttpResponse:
    try:
        result: StartResult = start(actor=request.user, environment=environment)
    except ScopeBusy as busy:
        messages.error(request, busy.message)
        return redirect(run_url(scope, busy.active_run))
    except (Conflict, ValidationFailed) as error:
        messages.error(request, error.message)
        return redirect("console:environment-detail", workspace=scope.workspace.slug, environment_id=environment.pk)
    if result.deduped:
        messages.info(request, f"{label} is already queued or running for this environment; showing it.")
    else:
        messages.success(request, f"{label} queued.")
    return redirect(run_url(scope, result.run))


@require_POST
@workspace_view(Capability.PROVIDER_RUN)
def inventory_sync(request: HttpRequest, scope: Scope, environment: ManagedEnvironment) -> HttpResponse:
    """Enqueue an inventory sync and show its run."""
    return _started(request, scope, environment, services.inventory_sync_start, "Inventory sync")


@workspace_view(Capability.INVENTORY_VIEW)
def compliance_view(request: HttpRequest, scope: Scope, environment: ManagedEnvironment) -> HttpResponse:
    history = selectors.compliance_history(scope=scope, environment=environment)
    return render(
        request,
        "console/inventory/compliance.html",
        _env_context(scope, environment, latest=history[0] if history else None, history=history),
    )


@require_POST
@workspace_view(Capability.PROVIDER_RUN)
def compliance_snapshot(request: HttpRequest, scope: Scope, environment: ManagedEnvironment) -> HttpResponse:
    """Enqueue a compliance snapshot and show its run."""
    return _started(request, scope, environment, services.compliance_snapshot_start, "Compliance snapshot")


def _schedule_rows(scope: Scope, environment: ManagedEnvironment) -> list[dict[str, Any]]:
    schedules = selectors.schedule_list(scope=scope, environment=environment)
    rows = []
    for kind in services.SCHEDULABLE_OPERATIONS:
        schedule = schedules.get(kind.value)
        result = schedule.last_result if schedule else ""
        rows.append(
            {
                "operation_type": kind.value,
                "label": kind.label,
                "schedule": schedule,
                "frequency": schedule.frequency if schedule else ScheduleFrequency.OFF.value,
                "result_label": ScheduleResult(result).label if result in ScheduleResult.values else result,
            }
        )
    return rows


@workspace_view(Capability.PROVIDER_VIEW)
def schedule_list_view(request: HttpRequest, scope: Scope, environment: ManagedEnvironment) -> HttpResponse:
    return render(
        request,
        "console/inventory/schedules.html",
        _env_context(
            scope,
            environment,
            rows=_schedule_rows(scope, environment),
            history=selectors.schedule_history(scope=scope, environment=environment),
            frequencies=ScheduleFrequency.choices,
            form=ScheduleForm(),
        ),
    )


@require_POST
@workspace_view(Capability.PROVIDER_MANAGE)
def schedule_edit(request: HttpRequest, scope: Scope, environment: ManagedEnvironment) -> HttpResponse:
    """Change one schedule (audited); a bad value re-renders with the field named, nothing written."""
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            services.schedule_update(
                actor=request.user,
                environment=environment,
                operation_type=form.cleaned_data["operation_type"],
                frequency=form.cleaned_data["frequency"],
            )
        except ValidationFailed as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            label = OperationType(form.cleaned_data["operation_type"]).label
            messages.success(request, f"Schedule of “{label}” saved.")
            return redirect("console:schedules", workspace=scope.workspace.slug, environment_id=environment.pk)
    return render(
        request,
        "console/inventory/schedules.html",
        _env_context(
            scope,
            environment,
            rows=_schedule_rows(scope, environment),
            history=selectors.schedule_history(scope=scope, environment=environment),
            frequencies=ScheduleFrequency.choices,
            form=form,
        ),
        status=400,
    )
