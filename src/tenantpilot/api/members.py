"""Members through the API: the list, and add an existing user, change a role, set environment access,
remove — on the same tenancy services (and so the same rules) as the console's member page.

Nobody changes their own role or access (403); nobody grants or touches a role above their own
(403); a restricted manager grants only environments they see and never lifts a restriction
(a field error); the last owner stays (409). Environment ids the caller cannot see get the same
field error as missing ones.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from tenantpilot.authz.capabilities import Capability
from tenantpilot.authz.roles import Role
from tenantpilot.core.errors import Forbidden
from tenantpilot.tenancy import policies, selectors, services
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.models import WorkspaceMembership

from .auth import actor, scope_for
from .ids import Id
from .pagination import PageParams, paginate
from .schemas import ERRORS, Page

router = Router(tags=["workspaces"])


class MemberOut(Schema):
    """A member of the workspace: the user's sign-in name, role and restriction."""

    id: int
    username: str
    role: str
    restricted_environments: bool
    visible_grant_count: int
    created_at: dt.datetime


class MemberDetailOut(Schema):
    """A member after a change: role, restriction and the granted environments the caller sees."""

    id: int
    username: str
    role: str
    restricted_environments: bool
    visible_environment_ids: list[int]
    created_at: dt.datetime


class MemberAddIn(Schema):
    """An existing active user (username or e-mail) and the role to give them."""

    user: str = Field(min_length=1, max_length=254)
    role: Role


class MemberRoleIn(Schema):
    """The member's new role (never above the caller's own)."""

    role: Role


class MemberAccessIn(Schema):
    """``restricted: false``: every environment; ``true``: only ``environment_ids``."""

    restricted: bool
    environment_ids: list[Id] = Field(default_factory=list, max_length=1000)


def _detail(scope: Scope, membership: WorkspaceMembership) -> dict[str, Any]:
    return {
        "id": membership.pk,
        "username": membership.user.get_username(),
        "role": membership.role,
        "restricted_environments": membership.restricted_environments,
        "visible_environment_ids": selectors.membership_visible_grant_ids(scope=scope, membership=membership),
        "created_at": membership.created_at,
    }


def _managed_member(request: HttpRequest, workspace: str, membership_id: int) -> tuple[Scope, WorkspaceMembership]:
    scope = scope_for(request, workspace)
    scope.require(Capability.WORKSPACE_MANAGE_MEMBERS)
    return scope, selectors.membership_get(scope=scope, membership_id=membership_id)


_ONE = "/w/{workspace}/members/{membership_id}"


@router.get("/w/{workspace}/members", response={200: Page[MemberOut], **ERRORS}, url_name="member-list")
def member_list(request: HttpRequest, workspace: str, paging: Query[PageParams]) -> dict[str, object]:
    """The workspace's members; grant counts only of environments the caller may see."""
    scope = scope_for(request, workspace)
    rows = selectors.membership_list(scope=scope).order_by("user__username", "pk")

    def out(items: object) -> list[dict[str, object]]:
        return [
            {
                "id": m.pk,
                "username": m.user.get_username(),
                "role": m.role,
                "restricted_environments": m.restricted_environments,
                "visible_grant_count": m.grant_count,
                "created_at": m.created_at,
            }
            for m in items  # type: ignore[attr-defined]
        ]

    return paginate(rows, paging, out)


@router.post("/w/{workspace}/members", response={201: MemberDetailOut, **ERRORS}, url_name="member-add")
def member_add(request: HttpRequest, workspace: str, payload: MemberAddIn) -> Any:
    """Add an existing user; added by a restricted manager, they start restricted with no environment."""
    scope = scope_for(request, workspace)
    scope.require(Capability.WORKSPACE_MANAGE_MEMBERS)
    membership = services.membership_add(
        actor=actor(request), workspace=scope.workspace, user_identifier=payload.user, role=payload.role.value
    )
    return Status(201, _detail(scope, membership))


@router.post(_ONE + "/role", response={200: MemberDetailOut, **ERRORS}, url_name="member-role")
def member_change_role(request: HttpRequest, workspace: str, membership_id: Id, payload: MemberRoleIn) -> Any:
    """Change a member's role (not one's own; never leaving the workspace without an owner: 409)."""
    scope, membership = _managed_member(request, workspace, membership_id)
    if policies.is_own_membership(scope, membership):
        raise Forbidden(policies.OWN_ACCESS_MESSAGE)
    changed = services.membership_change_role(actor=actor(request), membership=membership, role=payload.role.value)
    return _detail(scope, changed)


@router.put(_ONE + "/access", response={200: MemberDetailOut, **ERRORS}, url_name="member-access")
def member_set_access(request: HttpRequest, workspace: str, membership_id: Id, payload: MemberAccessIn) -> Any:
    """Set which environments a member sees; grants of environments hidden from the caller stay."""
    scope, membership = _managed_member(request, workspace, membership_id)
    if policies.is_own_membership(scope, membership):
        raise Forbidden(policies.OWN_ACCESS_MESSAGE)
    changed = services.membership_set_environment_access(
        actor=actor(request),
        membership=membership,
        restricted=payload.restricted,
        environment_ids=payload.environment_ids,
    )
    return _detail(scope, changed)


@router.delete(_ONE, response={204: None, **ERRORS}, url_name="member-remove")
def member_remove(request: HttpRequest, workspace: str, membership_id: Id) -> Any:
    """Remove a member (their tokens stop working at once); never the last owner (409)."""
    _, membership = _managed_member(request, workspace, membership_id)
    services.membership_remove(actor=actor(request), membership=membership)
    return Status(204, None)
