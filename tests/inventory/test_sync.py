"""Inventory sync against graphsim: versions only on change, identity by provider id, gone only on
complete listings."""

from __future__ import annotations

import pytest

from graphsim import fixtures_catalog as fx
from tenantpilot.audit.models import AuditLog
from tenantpilot.core.fingerprint import payload_fingerprint
from tenantpilot.inventory.choices import PolicyType
from tenantpilot.inventory.models import InventoryItem, PolicyVersion
from tenantpilot.operations.choices import RunOutcome
from tests.inventory.support import golden_environment, item, run_now, versions

pytestmark = pytest.mark.django_db

DC = PolicyType.DEVICE_CONFIGURATIONS.value
SC = PolicyType.CONFIGURATION_POLICIES.value
GP = PolicyType.GROUP_POLICY_CONFIGURATIONS.value


def test_first_sync_stores_every_type_with_assignments_and_settings(world, graph_settings):
    env = golden_environment(world)
    run = run_now(env)
    assert run.outcome == RunOutcome.SUCCEEDED, (run.reason_code, run.message)
    types = set(InventoryItem.objects.filter(environment=env).values_list("policy_type", flat=True))
    assert types == set(PolicyType.values)
    banner = item(env, SC, fx.GOLDEN_LOGON_BANNER_ID)
    payload = banner.current_version.payload
    assert len(payload["settings"]) == 2
    assert isinstance(payload["assignments"], list)
    assert banner.current_version.version_number == 1
    assert banner.payload_hash == payload_fingerprint(payload) == banner.current_version.payload_hash
    assert banner.display_name == "WIN - Logon banner"
    assert banner.metadata["platforms"] == "windows10"
    admx = item(env, GP, fx.GOLDEN_ADMX_EDGE_ID)
    assert admx.current_version.payload["definitionValues"], "ADMX definition values are read"
    assert run.summary_counts["items"] == InventoryItem.objects.filter(environment=env).count()
    assert run.summary_counts["versions_created"] == PolicyVersion.objects.filter(environment=env).count()
    assert AuditLog.objects.filter(action="inventory.sync_recorded", environment=env, actor=None).count() == 1


def test_sync_uses_expand_for_assignments_and_batch_for_settings(world, graph_settings):
    env = golden_environment(world)
    graph_settings.clear_requests()
    run_now(env)
    log = [r for r in graph_settings.requests if r.host == "graph"]
    outer = [r for r in log if not r.batch_inner]
    # Intents document no list-level $expand: their assignments are read through $batch.
    assert not any(r.path.endswith("/assignments") and "/intents/" not in r.path for r in log), "inline via $expand"
    lists = [r for r in outer if r.path.endswith("deviceManagement/configurationPolicies")]
    assert lists and all(r.query.get("$expand") == "assignments" for r in lists)
    # Per-policy settings lists (the tenant-wide deviceManagement/settings object is one plain GET).
    settings_reads = [
        r for r in log if r.path.endswith("/settings") and not r.path.endswith("deviceManagement/settings")
    ]
    assert settings_reads and all(r.batch_inner for r in settings_reads)
    assert any(r.path.endswith("/$batch") for r in outer)


def test_second_sync_without_change_creates_no_version(world, graph_settings):
    env = golden_environment(world)
    run_now(env)
    before = PolicyVersion.objects.filter(environment=env).count()
    second = run_now(env)
    assert second.outcome == RunOutcome.SUCCEEDED
    assert PolicyVersion.objects.filter(environment=env).count() == before
    assert second.summary_counts["versions_created"] == 0
    assert second.summary_counts["unchanged"] == second.summary_counts["items"]
    assert InventoryItem.objects.filter(environment=env, last_seen_run=second).count() == second.summary_counts["items"]


def test_only_a_volatile_change_creates_no_version(world, graph_settings):
    env = golden_environment(world)
    run_now(env)
    graph_settings.tenant(fx.GOLDEN_TENANT_ID).update_item(
        "deviceManagement/deviceConfigurations",
        fx.GOLDEN_DEVICE_RESTRICTIONS_ID,
        lastModifiedDateTime="2030-01-01T00:00:00Z",
        version=99,
    )
    run_now(env)
    assert len(versions(env, DC, fx.GOLDEN_DEVICE_RESTRICTIONS_ID)) == 1


def test_changed_setting_creates_exactly_one_new_version(world, graph_settings):
    env = golden_environment(world)
    run_now(env)
    tenant = graph_settings.tenant(fx.GOLDEN_TENANT_ID)
    policy = tenant.get_item("deviceManagement/configurationPolicies", fx.GOLDEN_LOGON_BANNER_ID)
    policy["settings"][0]["settingInstance"]["simpleSettingValue"]["value"] = "-CHANGED-"
    run_now(env)
    run_now(env)
    history = versions(env, SC, fx.GOLDEN_LOGON_BANNER_ID)
    assert [v.version_number for v in history] == [1, 2]
    assert "-CHANGED-" in str(history[1].payload["settings"])
    assert item(env, SC, fx.GOLDEN_LOGON_BANNER_ID).current_version_id == history[1].pk


def test_renamed_policy_keeps_its_row_and_gets_a_new_version(world, graph_settings):
    env = golden_environment(world)
    run_now(env)
    row = item(env, DC, fx.GOLDEN_DEVICE_RESTRICTIONS_ID)
    graph_settings.tenant(fx.GOLDEN_TENANT_ID).update_item(
        "deviceManagement/deviceConfigurations", fx.GOLDEN_DEVICE_RESTRICTIONS_ID, displayName="Renamed restrictions"
    )
    run_now(env)
    renamed = item(env, DC, fx.GOLDEN_DEVICE_RESTRICTIONS_ID)
    assert renamed.pk == row.pk
    assert renamed.display_name == "Renamed restrictions"
    assert renamed.first_seen_at == row.first_seen_at
    assert [v.version_number for v in versions(env, DC, fx.GOLDEN_DEVICE_RESTRICTIONS_ID)] == [1, 2]


def test_removed_item_is_marked_gone_and_returns_when_it_reappears(world, graph_settings):
    env = golden_environment(world)
    run_now(env)
    tenant = graph_settings.tenant(fx.GOLDEN_TENANT_ID)
    removed = tenant.get_item("deviceManagement/deviceConfigurations", fx.GOLDEN_DEVICE_RESTRICTIONS_ID)
    tenant.remove_item("deviceManagement/deviceConfigurations", fx.GOLDEN_DEVICE_RESTRICTIONS_ID)
    run = run_now(env)
    gone = item(env, DC, fx.GOLDEN_DEVICE_RESTRICTIONS_ID)
    assert gone.gone_at is not None
    assert run.summary_counts["gone"] == 1
    assert InventoryItem.objects.filter(environment=env, gone_at__isnull=False).count() == 1
    tenant.add_item("deviceManagement/deviceConfigurations", removed)
    run_now(env)
    back = item(env, DC, fx.GOLDEN_DEVICE_RESTRICTIONS_ID)
    assert back.gone_at is None and back.pk == gone.pk
    assert len(versions(env, DC, fx.GOLDEN_DEVICE_RESTRICTIONS_ID)) == 1
