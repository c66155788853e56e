"""The authorization matrix every console (and later API) route must pass.

For one route: anonymous → login redirect (401 for the API); a non-member and a member of another
workspace → 404 that names nothing; a member restricted away from the route's environment → 404;
every role without the capability → 403; the least-privileged role with it → success, and on
mutations exactly the expected audit row. Refused calls must write nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.test import Client
from django.urls import resolve, reverse

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.capabilities import Capability
from tenantpilot.authz.roles import ROLE_PRIORITY, Role, capabilities_for
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

    def __str__(self) -> str:
        return f"{self.method} {self.route}"


@dataclass
class MatrixResult:
    rows: list[tuple[str, int]] = field(default_factory=list)


def _request(client: Client, case: RouteCase, world: World, user: Any) -> Any:
    """One request as ``user``. Setup done by ``kwargs``/``data`` happens before the audit count
    is taken, so ``response.audit_rows`` counts only rows the request itself wrote."""
    client.logout()
    if user is not None:
        client.force_login(user)
    url = reverse(case.route, kwargs={"workspace": world.a.slug, **case.kwargs(world)})
    data = case.data(world) if case.data else None
    before = AuditLog.objects.count()
    if case.method == "GET":
        response = client.get(url, data or None)
    elif data is not None:
        response = client.generic(case.method, url, data=_encode(data), content_type="application/x-www-form-urlencoded")
    else:
        response = client.generic(case.method, url)
    response.audit_rows = AuditLog.objects.count() - before
    return response


def _encode(data: dict[str, Any]) -> str:
    from urllib.parse import urlencode

    return urlencode(data, doseq=True)


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
    if case.audit_action is not None:
        rows = list(AuditLog.objects.filter(action=case.audit_action, actor=user))
        assert len(rows) == 1, f"{case}: expected one {case.audit_action} audit row, found {len(rows)}"
        assert rows[0].workspace_id == world.a.pk
    elif not case.unaudited_reason:
        assert response.audit_rows == 0, f"{case}: a read wrote an audit row"
    return result
