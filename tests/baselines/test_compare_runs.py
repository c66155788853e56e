"""Baseline compare as an operation run on the simulator: drift truth, evidence, identities."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from graphsim import fixtures_catalog as fx
from graphsim.faults import FaultRule
from tenantpilot.audit.models import AuditLog
from tenantpilot.baselines import services
from tenantpilot.baselines.models import BaselineCompareItem
from tenantpilot.core.errors import ValidationFailed
from tenantpilot.inventory.models import InventoryItem
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.services import ScopeBusy
from tenantpilot.providers import services as provider_services
from tenantpilot.resources.choices import BindingStatus, ResolutionMode
from tenantpilot.resources.models import ProviderResourceBinding
from tests.baselines.support import captured_profile, compared, contoso, execute, fabrikam, synced
from tests.inventory.support import run_now, secret_connection

pytestmark = pytest.mark.django_db

# graphsim's README: Fabrikam = Contoso with these seeded differences and nothing else.
SEEDED_DRIFT = {
    ("deviceConfigurations", "WIN - Device restrictions"),
    ("configurationPolicies", "WIN - Defender antivirus"),
    ("deviceCompliancePolicies", "WIN - Compliance"),
    ("deviceManagementScripts", "WIN - Set time zone"),  # the script body differs (graphsim/README.md)
}
SEEDED_MISSING = {("deviceConfigurations", "IOS - Device restrictions")}
SEEDED_UNEXPECTED = {("deviceConfigurations", "WIN - Legacy kiosk restrictions")}
NON_FINDINGS = {"match", "excluded", "accepted_limitation", "missing_expected"}


def _by_outcome(result) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = {}
    for item in BaselineCompareItem.objects.filter(result=result):
        out.setdefault(item.outcome, set()).add((item.policy_type, item.label))
    return out


def test_fabrikam_against_contoso_shows_exactly_its_seeded_drifts(world, graph_settings):
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    profile = captured_profile(world, golden)
    run, result = compared(world, profile, drifted)
    outcomes = _by_outcome(result)
    assert outcomes.get("drift", set()) == SEEDED_DRIFT
    assert outcomes.get("missing", set()) == SEEDED_MISSING
    assert outcomes.get("unexpected", set()) == SEEDED_UNEXPECTED
    assert set(outcomes) - {"drift", "missing", "unexpected"} <= NON_FINDINGS, outcomes
    assert not result.evidence_stale and result.incomplete_types == []
    assert run.outcome == "succeeded"
    assert run.summary_counts["outcome.drift"] == len(SEEDED_DRIFT)
    assert run.summary_counts["outcome.missing"] == 1
    assert run.summary_counts["outcome.unexpected"] == 1
    assert result.counts["drift"] == len(SEEDED_DRIFT)
    pua = BaselineCompareItem.objects.get(result=result, baseline_label="WIN - Defender antivirus")
    assert any("puaprotection" in change["path"].lower() or "pua" in str(change).lower() for change in pua.changes)
    restrictions = BaselineCompareItem.objects.get(result=result, baseline_label="WIN - Device restrictions")
    paths = {change["path"] for change in restrictions.changes}
    assert any("passwordMinimumLength" in p for p in paths) and any("cameraBlocked" in p for p in paths)
    assert AuditLog.objects.filter(action="baseline.compare_recorded", environment=drifted, actor=None).count() == 1


def test_contoso_against_itself_is_all_match_and_records_identities(world, graph_settings):
    golden = synced(contoso(world))
    profile = captured_profile(world, golden)
    run, result = compared(world, profile, golden)
    outcomes = _by_outcome(result)
    assert set(outcomes) == {"match"}, outcomes
    assert run.summary_counts["identities_recorded"] > 0
    recorded = ProviderResourceBinding.objects.filter(environment=golden, binding_status=BindingStatus.ACTIVE)
    assert recorded.filter(resolution_mode=ResolutionMode.EXACT_PROVIDER_IDENTITY).exists()
    count = recorded.count()
    # Idempotent: a second compare records nothing new.
    run2 = execute(services.baseline_compare_start(actor=world.owner, profile=profile, environment=golden))
    assert run2.summary_counts["identities_recorded"] == 0
    assert recorded.count() == count


def test_identity_survives_a_change_of_default_connection(world, graph_settings):
    golden = synced(contoso(world))
    profile = captured_profile(world, golden)
    _run, first = compared(world, profile, golden)
    second_connection = secret_connection(world, golden, name="Second reader")
    provider_services.connection_set_default(actor=world.owner, connection=second_connection)
    _run, again = compared(world, profile, golden)
    assert _by_outcome(again) == _by_outcome(first) == {"match": _by_outcome(first)["match"]}
    assert again.provider_key == first.provider_key


def test_compare_with_a_failed_type_reports_unknown_never_missing(world, graph_settings):
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    profile = captured_profile(world, golden)
    graph_settings.add_fault(
        FaultRule(
            tenant_id=fx.DRIFTED_TENANT_ID,
            path_contains="deviceManagement/deviceConfigurations",
            status=403,
            retry_after=None,
            times=None,
        )
    )
    partial = run_now(drifted)
    assert partial.outcome == "partially_succeeded"
    run, result = compared(world, profile, drifted)
    assert "deviceConfigurations" in result.incomplete_types
    rows = BaselineCompareItem.objects.filter(result=result, policy_type="deviceConfigurations")
    assert rows.exists()
    assert not rows.filter(outcome__in=["missing", "unexpected"]).exists()
    assert rows.filter(outcome="unknown", baseline_label="IOS - Device restrictions").exists()
    assert run.outcome == "partially_succeeded" and run.summary_counts["outcome.unknown"] >= 1


def test_stale_evidence_is_flagged_on_the_result(world, graph_settings):
    golden = synced(contoso(world))
    profile = captured_profile(world, golden, max_evidence_age_hours=1)
    OperationRun.objects.filter(environment=golden, type="inventory.sync").update(
        finished_at=timezone.now() - dt.timedelta(hours=3)
    )
    run, result = compared(world, profile, golden)
    assert result.evidence_stale and "older" in result.evidence_note
    assert run.outcome == "partially_succeeded"


def test_compare_dedupes_and_refuses_a_busy_scope(world, graph_settings):
    golden = synced(contoso(world))
    profile = captured_profile(world, golden)
    services.profile_assign(actor=world.owner, profile=profile, environment=golden)
    first = services.baseline_compare_start(actor=world.owner, profile=profile, environment=golden)
    again = services.baseline_compare_start(actor=world.owner, profile=profile, environment=golden)
    assert again.deduped and again.run.pk == first.run.pk
    with pytest.raises(ScopeBusy):
        services.baseline_capture_start(actor=world.owner, profile=profile, source_environment=golden)


def test_compare_needs_an_assignment_and_a_snapshot(world, graph_settings):
    golden = synced(contoso(world))
    profile = services.profile_create(actor=world.owner, workspace=world.a, name="Empty")
    services.profile_assign(actor=world.owner, profile=profile, environment=golden)
    with pytest.raises(ValidationFailed) as exc:
        services.baseline_compare_start(actor=world.owner, profile=profile, environment=golden)
    assert exc.value.field == "profile"
    other = captured_profile(world, golden, name="Other")
    with pytest.raises(ValidationFailed) as exc:
        services.baseline_compare_start(actor=world.owner, profile=other, environment=world.a1)
    assert exc.value.field == "environment"


def test_compare_loads_in_a_constant_number_of_queries(world, graph_settings):
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    profile = captured_profile(world, golden)
    compared(world, profile, golden)  # records identities once
    services.profile_assign(actor=world.owner, profile=profile, environment=drifted)

    def queries_of_compare(environment) -> int:
        started = services.baseline_compare_start(actor=world.owner, profile=profile, environment=environment)
        with CaptureQueriesContext(connection) as ctx:
            execute(started)
        return len(ctx.captured_queries)

    # Contoso and Fabrikam differ in their number of items and subjects resolved by name; once
    # identities are recorded the number of queries is the same.
    queries_of_compare(drifted)  # records Fabrikam's built-in identities once
    on_golden, on_drifted = queries_of_compare(golden), queries_of_compare(drifted)
    assert on_golden == on_drifted
    assert InventoryItem.objects.filter(environment=golden).count() > 30
    assert on_golden < 60
