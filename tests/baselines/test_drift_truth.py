"""Drift truth on the simulator's shipped tenants: no false drift, no missed drift.

Every test syncs real simulated tenants over HTTPS, captures the golden Contoso baseline and
compares through the real operation runs; decisions go through the resolution services. Cases
the shipped fixtures lack are made by changing a tenant through graphsim's ``TenantState``
before its sync (the shipped fixtures stay as other tests pin them).
"""

from __future__ import annotations

import json
import re

import pytest

from graphsim import fixtures_catalog as fx
from graphsim.tenants import stable_guid
from tenantpilot.baselines import services
from tenantpilot.baselines import services_resolution as resolution
from tenantpilot.baselines.models import BaselineCompareItem, BaselineCompareResult
from tenantpilot.inventory.models import InventoryItem
from tenantpilot.resources import services as binding_services
from tenantpilot.resources.choices import BindingStatus, ResolutionMode
from tenantpilot.resources.models import ProviderResourceBinding
from tenantpilot.resources.selectors import inventory_item_descriptor
from tenantpilot.resources.services import ACCEPTED_CONTENT_REASON
from tests.baselines.support import captured_profile, compared, contoso, execute, fabrikam, synced
from tests.inventory.support import golden_environment, run_now

pytestmark = pytest.mark.django_db

NOTE = "Decided while proving drift truth."
ZERO_GUID = "00000000-0000-0000-0000-000000000000"
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)

# graphsim's README: Fabrikam = Contoso with these seeded differences and nothing else.
SEEDED_DRIFT = {
    ("deviceConfigurations", "WIN - Device restrictions"),
    ("configurationPolicies", "WIN - Defender antivirus"),
    ("deviceCompliancePolicies", "WIN - Compliance"),
    # graphsim's fixtures_build: "the one seeded drift among the issue-10 types".
    ("deviceManagementScripts", "WIN - Set time zone"),
}
SEEDED_MISSING = {("deviceConfigurations", "IOS - Device restrictions")}
SEEDED_UNEXPECTED = {("deviceConfigurations", "WIN - Legacy kiosk restrictions")}
FINDINGS = {"drift", "missing", "unexpected", "ambiguous_match", "unknown"}

CONFIGS = "deviceManagement/deviceConfigurations"
CATALOG = "deviceManagement/configurationPolicies"
COMPLIANCE = "deviceManagement/deviceCompliancePolicies"


def northwind(world):
    return golden_environment(
        world,
        tenant_id=fx.DUPLICATES_TENANT_ID,
        client_id=fx.DUPLICATES_CLIENT_ID,
        secret=fx.DUPLICATES_CLIENT_SECRET,
        name="Northwind",
    )


def tailspin(world):
    return golden_environment(
        world,
        tenant_id=fx.RENAMED_TENANT_ID,
        client_id=fx.RENAMED_CLIENT_ID,
        secret=fx.RENAMED_CLIENT_SECRET,
        name="Tailspin",
    )


def recompare(world, profile, environment) -> BaselineCompareResult:
    run = execute(services.baseline_compare_start(actor=world.owner, profile=profile, environment=environment))
    result = BaselineCompareResult.objects.get(operation_run=run)
    return result


def by_outcome(result) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = {}
    for item in BaselineCompareItem.objects.filter(result=result):
        out.setdefault(item.outcome, set()).add((item.policy_type, item.label))
    return out


def row(result, label: str, **filters) -> BaselineCompareItem:
    rows = BaselineCompareItem.objects.filter(result=result, **filters)
    # A baseline subject by its baseline name, else a resource outside the baseline by its own name.
    matching = [r for r in rows if r.baseline_label == label] or [
        r for r in rows if not r.baseline_label and r.target_label == label
    ]
    assert len(matching) == 1, [(r.outcome, r.baseline_label, r.target_label) for r in rows]
    return matching[0]


def by_name(state, key: str, name: str) -> dict:
    found = [i for i in state.items(key) if (i.get("displayName") or i.get("name")) == name]
    assert len(found) == 1, name
    return found[0]


