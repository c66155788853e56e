"""Microsoft-created objects never show as unexpected or missing drift (synced from graphsim, compared).

Microsoft-managed Conditional Access policies exist in each tenant under that tenant's own policy
id, and their display names differ between exports (with or without the "Microsoft-managed:"
prefix). The adapter keys them by Microsoft's managed template id, so the golden tenant's policy
is the drifted tenant's policy, and one Microsoft rolled out only to the target is not the
tenant's extra policy. Built-in Intune roles and Microsoft-published remediations likewise.
"""

from __future__ import annotations

import pytest

from graphsim import fixtures_catalog as fx
from graphsim.tenants import stable_guid
from tenantpilot.baselines.models import BaselineCompareItem
from tests.baselines.support import captured_profile, compared, contoso, fabrikam, synced

pytestmark = pytest.mark.django_db

CA = "identity/conditionalAccess/policies"
HEALTH = "deviceManagement/deviceHealthScripts"
PARTNER_MFA = "4200930c-0da2-4e33-ca01-000000000005"
RISKY_SIGN_INS = "4200930c-0da2-4e33-ca01-000000000007"
# graphsim's README: Fabrikam = Contoso with these seeded differences and nothing else.
SEEDED_DRIFT = {
    ("deviceConfigurations", "WIN - Device restrictions"),
    ("configurationPolicies", "WIN - Defender antivirus"),
    ("deviceCompliancePolicies", "WIN - Compliance"),
    ("deviceManagementScripts", "WIN - Set time zone"),
}


def _managed_policy(tenant_id: str, template_id: str, name: str, state: str = "enabled") -> dict:
    return {
        "id": stable_guid(tenant_id, "ms-managed-ca", template_id),
        "templateId": template_id,
        "displayName": name,
        "createdDateTime": "2025-02-12T22:01:32.2461656Z",
        "modifiedDateTime": "2025-05-14T20:18:55.0820676Z",
        "state": state,
        "sessionControls": None,
        "conditions": {
            "clientAppTypes": ["all"],
            "applications": {"includeApplications": ["All"], "excludeApplications": []},
            "users": {"includeUsers": ["All"], "excludeUsers": [], "excludeRoles": []},
        },
        "grantControls": {"operator": "OR", "builtInControls": ["mfa"], "authenticationStrength": None},
    }


def _global_remediation(name: str) -> dict:
    # One Microsoft-published script, the same object in every tenant.
    return {
        "@odata.type": "#microsoft.graph.deviceHealthScript",
        "id": stable_guid("microsoft", "global-remediation", name),
        "displayName": name,
        "publisher": "Microsoft",
        "isGlobalScript": True,
        "detectionScriptContent": "",
        "remediationScriptContent": "",
        "runAsAccount": "system",
        "assignments": [],
    }


def _outcomes(result) -> dict[str, set[tuple[str, str]]]:
    out: dict[str, set[tuple[str, str]]] = {}
    for row in BaselineCompareItem.objects.filter(result=result):
        out.setdefault(row.outcome, set()).add((row.policy_type, row.label))
    return out


def _seed(graph_settings, *, drifted_state: str = "enabled") -> None:
    golden = graph_settings.tenant(fx.GOLDEN_TENANT_ID)
    drifted = graph_settings.tenant(fx.DRIFTED_TENANT_ID)
    golden.add_item(CA, _managed_policy(fx.GOLDEN_TENANT_ID, PARTNER_MFA, "Microsoft-managed: MFA for partners"))
    drifted.add_item(CA, _managed_policy(fx.DRIFTED_TENANT_ID, PARTNER_MFA, "MFA for partners", drifted_state))
    # Rolled out by Microsoft to the target only.
    drifted.add_item(
        CA,
        _managed_policy(fx.DRIFTED_TENANT_ID, RISKY_SIGN_INS, "Microsoft-managed: MFA for risky sign-ins", "disabled"),
    )
    golden.add_item(HEALTH, _global_remediation("Restart stopped Office C2R svc"))
    drifted.add_item(HEALTH, _global_remediation("Restart stopped Office C2R svc"))
    drifted.add_item(HEALTH, _global_remediation("Update stale Group Policies"))


def test_microsoft_created_objects_match_by_their_builtin_key_and_are_never_unexpected(world, graph_settings):
    _seed(graph_settings)
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    profile = captured_profile(world, golden)
    _run, result = compared(world, profile, drifted)
    outcomes = _outcomes(result)
    assert outcomes.get("drift", set()) == SEEDED_DRIFT
    assert outcomes.get("missing", set()) == {("deviceConfigurations", "IOS - Device restrictions")}
    assert outcomes.get("unexpected", set()) == {("deviceConfigurations", "WIN - Legacy kiosk restrictions")}
    assert set(outcomes) - {"drift", "missing", "unexpected"} == {"match"}, outcomes
    partner = BaselineCompareItem.objects.get(
        result=result, canonical_subject_key__endswith=f"conditionalAccessPolicies/template/{PARTNER_MFA}"
    )
    assert partner.outcome == "match"
    assert ":builtin:" in partner.canonical_subject_key
    # Matched under another name and another policy id, by Microsoft's template id.
    assert (partner.baseline_label, partner.target_label) == ("Microsoft-managed: MFA for partners", "MFA for partners")
    builtin_rows = BaselineCompareItem.objects.filter(result=result, canonical_subject_key__contains=":builtin:")
    labels = {(r.policy_type, r.outcome) for r in builtin_rows}
    assert ("deviceHealthScripts", "match") in labels and ("roleDefinitions", "match") in labels
    assert not any("risky" in (r.target_label or "").lower() for r in BaselineCompareItem.objects.filter(result=result))


def test_a_changed_state_of_a_microsoft_managed_policy_is_drift_not_missing(world, graph_settings):
    _seed(graph_settings, drifted_state="disabled")
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    profile = captured_profile(world, golden)
    _run, result = compared(world, profile, drifted)
    partner = BaselineCompareItem.objects.get(
        result=result, canonical_subject_key__endswith=f"conditionalAccessPolicies/template/{PARTNER_MFA}"
    )
    assert partner.outcome == "drift"
    assert [c["path"] for c in partner.changes] == ["state"]
    assert _outcomes(result)["drift"] == SEEDED_DRIFT | {
        ("conditionalAccessPolicies", "Microsoft-managed: MFA for partners")
    }
