"""Every API route passes the authorization matrix (tests/support/matrix.py, ``api=True``), and a
meta-test walks the OpenAPI document: a route without a matrix case fails the suite."""

from __future__ import annotations

import uuid

import pytest

from tenantpilot.api.main import api
from tenantpilot.audit.actions import AuditAction
from tenantpilot.authz.capabilities import Capability as C
from tenantpilot.authz.roles import Role
from tenantpilot.baselines import services as baseline_services
from tenantpilot.baselines import services_resolution as resolution
from tenantpilot.inventory.coverage import ALL_TYPES
from tenantpilot.operations.choices import OperationType
from tenantpilot.resources import services as binding_services
from tenantpilot.resources.choices import ResolutionMode
from tenantpilot.resources.selectors import inventory_item_descriptor
from tests.api.conftest import make_token
from tests.api.support import compare_result, connection
from tests.baselines import factories as bf
from tests.baselines.resolution_support import Scenario, build_scenario
from tests.factories import MembershipFactory, UserFactory, grant_environment
from tests.inventory.factories import make_item
from tests.operations.helpers import finished_run, notification_for, queued_run
from tests.support.matrix import RouteCase, run_matrix

NOTE = "API matrix decision note."


def env(world):
    return {"environment_id": world.a1.pk}


def conn(world):
    return {"environment_id": world.a1.pk, "connection_id": connection(world).pk}


def env_with_connection(world):
    connection(world)
    return env(world)


def item(world):
    return {"environment_id": world.a1.pk, "item_id": make_item(world.a1, payloads=[{"a": 1}, {"a": 2}]).pk}


def version(world):
    return {**item(world), "version_number": 1}


def binding(world):
    made = binding_services.binding_create_manual(
        actor=world.owner,
        environment=world.a1,
        descriptor=inventory_item_descriptor(bf.inventory_item(world.a1)),
        note=NOTE,
    )
    return {"environment_id": world.a1.pk, "binding_id": made.pk}


def profile(world):
    return {"profile_id": bf.profile(world.a).pk}


def valid_profile(world):
    """A profile made through the service (every governed type), so an update validates."""
    made = baseline_services.profile_create(actor=world.owner, workspace=world.a, name=f"P {uuid.uuid4().hex[:6]}")
    return {"profile_id": made.pk}


def snapshot(world):
    made = bf.snapshot(bf.profile(world.a), golden=world.a1)
    return {"profile_id": made.profile_id, "snapshot_id": made.pk}


def assigned_pair(world):
    profile_ = bf.profile(world.a)
    bf.assign(profile_, world.a1)
    return {"profile_id": profile_.pk, "environment_id": world.a1.pk}


def compare_pair(world):
    return {"profile_id": bf.assigned_snapshot(world.a1).profile_id, "environment_id": world.a1.pk}


def compare_profile(world):
    """A profile with a snapshot, assigned to a1 only (hidden from members restricted to a2)."""
    return {"profile_id": bf.assigned_snapshot(world.a1).profile_id}


def result_pair(world):
    result = compare_result(world.a1)
    return {"profile_id": result.profile_id, "environment_id": world.a1.pk}


def result_pair_environment(world):
    """a1, with a compare result of a profile assigned to it."""
    return {"environment_id": result_pair(world)["environment_id"]}


def run_in_a1(world):
    return {"run_id": finished_run(world.a1).pk}


def queued_in_a1(world):
    return {"run_id": queued_run(world.a1).pk}


def readonly_notification(world):
    return {"notification_id": notification_for(world.members[Role.READONLY], world.a1).pk}


def new_environment(world):
    return {"display_name": "New customer", "tenant_id": str(uuid.uuid4()), "default_domain": "new.onmicrosoft.com"}


def new_connection(world):
    return {
        "display_name": f"New {uuid.uuid4().hex[:6]}",
        "entra_tenant_id": world.a1.tenant_id,
        "client_id": str(uuid.uuid4()),
        "auth_type": "client_secret",
        "client_secret": "a-new-secret",
    }


def new_binding(world):
    return {
        "resolution_mode": ResolutionMode.EXCLUDED_NON_GOVERNED.value,
        "inventory_item_id": bf.inventory_item(world.a1).pk,
        "note": NOTE,
    }


def member_in_a2(world):
    """A new read-only member restricted to a2 (so a restricted manager may change them too)."""
    membership = MembershipFactory(workspace=world.a, role=Role.READONLY)
    grant_environment(membership, world.a2)
    return {"membership_id": membership.pk}