def tenant_reference_ids(state) -> set[str]:
    """Ids of groups, assignment filters and scope tags: tenant-specific, never shown in a diff."""
    ids = set()
    for key in ("groups", "deviceManagement/assignmentFilters"):
        ids |= {str(i["id"]).lower() for i in state.items(key)}
    return ids


# -- Fabrikam: the drifted tenant ------------------------------------------------------------------


def test_fabrikam_shows_exactly_its_seeded_drifts_and_no_tenant_ids(world, graph_settings):
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    profile = captured_profile(world, golden)
    _run, result = compared(world, profile, drifted)
    outcomes = by_outcome(result)
    assert outcomes.get("drift", set()) == SEEDED_DRIFT
    assert outcomes.get("missing", set()) == SEEDED_MISSING
    assert outcomes.get("unexpected", set()) == SEEDED_UNEXPECTED
    assert set(outcomes) - {"drift", "missing", "unexpected"} == {"match"}, outcomes
    diff_text = json.dumps([i.changes for i in BaselineCompareItem.objects.filter(result=result)]).lower()
    reference_ids = tenant_reference_ids(graph_settings.tenant(fx.GOLDEN_TENANT_ID)) | tenant_reference_ids(
        graph_settings.tenant(fx.DRIFTED_TENANT_ID)
    )
    assert reference_ids and not any(ref in diff_text for ref in reference_ids)
    restrictions = row(result, "WIN - Device restrictions")
    changed = {c["path"]: (c["baseline"], c["target"]) for c in restrictions.changes}
    assert changed["passwordMinimumLength"][1] == 8
    assert changed["cameraBlocked"][1] is True


def test_a_changed_group_assignment_shows_group_names_not_guids(world, graph_settings):
    state = graph_settings.tenant(fx.DRIFTED_TENANT_ID)
    pilot = next(g for g in state.items("groups") if g["displayName"] == "SG-Intune-Pilot")
    policy = by_name(state, CONFIGS, "WIN - Endpoint protection")
    policy["assignments"][0]["target"]["groupId"] = pilot["id"]
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    profile = captured_profile(world, golden)
    _run, result = compared(world, profile, drifted)
    assert by_outcome(result)["drift"] == SEEDED_DRIFT | {("deviceConfigurations", "WIN - Endpoint protection")}
    changes = row(result, "WIN - Endpoint protection").changes
    text = json.dumps(changes)
    assert "SG-Intune-Pilot" in text and "SG-Intune-Windows-Devices" in text
    assert not GUID.search(text), changes


def test_an_unset_filter_spelled_null_absent_or_zero_guid_is_not_drift(world, graph_settings):
    state = graph_settings.tenant(fx.DRIFTED_TENANT_ID)
    oma = by_name(state, CONFIGS, "WIN - Custom OMA-URI")["assignments"][0]["target"]
    oma.update(deviceAndAppManagementAssignmentFilterId=ZERO_GUID, deviceAndAppManagementAssignmentFilterType="none")
    mac = by_name(state, CONFIGS, "MAC - Device restrictions")["assignments"][0]["target"]
    mac.pop("deviceAndAppManagementAssignmentFilterId")
    golden_target = by_name(graph_settings.tenant(fx.GOLDEN_TENANT_ID), CONFIGS, "WIN - Custom OMA-URI")
    assert golden_target["assignments"][0]["target"]["deviceAndAppManagementAssignmentFilterId"] is None
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    profile = captured_profile(world, golden)
    _run, result = compared(world, profile, drifted)
    assert row(result, "WIN - Custom OMA-URI").outcome == "match"
    assert row(result, "MAC - Device restrictions").outcome == "match"
    assert by_outcome(result)["drift"] == SEEDED_DRIFT


