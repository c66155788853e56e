"""Provider connections of an environment: list, create, edit, replace credential, default,
enable/disable, delete (confirmed) and "Check connection" (which only enqueues)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from tenantpilot.authz.capabilities import Capability
from tenantpilot.console.decorators import workspace_view
from tenantpilot.console.forms import ConnectionEditForm, ConnectionForm, CredentialReplaceForm, form_status
from tenantpilot.console.pagination import paginate
from tenantpilot.core.errors import Conflict, ValidationFailed
from tenantpilot.operations.services import ScopeBusy
from tenantpilot.providers import policies, services
from tenantpilot.providers.health import REQUIRED_PERMISSIONS
from tenantpilot.providers.selectors import connection_get, connection_list
from tenantpilot.resources.choices import BindingStatus
from tenantpilot.resources.services import ACTIVE_BINDINGS_USE
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.models import ManagedEnvironment


def run_url(scope: Scope, run: Any) -> str:
    """Where an operation run is shown."""
    return reverse("console:operation-detail", kwargs={"workspace": scope.workspace.slug, "run_id": run.pk})


def _to_list(scope: Scope, environment: ManagedEnvironment) -> HttpResponse:
    return redirect("console:connections", workspace=scope.workspace.slug, environment_id=environment.pk)


def _to_detail(scope: Scope, environment: ManagedEnvironment, connection_id: int) -> HttpResponse:
    return redirect(
        "console:connection-detail",
        workspace=scope.workspace.slug,
        environment_id=environment.pk,
        connection_id=connection_id,
    )


def _context(scope: Scope, environment: ManagedEnvironment, **extra: Any) -> dict[str, Any]:
    return {
        "scope": scope,
        "environment": environment,
        "can_manage": policies.can_manage_connections(scope),
        "can_run": policies.can_run_connection_operations(scope),
        **extra,
    }


@workspace_view(Capability.PROVIDER_VIEW)
def connection_list_view(request: HttpRequest, scope: Scope, environment: ManagedEnvironment) -> HttpResponse:
    page = paginate(request, connection_list(scope=scope, environment=environment))
    return render(request, "console/connections/list.html", _context(scope, environment, page=page))


@workspace_view(Capability.PROVIDER_VIEW)
def connection_detail(
    request: HttpRequest, scope: Scope, environment: ManagedEnvironment, connection_id: int
) -> HttpResponse:
    connection = connection_get(scope=scope, environment=environment, connection_id=connection_id)
    permissions = [(p, connection.permission_report.get(p, "unknown")) for p in REQUIRED_PERMISSIONS]
    return render(
        request,
        "console/connections/detail.html",
        _context(scope, environment, connection=connection, permissions=permissions),
    )


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.PROVIDER_MANAGE)
def connection_create(request: HttpRequest, scope: Scope, environment: ManagedEnvironment) -> HttpResponse:
    form = ConnectionForm(
        request.POST or None, request.FILES or None, initial={"entra_tenant_id": environment.tenant_id}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            connection = services.connection_create(
                actor=request.user,
                environment=environment,
                display_name=data["display_name"],
                entra_tenant_id=data["entra_tenant_id"],
                client_id=data["client_id"],
                **form.credential_kwargs(),
            )
        except ValidationFailed as error:
            form.add_service_error(error)
        else:
            messages.success(request, f"Connection “{connection.display_name}” saved. Check it to verify access.")
            return _to_detail(scope, environment, connection.pk)
    status = form_status(form)
    return render(request, "console/connections/form.html", _context(scope, environment, form=form), status=status)


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.PROVIDER_MANAGE)
def connection_edit(
    request: HttpRequest, scope: Scope, environment: ManagedEnvironment, connection_id: int
) -> HttpResponse:
    connection = connection_get(scope=scope, environment=environment, connection_id=connection_id)
    form = ConnectionEditForm(
        request.POST or None, initial={"display_name": connection.display_name, "client_id": connection.client_id}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.connection_update(actor=request.user, connection=connection, **form.cleaned_data)
        except ValidationFailed as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Connection saved.")
            return _to_detail(scope, environment, connection.pk)
    status = form_status(form)
    return render(
        request,
        "console/connections/edit.html",
        _context(scope, environment, form=form, connection=connection),
        status=status,
    )


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.PROVIDER_MANAGE)
def connection_credential(
    request: HttpRequest, scope: Scope, environment: ManagedEnvironment, connection_id: int
) -> HttpResponse:
    connection = connection_get(scope=scope, environment=environment, connection_id=connection_id)
    form = CredentialReplaceForm(
        request.POST or None, request.FILES or None, initial={"auth_type": connection.auth_type}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.connection_replace_credential(
                actor=request.user, connection=connection, **form.credential_kwargs()
            )
        except ValidationFailed as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Credential replaced. Check the connection to verify it.")
            return _to_detail(scope, environment, connection.pk)
    status = form_status(form)
    return render(
        request,
        "console/connections/credential.html",
        _context(scope, environment, form=form, connection=connection),
        status=status,
    )


@require_POST
@workspace_view(Capability.PROVIDER_MANAGE)
def connection_make_default(
    request: HttpRequest, scope: Scope, environment: ManagedEnvironment, connection_id: int
) -> HttpResponse:
    connection = connection_get(scope=scope, environment=environment, connection_id=connection_id)
    services.connection_set_default(actor=request.user, connection=connection)
    messages.success(request, f"“{connection.display_name}” is now the default connection.")
    return _to_list(scope, environment)


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.PROVIDER_MANAGE)
def connection_status(
    request: HttpRequest, scope: Scope, environment: ManagedEnvironment, connection_id: int
) -> HttpResponse:
    """GET confirms disabling (enabling needs no confirmation); POST switches the status."""
    connection = connection_get(scope=scope, environment=environment, connection_id=connection_id)
    enable = not connection.is_enabled
    if request.method == "POST":
        try:
            services.connection_set_enabled(actor=request.user, connection=connection, enabled=enable)
        except Conflict as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "Connection enabled." if enable else "Connection disabled.")
        return _to_detail(scope, environment, connection.pk)
    return render(
        request,
        "console/connections/status_confirm.html",
        _context(scope, environment, connection=connection, enable=enable),
    )


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.PROVIDER_MANAGE)
def connection_delete(
    request: HttpRequest, scope: Scope, environment: ManagedEnvironment, connection_id: int
) -> HttpResponse:
    """GET asks for confirmation; POST deletes the connection and its credential.

    While active bindings use the connection, the page says how many and links to them, and the
    service refuses the delete (a stale form's POST comes back here with the message).
    """
    connection = connection_get(scope=scope, environment=environment, connection_id=connection_id)
    if request.method == "POST":
        try:
            services.connection_delete(actor=request.user, connection=connection)
        except services.ConnectionInUse as in_use:
            messages.error(request, in_use.message)
            return redirect(
                "console:connection-delete",
                workspace=scope.workspace.slug,
                environment_id=environment.pk,
                connection_id=connection.pk,
            )
        messages.success(request, f"Connection “{connection.display_name}” deleted.")
        return _to_list(scope, environment)
    uses = [
        {"description": use.description, "url": _use_url(scope, environment, connection.pk, use.kind)}
        for use in services.connection_uses(connection)
    ]
    return render(
        request,
        "console/connections/delete_confirm.html",
        _context(scope, environment, connection=connection, uses=uses),
    )


def _use_url(scope: Scope, environment: ManagedEnvironment, connection_id: int, kind: str) -> str | None:
    """Where the records that keep a connection from being deleted are listed."""
    if kind == ACTIVE_BINDINGS_USE:
        bindings = reverse(
            "console:bindings", kwargs={"workspace": scope.workspace.slug, "environment_id": environment.pk}
        )
        return f"{bindings}?{urlencode({'status': BindingStatus.ACTIVE.value, 'connection': connection_id})}"
    return None


@require_POST
@workspace_view(Capability.PROVIDER_RUN)
def connection_check(
    request: HttpRequest, scope: Scope, environment: ManagedEnvironment, connection_id: int
) -> HttpResponse:
    """Enqueue a health check and show its run; the check itself happens in a worker."""
    connection = connection_get(scope=scope, environment=environment, connection_id=connection_id)
    try:
        result = services.connection_check_start(actor=request.user, connection=connection)
    except ScopeBusy as busy:
        messages.error(request, busy.message)
        return redirect(run_url(scope, busy.active_run))
    except Conflict as error:
        messages.error(request, error.message)
        return _to_detail(scope, environment, connection.pk)
    if result.deduped:
        messages.info(request, "A check of this connection is already queued or running; showing it.")
    else:
        messages.success(request, "Connection check queued.")
    return redirect(run_url(scope, result.run))
