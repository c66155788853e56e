"""Every provider-resource-binding route passes the authorization matrix."""

from __future__ import annotations

import pytest

from tenantpilot.audit.actions import AuditAction
from tenantpilot.authz.capabilities import Capability as C
from tenantpilot.resources import services
from tenantpilot.resources.choices import ResolutionMode
from tenantpilot.resources.selectors import inventory_item_descriptor
from tests.baselines import factories as f
from tests.support.matrix import RouteCase, run_matrix

NOTE = "Matrix decision note."


def _binding(world):
    item = f.inventory_item(world.a1)
    return services.binding_create_manual(
        actor=world.owner, environment=world.a1, descriptor=inventory_item_descriptor(item), note=NOTE
    )


def env(world):
    return {"environment_id": world.a1.pk}


def binding(world):
    return {"environment_id": world.a1.pk, "binding_id": _binding(world).pk}


def new_binding(world):
    return {
        "resolution_mode": ResolutionMode.EXCLUDED_NON_GOVERNED.value,
        "inventory_item": f.inventory_item(world.a1).pk,
        "note": NOTE,
    }


def supersede(world, confirm=True):
    data = {"resolution_mode": ResolutionMode.ACCEPTED_LIMITATION.value, "note": "Superseded in the matrix."}
    return {**data, "confirm": "1"} if confirm else data


ENV = {"environment_scoped": True}
CASES = [
    RouteCase("console:bindings", C.BASELINES_VIEW, kwargs=env, **ENV),
    RouteCase("console:binding-create", C.BASELINES_MANAGE, kwargs=env, **ENV),
    RouteCase(
        "console:binding-create",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=env,
        data=new_binding,
        audit_action=AuditAction.RESOURCE_BINDING_CREATED,
        ok_status=(302,),
        **ENV,
    ),
    RouteCase("console:binding-detail", C.BASELINES_VIEW, kwargs=binding, **ENV),
    RouteCase("console:binding-supersede", C.BASELINES_MANAGE, kwargs=binding, **ENV),
    RouteCase(
        "console:binding-supersede",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=binding,
        data=lambda w: supersede(w, confirm=False),
        unaudited_reason="the confirmation step only renders; nothing is written",
        **ENV,
    ),
    RouteCase(
        "console:binding-supersede",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=binding,
        data=supersede,
        audit_action=AuditAction.RESOURCE_BINDING_SUPERSEDED,
        ok_status=(302,),
        **ENV,
    ),
    RouteCase("console:binding-revoke", C.BASELINES_MANAGE, kwargs=binding, **ENV),
    RouteCase(
        "console:binding-revoke",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=binding,
        data=lambda w: {"note": "Revoked in the matrix."},
        audit_action=AuditAction.RESOURCE_BINDING_REVOKED,
        ok_status=(302,),
        **ENV,
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=str)
def test_binding_route_passes_authorization_matrix(client, world, case):
    result = run_matrix(client, world, case)
    assert len(result.rows) >= 5
