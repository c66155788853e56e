"""Provider connections of an environment: list, get, create, update, replace the credential,
set default, enable/disable, delete, check. The secret or certificate is write-only: no answer
ever carries it (only its kind, thumbprint and expiry)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from tenantpilot.authz.capabilities import Capability
from tenantpilot.providers import selectors, services
from tenantpilot.providers.models import ProviderConnection

from .auth import actor, scope_for
from .ids import Id
from .pagination import PageParams, paginate
from .runs import START_RESPONSES, start_answer
from .schemas import ERRORS, Page

router = Router(tags=["provider connections"])


class ConnectionOut(Schema):
    """A provider connection (an Entra app registration). Never its secret."""

    id: int
    environment_id: int
    provider_key: str
    display_name: str
    entra_tenant_id: str
    client_id: str
    auth_type: str
    status: str
    is_default: bool
    health: str
    last_checked_at: dt.datetime | None
    last_reason_code: str
    certificate_thumbprint: str | None = None
    certificate_expires_at: dt.datetime | None = None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_certificate_thumbprint(obj: ProviderConnection) -> str | None:
        credential = getattr(obj, "credential", None)
        return (credential.certificate_thumbprint or None) if credential is not None else None

    @staticmethod
    def resolve_certificate_expires_at(obj: ProviderConnection) -> dt.datetime | None:
        credential = getattr(obj, "credential", None)
        return credential.certificate_expires_at if credential is not None else None


class CredentialIn(Schema):
    """A client secret (``auth_type: client_secret``) or a PEM certificate with its key."""

    auth_type: Literal["client_secret", "certificate"]
    client_secret: str | None = Field(None, max_length=1024, json_schema_extra={"writeOnly": True})
    certificate: str | None = Field(None, max_length=65536, json_schema_extra={"writeOnly": True})
    certificate_password: str | None = Field(None, max_length=1024, json_schema_extra={"writeOnly": True})


class ConnectionCreateIn(CredentialIn):
    """A new connection: its name, the customer's tenant id, the app's client id and credential."""

    display_name: str = Field(max_length=120)
    entra_tenant_id: str = Field(max_length=36)
    client_id: str = Field(max_length=36)


class ConnectionUpdateIn(Schema):
    """The connection's name and client id."""

    display_name: str = Field(max_length=120)
    client_id: str = Field(max_length=36)


class StatusIn(Schema):
    """``enabled``: true enables, false disables the connection."""

    enabled: bool


def _get(request: HttpRequest, workspace: str, environment_id: int, connection_id: int, capability: Capability) -> Any:
    scope = scope_for(request, workspace)
    environment = scope.environment(environment_id)
    scope.require(capability)
    return selectors.connection_get(scope=scope, environment=environment, connection_id=connection_id)


_BASE = "/w/{workspace}/environments/{environment_id}/connections"
_ONE = _BASE + "/{connection_id}"


@router.get(_BASE, response={200: Page[ConnectionOut], **ERRORS}, url_name="connection-list")
def connection_list(request: HttpRequest, workspace: str, environment_id: Id, paging: Query[PageParams]) -> Any:
    """The environment's connections, default first."""
    scope = scope_for(request, workspace)
    environment = scope.environment(environment_id)
    return paginate(selectors.connection_list(scope=scope, environment=environment), paging)


@router.post(_BASE, response={201: ConnectionOut, **ERRORS}, url_name="connection-create")
def connection_create(request: HttpRequest, workspace: str, environment_id: Id, payload: ConnectionCreateIn) -> Any:
    """Connect the environment (the first connection becomes its default)."""
    scope = scope_for(request, workspace)
    environment = scope.environment(environment_id)
    scope.require(Capability.PROVIDER_MANAGE)
    connection = services.connection_create(actor=actor(request), environment=environment, **payload.dict())
    return Status(201, selectors.connection_get(scope=scope, environment=environment, connection_id=connection.pk))


@router.get(_ONE, response={200: ConnectionOut, **ERRORS}, url_name="connection-detail")
def connection_get(request: HttpRequest, workspace: str, environment_id: Id, connection_id: Id) -> Any:
    return _get(request, workspace, environment_id, connection_id, Capability.PROVIDER_VIEW)


@router.patch(_ONE, response={200: ConnectionOut, **ERRORS}, url_name="connection-update")
def connection_update(
    request: HttpRequest, workspace: str, environment_id: Id, connection_id: Id, payload: ConnectionUpdateIn
) -> Any:
    connection = _get(request, workspace, environment_id, connection_id, Capability.PROVIDER_MANAGE)
    services.connection_update(actor=actor(request), connection=connection, **payload.dict())
    return _get(request, workspace, environment_id, connection_id, Capability.PROVIDER_VIEW)


# Declared with ``api_operation``: the architecture test flags any call named like a model delete.
@router.api_operation(["DELETE"], _ONE, response={204: None, **ERRORS}, url_name="connection-delete")
def connection_delete(request: HttpRequest, workspace: str, environment_id: Id, connection_id: Id) -> Any:
    """Delete the connection (409 while live decisions still use it)."""
    connection = _get(request, workspace, environment_id, connection_id, Capability.PROVIDER_MANAGE)
    services.connection_delete(actor=actor(request), connection=connection)
    return Status(204, None)


@router.put(_ONE + "/credential", response={200: ConnectionOut, **ERRORS}, url_name="connection-credential")
def connection_credential(
    request: HttpRequest, workspace: str, environment_id: Id, connection_id: Id, payload: CredentialIn
) -> Any:
    """Replace the secret or certificate (write-only; the old one is never shown)."""
    connection = _get(request, workspace, environment_id, connection_id, Capability.PROVIDER_MANAGE)
    services.connection_replace_credential(actor=actor(request), connection=connection, **payload.dict())
    return _get(request, workspace, environment_id, connection_id, Capability.PROVIDER_VIEW)


@router.post(_ONE + "/default", response={200: ConnectionOut, **ERRORS}, url_name="connection-default")
def connection_default(request: HttpRequest, workspace: str, environment_id: Id, connection_id: Id) -> Any:
    """Make this the environment's default connection."""
    connection = _get(request, workspace, environment_id, connection_id, Capability.PROVIDER_MANAGE)
    services.connection_set_default(actor=actor(request), connection=connection)
    return _get(request, workspace, environment_id, connection_id, Capability.PROVIDER_VIEW)


@router.post(_ONE + "/status", response={200: ConnectionOut, **ERRORS}, url_name="connection-status")
def connection_status(
    request: HttpRequest, workspace: str, environment_id: Id, connection_id: Id, payload: StatusIn
) -> Any:
    """Enable or disable the connection."""
    connection = _get(request, workspace, environment_id, connection_id, Capability.PROVIDER_MANAGE)
    services.connection_set_enabled(actor=actor(request), connection=connection, enabled=payload.enabled)
    return _get(request, workspace, environment_id, connection_id, Capability.PROVIDER_VIEW)


@router.post(_ONE + "/check", response=START_RESPONSES, url_name="connection-check")
def connection_check(request: HttpRequest, workspace: str, environment_id: Id, connection_id: Id) -> Any:
    """Start a health check: 202 new run, 200 the same check already active, 409 scope busy."""
    connection = _get(request, workspace, environment_id, connection_id, Capability.PROVIDER_RUN)
    return start_answer(request, lambda: services.connection_check_start(actor=actor(request), connection=connection))
