"""The health check against graphsim: every finding maps to a reason an operator can act on.

Retry waits go to the ``graph_waits`` recorder on a fake clock: nothing here sleeps for a
Retry-After or depends on wall time.
"""

from __future__ import annotations

import logging
import uuid

import pytest

from graphsim import FaultRule
from graphsim import fixtures_catalog as fx
from tenantpilot.graph.reasons import ReasonCode
from tenantpilot.providers import services
from tenantpilot.providers.choices import ConnectionHealth
from tenantpilot.providers.health import PERMISSION_PROBES, REQUIRED_PERMISSIONS, PermissionState, check_connection
from tests.providers.support import CANARY_SECRET, environment_for, make_certificate, secret_connection

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("graph_waits")]


def test_required_permissions_cover_every_contract():
    from tenantpilot.graph.contracts import CONTRACTS

    assert set(REQUIRED_PERMISSIONS) == {c.required_permission for c in CONTRACTS.values()}


def test_golden_connection_is_healthy_with_every_permission(world, graph_settings):
    report = check_connection(secret_connection(world))
    assert report.health == ConnectionHealth.HEALTHY, report
    assert report.reason_code == ""
    assert report.permissions == dict.fromkeys(REQUIRED_PERMISSIONS, PermissionState.GRANTED)


def test_certificate_connection_is_healthy(world, graph_settings):
    bundle, cert_pem, thumbprint = make_certificate()
    graph_settings.tenant(fx.GOLDEN_TENANT_ID).app(fx.GOLDEN_CLIENT_ID)["certificates"].append(
        {"thumbprint": thumbprint, "publicCertPem": cert_pem, "expiresAt": "2099-01-01T00:00:00Z"}
    )
    env = environment_for(world)
    connection = services.connection_create(
        actor=world.owner,
        environment=env,
        display_name="Cert",
        entra_tenant_id=env.tenant_id,
        client_id=fx.GOLDEN_CLIENT_ID,
        auth_type="certificate",
        certificate=bundle,
    )
    assert check_connection(connection).health == ConnectionHealth.HEALTHY


@pytest.mark.parametrize(
    ("tenant_id", "client_id", "secret", "reason"),
    [
        (fx.GOLDEN_TENANT_ID, fx.GOLDEN_CLIENT_ID, "wrong-secret", ReasonCode.AUTH_INVALID_SECRET),
        (
            fx.BROKEN_TENANT_ID,
            fx.BROKEN_EXPIRED_CLIENT_ID,
            fx.BROKEN_EXPIRED_CLIENT_SECRET,
            ReasonCode.AUTH_SECRET_EXPIRED,
        ),
        (
            fx.BROKEN_TENANT_ID,
            fx.BROKEN_NO_SP_CLIENT_ID,
            fx.BROKEN_NO_SP_CLIENT_SECRET,
            ReasonCode.AUTH_SERVICE_PRINCIPAL_MISSING,
        ),
        (
            fx.BROKEN_TENANT_ID,
            fx.BROKEN_NO_CONSENT_CLIENT_ID,
            fx.BROKEN_NO_CONSENT_CLIENT_SECRET,
            ReasonCode.CONSENT_MISSING,
        ),
        (str(uuid.uuid4()), fx.GOLDEN_CLIENT_ID, fx.GOLDEN_CLIENT_SECRET, ReasonCode.AUTH_TENANT_NOT_FOUND),
        (fx.DRIFTED_TENANT_ID, fx.GOLDEN_CLIENT_ID, fx.GOLDEN_CLIENT_SECRET, ReasonCode.AUTH_APP_NOT_FOUND),
    ],
    ids=["wrong-secret", "expired-secret", "no-service-principal", "no-consent", "unknown-tenant", "app-not-in-tenant"],
)
def test_failures_are_unhealthy_with_the_matching_reason(world, graph_settings, tenant_id, client_id, secret, reason):
    env = environment_for(world, tenant_id)
    report = check_connection(secret_connection(world, env, client_id=client_id, secret=secret))
    assert (report.health, report.reason_code) == (ConnectionHealth.UNHEALTHY, reason.value), report
    assert report.message and secret not in report.message


def test_missing_permissions_degrade_and_are_named(world, graph_settings):
    env = environment_for(world, fx.BROKEN_TENANT_ID)
    report = check_connection(
        secret_connection(world, env, client_id=fx.BROKEN_PARTIAL_CLIENT_ID, secret=fx.BROKEN_PARTIAL_CLIENT_SECRET)
    )
    assert report.health == ConnectionHealth.DEGRADED
    assert report.reason_code == ReasonCode.PERMISSION_MISSING
    assert report.missing_permissions
    for permission in report.missing_permissions:
        assert permission in report.message
    granted = set(graph_settings.tenant(fx.BROKEN_TENANT_ID).app(fx.BROKEN_PARTIAL_CLIENT_ID)["grantedPermissions"])
    # A read also works through a broader permission the contract accepts.
    unreadable = {
        p for p, c in PERMISSION_PROBES.items() if not ({c.required_permission, *c.accepted_permissions} & granted)
    }
    assert set(report.missing_permissions) == unreadable


