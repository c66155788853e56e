"""Faults a sync must survive, injected in graphsim (no mocks of our client)."""

from __future__ import annotations

import time

import pytest

from graphsim import FaultRule
from graphsim import fixtures_catalog as fx
from tenantpilot.inventory.choices import PolicyType
from tenantpilot.inventory.models import InventoryItem, PolicyVersion
from tenantpilot.operations.choices import RunOutcome
from tests.inventory.support import golden_environment, item, run_now, versions

pytestmark = pytest.mark.django_db

DC = PolicyType.DEVICE_CONFIGURATIONS.value
CP = PolicyType.DEVICE_COMPLIANCE_POLICIES.value
SC = PolicyType.CONFIGURATION_POLICIES.value
SETTINGS_PATH = f"configurationPolicies/{fx.GOLDEN_LOGON_BANNER_ID}/settings"


def _snapshot(env, policy_type):
    return sorted(
        InventoryItem.objects.filter(environment=env, policy_type=policy_type).values_list(
            "provider_object_id", "payload_hash", "gone_at", "current_version_id"
        )
    )


def test_429_storm_mid_sync_completes_honouring_retry_after(world, graph_settings):
    env = golden_environment(world)
    graph_settings.add_fault(
        FaultRule(path_contains="deviceManagement/deviceConfigurations", status=429, retry_after="0.2", times=3)
    )
    graph_settings.add_fault(FaultRule(path_contains="/$batch", status=429, retry_after="0.2", times=2))
    started = time.monotonic()
    run = run_now(env)
    assert run.outcome == RunOutcome.SUCCEEDED, run.message
    assert run.summary_counts["throttled"] >= 5
    assert run.summary_counts["retries"] >= 5
    assert time.monotonic() - started >= 0.6  # three consecutive waits of Retry-After 0.2 s
    assert InventoryItem.objects.filter(environment=env, policy_type=DC).count() == 5


def test_503_burst_mid_sync_completes(world, graph_settings):
    env = golden_environment(world)
    graph_settings.add_fault(
        FaultRule(path_contains="deviceManagement/configurationPolicies?", status=503, retry_after="0", times=2)
    )
    graph_settings.add_fault(FaultRule(path_contains="/settings", status=503, retry_after="0", times=3))
    run = run_now(env)
    assert run.outcome == RunOutcome.SUCCEEDED, run.message
    assert len(item(env, SC, fx.GOLDEN_LOGON_BANNER_ID).current_version.payload["settings"]) == 2


def test_type_that_keeps_failing_leaves_its_items_intact_and_others_sync(world, graph_settings):
    env = golden_environment(world)
    run_now(env)
    before = _snapshot(env, CP)
    tenant = graph_settings.tenant(fx.GOLDEN_TENANT_ID)
    tenant.remove_item("deviceManagement/deviceCompliancePolicies", fx.GOLDEN_WIN_COMPLIANCE_ID)
    tenant.update_item("deviceManagement/deviceConfigurations", fx.GOLDEN_DEVICE_RESTRICTIONS_ID, displayName="New")
    graph_settings.add_fault(
        FaultRule(path_contains="deviceManagement/deviceCompliancePolicies", status=503, retry_after="0", times=1000)
    )
    run = run_now(env)
    assert run.outcome == RunOutcome.PARTIALLY_SUCCEEDED
    assert run.reason_code == "provider_unavailable"
    assert "Compliance policies" in run.message
    assert run.summary_counts["types_failed"] == 1
    assert run.summary_counts["types_synced"] == len(PolicyType) - 1
    assert _snapshot(env, CP) == before, "a failed type is neither updated nor marked gone"
    assert item(env, DC, fx.GOLDEN_DEVICE_RESTRICTIONS_ID).display_name == "New"
    assert item(env, DC, fx.GOLDEN_DEVICE_RESTRICTIONS_ID).last_seen_run_id == run.pk


