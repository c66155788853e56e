"""Reads of provider connections, always inside an explicit environment the member may see.

Each selector checks the environment against the member's scope itself (``Scope.require_visible``,
built on ``ManagedEnvironment.objects.visible_to``) rather than trusting the view decorator.
"""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from tenantpilot.core.errors import NotFound
from tenantpilot.operations.reasons import RunReason
from tenantpilot.operations.registry import OperationFailed
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.models import ManagedEnvironment

from . import policies
from .models import ProviderConnection


def connection_list(*, scope: Scope, environment: ManagedEnvironment) -> QuerySet[ProviderConnection]:
    """The environment's connections, default first, with their credential's safe facts."""
    scope.require(policies.VIEW_CONNECTIONS)
    scope.require_visible(environment)
    return (
        ProviderConnection.objects.filter(environment=environment)
        .select_related("credential")
        .defer("credential__ciphertext")
        .order_by("-is_default", "display_name", "id")
    )


def connection_get(*, scope: Scope, environment: ManagedEnvironment, connection_id: object) -> ProviderConnection:
    """One connection of the environment by id; ``NotFound`` when missing, elsewhere or hidden from the member."""
    scope.require_visible(environment)
    pk = str(connection_id)
    if not pk.isdigit():
        raise NotFound()
    connection = (
        ProviderConnection.objects.select_related("credential", "environment")
        .defer("credential__ciphertext")
        .filter(environment=environment, workspace=scope.workspace, pk=int(pk))
        .first()
    )
    if connection is None:
        raise NotFound()
    return connection


def connection_for_operations(environment: ManagedEnvironment) -> ProviderConnection | None:
    """The connection a worker uses for an environment: its default connection, if any (may be disabled).

    System code only (workers, schedules): no actor, no authorization.
    """
    return ProviderConnection.objects.filter(environment=environment, is_default=True).first()


def with_default_connection_health(environments: QuerySet[ManagedEnvironment]) -> QuerySet[ManagedEnvironment]:
    """Annotate each environment with its default connection's health and reason (one query)."""
    default = ProviderConnection.objects.filter(environment=OuterRef("pk"), is_default=True)
    return environments.annotate(
        connection_health=Subquery(default.values("health")[:1]),
        connection_reason=Subquery(default.values("last_reason_code")[:1]),
    )


def connection_for_run(run: Any) -> ProviderConnection:
    """The usable connection of an operation run, for its handler (worker side).

    Fails the run with a registered reason when the connection was deleted, is disabled, or does
    not belong to the run's environment.
    """
    connection = (
        ProviderConnection.objects.filter(pk=run.connection_id).select_related("environment").first()
        if run.connection_id is not None
        else None
    )
    if connection is None:
        raise OperationFailed(RunReason.NO_CONNECTION, "The connection was deleted before the run started.")
    if not connection.is_enabled:
        raise OperationFailed(RunReason.CONNECTION_DISABLED, "The connection is disabled. Enable it and run again.")
    if connection.environment_id != run.environment_id:
        raise OperationFailed(RunReason.TENANT_MISMATCH, "The connection belongs to another environment.")
    return connection
