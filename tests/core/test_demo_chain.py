"""The demo's first start: sync every environment, capture the Contoso baseline, compare the others,
so a newcomer sees drift on first login (driven here with the immediate task backend)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tenantpilot.baselines.models import BaselineAssignment, BaselineCompareResult, BaselineProfile, BaselineSnapshot
from tenantpilot.core.management.commands.demo import DEMO_WORKER_MODULE
from tenantpilot.demo import (
    DEMO_COMPARED_TENANT_IDS,
    DEMO_GOLDEN_TENANT_ID,
    DEMO_PROFILE_NAME,
    DEMO_WORKSPACE_SLUG,
    demo_advance,
    seed_demo,
)
from tenantpilot.inventory.choices import PolicyType
from tenantpilot.operations.choices import OperationType
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.services import OperationRunService
from tenantpilot.tenancy.models import ManagedEnvironment
from tests.operations.helpers import queued_run

pytestmark = pytest.mark.django_db

MAX_STEPS = 10  # sync, capture, compare: a handful of calls; the bound only stops a broken chain


def _advance_until_done(capture_callbacks) -> int:
    for step in range(1, MAX_STEPS + 1):
        with capture_callbacks(execute=True):  # the immediate backend runs what a call queued
            progress = demo_advance()
        if progress.done:
            return step
    raise AssertionError("the demo chain did not finish")


def _env(tenant_id: str) -> ManagedEnvironment:
    return ManagedEnvironment.objects.get(workspace__slug=DEMO_WORKSPACE_SLUG, tenant_id=tenant_id)


def test_seed_creates_the_profile_assigned_to_the_healthy_customers():
    seed_demo()
    profile = BaselineProfile.objects.get(workspace__slug=DEMO_WORKSPACE_SLUG, name=DEMO_PROFILE_NAME)
    assert PolicyType.GROUPS.value not in profile.policy_types
    assert PolicyType.DEVICE_CONFIGURATIONS.value in profile.policy_types
    assigned = set(BaselineAssignment.objects.filter(profile=profile).values_list("environment__tenant_id", flat=True))
    assert assigned == set(DEMO_COMPARED_TENANT_IDS)
    assert DEMO_GOLDEN_TENANT_ID not in assigned


def test_first_start_chain_leaves_a_snapshot_and_drift_for_fabrikam(graph_settings, django_capture_on_commit_callbacks):
    seed_demo()
    _advance_until_done(django_capture_on_commit_callbacks)

    profile = BaselineProfile.objects.get(workspace__slug=DEMO_WORKSPACE_SLUG, name=DEMO_PROFILE_NAME)
    snapshot = BaselineSnapshot.objects.get(profile=profile)
    assert snapshot.environment == _env(DEMO_GOLDEN_TENANT_ID) and snapshot.item_count > 0
    results = {r.environment.tenant_id: r for r in BaselineCompareResult.objects.filter(profile=profile)}
    assert set(results) == set(DEMO_COMPARED_TENANT_IDS)
    fabrikam = results[DEMO_COMPARED_TENANT_IDS[0]]
    # graphsim's Fabrikam is Contoso with seeded differences (their exact number is graphsim's business).
    assert fabrikam.counts["drift"] >= 1 and fabrikam.counts["missing"] >= 1 and fabrikam.counts["unexpected"] >= 1
    assert fabrikam.items.filter(outcome="drift", baseline_label="WIN - Device restrictions").exists()
    assert not fabrikam.evidence_stale
    # Every demo environment got its inventory sync, the broken one included (it fails, visibly).
    synced = OperationRun.objects.filter(workspace__slug=DEMO_WORKSPACE_SLUG, type=OperationType.INVENTORY_SYNC)
    assert synced.count() == ManagedEnvironment.objects.filter(workspace__slug=DEMO_WORKSPACE_SLUG).count()

    # A restart repeats nothing.
    runs = OperationRun.objects.count()
    seed_demo()
    with django_capture_on_commit_callbacks(execute=True):
        assert demo_advance().done
    assert OperationRun.objects.count() == runs


def test_a_busy_environment_is_synced_on_a_later_call(graph_settings, django_capture_on_commit_callbacks):
    seed_demo()
    fabrikam = _env(DEMO_COMPARED_TENANT_IDS[0])
    check = queued_run(fabrikam, kind=OperationType.PROVIDER_HEALTH_CHECK)
    with django_capture_on_commit_callbacks(execute=True):
        progress = demo_advance()
    assert not progress.done
    assert not OperationRun.objects.filter(environment=fabrikam, type=OperationType.INVENTORY_SYNC).exists()
    assert not BaselineCompareResult.objects.filter(environment=fabrikam).exists()

    OperationRunService.cancel(check.pk)  # the environment is free again
    _advance_until_done(django_capture_on_commit_callbacks)
    result = BaselineCompareResult.objects.get(environment=fabrikam)
    assert result.counts["drift"] >= 1


def test_the_demo_worker_runs_the_chain_as_a_periodic_job():
    """``tenantpilot demo`` names ``tenantpilot.demo_worker`` for its worker; other workers never run it."""
    code = (
        "import django; django.setup(); from tenantpilot.operations.registry import periodic_jobs; "
        "print(','.join(j.name for j in periodic_jobs()))"
    )
    base = {k: v for k, v in os.environ.items() if k != "TENANTPILOT_OPERATION_MODULES"}
    base["DJANGO_SETTINGS_MODULE"] = "tenantpilot.settings.test"
    jobs = {}
    for modules in ("", DEMO_WORKER_MODULE):
        result = subprocess.run(
            [sys.executable, "-c", code],
            env={**base, "TENANTPILOT_OPERATION_MODULES": modules},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        jobs[modules] = set(result.stdout.strip().splitlines()[-1].split(","))
    assert "demo-chain" in jobs[DEMO_WORKER_MODULE] and "schedules" in jobs[DEMO_WORKER_MODULE]
    assert "demo-chain" not in jobs[""]