def test_settings_assignments_and_tags_in_another_order_are_not_drift(world, graph_settings):
    state = graph_settings.tenant(fx.DRIFTED_TENANT_ID)
    for name in ("WIN - Logon banner", "WIN - BitLocker", "WIN - Defender antivirus"):
        policy = by_name(state, CATALOG, name)
        policy["settings"].reverse()
        policy["assignments"].reverse()
    restrictions = by_name(state, CONFIGS, "WIN - Device restrictions")
    restrictions["assignments"].reverse()
    assert len(by_name(state, CATALOG, "WIN - Logon banner")["settings"]) >= 2
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    profile = captured_profile(world, golden)
    _run, result = compared(world, profile, drifted)
    assert by_outcome(result)["drift"] == SEEDED_DRIFT
    assert row(result, "WIN - Logon banner").outcome == "match"
    assert row(result, "WIN - BitLocker").outcome == "match"
    defender = row(result, "WIN - Defender antivirus")
    assert [c["path"] for c in defender.changes] and all("puaprotection" in c["path"] for c in defender.changes)
    assert not any(c["path"].startswith("assignments") for c in row(result, "WIN - Device restrictions").changes)


# -- built-ins and virtual targets ----------------------------------------------------------------


def test_builtins_and_virtual_targets_never_drift_or_go_missing_in_any_shipped_tenant(world, graph_settings):
    golden = synced(contoso(world))
    profile = captured_profile(world, golden)
    builtin_subjects = 0
    for make in (fabrikam, northwind, tailspin):
        environment = synced(make(world))
        _run, result = compared(world, profile, environment)
        rows = list(BaselineCompareItem.objects.filter(result=result))
        provider_canonical = [
            r for r in rows if ":builtin:" in r.canonical_subject_key or ":virtual-target:" in r.canonical_subject_key
        ]
        assert provider_canonical, environment.display_name
        bad = [(r.label, r.outcome) for r in provider_canonical if r.outcome != "match"]
        assert not bad, (environment.display_name, bad)
        builtin_subjects = max(builtin_subjects, len(provider_canonical))
        # Assignments to All users / All devices and the Default scope tag never show in a diff.
        for r in rows:
            text = json.dumps(r.changes)
            assert "allDevices" not in text and "allLicensedUsers" not in text, (r.label, r.changes)
            assert "roleScopeTag" not in text, (r.label, r.changes)
    assert builtin_subjects >= 5  # the five enrollment defaults
    # Northwind's custom "All users and all devices" enrollment limit is a real extra, not the built-in.
    extra = BaselineCompareItem.objects.filter(
        result__environment__display_name="Northwind",
        outcome="unexpected",
        policy_type="deviceEnrollmentConfigurations",
    )
    assert [r.target_label for r in extra] == ["All users and all devices"]


# -- Northwind: duplicate display names -------------------------------------------------------------


def test_northwind_duplicates_are_ambiguous_listing_every_candidate_until_bound_then_match(world, graph_settings):
    golden, dupes = synced(contoso(world)), synced(northwind(world))
    profile = captured_profile(world, golden)
    _run, result = compared(world, profile, dupes)
    state = graph_settings.tenant(fx.DUPLICATES_TENANT_ID)
    twins = {
        ("deviceConfigurations", "WIN - Device restrictions", CONFIGS),
        ("deviceCompliancePolicies", "WIN - Compliance", COMPLIANCE),
        ("configurationPolicies", "WIN - Logon banner", CATALOG),
    }
    assert by_outcome(result)["ambiguous_match"] == {(t, n) for t, n, _k in twins}
    for policy_type, name, key in twins:
        item = row(result, name, policy_type=policy_type)
        listed = {c["object_id"] for c in item.candidates}
        in_tenant = {str(i["id"]) for i in state.items(key) if (i.get("displayName") or i.get("name")) == name}
        assert listed == in_tenant and len(listed) == 2
        original = next(
            c for c in item.candidates if c["object_id"] != stable_guid(fx.DUPLICATES_TENANT_ID, "twin", name)
        )
        resolution.resolve_bind_candidate(
            actor=world.owner, environment=dupes, compare_item=item, inventory_item_id=original["item_id"], note=NOTE
        )
    again = recompare(world, profile, dupes)
    for policy_type, name, _key in twins:
        item = row(again, name, policy_type=policy_type)
        assert (item.outcome, item.reason, item.binding_mode) == ("match", "binding", "manual_binding"), name
    outcomes = by_outcome(again)
    assert "ambiguous_match" not in outcomes
    # The twins bound to nothing are now honestly unexpected (plus the custom enrollment limit).
    assert {n for _t, n in outcomes["unexpected"]} == {
        "WIN - Device restrictions",
        "WIN - Compliance",
        "WIN - Logon banner",
        "All users and all devices",
    }


