"""Faults a sync must survive, injected in graphsim (no mocks of our client).

Every retry wait goes to the ``graph_waits`` recorder on a fake clock: no test here sleeps for a
Retry-After or measures wall time, so the results do not depend on how loaded the machine is.
"""

from __future__ import annotations

import logging

import pytest

from graphsim import FaultRule
from graphsim import fixtures_catalog as fx
from tenantpilot.inventory.choices import PolicyType
from tenantpilot.inventory.models import InventoryItem, PolicyVersion
from tenantpilot.operations.choices import OperationType, RunOutcome
from tests.inventory.support import golden_environment, item, run_now, versions

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("graph_waits")]

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


def test_429_storm_mid_sync_completes_honouring_retry_after(world, graph_settings, graph_waits):
    env = golden_environment(world)
    graph_settings.add_fault(
        FaultRule(path_contains="deviceManagement/deviceConfigurations", status=429, retry_after="0.2", times=3)
    )
    graph_settings.add_fault(FaultRule(path_contains="/$batch", status=429, retry_after="0.2", times=2))
    run = run_now(env)
    assert run.outcome == RunOutcome.SUCCEEDED, run.message
    assert run.summary_counts["throttled"] >= 5
    assert run.summary_counts["retries"] >= 5
    assert graph_waits.calls == [0.2] * 5  # each 429 waited exactly its Retry-After, none shortened
    assert run.summary_counts["retry_waits_capped"] == 0
    assert run.message == ""
    assert InventoryItem.objects.filter(environment=env, policy_type=DC).count() == 5


def test_a_retry_after_beyond_the_run_budget_is_capped_logged_and_counted_on_the_run(
    world, graph_settings, graph_waits, settings, caplog
):
    caplog.set_level(logging.INFO, logger="tenantpilot.graph")
    settings.TENANTPILOT_RUN_RETRY_BUDGET_SECONDS = 900
    env = golden_environment(world)
    graph_settings.add_fault(
        FaultRule(path_contains="deviceManagement/deviceConfigurations", status=429, retry_after="3600", times=1)
    )
    run = run_now(env)
    assert run.outcome == RunOutcome.SUCCEEDED, run.message
    assert graph_waits.calls == [900.0]  # the server asked for an hour; the run had 900 s left
    assert run.summary_counts["retry_waits_capped"] == 1
    assert "1 Retry-After wait(s) were longer than the run's retry budget" in run.message
    capped = [r for r in caplog.records if "retry-after capped" in r.getMessage()]
    assert len(capped) == 1 and capped[0].levelno == logging.WARNING
    assert "requested_s=3600.000 applied_s=900.000" in capped[0].getMessage()
    assert capped[0].getMessage().endswith(f"run={run.pk}")
    assert InventoryItem.objects.filter(environment=env, policy_type=DC).count() == 5


def test_the_run_budget_spans_the_run_not_each_call(world, graph_settings, graph_waits, settings):
    settings.TENANTPILOT_RUN_RETRY_BUDGET_SECONDS = 900
    env = golden_environment(world)
    graph_settings.add_fault(
        FaultRule(path_contains="deviceCompliancePolicyDeviceStateSummary", status=429, retry_after="600", times=1)
    )
    graph_settings.add_fault(FaultRule(path_contains="managedDevices", status=429, retry_after="600", times=1))
    run = run_now(env, OperationType.COMPLIANCE_SNAPSHOT)
    assert run.outcome == RunOutcome.SUCCEEDED, run.message
    # The first wait fits the run's 900 s; the second call finds only 300 s left.
    assert graph_waits.calls == [600.0, 300.0]
    assert run.summary_counts["retry_waits_capped"] == 1
    assert "shortened" in run.message


def test_a_compliance_snapshot_that_runs_out_of_budget_says_its_waits_were_shortened(
    world, graph_settings, graph_waits, settings
):
    settings.TENANTPILOT_RUN_RETRY_BUDGET_SECONDS = 60
    env = golden_environment(world)
    graph_settings.add_fault(FaultRule(path_contains="managedDevices", status=429, retry_after="3600", times=None))
    run = run_now(env, OperationType.COMPLIANCE_SNAPSHOT)
    assert (run.outcome, run.reason_code) == (RunOutcome.FAILED, "throttled")
    assert graph_waits.calls == [60.0]  # one wait to the end of the budget, then no more
    assert "were longer than the run's retry budget" in run.message


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