def test_a_token_for_another_tenant_is_a_tenant_mismatch(world, graph_settings):
    graph_settings.tenant(fx.GOLDEN_TENANT_ID).items("organization")[0]["id"] = fx.DRIFTED_TENANT_ID
    report = check_connection(secret_connection(world))
    assert (report.health, report.reason_code) == (ConnectionHealth.UNHEALTHY, "tenant_mismatch")


def test_throttling_during_the_check_is_retried_and_honours_retry_after(world, graph_settings, graph_waits):
    probe = PERMISSION_PROBES["DeviceManagementConfiguration.Read.All"].path
    graph_settings.add_fault(FaultRule(path_contains=probe, status=429, retry_after="0.05", times=3))
    graph_settings.add_fault(FaultRule(path_contains="managedDevices", status=503, retry_after=None, times=2))
    report = check_connection(secret_connection(world))
    assert report.health == ConnectionHealth.HEALTHY
    throttled = [r for r in graph_settings.requests if r.host == "graph" and r.status in (429, 503)]
    assert len(throttled) == 5
    assert len(graph_waits.calls) == 5  # one wait before each retry
    assert graph_waits.calls.count(0.05) == 3  # the 429s waited exactly their Retry-After
    backoffs = [w for w in graph_waits.calls if w != 0.05]
    assert all(0 <= w <= 30.0 for w in backoffs)  # the 503s without Retry-After: jittered backoff
    assert report.retry_waits_capped == 0


def test_a_retry_after_beyond_the_check_budget_is_capped_logged_and_shown_on_the_run(
    world, graph_settings, graph_waits, settings, caplog, django_capture_on_commit_callbacks
):
    from tenantpilot.operations.models import OperationRun

    caplog.set_level(logging.INFO, logger="tenantpilot.graph")
    settings.TENANTPILOT_HEALTH_CHECK_RETRY_BUDGET_SECONDS = 120
    connection = secret_connection(world)
    graph_settings.add_fault(FaultRule(path_contains="/organization", status=429, retry_after="3600", times=1))
    with django_capture_on_commit_callbacks(execute=True):
        services.connection_check_start(actor=world.owner, connection=connection)
    run = OperationRun.objects.get()
    assert run.outcome == "succeeded", run.message
    assert graph_waits.calls == [120.0]  # the server asked for an hour; the check had 120 s
    assert run.summary_counts["retry_waits_capped"] == 1
    assert "were longer than the check's retry budget" in run.message
    capped = [r for r in caplog.records if "retry-after capped" in r.getMessage()]
    assert len(capped) == 1 and capped[0].levelno == logging.WARNING
    assert "requested_s=3600.000 applied_s=120.000" in capped[0].getMessage()
    assert capped[0].getMessage().endswith(f"run={run.pk}")
    connection.refresh_from_db()
    assert connection.health == ConnectionHealth.HEALTHY


def test_a_permanently_unavailable_probe_degrades_without_losing_the_rest(world, graph_settings):
    graph_settings.add_fault(FaultRule(path_contains="groups", status=503, retry_after="0", times=None))
    report = check_connection(secret_connection(world))
    assert report.health == ConnectionHealth.DEGRADED
    assert report.reason_code == ReasonCode.PROVIDER_UNAVAILABLE
    assert list(report.permissions.values()).count(PermissionState.UNKNOWN) == 1


def test_the_canary_secret_never_reaches_a_log_record(world, graph_settings, caplog):
    caplog.set_level(logging.DEBUG)
    env = environment_for(world)
    report = check_connection(secret_connection(world, env, secret=CANARY_SECRET))
    assert report.reason_code == ReasonCode.AUTH_INVALID_SECRET
    for record in caplog.records:
        assert CANARY_SECRET not in record.getMessage()
        assert CANARY_SECRET not in str(record.args)
    assert CANARY_SECRET not in report.message


def test_the_operation_records_health_on_the_connection_and_the_run(
    world, graph_settings, django_capture_on_commit_callbacks
):
    from tenantpilot.operations.models import OperationRun

    healthy = secret_connection(world)
    broken_env = environment_for(world, fx.BROKEN_TENANT_ID, "Broken")
    broken = secret_connection(
        world, broken_env, client_id=fx.BROKEN_EXPIRED_CLIENT_ID, secret=fx.BROKEN_EXPIRED_CLIENT_SECRET
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.connection_check_start(actor=world.owner, connection=healthy)
        services.connection_check_start(actor=world.owner, connection=broken)
    good, bad = OperationRun.objects.order_by("pk")
    assert (good.outcome, good.summary_counts) == (
        "succeeded",
        {"permissions_checked": len(REQUIRED_PERMISSIONS), "permissions_missing": 0},
    )
    assert (bad.outcome, bad.reason_code) == ("failed", "auth_secret_expired")
    assert bad.summary_counts == {"permissions_checked": 0, "permissions_missing": 0}
    healthy.refresh_from_db()
    broken.refresh_from_db()
    assert (healthy.health, broken.health) == (ConnectionHealth.HEALTHY, ConnectionHealth.UNHEALTHY)
    assert broken.last_reason_code == "auth_secret_expired" and broken.last_checked_at is not None
