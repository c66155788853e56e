"""Every provider-connection route passes the authorization matrix."""

from __future__ import annotations

import uuid

import pytest

from tenantpilot.audit.actions import AuditAction
from tenantpilot.authz.capabilities import Capability as C
from tenantpilot.providers import services
from tests.support.matrix import RouteCase, run_matrix


def _connection(world):
    return services.connection_create(
        actor=world.owner,
        environment=world.a1,
        display_name=f"Graph {uuid.uuid4().hex[:8]}",
        entra_tenant_id=world.a1.tenant_id,
        client_id=str(uuid.uuid4()),
        auth_type="client_secret",
        client_secret="matrix-secret-value",
    )


def env(world):
    return {"environment_id": world.a1.pk}


def conn(world):
    return {"environment_id": world.a1.pk, "connection_id": _connection(world).pk}


def new_connection(world):
    return {
        "display_name": f"New {uuid.uuid4().hex[:6]}",
        "entra_tenant_id": world.a1.tenant_id,
        "client_id": str(uuid.uuid4()),
        "auth_type": "client_secret",
        "client_secret": "a-new-secret",
    }


def edit(world):
    return {"display_name": f"Edited {uuid.uuid4().hex[:6]}", "client_id": str(uuid.uuid4())}


ENV = {"environment_scoped": True}
CASES = [
    RouteCase("console:connections", C.PROVIDER_VIEW, kwargs=env, **ENV),
    RouteCase("console:connection-create", C.PROVIDER_MANAGE, kwargs=env, **ENV),
    RouteCase(
        "console:connection-create",
        C.PROVIDER_MANAGE,
        "POST",
        kwargs=env,
        data=new_connection,
        audit_action=AuditAction.CONNECTION_CREATED,
        ok_status=(302,),
        **ENV,
    ),
    RouteCase("console:connection-detail", C.PROVIDER_VIEW, kwargs=conn, **ENV),
    RouteCase("console:connection-edit", C.PROVIDER_MANAGE, kwargs=conn, **ENV),
    RouteCase(
        "console:connection-edit",
        C.PROVIDER_MANAGE,
        "POST",
        kwargs=conn,
        data=edit,
        audit_action=AuditAction.CONNECTION_UPDATED,
        ok_status=(302,),
        **ENV,
    ),
    RouteCase("console:connection-credential", C.PROVIDER_MANAGE, kwargs=conn, **ENV),
    RouteCase(
        "console:connection-credential",
        C.PROVIDER_MANAGE,
        "POST",
        kwargs=conn,
        data=lambda w: {"auth_type": "client_secret", "client_secret": "replacement"},
        audit_action=AuditAction.CONNECTION_CREDENTIAL_REPLACED,
        ok_status=(302,),
        **ENV,
    ),
    RouteCase(
        "console:connection-default",
        C.PROVIDER_MANAGE,
        "POST",
        kwargs=conn,
        data=lambda w: {},
        audit_action=AuditAction.CONNECTION_DEFAULT_CHANGED,
        ok_status=(302,),
        **ENV,
    ),
    RouteCase("console:connection-status", C.PROVIDER_MANAGE, kwargs=conn, **ENV),
    RouteCase(
        "console:connection-status",
        C.PROVIDER_MANAGE,
        "POST",
        kwargs=conn,
        data=lambda w: {},
        audit_action=AuditAction.CONNECTION_DISABLED,
        ok_status=(302,),
        **ENV,
    ),
    RouteCase("console:connection-delete", C.PROVIDER_MANAGE, kwargs=conn, **ENV),
    RouteCase(
        "console:connection-delete",
        C.PROVIDER_MANAGE,
        "POST",
        kwargs=conn,
        data=lambda w: {},
        audit_action=AuditAction.CONNECTION_DELETED,
        ok_status=(302,),
        **ENV,
    ),
    RouteCase(
        "console:connection-check",
        C.PROVIDER_RUN,
        "POST",
        kwargs=conn,
        data=lambda w: {},
        audit_action=AuditAction.OPERATION_STARTED,
        ok_status=(302,),
        **ENV,
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=str)
def test_connection_route_passes_authorization_matrix(client, world, case):
    run_matrix(client, world, case)
