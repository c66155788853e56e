"""Every console workspace route passes the authorization matrix (tests/support/matrix.py)."""

from __future__ import annotations

import uuid

import pytest

from tenantpilot.audit.actions import AuditAction
from tenantpilot.authz.capabilities import Capability as C
from tenantpilot.authz.roles import Role
from tenantpilot.console import urls as console_urls
from tests.factories import MembershipFactory, UserFactory
from tests.support.matrix import RouteCase, run_matrix


def env_a1(world):
    return {"environment_id": world.a1.pk}


def fresh_readonly_member(world):
    return {"membership_id": MembershipFactory(workspace=world.a, role=Role.READONLY).pk}


def new_environment(world):
    return {"display_name": "New customer", "tenant_id": str(uuid.uuid4()), "default_domain": "new.onmicrosoft.com"}


def renamed_a1(world):
    return {"display_name": f"Renamed {uuid.uuid4().hex[:6]}", "tenant_id": world.a1.tenant_id, "default_domain": ""}


def hidden_tenant_environment(world):
    """A new environment with a1's tenant id: a field error for who sees a1, and 403 for who does not."""
    return {"display_name": "Clash", "tenant_id": world.a1.tenant_id, "default_domain": ""}


def new_member(world):
    return {"user": UserFactory().username, "role": Role.READONLY.value}


CASES = [
    RouteCase("console:workspace-home", C.WORKSPACE_VIEW),
    # A restricted member may not add environments at all (a taken tenant id would reveal a hidden one).
    RouteCase("console:environment-create", C.ENVIRONMENT_MANAGE, restricted_status=(403,)),
    RouteCase(
        "console:environment-create",
        C.ENVIRONMENT_MANAGE,
        "POST",
        data=new_environment,
        audit_action=AuditAction.ENVIRONMENT_CREATED,
        ok_status=(302,),
        restricted_status=(403,),
    ),
    RouteCase(
        "console:environment-create",
        C.ENVIRONMENT_MANAGE,
        "POST",
        data=hidden_tenant_environment,
        ok_status=(400,),
        restricted_status=(403,),
        unaudited_reason="always refused: the tenant id is taken",
    ),
    RouteCase("console:environment-detail", C.ENVIRONMENT_VIEW, kwargs=env_a1, environment_scoped=True),
    RouteCase("console:environment-edit", C.ENVIRONMENT_MANAGE, kwargs=env_a1, environment_scoped=True),
    RouteCase(
        "console:environment-edit",
        C.ENVIRONMENT_MANAGE,
        "POST",
        kwargs=env_a1,
        data=renamed_a1,
        audit_action=AuditAction.ENVIRONMENT_UPDATED,
        environment_scoped=True,
        ok_status=(302,),
    ),
    RouteCase("console:environment-archive", C.ENVIRONMENT_MANAGE, kwargs=env_a1, environment_scoped=True),
    RouteCase(
        "console:environment-archive",
        C.ENVIRONMENT_MANAGE,
        "POST",
        kwargs=env_a1,
        data=lambda w: {},
        audit_action=AuditAction.ENVIRONMENT_ARCHIVED,
        environment_scoped=True,
        ok_status=(302,),
    ),
    RouteCase("console:members", C.WORKSPACE_VIEW),
    RouteCase("console:member-add", C.WORKSPACE_MANAGE_MEMBERS),
    RouteCase(
        "console:member-add",
        C.WORKSPACE_MANAGE_MEMBERS,
        "POST",
        data=new_member,
        audit_action=AuditAction.MEMBER_ADDED,
        ok_status=(302,),
    ),
    RouteCase(
        "console:member-role",
        C.WORKSPACE_MANAGE_MEMBERS,
        "POST",
        kwargs=fresh_readonly_member,
        data=lambda w: {"role": Role.OPERATOR.value},
        audit_action=AuditAction.MEMBER_ROLE_CHANGED,
        ok_status=(302,),
    ),
    RouteCase("console:member-access", C.WORKSPACE_MANAGE_MEMBERS, kwargs=fresh_readonly_member),
    RouteCase(
        "console:member-access",
        C.WORKSPACE_MANAGE_MEMBERS,
        "POST",
        kwargs=fresh_readonly_member,
        data=lambda w: {"restricted": "on", "environments": [w.a1.pk]},
        audit_action=AuditAction.MEMBER_ACCESS_CHANGED,
        ok_status=(302,),
        # a1 is hidden from them, and the member sees everything today: a field error either way.
        restricted_status=(400,),
    ),
    RouteCase(
        "console:member-access",
        C.WORKSPACE_MANAGE_MEMBERS,
        "POST",
        kwargs=fresh_readonly_member,
        data=lambda w: {},
        audit_action=AuditAction.MEMBER_ACCESS_CHANGED,
        ok_status=(302,),
        # Lifting a restriction ("all environments") exceeds what a restricted member sees.
        restricted_status=(400,),
    ),
    RouteCase("console:member-remove", C.WORKSPACE_MANAGE_MEMBERS, kwargs=fresh_readonly_member),
    RouteCase(
        "console:member-remove",
        C.WORKSPACE_MANAGE_MEMBERS,
        "POST",
        kwargs=fresh_readonly_member,
        data=lambda w: {},
        audit_action=AuditAction.MEMBER_REMOVED,
        ok_status=(302,),
    ),
    RouteCase("console:audit", C.AUDIT_VIEW),
    # Workspace search: results only from environments the member may see (the sweep checks a1).
    RouteCase("console:search", C.WORKSPACE_VIEW, data=lambda w: {"q": "Alpha"}),
    RouteCase("console:search", C.WORKSPACE_VIEW, data=lambda w: {"q": "Alpha", "kind": "environments"}),
    RouteCase("console:search", C.WORKSPACE_VIEW, data=lambda w: {"q": "x" * 101}, ok_status=(400,)),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=str)
def test_route_passes_authorization_matrix(client, world, case):
    result = run_matrix(client, world, case)
    assert len(result.rows) >= 4


def _all_console_cases() -> list[RouteCase]:
    """CASES of every ``tests/**/test_*matrix*.py`` module (each domain keeps its own file)."""
    import importlib
    from pathlib import Path

    tests_root = Path(__file__).resolve().parents[1]
    cases: list[RouteCase] = []
    for path in sorted(tests_root.rglob("test_*matrix*.py")):
        module = importlib.import_module(".".join(path.relative_to(tests_root.parent).with_suffix("").parts))
        cases += [c for c in getattr(module, "CASES", []) if not c.api]
    return cases


def test_every_workspace_route_has_a_matrix_case():
    covered = {case.route.split(":", 1)[1] for case in _all_console_cases()}
    routes = {p.name for p in console_urls.workspace_patterns}
    assert routes - covered == set(), f"console routes without an authorization matrix case: {routes - covered}"


def test_every_mutating_case_expects_an_audit_row_or_says_why_not():
    for case in _all_console_cases():
        if case.method != "GET":
            assert case.audit_action is not None or case.unaudited_reason, (
                f"{case} mutates without an expected audit row"
            )
