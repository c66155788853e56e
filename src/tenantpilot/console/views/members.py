"""Workspace members: list, add an existing user, change role, restrict access, remove."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from tenantpilot.authz.capabilities import Capability
from tenantpilot.authz.roles import Role, can_grant, grantable_roles
from tenantpilot.console.decorators import workspace_view
from tenantpilot.console.forms import MemberAccessForm, MemberAddForm, MemberRoleForm, form_status
from tenantpilot.console.pagination import paginate
from tenantpilot.core.errors import Conflict, Forbidden, ValidationFailed
from tenantpilot.tenancy import policies, services
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.selectors import (
    grantable_environment_choices,
    membership_get,
    membership_list,
    membership_visible_grant_ids,
)
from tenantpilot.tenancy.selectors_invitations import invitation_list

# Least privilege: a new member starts as Read-only unless the manager picks more.
DEFAULT_NEW_MEMBER_ROLE = Role.READONLY

ACCESS_NOT_RESTRICTED_MESSAGE = (
    "You selected environments but not “Only the environments selected below”. "
    "Tick it to limit this member to the selected environments, or clear the selection to allow all."
)


def _to_members(scope: Scope) -> HttpResponse:
    return redirect("console:members", workspace=scope.workspace.slug)


def _add_form(scope: Scope, data: object = None) -> MemberAddForm:
    """The add-member form with Read-only preselected (the least privilege)."""
    return MemberAddForm(data or None, roles=grantable_roles(scope.role), initial={"role": DEFAULT_NEW_MEMBER_ROLE})


@workspace_view(Capability.WORKSPACE_VIEW)
def member_list(request: HttpRequest, scope: Scope) -> HttpResponse:
    page = paginate(request, membership_list(scope=scope))
    rows = [(m, policies.can_manage_membership(scope, m)) for m in page.object_list]
    roles = grantable_roles(scope.role)
    can_manage = scope.can(Capability.WORKSPACE_MANAGE_MEMBERS)
    invitations = [(i, can_grant(scope.role, i.role)) for i in invitation_list(scope=scope)] if can_manage else []
    return render(
        request,
        "console/members/list.html",
        {
            "scope": scope,
            "page": page,
            "rows": rows,
            "roles": roles,
            "can_manage": can_manage,
            "add_form": _add_form(scope),
            "invitations": invitations,
        },
    )


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.WORKSPACE_MANAGE_MEMBERS)
def member_add(request: HttpRequest, scope: Scope) -> HttpResponse:
    form = _add_form(scope, request.POST)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.membership_add(
                actor=request.user,
                workspace=scope.workspace,
                user_identifier=form.cleaned_data["user"],
                role=form.cleaned_data["role"],
            )
        except ValidationFailed as error:
            form.add_service_error(error)
        else:
            messages.success(request, f"{membership.user.get_username()} added as {membership.get_role_display()}.")
            return _to_members(scope)
    status = form_status(form)
    return render(request, "console/members/add.html", {"scope": scope, "form": form}, status=status)


@require_POST
@workspace_view(Capability.WORKSPACE_MANAGE_MEMBERS)
def member_change_role(request: HttpRequest, scope: Scope, membership_id: int) -> HttpResponse:
    membership = membership_get(scope=scope, membership_id=membership_id)
    if policies.is_own_membership(scope, membership):
        raise Forbidden(policies.OWN_ACCESS_MESSAGE)
    form = MemberRoleForm(request.POST, roles=grantable_roles(scope.role))
    if not form.is_valid():
        messages.error(request, "Choose one of the listed roles.")
        return _to_members(scope)
    try:
        services.membership_change_role(actor=request.user, membership=membership, role=form.cleaned_data["role"])
    except (ValidationFailed, Conflict) as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Role of {membership.user.get_username()} changed.")
    return _to_members(scope)


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.WORKSPACE_MANAGE_MEMBERS)
def member_remove(request: HttpRequest, scope: Scope, membership_id: int) -> HttpResponse:
    """GET asks for confirmation; POST removes. The last owner is never removed."""
    membership = membership_get(scope=scope, membership_id=membership_id)
    if request.method == "POST":
        try:
            services.membership_remove(actor=request.user, membership=membership)
        except Conflict as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{membership.user.get_username()} removed from the workspace.")
        return _to_members(scope)
    return render(request, "console/members/remove_confirm.html", {"scope": scope, "membership": membership})


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.WORKSPACE_MANAGE_MEMBERS)
def member_access(request: HttpRequest, scope: Scope, membership_id: int) -> HttpResponse:
    """Choose which environments a member sees. Only environments the viewer sees are offered;
    nobody edits their own access (403)."""
    membership = membership_get(scope=scope, membership_id=membership_id)
    if policies.is_own_membership(scope, membership):
        raise Forbidden(policies.OWN_ACCESS_MESSAGE)
    initial = {
        "restricted": membership.restricted_environments,
        "environments": membership_visible_grant_ids(scope=scope, membership=membership),
    }
    form = MemberAccessForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        environment_choices=grantable_environment_choices(scope=scope),
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and form.cleaned_data["environments"]
        and not form.cleaned_data["restricted"]
    ):
        # Saving "all environments" after the manager ticked some would store something other
        # than what they chose: refuse, naming the field, and keep their ticks.
        form.add_error("restricted", ACCESS_NOT_RESTRICTED_MESSAGE)
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_set_environment_access(
                actor=request.user,
                membership=membership,
                restricted=form.cleaned_data["restricted"],
                environment_ids=form.cleaned_data["environments"],
            )
        except ValidationFailed as error:
            form.add_service_error(error)
        else:
            messages.success(request, f"Environment access of {membership.user.get_username()} saved.")
            return _to_members(scope)
    status = form_status(form)
    return render(
        request, "console/members/access.html", {"scope": scope, "membership": membership, "form": form}, status=status
    )
