"""Connection health and baseline drift alerts: once per change, recovery once, never twice."""

from __future__ import annotations

import pytest

from graphsim import fixtures_catalog as fx
from tenantpilot.alerts.choices import AlertKind
from tenantpilot.alerts.models import Alert
from tenantpilot.baselines.choices import CompareReason
from tenantpilot.baselines.models import BaselineCompareItem
from tenantpilot.baselines.services import InventoryEvidence, compare_result_record
from tenantpilot.operations.choices import OperationType
from tenantpilot.operations.models import OperationRun
from tenantpilot.providers import services as provider_services
from tests.baselines import factories as bf
from tests.baselines.support import captured_profile, compared, contoso, fabrikam, synced
from tests.inventory.support import golden_environment, run_now

pytestmark = pytest.mark.django_db


def kinds():
    return list(Alert.objects.order_by("pk").values_list("kind", flat=True))


def _connection(world):
    return provider_services.connection_create(
        actor=world.owner,
        environment=world.a1,
        display_name="Primary",
        entra_tenant_id=world.a1.tenant_id,
        client_id="00000000-0000-4000-8000-0000000000a1",
        auth_type="client_secret",
        client_secret="s3cret-value",
    )


def _record(connection, health, reason=""):
    provider_services.connection_record_health(
        connection=connection, health=health, reason_code=reason, message="", permissions={}
    )


def test_a_connection_unhealthy_over_five_checks_alerts_once_and_recovers_once(world):
    connection = _connection(world)
    _record(connection, "healthy")
    for _ in range(5):
        _record(connection, "unhealthy", "auth_invalid_secret")
    _record(connection, "degraded", "permission_missing")
    _record(connection, "healthy")
    _record(connection, "healthy")
    assert kinds() == [AlertKind.CONNECTION_UNHEALTHY, AlertKind.CONNECTION_DEGRADED, AlertKind.CONNECTION_RECOVERED]
    alert = Alert.objects.get(kind=AlertKind.CONNECTION_UNHEALTHY)
    assert "Primary" in alert.title and "s3cret-value" not in alert.body
    assert alert.path.endswith(f"/connections/{connection.pk}/")


def test_a_first_healthy_check_alerts_nothing(world):
    _record(_connection(world), "healthy")
    assert kinds() == []


def test_failing_health_check_runs_alert_as_the_connection_only(world, graph_settings):
    env = golden_environment(world, secret="not-the-right-secret", name="Broken secret")
    runs = [run_now(env, OperationType.PROVIDER_HEALTH_CHECK) for _ in range(3)]
    assert {r.outcome for r in runs} == {"failed"}
    assert kinds() == [AlertKind.CONNECTION_UNHEALTHY]


def _result(profile, snapshot, environment, drift_keys):
    items = [
        BaselineCompareItem(
            policy_type="deviceConfigurations",
            canonical_subject_key=key,
            outcome="drift",
            reason=CompareReason.SUBJECT_KEY,
        )
        for key in drift_keys
    ]
    counts = {"drift": len(drift_keys), "missing": 0, "unexpected": 0, "match": 1}
    return compare_result_record(
        run=bf.completed_run(environment),
        profile=profile,
        snapshot=snapshot,
        environment=environment,
        evidence=InventoryEvidence(run=None, at=None, last_outcome=None),
        evidence_stale=False,
        incomplete_types=[],
        provider_key="microsoft",
        counts=counts,
        items=items,
    )


def test_drift_alerts_on_rising_counts_and_on_new_subjects_not_on_the_same_drift(world):
    profile = bf.profile(world.a)
    snapshot = bf.snapshot(profile)
    _result(profile, snapshot, world.a1, [])
    assert kinds() == []
    _result(profile, snapshot, world.a1, ["a"])  # a count rose
    _result(profile, snapshot, world.a1, ["a"])  # the same drift again
    _result(profile, snapshot, world.a1, ["b"])  # same count, another subject drifting
    _result(profile, snapshot, world.a1, ["b"])
    _result(profile, snapshot, world.a1, [])  # cleared
    assert kinds() == [AlertKind.DRIFT_NEW, AlertKind.DRIFT_NEW, AlertKind.DRIFT_CLEARED]
    second = Alert.objects.filter(kind=AlertKind.DRIFT_NEW).order_by("pk").last()
    assert second.facts["new_subjects"] == 1 and second.facts["counts"]["drift"] == 1


def test_another_environment_or_profile_has_its_own_previous_compare(world):
    profile, other = bf.profile(world.a), bf.profile(world.a)
    _result(profile, bf.snapshot(profile), world.a1, ["a"])
    _result(other, bf.snapshot(other), world.a1, ["a"])
    _result(profile, bf.snapshot(profile), world.a2, ["a"])
    assert kinds() == [AlertKind.DRIFT_NEW] * 3


def test_a_real_compare_of_the_drifted_tenant_alerts_once(world, graph_settings):
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    profile = captured_profile(world, golden)
    compared(world, profile, drifted)
    compared(world, profile, drifted)
    compared(world, profile, golden)
    assert kinds() == [AlertKind.DRIFT_NEW]
    alert = Alert.objects.get()
    assert alert.environment_id == drifted.pk
    assert alert.facts["counts"] == {"drift": 4, "missing": 1, "unexpected": 1}
    assert fx.DRIFTED_CLIENT_SECRET not in alert.body
    assert OperationRun.objects.filter(type="baseline.compare", outcome="succeeded").count() == 3