def readonly_token(world):
    """A new token of the read-only member (the least-privileged caller revokes their own)."""
    return {"token_id": make_token(world.members[Role.READONLY], world.a)[0].pk}


def _fresh_rows(world, *, decided: bool = False) -> Scenario:
    scenario = build_scenario(world.a1)
    if decided:
        resolution.resolve_accept(actor=world.owner, environment=world.a1, compare_item=scenario.drift, note=NOTE)
    world._resolution = scenario  # type: ignore[attr-defined]
    return scenario


def drift_row(name: str, *, decided: bool = False):
    """A fresh compare result in a1 per request; ``name`` picks its row (rows kept on the world)."""

    def kwargs(world):
        return {"environment_id": world.a1.pk, "row_id": getattr(_fresh_rows(world, decided=decided), name).pk}

    return kwargs


def _rows(world) -> Scenario:
    return world._resolution  # type: ignore[attr-defined]


ENV = {"environment_scoped": True, "api": True}
API = {"api": True}
START = (202, 200)
CASES = [
    RouteCase("api-v1:workspace-detail", C.WORKSPACE_VIEW, **API),
    RouteCase("api-v1:member-list", C.WORKSPACE_VIEW, **API),
    RouteCase(
        "api-v1:member-add",
        C.WORKSPACE_MANAGE_MEMBERS,
        "POST",
        data=lambda w: {"user": UserFactory().username, "role": Role.OPERATOR.value},
        audit_action=AuditAction.MEMBER_ADDED,
        ok_status=(201,),
        **API,
    ),
    RouteCase(
        "api-v1:member-role",
        C.WORKSPACE_MANAGE_MEMBERS,
        "POST",
        kwargs=member_in_a2,
        data=lambda w: {"role": Role.OPERATOR.value},
        audit_action=AuditAction.MEMBER_ROLE_CHANGED,
        **API,
    ),
    RouteCase(
        "api-v1:member-access",
        C.WORKSPACE_MANAGE_MEMBERS,
        "PUT",
        kwargs=member_in_a2,
        data=lambda w: {"restricted": True, "environment_ids": [w.a2.pk]},
        audit_action=AuditAction.MEMBER_ACCESS_CHANGED,
        **API,
    ),
    RouteCase(
        "api-v1:member-remove",
        C.WORKSPACE_MANAGE_MEMBERS,
        "DELETE",
        kwargs=member_in_a2,
        audit_action=AuditAction.MEMBER_REMOVED,
        ok_status=(204,),
        **API,
    ),
    RouteCase("api-v1:token-list", C.WORKSPACE_VIEW, **API),
    RouteCase(
        "api-v1:token-create",
        C.WORKSPACE_VIEW,
        "POST",
        data=lambda w: {"name": "matrix-made", "expires_in_days": 30},
        ok_status=(201,),
        unaudited_reason="audited as api_token.created, like the matrix's own tokens (tests/api/test_api_tokens.py)",
        **API,
    ),
    RouteCase(
        "api-v1:token-revoke",
        C.WORKSPACE_VIEW,
        "POST",
        kwargs=readonly_token,
        audit_action=AuditAction.API_TOKEN_REVOKED,
        # Another member's token: only unrestricted owners and managers may revoke it.
        restricted_status=(404,),
        **API,
    ),
    RouteCase("api-v1:environment-list", C.ENVIRONMENT_VIEW, **API),
    RouteCase(
        "api-v1:environment-create",
        C.ENVIRONMENT_MANAGE,
        "POST",
        data=new_environment,
        audit_action=AuditAction.ENVIRONMENT_CREATED,
        ok_status=(201,),
        restricted_status=(403,),
        **API,
    ),
    RouteCase("api-v1:environment-detail", C.ENVIRONMENT_VIEW, kwargs=env, **ENV),
    RouteCase(
        "api-v1:environment-update",
        C.ENVIRONMENT_MANAGE,
        "PATCH",
        kwargs=env,
        data=lambda w: {"display_name": f"Renamed {uuid.uuid4().hex[:6]}"},
        audit_action=AuditAction.ENVIRONMENT_UPDATED,
        **ENV,
    ),
    RouteCase(
        "api-v1:environment-archive",
        C.ENVIRONMENT_MANAGE,
        "POST",
        kwargs=env,
        data=lambda w: {"archived": True},
        audit_action=AuditAction.ENVIRONMENT_ARCHIVED,
        **ENV,
    ),
    RouteCase("api-v1:connection-list", C.PROVIDER_VIEW, kwargs=env, **ENV),
    RouteCase(
        "api-v1:connection-create",
        C.PROVIDER_MANAGE,
        "POST",
        kwargs=env,
        data=new_connection,
        audit_action=AuditAction.CONNECTION_CREATED,
        ok_status=(201,),
        **ENV,
    ),
    RouteCase("api-v1:connection-detail", C.PROVIDER_VIEW, kwargs=conn, **ENV),
    RouteCase(
        "api-v1:connection-update",
        C.PROVIDER_MANAGE,
        "PATCH",
        kwargs=conn,
        data=lambda w: {"display_name": f"Edited {uuid.uuid4().hex[:6]}", "client_id": str(uuid.uuid4())},
        audit_action=AuditAction.CONNECTION_UPDATED,
        **ENV,
    ),
    RouteCase(
        "api-v1:connection-delete",
        C.PROVIDER_MANAGE,
        "DELETE",
        kwargs=conn,
        audit_action=AuditAction.CONNECTION_DELETED,
        ok_status=(204,),
        **ENV,
    ),
    RouteCase(
        "api-v1:connection-credential",
        C.PROVIDER_MANAGE,
        "PUT",
        kwargs=conn,
        data=lambda w: {"auth_type": "client_secret", "client_secret": "replacement"},
        audit_action=AuditAction.CONNECTION_CREDENTIAL_REPLACED,
        **ENV,
    ),
    RouteCase(
        "api-v1:connection-default",
        C.PROVIDER_MANAGE,
        "POST",
        kwargs=conn,
        audit_action=AuditAction.CONNECTION_DEFAULT_CHANGED,
        **ENV,
    ),
    RouteCase(
        "api-v1:connection-status",
        C.PROVIDER_MANAGE,
        "POST",
        kwargs=conn,
        data=lambda w: {"enabled": False},
        audit_action=AuditAction.CONNECTION_DISABLED,
        **ENV,
    ),
    RouteCase(
        "api-v1:connection-check",
        C.PROVIDER_RUN,
        "POST",
        kwargs=conn,
        audit_action=AuditAction.OPERATION_STARTED,
        ok_status=START,
        **ENV,
    ),
    RouteCase("api-v1:run-list", C.OPERATIONS_VIEW, **API),
    RouteCase("api-v1:run-detail", C.OPERATIONS_VIEW, kwargs=run_in_a1, **ENV),
    RouteCase(
        "api-v1:run-cancel",
        C.PROVIDER_RUN,
        "POST",
        kwargs=queued_in_a1,
        audit_action=AuditAction.OPERATION_CANCELLED,
        **ENV,
    ),
    RouteCase("api-v1:inventory-list", C.INVENTORY_VIEW, kwargs=env, **ENV),
    RouteCase("api-v1:inventory-item", C.INVENTORY_VIEW, kwargs=item, **ENV),
    RouteCase("api-v1:inventory-versions", C.INVENTORY_VIEW, kwargs=item, **ENV),
    RouteCase("api-v1:inventory-version", C.INVENTORY_VIEW, kwargs=version, **ENV),
    RouteCase("api-v1:inventory-diff", C.INVENTORY_VIEW, kwargs=item, data=lambda w: {"from": 1, "to": 2}, **ENV),
    RouteCase("api-v1:compliance-list", C.INVENTORY_VIEW, kwargs=env, **ENV),
    RouteCase(
        "api-v1:inventory-sync",
        C.PROVIDER_RUN,
        "POST",
        kwargs=env_with_connection,
        audit_action=AuditAction.OPERATION_STARTED,
        ok_status=START,
        **ENV,
    ),
    RouteCase(
        "api-v1:compliance-snapshot",
        C.PROVIDER_RUN,
        "POST",
        kwargs=env_with_connection,
        audit_action=AuditAction.OPERATION_STARTED,
        ok_status=START,
        **ENV,
    ),
    RouteCase("api-v1:schedule-list", C.PROVIDER_VIEW, kwargs=env, **ENV),
    RouteCase(
        "api-v1:schedule-update",
        C.PROVIDER_MANAGE,
        "PUT",
        kwargs=lambda w: {**env(w), "operation_type": OperationType.INVENTORY_SYNC.value},
        data=lambda w: {"frequency": "hourly"},
        audit_action=AuditAction.SCHEDULE_UPDATED,
        **ENV,
    ),
    RouteCase("api-v1:inventory-types", C.PROVIDER_VIEW, kwargs=env, **ENV),
    RouteCase(
        "api-v1:inventory-types-update",
        C.PROVIDER_MANAGE,
        "PUT",
        kwargs=env,
        data=lambda w: {"policy_types": list(ALL_TYPES)},
        audit_action=AuditAction.INVENTORY_TYPES_UPDATED,
        **ENV,
    ),
    RouteCase("api-v1:binding-list", C.BASELINES_VIEW, kwargs=env, **ENV),
    RouteCase(
        "api-v1:binding-create",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=env,
        data=new_binding,
        audit_action=AuditAction.RESOURCE_BINDING_CREATED,
        ok_status=(201,),
        **ENV,
    ),
    RouteCase("api-v1:binding-history", C.BASELINES_VIEW, kwargs=env, data=lambda w: {"subject_key": "any"}, **ENV),
    RouteCase("api-v1:binding-detail", C.BASELINES_VIEW, kwargs=binding, **ENV),
    RouteCase(
        "api-v1:binding-supersede",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=binding,
        data=lambda w: {"resolution_mode": ResolutionMode.ACCEPTED_LIMITATION.value, "note": "Superseded."},
        audit_action=AuditAction.RESOURCE_BINDING_SUPERSEDED,
        ok_status=(201,),
        **ENV,
    ),
    RouteCase(
        "api-v1:binding-revoke",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=binding,
        data=lambda w: {"note": "Revoked."},
        audit_action=AuditAction.RESOURCE_BINDING_REVOKED,
        **ENV,
    ),
    RouteCase("api-v1:baseline-profile-list", C.BASELINES_VIEW, **API),
    RouteCase(
        "api-v1:baseline-profile-create",
        C.BASELINES_MANAGE,
        "POST",
        data=lambda w: {"name": f"Profile {uuid.uuid4().hex[:6]}"},
        audit_action=AuditAction.BASELINE_PROFILE_CREATED,
        ok_status=(201,),
        **API,
    ),
    RouteCase("api-v1:baseline-profile", C.BASELINES_VIEW, kwargs=profile, **API),
    RouteCase(
        "api-v1:baseline-profile-update",
        C.BASELINES_MANAGE,
        "PATCH",
        kwargs=valid_profile,
        data=lambda w: {"description": "Edited by the matrix.", "max_evidence_age_hours": 48},
        audit_action=AuditAction.BASELINE_PROFILE_UPDATED,
        **API,
    ),
    RouteCase(
        "api-v1:baseline-profile-archive",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=profile,
        audit_action=AuditAction.BASELINE_PROFILE_ARCHIVED,
        **API,
    ),
    RouteCase("api-v1:baseline-snapshots", C.BASELINES_VIEW, kwargs=profile, **API),
    RouteCase("api-v1:baseline-snapshot", C.BASELINES_VIEW, kwargs=snapshot, **API),
    RouteCase("api-v1:baseline-snapshot-items", C.BASELINES_VIEW, kwargs=snapshot, **API),
    RouteCase("api-v1:baseline-assignments", C.BASELINES_VIEW, kwargs=profile, **API),
    RouteCase(
        "api-v1:baseline-assign",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=profile,
        data=lambda w: {"environment_id": w.a1.pk},
        audit_action=AuditAction.BASELINE_PROFILE_ASSIGNED,
        ok_status=(201,),
        **ENV,
    ),
    RouteCase(
        "api-v1:baseline-unassign",
        C.BASELINES_MANAGE,
        "DELETE",
        kwargs=assigned_pair,
        audit_action=AuditAction.BASELINE_PROFILE_UNASSIGNED,
        ok_status=(204,),
        **ENV,
    ),
    RouteCase(
        "api-v1:baseline-capture",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=profile,
        data=lambda w: {"source_environment_id": w.a1.pk},
        ok_status=(400,),
        **ENV,
        unaudited_reason="always refused here: a1 has no inventory to capture from (a field error)",
    ),
    RouteCase(
        "api-v1:baseline-compare",
        C.PROVIDER_RUN,
        "POST",
        kwargs=compare_pair,
        audit_action=AuditAction.OPERATION_STARTED,
        ok_status=START,
        **ENV,
    ),
    RouteCase(
        "api-v1:baseline-compare-all",
        C.PROVIDER_RUN,
        "POST",
        kwargs=compare_profile,
        audit_action=AuditAction.OPERATION_STARTED,
        ok_status=(202,),
        # Restricted to a2, the profile's only environment is invisible: nothing to compare.
        restricted_status=(200,),
        **API,
    ),
    RouteCase("api-v1:baseline-overview", C.BASELINES_VIEW, kwargs=compare_profile, **API),
    RouteCase(
        "api-v1:baseline-subject", C.BASELINES_VIEW, kwargs=profile, data=lambda w: {"subject_key": "any"}, **API
    ),
    RouteCase("api-v1:baseline-result", C.BASELINES_VIEW, kwargs=result_pair, **ENV),
    RouteCase("api-v1:baseline-results", C.BASELINES_VIEW, kwargs=result_pair, **ENV),
    RouteCase("api-v1:baseline-result-rows", C.BASELINES_VIEW, kwargs=result_pair, **ENV),
    RouteCase("api-v1:drift-row", C.BASELINES_VIEW, kwargs=drift_row("drift"), **ENV),
    RouteCase("api-v1:reviews-overdue", C.BASELINES_VIEW, **API),
    RouteCase("api-v1:environment-drift", C.BASELINES_VIEW, kwargs=result_pair_environment, **ENV),
    RouteCase("api-v1:baseline-export", C.BASELINES_VIEW, kwargs=result_pair, **ENV),
    RouteCase("api-v1:baseline-export-csv", C.BASELINES_VIEW, kwargs=result_pair, **ENV),
    RouteCase(
        "api-v1:drift-bind",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=drift_row("ambiguous"),
        data=lambda w: {"inventory_item_id": _rows(w).candidates[0].pk, "note": NOTE},
        audit_action=AuditAction.RESOURCE_BINDING_CREATED,
        ok_status=(201,),
        **ENV,
    ),
    RouteCase(
        "api-v1:drift-missing-expected",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=drift_row("missing"),
        data=lambda w: {"note": NOTE},
        audit_action=AuditAction.RESOURCE_BINDING_CREATED,
        ok_status=(201,),
        **ENV,
    ),
    RouteCase(
        "api-v1:drift-exclude",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=drift_row("unexpected"),
        data=lambda w: {"note": NOTE},
        audit_action=AuditAction.RESOURCE_BINDING_CREATED,
        ok_status=(201,),
        **ENV,
    ),
    RouteCase(
        "api-v1:drift-accept",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=drift_row("drift"),
        data=lambda w: {"note": NOTE},
        audit_action=AuditAction.RESOURCE_BINDING_CREATED,
        ok_status=(201,),
        **ENV,
    ),
    RouteCase(
        "api-v1:drift-supersede",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=drift_row("drift", decided=True),
        data=lambda w: {
            "resolution_mode": ResolutionMode.MANUAL_BINDING.value,
            "inventory_item_id": _rows(w).other.pk,
            "note": NOTE,
        },
        audit_action=AuditAction.RESOURCE_BINDING_SUPERSEDED,
        ok_status=(201,),
        **ENV,
    ),
    RouteCase(
        "api-v1:drift-revoke",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=drift_row("drift", decided=True),
        data=lambda w: {"note": NOTE},
        audit_action=AuditAction.RESOURCE_BINDING_REVOKED,
        **ENV,
    ),
    RouteCase("api-v1:audit-list", C.AUDIT_VIEW, **API),
    RouteCase("api-v1:notification-list", C.WORKSPACE_VIEW, **API),
    RouteCase(
        "api-v1:notification-read",
        C.WORKSPACE_VIEW,
        "POST",
        kwargs=readonly_notification,
        restricted_status=(404,),
        unaudited_reason="marks the caller's own notification read",
        **API,
    ),
    RouteCase(
        "api-v1:notification-read-all",
        C.WORKSPACE_VIEW,
        "POST",
        unaudited_reason="marks the caller's own notifications read",
        **API,
    ),
]