def test_binding_the_twin_instead_shows_its_real_difference(world, graph_settings):
    golden, dupes = synced(contoso(world)), synced(northwind(world))
    profile = captured_profile(world, golden)
    _run, result = compared(world, profile, dupes)
    item = row(result, "WIN - Device restrictions", policy_type="deviceConfigurations")
    twin_id = stable_guid(fx.DUPLICATES_TENANT_ID, "twin", "WIN - Device restrictions")
    twin = next(c for c in item.candidates if c["object_id"] == twin_id)
    resolution.resolve_bind_candidate(
        actor=world.owner, environment=dupes, compare_item=item, inventory_item_id=twin["item_id"], note=NOTE
    )
    bound = row(
        recompare(world, profile, dupes),
        "WIN - Device restrictions",
        policy_type="deviceConfigurations",
        outcome="drift",
    )
    paths = {c["path"] for c in bound.changes}
    assert "passwordMinimumLength" in paths and bound.target_object_id == twin_id


# -- Tailspin: renamed policies ---------------------------------------------------------------------


def test_tailspin_renamed_is_missing_plus_unexpected_until_bound_then_a_renamed_match(world, graph_settings):
    golden, renamed = synced(contoso(world)), synced(tailspin(world))
    profile = captured_profile(world, golden)
    _run, before = compared(world, profile, renamed)
    before_outcomes = by_outcome(before)
    assert ("deviceConfigurations", "WIN - Device restrictions") in before_outcomes["missing"]
    assert ("deviceConfigurations", "Windows - Device Restrictions (v2)") in before_outcomes["unexpected"]
    missing = row(before, "WIN - Device restrictions", outcome="missing")
    target = row(before, "Windows - Device Restrictions (v2)", outcome="unexpected")
    binding = resolution.resolve_bind_other(
        actor=world.owner, environment=renamed, compare_item=missing, inventory_item_id=target.target_item_id, note=NOTE
    )
    after = recompare(world, profile, renamed)
    bound = row(after, "WIN - Device restrictions", policy_type="deviceConfigurations")
    assert (bound.outcome, bound.renamed, bound.reason) == ("match", True, "binding")
    assert bound.target_label == "Windows - Device Restrictions (v2)"
    assert ("deviceConfigurations", "Windows - Device Restrictions (v2)") not in by_outcome(after).get(
        "unexpected", set()
    )

    # Revoking the binding brings the earlier outcome back.
    fresh = row(after, "WIN - Device restrictions", policy_type="deviceConfigurations")
    resolution.resolve_revoke(actor=world.owner, environment=renamed, compare_item=fresh, note=NOTE)
    assert ProviderResourceBinding.objects.get(pk=binding.pk).binding_status == BindingStatus.REVOKED
    reverted = recompare(world, profile, renamed)
    assert by_outcome(reverted) == before_outcomes


