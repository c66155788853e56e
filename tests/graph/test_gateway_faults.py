"""Faults of the sign-in service and long Retry-Afters through the provider gateway: the
health check and an inventory sync survive one token-endpoint fault, report the right
reason when it persists, and no test waits for real (``gateway.retry_timing``)."""

from __future__ import annotations

import logging

import pytest

from graphsim import FaultRule
from tenantpilot.graph.reasons import ReasonCode
from tenantpilot.operations.choices import RunOutcome
from tenantpilot.providers.choices import ConnectionHealth
from tenantpilot.providers.gateway import graph_client
from tenantpilot.providers.health import check_connection
from tests.inventory.support import golden_environment, run_now
from tests.providers.support import secret_connection

pytestmark = pytest.mark.django_db

TOKEN_PATH = "/oauth2/v2.0/token"


def _token_posts(sim) -> list[int]:
    return [r.status for r in sim.requests if r.host == "login" and r.method == "POST"]


def test_one_token_endpoint_503_leaves_the_health_check_healthy(world, graph_settings, graph_waits):
    graph_settings.add_fault(FaultRule(host="login", path_contains=TOKEN_PATH, status=503, retry_after="2", times=1))
    report = check_connection(secret_connection(world))
    assert report.health == ConnectionHealth.HEALTHY, report
    assert graph_waits.calls == [2.0]
    assert _token_posts(graph_settings) == [503, 200]


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (
            FaultRule(host="login", path_contains=TOKEN_PATH, status=503, retry_after="1", times=None),
            ReasonCode.PROVIDER_UNAVAILABLE,
        ),
        (FaultRule(host="login", path_contains=TOKEN_PATH, kind="reset", times=None), ReasonCode.NETWORK_ERROR),
    ],
    ids=["persistent-503", "persistent-reset"],
)
def test_a_persistent_token_endpoint_fault_is_reported_with_its_reason(
    world, graph_settings, graph_waits, fault, reason
):
    graph_settings.add_fault(fault)
    report = check_connection(secret_connection(world))
    assert (report.health, report.reason_code) == (ConnectionHealth.UNHEALTHY, reason)
    assert len(graph_waits.calls) >= 1  # it was retried before giving up


def test_one_token_endpoint_503_does_not_fail_an_inventory_sync(world, graph_settings, graph_waits):
    env = golden_environment(world)
    graph_settings.add_fault(FaultRule(host="login", path_contains=TOKEN_PATH, status=503, retry_after="1", times=1))
    run = run_now(env)
    assert run.outcome == RunOutcome.SUCCEEDED, run.message
    assert _token_posts(graph_settings) == [503, 200]


def test_one_token_endpoint_reset_does_not_leave_a_type_unsynced(world, graph_settings, graph_waits):
    env = golden_environment(world)
    graph_settings.add_fault(FaultRule(host="login", path_contains=TOKEN_PATH, kind="reset", times=1))
    run = run_now(env)
    assert run.outcome == RunOutcome.SUCCEEDED, run.message
    assert run.summary_counts["types_failed"] == 0


def test_the_run_budget_caps_a_long_retry_after_and_logs_it(world, graph_settings, graph_waits, caplog):
    caplog.set_level(logging.INFO, logger="tenantpilot.graph")
    connection = secret_connection(world)
    graph_settings.add_fault(FaultRule(path_contains="/organization", status=429, retry_after="600", times=1))
    with graph_client(connection, retry_budget_seconds=90.0, log_context="run=5") as client:
        assert len(list(client.iter_items("organization.list"))) == 1
    assert graph_waits.calls == [90.0]
    capped = [r for r in caplog.records if "retry-after capped" in r.getMessage()]
    assert len(capped) == 1 and capped[0].levelno == logging.WARNING
    assert "requested_s=600.000 applied_s=90.000" in capped[0].getMessage()
    assert capped[0].getMessage().endswith("run=5")
