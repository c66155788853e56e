"""Every route of the drift resolution loop passes the authorization matrix (tests/support/matrix.py).

Each request gets a fresh compare result in ``a1`` (``build_scenario``); its rows are kept on the
world so that a case's ``data`` names the rows and resources of the same request.
"""

from __future__ import annotations

import pytest

from tenantpilot.audit.actions import AuditAction
from tenantpilot.authz.capabilities import Capability as C
from tenantpilot.baselines import services_resolution as resolution
from tenantpilot.resources.choices import ResolutionMode
from tests.baselines.resolution_support import Scenario, build_scenario
from tests.support.matrix import RouteCase, run_matrix

NOTE = "Matrix decision note."
ENV = {"environment_scoped": True}


def _fresh(world, *, decided: bool = False) -> Scenario:
    scenario = build_scenario(world.a1)
    if decided:
        resolution.resolve_accept(actor=world.owner, environment=world.a1, compare_item=scenario.drift, note=NOTE)
    world._resolution = scenario  # type: ignore[attr-defined]
    return scenario


def _last(world) -> Scenario:
    return world._resolution  # type: ignore[attr-defined]


def row(name: str, *, decided: bool = False):
    def kwargs(world):
        return {"environment_id": world.a1.pk, "item_id": getattr(_fresh(world, decided=decided), name).pk}

    return kwargs


def bind_candidate(world):
    return {"inventory_item": _last(world).candidates[0].pk, "note": NOTE}


def supersede(world, confirm: bool = True):
    data = {
        "resolution_mode": ResolutionMode.MANUAL_BINDING.value,
        "inventory_item": _last(world).other.pk,
        "note": NOTE,
    }
    return {**data, "confirm": "1"} if confirm else data


def note(world):
    return {"note": NOTE}


def confirmed_note(world):
    return {"note": NOTE, "confirm": "1"}


CASES = [
    RouteCase("console:baseline-resolve", C.BASELINES_VIEW, kwargs=row("drift"), **ENV),
    RouteCase(
        "console:baseline-resolve-bind",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=row("ambiguous"),
        data=bind_candidate,
        audit_action=AuditAction.RESOURCE_BINDING_CREATED,
        ok_status=(302,),
        **ENV,
    ),
    RouteCase(
        "console:baseline-resolve-missing-expected",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=row("missing"),
        data=note,
        audit_action=AuditAction.RESOURCE_BINDING_CREATED,
        ok_status=(302,),
        **ENV,
    ),
    RouteCase(
        "console:baseline-resolve-exclude",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=row("unexpected"),
        data=note,
        audit_action=AuditAction.RESOURCE_BINDING_CREATED,
        ok_status=(302,),
        **ENV,
    ),
    RouteCase(
        "console:baseline-resolve-accept",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=row("drift"),
        data=note,
        audit_action=AuditAction.RESOURCE_BINDING_CREATED,
        ok_status=(302,),
        **ENV,
    ),
    RouteCase("console:baseline-resolve-supersede", C.BASELINES_MANAGE, kwargs=row("drift", decided=True), **ENV),
    RouteCase(
        "console:baseline-resolve-supersede",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=row("drift", decided=True),
        data=lambda w: supersede(w, confirm=False),
        unaudited_reason="the confirmation step only renders; nothing is written",
        **ENV,
    ),
    RouteCase(
        "console:baseline-resolve-supersede",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=row("drift", decided=True),
        data=supersede,
        audit_action=AuditAction.RESOURCE_BINDING_SUPERSEDED,
        ok_status=(302,),
        **ENV,
    ),
    RouteCase("console:baseline-resolve-revoke", C.BASELINES_MANAGE, kwargs=row("drift", decided=True), **ENV),
    RouteCase(
        "console:baseline-resolve-revoke",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=row("drift", decided=True),
        data=note,
        unaudited_reason="the confirmation step only renders; nothing is written",
        **ENV,
    ),
    RouteCase(
        "console:baseline-resolve-revoke",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=row("drift", decided=True),
        data=confirmed_note,
        audit_action=AuditAction.RESOURCE_BINDING_REVOKED,
        ok_status=(302,),
        **ENV,
    ),
    RouteCase(
        "console:baseline-resolve-recompare",
        C.PROVIDER_RUN,
        "POST",
        kwargs=row("drift"),
        audit_action=AuditAction.OPERATION_STARTED,
        ok_status=(302,),
        **ENV,
    ),
    RouteCase("console:baseline-reviews-overdue", C.BASELINES_VIEW),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=str)
def test_resolution_route_passes_authorization_matrix(client, world, case):
    result = run_matrix(client, world, case)
    assert len(result.rows) >= 5
