"""Workspace picker and workspace home."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from tenantpilot.authz.capabilities import Capability
from tenantpilot.console.decorators import workspace_view
from tenantpilot.console.pagination import paginate, query_without_page
from tenantpilot.providers.selectors import with_default_connection_health
from tenantpilot.tenancy import policies
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.selectors import environment_list, workspace_list_for_user


def root(request: HttpRequest) -> HttpResponse:
    return redirect("console:workspace-picker")


@login_required
def workspace_picker(request: HttpRequest) -> HttpResponse:
    """Only the user's own workspaces; a single one opens directly."""
    workspaces = list(workspace_list_for_user(user=request.user))
    if len(workspaces) == 1 and not request.GET.get("all"):
        return redirect("console:workspace-home", workspace=workspaces[0].slug)
    return render(request, "console/workspace_picker.html", {"workspaces": workspaces})


@workspace_view(Capability.WORKSPACE_VIEW)
def workspace_home(request: HttpRequest, scope: Scope) -> HttpResponse:
    """The environments the member may see, searchable, paginated."""
    show_archived = request.GET.get("archived") == "1"
    search = request.GET.get("q", "")[:100]
    environments = environment_list(scope=scope, include_archived=show_archived, search=search)
    if scope.can(Capability.PROVIDER_VIEW):
        environments = with_default_connection_health(environments)
    return render(
        request,
        "console/workspace_home.html",
        {
            "scope": scope,
            "page": paginate(request, environments),
            "query": query_without_page(request),
            "search": search,
            "show_archived": show_archived,
            "can_manage": policies.can_create_environment(scope),
        },
    )
