"""The connection health check: token, tenant identity, and one minimal read per permission.

Runs in a worker (as the ``provider.health_check`` operation), never in a request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from tenantpilot.graph.contracts import CONTRACTS, GraphContract
from tenantpilot.graph.errors import GraphError
from tenantpilot.graph.reasons import ReasonCode
from tenantpilot.graph.retry import Deadline
from tenantpilot.operations.reasons import RunReason
from tenantpilot.tenancy.models import ManagedEnvironment

from .choices import ConnectionHealth
from .credentials import CredentialUnavailable
from .gateway import graph_client, token_has_roles
from .models import ProviderConnection

logger = logging.getLogger("tenantpilot.providers.health")

ORGANIZATION_CONTRACT = "organization.list"


def _probe_contracts() -> dict[str, GraphContract]:
    """One cheap collection read per application permission the product needs."""
    probes: dict[str, GraphContract] = {}
    for contract in sorted(CONTRACTS.values(), key=lambda c: c.name):
        if contract.paged and not contract.placeholders and contract.required_permission not in probes:
            probes[contract.required_permission] = contract
    return probes


PERMISSION_PROBES: dict[str, GraphContract] = _probe_contracts()
REQUIRED_PERMISSIONS: tuple[str, ...] = tuple(sorted(PERMISSION_PROBES))

#: Reads every environment needs whatever it inventories: tenant identity and compliance snapshots.
BASE_PROBE_CONTRACTS: tuple[str, ...] = (ORGANIZATION_CONTRACT, "managedDevices.list")

#: What else a check of an environment probes, named by the apps above providers that read
#: Microsoft for it (inventory registers its chosen types' probes in its ``ready()``).
ProbeSource = Callable[[ManagedEnvironment], Mapping[str, GraphContract]]
_PROBE_SOURCES: list[ProbeSource] = []


def register_probe_source(source: ProbeSource) -> None:
    """Register ``source`` (idempotent): every check also probes the permissions it names."""
    if source not in _PROBE_SOURCES:
        _PROBE_SOURCES.append(source)


def probes_for_environment(environment: ManagedEnvironment) -> dict[str, GraphContract]:
    """The permissions a check of ``environment`` probes: the base reads plus its chosen types'.

    An environment syncing only some types is never reported degraded for a permission that
    only the other types need.
    """
    probes = {CONTRACTS[name].required_permission: CONTRACTS[name] for name in BASE_PROBE_CONTRACTS}
    for source in _PROBE_SOURCES:
        for permission, contract in source(environment).items():
            probes.setdefault(permission, contract)
    return dict(sorted(probes.items()))


class PermissionState:
    GRANTED = "granted"
    MISSING = "missing"
    UNKNOWN = "unknown"


@dataclass
class HealthReport:
    """What a health check found. ``reason_code`` is empty when healthy; ``retry_waits_capped``
    counts the Retry-After waits shortened to the check's retry budget."""

    health: ConnectionHealth
    reason_code: str = ""
    message: str = ""
    permissions: dict[str, str] = field(default_factory=dict)
    retry_waits_capped: int = 0

    @property
    def missing_permissions(self) -> list[str]:
        return sorted(p for p, state in self.permissions.items() if state == PermissionState.MISSING)


def _unhealthy(error: GraphError) -> HealthReport:
    return HealthReport(ConnectionHealth.UNHEALTHY, error.reason_code.value, error.message)


TENANT_MISMATCH_MESSAGE = (
    "This connection targets a different tenant than its environment. Delete it and connect the "
    "environment's tenant, or archive the environment and create a new one for the other tenant."
)


@dataclass
class _ClientBudget:
    """The run-wide retry deadline of the check's client, once it exists."""

    deadline: Deadline | None = None