def test_malformed_json_fails_only_that_type(world, graph_settings):
    env = golden_environment(world)
    run_now(env)
    before = _snapshot(env, DC)
    graph_settings.tenant(fx.GOLDEN_TENANT_ID).remove_item(
        "deviceManagement/deviceConfigurations", fx.GOLDEN_DEVICE_RESTRICTIONS_ID
    )
    graph_settings.add_fault(
        FaultRule(path_contains="deviceManagement/deviceConfigurations", kind="malformed", times=1)
    )
    run = run_now(env)
    assert run.outcome == RunOutcome.PARTIALLY_SUCCEEDED
    assert run.reason_code == "malformed_response"
    assert _snapshot(env, DC) == before
    assert item(env, DC, fx.GOLDEN_DEVICE_RESTRICTIONS_ID).gone_at is None


@pytest.mark.parametrize("status", [429, 500, 503])
def test_inner_batch_failure_is_unknown_and_the_item_keeps_its_version(world, graph_settings, status):
    env = golden_environment(world)
    run_now(env)
    tenant = graph_settings.tenant(fx.GOLDEN_TENANT_ID)
    tenant.update_item("deviceManagement/configurationPolicies", fx.GOLDEN_LOGON_BANNER_ID, name="Banner renamed")
    graph_settings.add_fault(FaultRule(path_contains=SETTINGS_PATH, status=status, retry_after="0", times=1000))
    graph_settings.clear_requests()
    run = run_now(env)
    inner = [r for r in graph_settings.requests if r.batch_inner and r.path.endswith(SETTINGS_PATH)]
    assert inner and all(r.status == status for r in inner)
    assert run.outcome == RunOutcome.PARTIALLY_SUCCEEDED
    assert run.summary_counts["unknown"] == 1
    history = versions(env, SC, fx.GOLDEN_LOGON_BANNER_ID)
    assert len(history) == 1, "partial evidence is never versioned"
    assert len(history[0].payload["settings"]) == 2
    banner = item(env, SC, fx.GOLDEN_LOGON_BANNER_ID)
    assert banner.gone_at is None and banner.last_seen_run_id == run.pk
    assert banner.display_name == "WIN - Logon banner"
    graph_settings.clear_faults()
    healed = run_now(env)
    assert healed.outcome == RunOutcome.SUCCEEDED
    assert len(versions(env, SC, fx.GOLDEN_LOGON_BANNER_ID)) == 2


def test_new_item_with_unreadable_settings_is_listed_without_a_version(world, graph_settings):
    env = golden_environment(world)
    graph_settings.add_fault(FaultRule(path_contains=SETTINGS_PATH, status=429, retry_after="0", times=1000))
    run = run_now(env)
    assert run.outcome == RunOutcome.PARTIALLY_SUCCEEDED
    banner = item(env, SC, fx.GOLDEN_LOGON_BANNER_ID)
    assert banner.current_version is None and banner.payload_hash == ""
    assert not PolicyVersion.objects.filter(item=banner).exists()


def test_missing_permission_for_one_family_is_partial(world, graph_settings):
    env = golden_environment(
        world,
        tenant_id=fx.BROKEN_TENANT_ID,
        client_id=fx.BROKEN_PARTIAL_CLIENT_ID,
        secret=fx.BROKEN_PARTIAL_CLIENT_SECRET,
        name="Partial",
    )
    run = run_now(env)
    assert run.outcome == RunOutcome.PARTIALLY_SUCCEEDED
    assert run.reason_code == "permission_missing"
    assert not InventoryItem.objects.filter(
        environment=env, policy_type=PolicyType.IOS_MANAGED_APP_PROTECTIONS
    ).exists()
    assert InventoryItem.objects.filter(environment=env, policy_type=DC).exists()


def test_expired_secret_fails_the_run_with_the_auth_reason(world, graph_settings):
    env = golden_environment(
        world,
        tenant_id=fx.BROKEN_TENANT_ID,
        client_id=fx.BROKEN_EXPIRED_CLIENT_ID,
        secret=fx.BROKEN_EXPIRED_CLIENT_SECRET,
        name="Expired",
    )
    run = run_now(env)
    assert run.outcome == RunOutcome.FAILED
    assert run.reason_code == "auth_secret_expired"
    assert not InventoryItem.objects.filter(environment=env).exists()