def test_a_binding_takes_precedence_over_name_matching(world, graph_settings):
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    profile = captured_profile(world, golden)
    _run, result = compared(world, profile, drifted)
    oma = row(result, "WIN - Custom OMA-URI")
    assert (oma.outcome, oma.reason) == ("match", "subject_key")
    endpoint = row(result, "WIN - Endpoint protection")
    # The operator says the OMA-URI subject *is* the resource named "WIN - Endpoint protection".
    binding_services.binding_create_manual(
        actor=world.owner,
        environment=drifted,
        descriptor=inventory_item_descriptor(InventoryItem.objects.get(pk=endpoint.target_item_id)),
        canonical_subject_key=oma.canonical_subject_key,
        note=NOTE,
    )
    again = recompare(world, profile, drifted)
    bound = row(again, "WIN - Custom OMA-URI", policy_type="deviceConfigurations", reason="binding")
    assert bound.target_object_id == endpoint.target_object_id and bound.renamed
    assert bound.outcome == "drift"
    outcomes = by_outcome(again)
    # The name-matched resource is no longer taken by name, and the resource the binding took is
    # no candidate for its own name any more.
    assert ("deviceConfigurations", "WIN - Custom OMA-URI") in outcomes["unexpected"]
    assert ("deviceConfigurations", "WIN - Endpoint protection") in outcomes["missing"]


# -- accepted is still watched ----------------------------------------------------------------------


def test_an_accepted_drift_stays_accepted_until_the_target_changes(world, graph_settings):
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    profile = captured_profile(world, golden)
    _run, result = compared(world, profile, drifted)
    item = row(result, "WIN - Compliance", outcome="drift")
    binding = resolution.resolve_accept(actor=world.owner, environment=drifted, compare_item=item, note=NOTE)
    assert binding.resolution_reason == ACCEPTED_CONTENT_REASON
    assert binding.provider_resource_fingerprint == item.target_content_hash

    accepted = row(recompare(world, profile, drifted), "WIN - Compliance", policy_type="deviceCompliancePolicies")
    assert (accepted.outcome, accepted.changed_since_accepted) == ("accepted_limitation", False)

    # Unchanged after a new sync: still accepted.
    assert run_now(drifted).outcome == "succeeded"
    still = row(recompare(world, profile, drifted), "WIN - Compliance", policy_type="deviceCompliancePolicies")
    assert still.outcome == "accepted_limitation"

    state = graph_settings.tenant(fx.DRIFTED_TENANT_ID)
    policy = by_name(state, COMPLIANCE, "WIN - Compliance")
    state.update_item(COMPLIANCE, policy["id"], passwordMinimumLength=(policy.get("passwordMinimumLength") or 0) + 3)
    assert run_now(drifted).outcome == "succeeded"
    changed = row(recompare(world, profile, drifted), "WIN - Compliance", policy_type="deviceCompliancePolicies")
    assert (changed.outcome, changed.changed_since_accepted) == ("drift", True)
    assert any(c["path"] == "passwordMinimumLength" for c in changed.changes)
    assert changed.binding_id == binding.pk


def test_re_accepting_a_changed_limitation_supersedes_it_with_the_new_fingerprint(world, graph_settings):
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    profile = captured_profile(world, golden)
    _run, result = compared(world, profile, drifted)
    first = resolution.resolve_accept(
        actor=world.owner, environment=drifted, compare_item=row(result, "WIN - Compliance", outcome="drift"), note=NOTE
    )
    state = graph_settings.tenant(fx.DRIFTED_TENANT_ID)
    policy = by_name(state, COMPLIANCE, "WIN - Compliance")
    state.update_item(COMPLIANCE, policy["id"], passwordMinimumLength=(policy.get("passwordMinimumLength") or 0) + 5)
    run_now(drifted)
    changed = row(recompare(world, profile, drifted), "WIN - Compliance", policy_type="deviceCompliancePolicies")
    assert changed.changed_since_accepted
    second = resolution.resolve_supersede(
        actor=world.owner,
        environment=drifted,
        compare_item=changed,
        resolution_mode=ResolutionMode.ACCEPTED_LIMITATION.value,
        note="Accepted again after the change.",
    )
    assert second.provider_resource_fingerprint == changed.target_content_hash != first.provider_resource_fingerprint
    assert ProviderResourceBinding.objects.get(pk=first.pk).binding_status == BindingStatus.SUPERSEDED
    final = row(recompare(world, profile, drifted), "WIN - Compliance", policy_type="deviceCompliancePolicies")
    assert (final.outcome, final.changed_since_accepted) == ("accepted_limitation", False)
