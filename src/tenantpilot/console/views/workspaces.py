"""Workspace picker and workspace home."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from tenantpilot.authz.capabilities import Capability
from tenantpilot.console import selectors_home
from tenantpilot.console.decorators import workspace_view
from tenantpilot.console.pagination import paginate, query_without_page
from tenantpilot.tenancy import policies
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.selectors import workspace_list_for_user


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
    """The landing page: which environments need attention (most urgent first), where drift is,
    what runs and what failed recently, each with its next action. Database only, and a constant
    number of queries whatever the number of environments."""
    show_archived = request.GET.get("archived") == "1"
    search = request.GET.get("q", "")[:100]
    environments = selectors_home.environments_for_home(scope=scope, include_archived=show_archived, search=search)
    page = paginate(request, environments)
    return render(
        request,
        "console/workspace_home.html",
        {
            "scope": scope,
            "page": page,
            "home": selectors_home.home_page(scope=scope, environments=list(page.object_list)),
            "query": query_without_page(request),
            "search": search,
            "show_archived": show_archived,
            "can_manage": policies.can_create_environment(scope),
        },
    )
