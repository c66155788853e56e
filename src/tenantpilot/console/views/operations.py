"""Operation runs (list, detail, a polled status fragment, cancel) and the member's notifications."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tenantpilot.authz.capabilities import Capability
from tenantpilot.console.decorators import workspace_view
from tenantpilot.console.forms import form_status
from tenantpilot.console.pagination import paginate, query_without_page
from tenantpilot.operations import policies, selectors, services
from tenantpilot.operations.choices import OperationType, RunOutcome, RunStatus
from tenantpilot.operations.registry import handler_for
from tenantpilot.tenancy.authority import Scope


class RunFilterForm(forms.Form):
    """Filters of the run list; every value must be one of the listed choices (else a field error)."""

    type = forms.ChoiceField(choices=[("", "Any operation"), *OperationType.choices], required=False, label="Operation")
    status = forms.ChoiceField(choices=[("", "Any status"), *RunStatus.choices], required=False)
    outcome = forms.ChoiceField(choices=[("", "Any outcome"), *RunOutcome.choices], required=False)
    environment_id = forms.TypedChoiceField(
        choices=(), coerce=int, required=False, empty_value=None, label="Environment"
    )

    def __init__(self, *args: Any, environment_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["environment_id"].choices = [("", "Any environment"), *environment_choices]  # type: ignore[attr-defined]
        # Only operation types something can run (a registered handler): a type without one has no runs.
        self.fields["type"].choices = [  # type: ignore[attr-defined]
            ("", "Any operation"),
            *((value, label) for value, label in OperationType.choices if handler_for(value) is not None),
        ]


@workspace_view(Capability.OPERATIONS_VIEW)
def operation_list(request: HttpRequest, scope: Scope) -> HttpResponse:
    environment_choices = [(e.pk, e.display_name) for e in scope.environments().order_by("display_name")]
    form = RunFilterForm(request.GET or None, environment_choices=environment_choices)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    runs = selectors.operation_run_list(
        scope=scope,
        operation_type=filters.get("type") or "",
        status=filters.get("status") or "",
        outcome=filters.get("outcome") or "",
        environment_id=filters.get("environment_id"),
    )
    status = form_status(form)
    return render(
        request,
        "console/operations/list.html",
        {"scope": scope, "form": form, "page": paginate(request, runs), "query": query_without_page(request)},
        status=status,
    )


@workspace_view(Capability.OPERATIONS_VIEW)
def operation_detail(request: HttpRequest, scope: Scope, run_id: int) -> HttpResponse:
    run = selectors.operation_run_get(scope=scope, run_id=run_id)
    return render(
        request,
        "console/operations/detail.html",
        {"scope": scope, "run": run, "can_cancel": policies.can_cancel_run(scope, run)},
    )


@workspace_view(Capability.OPERATIONS_VIEW)
def operation_status(request: HttpRequest, scope: Scope, run_id: int) -> HttpResponse:
    """The run's live part, for htmx polling: it keeps polling only while the run is active."""
    run = selectors.operation_run_get(scope=scope, run_id=run_id)
    return render(
        request,
        "console/operations/_status.html",
        {"scope": scope, "run": run, "can_cancel": policies.can_cancel_run(scope, run)},
    )


@require_POST
@workspace_view(Capability.PROVIDER_RUN)
def operation_cancel(request: HttpRequest, scope: Scope, run_id: int) -> HttpResponse:
    run = selectors.operation_run_get(scope=scope, run_id=run_id)
    try:
        services.operation_cancel(actor=request.user, run=run)
    except services.IllegalTransition as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{run.type_label} #{run.pk} cancelled.")
    return redirect("console:operation-detail", workspace=scope.workspace.slug, run_id=run.pk)


@workspace_view(Capability.WORKSPACE_VIEW)
def notification_list(request: HttpRequest, scope: Scope) -> HttpResponse:
    page = paginate(request, selectors.notification_list(scope=scope))
    return render(request, "console/notifications/list.html", {"scope": scope, "page": page})


@require_POST
@workspace_view(Capability.WORKSPACE_VIEW)
def notification_read(request: HttpRequest, scope: Scope, notification_id: int) -> HttpResponse:
    notification = selectors.notification_get(scope=scope, notification_id=notification_id)
    services.notification_mark_read(actor=request.user, notification=notification)
    if request.POST.get("next") == "run" and notification.run_id:
        return redirect("console:operation-detail", workspace=scope.workspace.slug, run_id=notification.run_id)
    return redirect("console:notifications", workspace=scope.workspace.slug)


@require_POST
@workspace_view(Capability.WORKSPACE_VIEW)
def notification_read_all(request: HttpRequest, scope: Scope) -> HttpResponse:
    # The count shown is of the notifications the member may see: one about an environment
    # hidden from them (sent before a restriction) is marked read too, but never counted aloud.
    count = selectors.notification_unread_count(scope=scope)
    services.notification_mark_all_read(actor=request.user, workspace=scope.workspace)
    messages.success(request, f"{count} notification(s) marked read.")
    return redirect("console:notifications", workspace=scope.workspace.slug)