def check_connection(
    connection: ProviderConnection, *, retry_budget_seconds: float | None = None, log_context: str = ""
) -> HealthReport:
    """Check ``connection`` (see :func:`_check_connection`) within one retry budget.

    Every retry wait of the check ends within ``retry_budget_seconds`` (else each call has the
    client's own bound); a longer Retry-After is shortened, logged with ``log_context`` and
    counted in ``retry_waits_capped``.
    """
    budget = _ClientBudget()
    report = _check_connection(
        connection, retry_budget_seconds=retry_budget_seconds, log_context=log_context, budget=budget
    )
    report.retry_waits_capped = budget.deadline.capped_waits if budget.deadline is not None else 0
    return report


def _check_connection(
    connection: ProviderConnection, *, retry_budget_seconds: float | None, log_context: str, budget: _ClientBudget
) -> HealthReport:
    """Acquire a token, read ``organization``, compare tenant ids, probe each needed permission.

    The permissions probed are :func:`probes_for_environment`: the base reads plus exactly those
    of the policy types the environment syncs.

    The tenant ids are compared with the *environment's* tenant id (the customer the
    environment stands for), not only with the connection's own copy: a connection whose tenant
    id differs from its environment's is ``tenant_mismatch`` before any call is made.
    """
    expected_tenant = connection.environment.tenant_id
    probes = probes_for_environment(connection.environment)
    if connection.entra_tenant_id != expected_tenant:
        return HealthReport(ConnectionHealth.UNHEALTHY, RunReason.TENANT_MISMATCH.value, TENANT_MISMATCH_MESSAGE)
    try:
        with graph_client(connection, retry_budget_seconds=retry_budget_seconds, log_context=log_context) as client:
            budget.deadline = client.deadline
            try:
                organization = next(iter(client.iter_items(ORGANIZATION_CONTRACT, top=1)), None)
            except GraphError as error:
                no_roles = error.reason_code == ReasonCode.CONSENT_MISSING or (
                    error.reason_code == ReasonCode.PERMISSION_MISSING and token_has_roles(client) is False
                )
                if no_roles:
                    return HealthReport(
                        ConnectionHealth.UNHEALTHY,
                        ReasonCode.CONSENT_MISSING.value,
                        ReasonCode.CONSENT_MISSING.default_message,
                        dict.fromkeys(probes, PermissionState.MISSING),
                    )
                if error.reason_code != ReasonCode.PERMISSION_MISSING:
                    return _unhealthy(error)
                organization = None  # Organization.Read.All missing: the probes below report it.
            if organization is not None and str(organization.get("id", "")).lower() != expected_tenant:
                return HealthReport(
                    ConnectionHealth.UNHEALTHY,
                    RunReason.TENANT_MISMATCH.value,
                    "The credentials sign in to a different tenant than this connection targets. "
                    "Check the tenant id and the app registration.",
                )
            permissions: dict[str, str] = {}
            transient: GraphError | None = None
            for permission, contract in probes.items():
                try:
                    if contract.paged:
                        next(iter(client.iter_pages(contract.name, top=1)), None)
                    else:
                        client.get_json(contract.name)
                    permissions[permission] = PermissionState.GRANTED
                except GraphError as error:
                    if error.reason_code in (ReasonCode.PERMISSION_MISSING, ReasonCode.CONSENT_MISSING):
                        permissions[permission] = PermissionState.MISSING
                    else:
                        permissions[permission] = PermissionState.UNKNOWN
                        transient = transient or error
    except GraphError as error:
        return _unhealthy(error)
    except CredentialUnavailable as error:
        # The key ring no longer opens the stored secret: nothing was called, and the operator
        # must act (restore the key or enter the secret again).
        return HealthReport(ConnectionHealth.UNHEALTHY, error.reason_code, error.message)
    report = HealthReport(ConnectionHealth.HEALTHY, permissions=permissions)
    if report.missing_permissions:
        report.health = ConnectionHealth.DEGRADED
        report.reason_code = ReasonCode.PERMISSION_MISSING.value
        report.message = (
            "Grant admin consent for these application permissions: " + ", ".join(report.missing_permissions) + "."
        )
    elif transient is not None:
        report.health = ConnectionHealth.DEGRADED
        report.reason_code = transient.reason_code.value
        report.message = transient.message
    return report
