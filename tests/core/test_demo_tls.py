"""A certificate the client does not trust (e.g. a second demo's simulator replaced the CA file) is
reported as such — ``tls_untrusted`` with a message about the CA — never as "Could not reach
Microsoft Graph (ConnectError)", and it is not retried (a wrong CA does not heal by waiting)."""

from __future__ import annotations

import pytest

from graphsim import GraphSimulator
from tenantpilot.demo import DEMO_GOLDEN_TENANT_ID, DEMO_WORKSPACE_SLUG, seed_demo
from tenantpilot.graph.reasons import ReasonCode
from tenantpilot.operations.choices import OperationType, RunOutcome
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.services import operation_start
from tenantpilot.providers.gateway import clear_token_cache
from tenantpilot.providers.models import ProviderConnection

pytestmark = pytest.mark.django_db


def _health_check(capture_callbacks) -> OperationRun:
    connection = ProviderConnection.objects.get(
        workspace__slug=DEMO_WORKSPACE_SLUG, entra_tenant_id=DEMO_GOLDEN_TENANT_ID, is_default=True
    )
    with capture_callbacks(execute=True):  # the immediate backend runs the check
        started = operation_start(
            actor=None,
            operation_type=OperationType.PROVIDER_HEALTH_CHECK,
            environment=connection.environment,
            connection=connection,
        )
    return OperationRun.objects.get(pk=started.run.pk)


@pytest.fixture
def other_simulator():
    """Another simulator with its own throw-away CA, which the configured CA bundle does not trust."""
    with GraphSimulator.with_shipped_fixtures() as sim:
        yield sim


@pytest.mark.parametrize("host", ["graph", "login"])
def test_an_untrusted_certificate_is_reported_as_tls_untrusted(
    host, graph_settings, other_simulator, settings, django_capture_on_commit_callbacks
):
    seed_demo()
    if host == "graph":  # the token comes from the trusted simulator; Graph answers with another CA
        settings.TENANTPILOT_GRAPH_BASE = other_simulator.graph_base
    else:
        settings.TENANTPILOT_GRAPH_AUTHORITY_BASE = other_simulator.authority_base
    clear_token_cache()
    other_simulator.clear_requests()

    run = _health_check(django_capture_on_commit_callbacks)

    assert run.outcome == RunOutcome.FAILED
    assert run.reason_code == ReasonCode.TLS_UNTRUSTED.value
    assert "certificate" in run.message and "TENANTPILOT_GRAPH_CA_BUNDLE" in run.message
    assert "ConnectError" not in run.message and "Could not reach" not in run.message
    # The handshake failed, so the other simulator never saw a request.
    assert other_simulator.requests == []


def test_the_tls_reason_has_a_label_and_is_not_retryable():
    assert ReasonCode.TLS_UNTRUSTED.label == "Certificate not trusted"
    assert not ReasonCode.TLS_UNTRUSTED.retryable
