"""Managed environments: detail, create, edit, archive/restore."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tenantpilot.authz.capabilities import Capability
from tenantpilot.baselines import selectors as baseline_selectors
from tenantpilot.console.decorators import workspace_view
from tenantpilot.console.forms import EnvironmentForm, form_status
from tenantpilot.core.errors import Forbidden, ValidationFailed
from tenantpilot.operations.selectors import operation_run_list
from tenantpilot.providers.selectors import connection_list
from tenantpilot.tenancy import policies, services
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.models import ManagedEnvironment

RECENT_RUNS = 5


@workspace_view(Capability.ENVIRONMENT_VIEW)
def environment_detail(request: HttpRequest, scope: Scope, environment: ManagedEnvironment) -> HttpResponse:
    """The environment at a glance: its connections' health and its latest operation runs."""
    context = {"scope": scope, "environment": environment, "can_manage": policies.can_manage_environments(scope)}
    if scope.can(Capability.PROVIDER_VIEW):
        context["connections"] = list(connection_list(scope=scope, environment=environment))
    if scope.can(Capability.OPERATIONS_VIEW):
        context["recent_runs"] = list(
            operation_run_list(scope=scope, environment_id=environment.pk).select_related("connection")[:RECENT_RUNS]
        )
    if scope.can(Capability.BASELINES_VIEW):
        context["baseline_rows"] = baseline_selectors.environment_drift_summary(scope=scope, environment=environment)
    return render(request, "console/environments/detail.html", context)


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.ENVIRONMENT_MANAGE)
def environment_create(request: HttpRequest, scope: Scope) -> HttpResponse:
    """Add an environment. A member restricted to some environments is refused (403), form and all:
    whether a tenant id is taken would reveal environments hidden from them."""
    if not policies.can_create_environment(scope):
        raise Forbidden(policies.RESTRICTED_CREATE_MESSAGE)
    form = EnvironmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            environment = services.environment_create(
                actor=request.user, workspace=scope.workspace, **form.cleaned_data
            )
        except ValidationFailed as error:
            form.add_service_error(error)
        else:
            messages.success(request, f"Environment “{environment.display_name}” added.")
            return redirect("console:environment-detail", workspace=scope.workspace.slug, environment_id=environment.pk)
    return render(
        request,
        "console/environments/form.html",
        {"scope": scope, "form": form, "environment": None},
        status=form_status(form),
    )


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.ENVIRONMENT_MANAGE)
def environment_edit(request: HttpRequest, scope: Scope, environment: ManagedEnvironment) -> HttpResponse:
    initial = {
        "display_name": environment.display_name,
        "tenant_id": environment.tenant_id,
        "default_domain": environment.default_domain,
    }
    form = EnvironmentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.environment_update(actor=request.user, environment=environment, **form.cleaned_data)
        except ValidationFailed as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Environment saved.")
            return redirect("console:environment-detail", workspace=scope.workspace.slug, environment_id=environment.pk)
    return render(
        request,
        "console/environments/form.html",
        {"scope": scope, "form": form, "environment": environment},
        status=form_status(form),
    )


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.ENVIRONMENT_MANAGE)
def environment_archive(request: HttpRequest, scope: Scope, environment: ManagedEnvironment) -> HttpResponse:
    """GET asks for confirmation; POST archives (or restores, when already archived)."""
    archive = not environment.is_archived
    if request.method == "POST":
        services.environment_set_archived(actor=request.user, environment=environment, archived=archive)
        messages.success(request, "Environment archived." if archive else "Environment restored.")
        return redirect("console:environment-detail", workspace=scope.workspace.slug, environment_id=environment.pk)
    return render(
        request,
        "console/environments/archive_confirm.html",
        {"scope": scope, "environment": environment, "archive": archive},
    )
