"""The authorization matrix every console (and later API) route must pass.

For one route: anonymous → login redirect (401 for the API); a non-member and a member of another
workspace → 404 that names nothing; a member restricted away from the route's environment → 404;
every role without the capability → 403; the least-privileged role with it → success, and on
mutations exactly the expected audit row. Refused calls must write nothing. API cases
(``api=True``) call with a personal API token of the user instead of a session, expect 401 for
anonymous, and on mutations also 403 for the allowed role holding a read-only token.

Then, on *every* route, a member of each role restricted to ``a2`` (so ``a1`` is hidden from
them): 404 on a route naming ``a1``, else 403 without the capability, else the case's
``restricted_status`` (default: its ``ok_status``). Whatever the answer, its body must not name,
count or link the hidden environment: ``a1`` carries canaries (a canary domain, its tenant id,
its name) and records that name it (a run, an audit row, a notification, an access grant that
names its id), and every restricted answer is swept for them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import Case, When
from django.test import Client
from django.urls import resolve, reverse

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.capabilities import Capability
from tenantpilot.authz.roles import ROLE_PRIORITY, Role, capabilities_for
from tenantpilot.tenancy import services as tenancy_services
from tenantpilot.tenancy.authority import scope_for_workspace
from tenantpilot.tenancy.models import ManagedEnvironment, WorkspaceMembership
from tenantpilot.tenancy.services_tokens import api_token_create
from tests.factories import MembershipFactory, UserFactory, grant_environment
from tests.operations.helpers import finished_run, notification_for
from tests.support.world import World

Factory = Callable[[World], dict[str, Any]]


def _nothing(world: World) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class RouteCase:
    """One route and what it takes. ``kwargs``/``data`` are called anew for every request."""

    route: str
    capability: Capability
    method: str = "GET"
    kwargs: Factory = _nothing
    data: Factory | None = None
    audit_action: AuditAction | None = None
    environment_scoped: bool = False
    ok_status: tuple[int, ...] = (200,)
    api: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    # A POST that changes only the actor's own state (e.g. marking a notification read) may
    # skip the audit row; it must say why.
    unaudited_reason: str = ""
    # What a member restricted to a2 (so a1 is hidden), holding the capability, gets on a route
    # that names no environment; ``None``: the same as ``ok_status``.
    restricted_status: tuple[int, ...] | None = None

    def __str__(self) -> str:
        return f"{self.method} {self.route}"


@dataclass
class MatrixResult:
    rows: list[tuple[str, int]] = field(default_factory=list)


def _request(client: Client, case: RouteCase, world: World, user: Any, *, read_only: bool = False) -> Any:
    """One request as ``user``. Setup done by ``kwargs``/``data`` happens before the audit count
    is taken, so ``response.audit_rows`` counts only rows the request itself wrote."""
    client.logout()
    headers = dict(case.headers)
    if case.api:
        if user is not None:
            headers["Authorization"] = f"Bearer {api_token_for(world, user, read_only=read_only)}"
    elif user is not None:
        client.force_login(user)
    url = reverse(case.route, kwargs={"workspace": world.a.slug, **case.kwargs(world)})
    data = case.data(world) if case.data else None
    before = AuditLog.objects.count()
    if case.api:
        if case.method == "GET":
            response = client.get(url, data or None, headers=headers)
        else:
            body = json.dumps(data) if data is not None else ""
            response = client.generic(case.method, url, data=body, content_type="application/json", headers=headers)
    elif case.method == "GET":
        response = client.get(url, data or None)
    elif data is not None:
        response = client.generic(
            case.method, url, data=_encode(data), content_type="application/x-www-form-urlencoded"
        )
    else:
        response = client.generic(case.method, url)
    response.audit_rows = AuditLog.objects.count() - before
    return response


def api_token_for(world: World, user: Any, *, read_only: bool = False) -> str:
    """A personal API token of ``user`` (cached on the world): for workspace A when they are a
    member there, else for a workspace of their own (a valid token that A must not honour)."""
    cache = world.__dict__.setdefault("_api_tokens", {})
    key = (user.pk, read_only)
    if key not in cache:
        membership = (
            WorkspaceMembership.objects.filter(user=user)
            .order_by(Case(When(workspace=world.a, then=0), default=1), "pk")
            .first()
        )
        if membership is None:
            membership = MembershipFactory(user=user, role=Role.OWNER)
        scope = scope_for_workspace(user, membership.workspace)
        cache[key] = api_token_create(scope=scope, name="matrix", read_only=read_only).text
    return cache[key]


def _encode(data: dict[str, Any]) -> str:
    return urlencode(data, doseq=True)


HIDDEN_CANARY_DOMAIN = "hidden-canary-a1.onmicrosoft.com"
HIDDEN_ORIGINAL_NAME = "Alpha One"


def restricted_identities(world: World) -> dict[Role, Any]:
    """One member of each role restricted to ``a2``; ``a1`` made recognisable and given records.

    Built once per world. Records on ``a1``: a finished run, an audit row about it, a
    notification for each restricted identity, and a workspace-level audit row (another member's
    access change) whose metadata names ``a1``'s id.
    """
    cached = getattr(world, "_restricted_identities", None)
    if cached is not None:
        return cached
    identities: dict[Role, Any] = {}
    for role in Role:
        user = UserFactory(username=f"restricted-{role.value}@alpha.test")
        grant_environment(MembershipFactory(workspace=world.a, user=user, role=role), world.a2)
        identities[role] = user
    owner = world.owner
    tenancy_services.environment_update(actor=owner, environment=world.a1, default_domain=HIDDEN_CANARY_DOMAIN)
    world.a1.refresh_from_db()
    finished_run(world.a1)
    for user in identities.values():
        notification_for(user, world.a1)
    bystander = MembershipFactory(workspace=world.a, role=Role.READONLY)
    tenancy_services.membership_set_environment_access(
        actor=owner, membership=bystander, restricted=True, environment_ids=[world.a1.pk]
    )
    world._restricted_identities = identities  # type: ignore[attr-defined]
    return identities


def hidden_environment_leaks(body: str, world: World) -> list[str]:
    """What of the hidden environment ``a1`` a response body names (empty when nothing)."""
    current = ManagedEnvironment.objects.filter(pk=world.a1.pk).values("display_name", "tenant_id").first() or {}
    needles = {HIDDEN_ORIGINAL_NAME, HIDDEN_CANARY_DOMAIN, world.a1.tenant_id, *current.values()}
    found = [needle for needle in needles if needle and needle.lower() in body.lower()]
    pk = world.a1.pk
    patterns = {
        "a link to it": rf"/environments/{pk}/",
        # (a select's option shows the name too, which the sweep above catches)
        "a form choice of it": rf"name=\"environments?(_id)?\"[^>]*value=\"{pk}\"",
        "its id in an access change": rf"environment_ids\S*\s*\[[^\]]*\b{pk}\b",
    }
    found += [label for label, pattern in patterns.items() if re.search(pattern, body)]
    return found


def _assert_reveals_nothing(response: Any, world: World) -> None:
    body = response.content.decode()
    for secret_name in (world.a.name, world.a1.display_name, world.a2.display_name):
        assert secret_name not in body, f"404 body reveals {secret_name!r}"


def run_matrix(client: Client, world: World, case: RouteCase) -> MatrixResult:
    """Run the whole matrix for ``case``; raises AssertionError naming the failing row."""
    result = MatrixResult()

    if not case.api:
        view = resolve(reverse(case.route, kwargs={"workspace": world.a.slug, **case.kwargs(world)})).func
        declared = getattr(view, "required_capability", None)
        assert declared == case.capability, (
            f"{case}: the view declares {declared}, the matrix expects {case.capability}"
        )

    response = _request(client, case, world, None)
    result.rows.append(("anonymous", response.status_code))
    if case.api:
        assert response.status_code == 401, f"{case}: anonymous got {response.status_code}"
    else:
        assert response.status_code == 302, f"{case}: anonymous got {response.status_code}"
        assert reverse("console:login") in response["Location"], f"{case}: anonymous not sent to login"

    for label, user in (("non-member", world.outsider), ("other-workspace member", world.other)):
        response = _request(client, case, world, user)
        result.rows.append((label, response.status_code))
        assert response.status_code == 404, f"{case}: {label} got {response.status_code}"
        assert response.audit_rows == 0, f"{case}: a refused request wrote an audit row"
        _assert_reveals_nothing(response, world)

    if case.environment_scoped:
        response = _request(client, case, world, world.restricted)
        result.rows.append(("restricted member", response.status_code))
        assert response.status_code == 404, (
            f"{case}: member without access to the environment got {response.status_code}"
        )

    lacking = [role for role in Role if case.capability not in capabilities_for(role)]
    for role in lacking:
        response = _request(client, case, world, world.members[role])
        result.rows.append((f"{role.value} (lacks {case.capability})", response.status_code))
        assert response.status_code == 403, f"{case}: {role.value} without {case.capability} got {response.status_code}"
        assert response.audit_rows == 0, f"{case}: a refused request wrote an audit row"

    allowed = sorted((r for r in Role if case.capability in capabilities_for(r)), key=ROLE_PRIORITY.__getitem__)
    user = world.members[allowed[0]]
    response = _request(client, case, world, user)
    result.rows.append((f"{allowed[0].value} (has {case.capability})", response.status_code))
    assert response.status_code in case.ok_status, (
        f"{case}: {allowed[0].value} got {response.status_code}, expected {case.ok_status}"
    )
    if case.api and case.method != "GET":
        refused = _request(client, case, world, user, read_only=True)
        result.rows.append((f"{allowed[0].value} with a read-only token", refused.status_code))
        assert refused.status_code == 403, f"{case}: a read-only token got {refused.status_code}"
        assert refused.audit_rows == 0, f"{case}: a read-only token's refused request wrote an audit row"
    if case.audit_action is not None:
        rows = list(AuditLog.objects.filter(action=case.audit_action, actor=user))
        assert len(rows) == 1, f"{case}: expected one {case.audit_action} audit row, found {len(rows)}"
        assert rows[0].workspace_id == world.a.pk
    elif not case.unaudited_reason:
        assert response.audit_rows == 0, f"{case}: a read wrote an audit row"

    _run_restricted_rows(client, world, case, result)
    return result


def _run_restricted_rows(client: Client, world: World, case: RouteCase, result: MatrixResult) -> None:
    """Each role restricted to a2: the expected status, and nothing of a1 in the answer."""
    for role, user in restricted_identities(world).items():
        if case.environment_scoped and case.capability not in capabilities_for(role):
            # 404 when the path names the environment (resolved first); a route that finds the
            # environment through a record may refuse the capability first: 403 names nothing.
            expected: tuple[int, ...] = (403, 404)
        elif case.environment_scoped:
            expected = (404,)
        elif case.capability not in capabilities_for(role):
            expected = (403,)
        else:
            expected = case.restricted_status or case.ok_status
        response = _request(client, case, world, user)
        label = f"{role.value} restricted to a2"
        result.rows.append((label, response.status_code))
        assert response.status_code in expected, f"{case}: {label} got {response.status_code}, expected {expected}"
        if response.status_code >= 400:
            assert response.audit_rows == 0, f"{case}: {label} was refused but an audit row was written"
        body = response.content.decode(errors="replace") + response.get("Location", "")
        leaks = hidden_environment_leaks(body, world)
        assert not leaks, f"{case}: the answer to {label} reveals the hidden environment: {leaks}"
