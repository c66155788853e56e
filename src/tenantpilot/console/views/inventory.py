"""Inventory, policy versions (with diffs), compliance snapshots and schedules of an environment.

DB-only: the start actions ("Sync inventory", "Take compliance snapshot") only enqueue a run.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tenantpilot.authz.capabilities import Capability
from tenantpilot.console.decorators import workspace_view
from tenantpilot.console.pagination import paginate, query_without_page
from tenantpilot.console.views.connections import run_url
from tenantpilot.core.errors import Conflict, NotFound, ValidationFailed
from tenantpilot.inventory import policies, selectors, services
from tenantpilot.inventory.choices import PolicyType, ScheduleFrequency, ScheduleResult
from tenantpilot.operations.choices import OperationType
from tenantpilot.operations.services import ScopeBusy, StartResult
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.models import ManagedEnvironment


class InventoryFilterForm(forms.Form):
    """The inventory list's filters (GET). Unknown values are errors that name the field."""

    type = forms.ChoiceField(choices=[("", "All types"), *PolicyType.choices], required=False)
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
    page = paginate(request, items)
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
