"""Intune script bodies end to end: Graph lists them as null, so the sync reads every script by id
through ``$batch`` and stores the tenant's bodies; a changed body is drift; a failed read by id is
*unknown* (the previous version stays, never an "empty" body); no body reaches a log line."""

from __future__ import annotations

import base64
import logging

import pytest

from graphsim import fixtures_catalog as fx
from graphsim.faults import FaultRule
from tenantpilot.baselines.models import BaselineCompareItem
from tenantpilot.inventory.choices import POLICY_TYPE_SPECS
from tenantpilot.inventory.content import script_content_summary
from tenantpilot.inventory.models import InventoryItem, PolicyVersion
from tenantpilot.operations.choices import RunOutcome
from tests.baselines.support import captured_profile, compared, contoso, synced
from tests.inventory.support import golden_environment, item, run_now, versions

pytestmark = pytest.mark.django_db

# Inventory type -> (simulator collection, body fields Graph lists as null).
SCRIPT_TYPES = {
    "deviceManagementScripts": ("deviceManagement/deviceManagementScripts", ("scriptContent",)),
    "deviceShellScripts": ("deviceManagement/deviceShellScripts", ("scriptContent",)),
    "deviceCustomAttributeShellScripts": ("deviceManagement/deviceCustomAttributeShellScripts", ("scriptContent",)),
    "deviceHealthScripts": (
        "deviceManagement/deviceHealthScripts",
        ("detectionScriptContent", "remediationScriptContent"),
    ),
    "deviceComplianceScripts": ("deviceManagement/deviceComplianceScripts", ("detectionScriptContent",)),
}
HEALTH = "deviceHealthScripts"


def _tenant_scripts(sim, policy_type: str) -> list[dict]:
    key, _fields = SCRIPT_TYPES[policy_type]
    return sim.tenant(fx.GOLDEN_TENANT_ID).collections[key]


def _health_script(sim) -> dict:
    return _tenant_scripts(sim, HEALTH)[0]


def test_every_script_type_reads_its_bodies_by_id():
    for policy_type, (_key, fields) in SCRIPT_TYPES.items():
        spec = POLICY_TYPE_SPECS[policy_type]
        assert spec.detail_contract == f"{policy_type}.get"
        assert set(fields) <= set(spec.secret_fields)


def test_sync_stores_the_tenants_script_bodies_read_by_id(world, graph_settings):
    env = golden_environment(world)
    graph_settings.clear_requests()
    run = run_now(env)
    assert run.outcome == RunOutcome.SUCCEEDED, (run.reason_code, run.message)
    log = [r for r in graph_settings.requests if r.host == "graph"]
    for policy_type, (key, fields) in SCRIPT_TYPES.items():
        scripts = _tenant_scripts(graph_settings, policy_type)
        assert scripts
        for script in scripts:
            stored = item(env, policy_type, script["id"]).current_version.payload
            for field in fields:
                assert script[field] and stored[field] == script[field], (policy_type, field)
            if "assignments" in script:  # expanded on the list, kept through the merge
                assert len(stored["assignments"]) == len(script["assignments"])
            assert "@odata.context" not in stored
        by_id = [r for r in log if r.batch_inner and r.path.split("/", 2)[2].startswith(key + "/")]
        assert len(by_id) == len(scripts), policy_type  # one inner GET per script, nothing per page
        assert all(r.status == 200 and not r.query for r in by_id), "no $expand on the read by id"
        assert not [r for r in log if r.path.endswith("/assignments") and key in r.path]


def test_a_changed_script_body_is_drift_compared_by_hash(world, graph_settings):
    golden = synced(contoso(world))
    profile = captured_profile(world, golden)
    script = _health_script(graph_settings)
    new_body = "Write-Output 'remediated differently'\n"
    encoded = base64.b64encode(new_body.encode()).decode()
    graph_settings.tenant(fx.GOLDEN_TENANT_ID).update_item(
        SCRIPT_TYPES[HEALTH][0], script["id"], remediationScriptContent=encoded
    )
    synced(golden)
    assert len(versions(golden, HEALTH, script["id"])) == 2, "the new body is a new version"
    _run, result = compared(world, profile, golden)
    drift = BaselineCompareItem.objects.filter(result=result, outcome="drift")
    assert {(d.policy_type, d.label) for d in drift} == {(HEALTH, script["displayName"])}
    changes = str(drift.get().changes)
    assert script_content_summary(encoded) in changes, "compared by hash"
    assert new_body.strip() not in changes and encoded not in changes


def test_a_failed_read_by_id_keeps_the_previous_version(world, graph_settings):
    env = golden_environment(world)
    run_now(env)
    script = _health_script(graph_settings)
    old_body = script["detectionScriptContent"]
    graph_settings.tenant(fx.GOLDEN_TENANT_ID).update_item(
        SCRIPT_TYPES[HEALTH][0], script["id"], detectionScriptContent=base64.b64encode(b"exit 1\n").decode()
    )
    graph_settings.add_fault(
        FaultRule(path_contains=f"deviceHealthScripts/{script['id']}", status=500, retry_after="0", times=1000)
    )
    graph_settings.clear_requests()
    run = run_now(env)
    failed = [r for r in graph_settings.requests if r.batch_inner and script["id"] in r.path]
    assert failed and all(r.status == 500 for r in failed)
    assert run.outcome == RunOutcome.PARTIALLY_SUCCEEDED
    assert run.summary_counts["unknown"] == 1
    history = versions(env, HEALTH, script["id"])
    assert len(history) == 1, "partial evidence is never versioned"
    assert history[0].payload["detectionScriptContent"] == old_body, "a listed null body is not 'empty'"
    row = item(env, HEALTH, script["id"])
    assert row.gone_at is None and row.last_seen_run_id == run.pk
    graph_settings.clear_faults()
    healed = run_now(env)
    assert healed.outcome == RunOutcome.SUCCEEDED
    assert versions(env, HEALTH, script["id"])[-1].payload["detectionScriptContent"] != old_body


def test_a_new_script_whose_read_fails_is_listed_without_a_version(world, graph_settings):
    env = golden_environment(world)
    script = _health_script(graph_settings)
    graph_settings.add_fault(
        FaultRule(path_contains=f"deviceHealthScripts/{script['id']}", status=503, retry_after="0", times=1000)
    )
    run = run_now(env)
    assert run.outcome == RunOutcome.PARTIALLY_SUCCEEDED
    row = InventoryItem.objects.get(environment=env, policy_type=HEALTH, provider_object_id=script["id"])
    assert row.current_version is None and row.payload_hash == ""
    assert not PolicyVersion.objects.filter(item=row).exists()


def test_script_bodies_never_reach_a_log_line(world, graph_settings, caplog):
    env = golden_environment(world)
    with caplog.at_level(logging.DEBUG):
        run = run_now(env)
    assert run.outcome == RunOutcome.SUCCEEDED
    bodies = [
        script[field]
        for policy_type, (_key, fields) in SCRIPT_TYPES.items()
        for script in _tenant_scripts(graph_settings, policy_type)
        for field in fields
    ]
    assert bodies and all(bodies)
    text = caplog.text
    for body in bodies:
        assert body not in text
        assert base64.b64decode(body).decode().strip() not in text
    assert all(body not in str(run.summary_counts) + (run.message or "") for body in bodies)