# Routes outside a workspace: covered by their own tests (tests/api/test_tokens.py).
NOT_WORKSPACE_ROUTES = {"workspace-list"}


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=str)
def test_api_route_passes_authorization_matrix(client, world, case):
    result = run_matrix(client, world, case)
    assert len(result.rows) >= 5


def _operation_paths() -> dict[str, tuple[str, set[str]]]:
    """url name → (path template, methods) of every operation the API registers."""
    found: dict[str, tuple[str, set[str]]] = {}
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                found[operation.url_name or operation.view_func.__name__] = (path, set(operation.methods))
    return found


def test_every_api_route_in_the_openapi_document_has_a_matrix_case():
    schema = api.get_openapi_schema()
    documented = {(method.upper(), path) for path, methods in schema["paths"].items() for method in methods}
    operations = _operation_paths()
    covered = set()
    for case in CASES:
        path, methods = operations[case.route.split(":", 1)[1]]
        assert case.method in methods, f"{case}: the route has no {case.method}"
        covered.add((case.method, "/api/v1" + path))
    for name in NOT_WORKSPACE_ROUTES:
        path, methods = operations[name]
        covered.update((method, "/api/v1" + path) for method in methods)
    assert documented, "the OpenAPI document lists no operation"
    assert documented - covered == set(), f"API operations without a matrix case: {sorted(documented - covered)}"
