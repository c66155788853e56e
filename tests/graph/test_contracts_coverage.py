"""Contract tests for the issue-10 types: shape, paging, permission and API version, each
checked against graphsim (shipped golden tenant) over real HTTPS."""

from __future__ import annotations

import httpx
import pytest

from graphsim import fixtures_catalog as fx
from tenantpilot.graph.contracts import CONTRACTS, get_contract
from tenantpilot.inventory.choices import POLICY_TYPE_SPECS

# type → (list contract, API version, least-privileged application permission, golden count)
COVERAGE = {
    "compliancePolicies": ("compliancePolicies.list", "beta", "DeviceManagementConfiguration.Read.All", 1),
    "intents": ("intents.list", "beta", "DeviceManagementConfiguration.Read.All", 1),
    "windowsAutopilotDeploymentProfiles": (
        "windowsAutopilotDeploymentProfiles.list",
        "beta",
        "DeviceManagementServiceConfig.Read.All",
        1,
    ),
    "windowsFeatureUpdateProfiles": (
        "windowsFeatureUpdateProfiles.list",
        "beta",
        "DeviceManagementConfiguration.Read.All",
        1,
    ),
    "windowsQualityUpdateProfiles": (
        "windowsQualityUpdateProfiles.list",
        "beta",
        "DeviceManagementConfiguration.Read.All",
        1,
    ),
    "windowsDriverUpdateProfiles": (
        "windowsDriverUpdateProfiles.list",
        "beta",
        "DeviceManagementConfiguration.Read.All",
        1,
    ),
    "deviceManagementScripts": ("deviceManagementScripts.list", "beta", "DeviceManagementScripts.Read.All", 1),
    "deviceShellScripts": ("deviceShellScripts.list", "beta", "DeviceManagementScripts.Read.All", 1),
    "deviceHealthScripts": ("deviceHealthScripts.list", "beta", "DeviceManagementScripts.Read.All", 1),
    "deviceComplianceScripts": ("deviceComplianceScripts.list", "beta", "DeviceManagementScripts.Read.All", 1),
    "reusablePolicySettings": ("reusablePolicySettings.list", "beta", "DeviceManagementConfiguration.Read.All", 1),
    "notificationMessageTemplates": (
        "notificationMessageTemplates.list",
        "beta",
        "DeviceManagementServiceConfig.Read.All",
        1,
    ),
    "roleDefinitions": ("roleDefinitions.list", "beta", "DeviceManagementRBAC.Read.All", 2),
    "deviceCategories": ("deviceCategories.list", "beta", "DeviceManagementManagedDevices.Read.All", 2),
    "mobileApps": ("mobileApps.list", "beta", "DeviceManagementApps.Read.All", 2),
    "mobileAppConfigurations": ("mobileAppConfigurations.list", "beta", "DeviceManagementApps.Read.All", 1),
    "targetedManagedAppConfigurations": (
        "targetedManagedAppConfigurations.list",
        "beta",
        "DeviceManagementApps.Read.All",
        1,
    ),
    "conditionalAccessPolicies": ("conditionalAccessPolicies.list", "v1.0", "Policy.Read.All", 2),
    "deviceCustomAttributeShellScripts": (
        "deviceCustomAttributeShellScripts.list",
        "beta",
        "DeviceManagementScripts.Read.All",
        2,
    ),
    "depOnboardingSettings": ("depOnboardingSettings.list", "beta", "DeviceManagementServiceConfig.Read.All", 1),
}


V1_TOO = {
    "roleDefinitions",
    "deviceCategories",
    "mobileApps",
    "mobileAppConfigurations",
    "notificationMessageTemplates",
}


def _get(sim, contract_name: str, roles: list[str], *, version: str | None = None, top: int | None = None):
    contract = get_contract(contract_name)
    token = sim.mint_access_token(fx.GOLDEN_TENANT_ID, fx.GOLDEN_CLIENT_ID, roles=roles)
    url = f"{sim.graph_base}/{version or contract.api_version}/{contract.relative_url(top=top)}"
    return httpx.get(url, headers={"Authorization": f"Bearer {token}"}, verify=sim.ca_path, timeout=30)


def test_every_covered_type_has_a_spec_and_a_contract_with_evidence():
    for policy_type, (name, version, permission, _count) in COVERAGE.items():
        spec = POLICY_TYPE_SPECS[policy_type]
        assert spec.list_contract == name
        contract = CONTRACTS[name]
        assert (contract.api_version, contract.required_permission) == (version, permission), name
        assert contract.evidence.startswith("https://learn.microsoft.com/graph/api/"), name
        for _key, sub in spec.sub_resources:
            assert CONTRACTS[sub].required_permission == permission, sub
            assert CONTRACTS[sub].evidence, sub


@pytest.mark.parametrize("policy_type", sorted(COVERAGE))
def test_list_answers_in_graph_shape_with_the_least_permission(simulator, policy_type):
    name, _version, permission, count = COVERAGE[policy_type]
    answer = _get(simulator, name, [permission])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert len(body["value"]) == count
    for item in body["value"]:
        assert isinstance(item["id"], str) and item["id"]
    contract = get_contract(name)
    if contract.expand:
        nav = contract.expand.split("(")[0].split(",")[0]
        assert all(isinstance(item[nav], list) for item in body["value"]), "the $expand is honoured inline"


@pytest.mark.parametrize("policy_type", sorted(COVERAGE))
def test_list_is_refused_without_its_permission(simulator, policy_type):
    name, _version, permission, _count = COVERAGE[policy_type]
    others = [p for p in fx.READ_PERMISSIONS if p != permission and p not in CONTRACTS[name].accepted_permissions]
    answer = _get(simulator, name, others)
    assert answer.status_code == 403


@pytest.mark.parametrize("policy_type", sorted(t for t, v in COVERAGE.items() if v[3] > 1))
def test_list_pages_with_top_and_next_link(simulator, policy_type):
    name, _version, permission, count = COVERAGE[policy_type]
    first = _get(simulator, name, [permission], top=1).json()
    assert len(first["value"]) == 1 and "@odata.nextLink" in first
    token = simulator.mint_access_token(fx.GOLDEN_TENANT_ID, fx.GOLDEN_CLIENT_ID, roles=[permission])
    second = httpx.get(
        first["@odata.nextLink"], headers={"Authorization": f"Bearer {token}"}, verify=simulator.ca_path, timeout=30
    ).json()
    assert len(second["value"]) == count - 1
    assert second["value"][0]["id"] != first["value"][0]["id"]


@pytest.mark.parametrize("policy_type", sorted(t for t, v in COVERAGE.items() if v[1] == "beta"))
def test_beta_only_types_are_not_found_on_v1_and_the_others_are(simulator, policy_type):
    name, _version, permission, _count = COVERAGE[policy_type]
    answer = _get(simulator, name, [permission], version="v1.0")
    if policy_type in V1_TOO:  # in v1.0 as well on Graph; the contract reads beta for roleScopeTagIds
        assert answer.status_code == 200
        return
    assert answer.status_code == 400
    assert "Resource not found for the segment" in answer.json()["error"]["message"]


def test_conditional_access_is_read_on_v1(simulator):
    answer = _get(simulator, "conditionalAccessPolicies.list", ["Policy.Read.All"])
    assert answer.status_code == 200
    names = {p["displayName"] for p in answer.json()["value"]}
    assert names == {"CA001 - Require MFA for all users", "CA002 - Require compliant device"}


def _get_by_id(sim, contract_name: str, object_id: str, roles: list[str]):
    contract = get_contract(contract_name)
    token = sim.mint_access_token(fx.GOLDEN_TENANT_ID, fx.GOLDEN_CLIENT_ID, roles=roles)
    url = f"{sim.graph_base}/{contract.api_version}/{contract.relative_url({'id': object_id})}"
    return httpx.get(url, headers={"Authorization": f"Bearer {token}"}, verify=sim.ca_path, timeout=30)


def test_scripts_carry_base64_script_content_on_a_read_by_id(simulator):
    body = _get(simulator, "deviceHealthScripts.list", ["DeviceManagementScripts.Read.All"]).json()
    listed = body["value"][0]
    assert listed["detectionScriptContent"] is None and listed["remediationScriptContent"] is None  # as Graph lists
    script = _get_by_id(simulator, "deviceHealthScripts.get", listed["id"], ["DeviceManagementScripts.Read.All"]).json()
    assert script["detectionScriptContent"] and script["remediationScriptContent"]
    # DeviceManagementConfiguration alone no longer reads scripts (Graph enforces the scripts scope).
    assert _get(simulator, "deviceHealthScripts.list", ["DeviceManagementConfiguration.Read.All"]).status_code == 403


def test_sub_resources_answer_through_their_contracts(simulator):
    policies = _get(simulator, "compliancePolicies.list", ["DeviceManagementConfiguration.Read.All"]).json()["value"]
    token = simulator.mint_access_token(
        fx.GOLDEN_TENANT_ID, fx.GOLDEN_CLIENT_ID, roles=["DeviceManagementConfiguration.Read.All"]
    )
    for sub in ("compliancePolicies.settings", "compliancePolicies.scheduledActionsForRule"):
        contract = get_contract(sub)
        url = f"{simulator.graph_base}/beta/{contract.relative_url({'id': policies[0]['id']})}"
        answer = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, verify=simulator.ca_path, timeout=30)
        assert answer.status_code == 200 and answer.json()["value"], sub


def test_custom_attribute_scripts_need_the_scripts_scope_graph_enforces(simulator):
    body = _get(simulator, "deviceCustomAttributeShellScripts.list", ["DeviceManagementScripts.Read.All"]).json()
    kinds = {s["customAttributeType"] for s in body["value"]}
    assert kinds == {"string", "integer"} and all(s["scriptContent"] is None and s["fileName"] for s in body["value"])
    for listed in body["value"]:
        script = _get_by_id(
            simulator, "deviceCustomAttributeShellScripts.get", listed["id"], ["DeviceManagementScripts.Read.All"]
        ).json()
        assert script["scriptContent"], "the body comes with the read by id"
    # The published table's DeviceManagementConfiguration / ManagedDevices scopes no longer read scripts.
    for legacy in ("DeviceManagementConfiguration.Read.All", "DeviceManagementManagedDevices.Read.All"):
        assert _get(simulator, "deviceCustomAttributeShellScripts.list", [legacy]).status_code == 403


def test_ade_enrollment_profiles_are_read_per_token(simulator):
    permission = "DeviceManagementServiceConfig.Read.All"
    tokens = _get(simulator, "depOnboardingSettings.list", [permission]).json()["value"]
    assert [t["tokenType"] for t in tokens] == ["dep"] and "enrollmentProfiles" not in tokens[0]
    contract = get_contract("depOnboardingSettings.enrollmentProfiles")
    assert contract.placeholders == ("id",) and contract.api_version == "beta"
    assert contract.required_permission == permission and contract.evidence.startswith(
        "https://learn.microsoft.com/graph/api/intune-enrollment-enrollmentprofile-list"
    )
    token = simulator.mint_access_token(fx.GOLDEN_TENANT_ID, fx.GOLDEN_CLIENT_ID, roles=[permission])
    url = f"{simulator.graph_base}/beta/{contract.relative_url({'id': tokens[0]['id']})}"
    answer = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, verify=simulator.ca_path, timeout=30)
    assert answer.status_code == 200
    assert {p["displayName"] for p in answer.json()["value"]} == {"IOS - ADE corporate", "MAC - ADE corporate"}


def test_tenant_settings_contract_reads_one_object_with_the_configuration_scope(simulator):
    contract = get_contract("deviceManagementSettings.get")
    assert (contract.paged, contract.api_version, contract.path) == (False, "beta", "deviceManagement/settings")
    assert contract.required_permission == "DeviceManagementConfiguration.Read.All"
    assert contract.evidence.startswith(
        "https://learn.microsoft.com/graph/api/intune-deviceconfig-devicemanagement-get"
    )
    answer = _get(simulator, "deviceManagementSettings.get", ["DeviceManagementConfiguration.Read.All"])
    assert answer.status_code == 200
    body = answer.json()
    assert (
        "value" not in body and "id" not in body and body["@odata.type"] == "#microsoft.graph.deviceManagementSettings"
    )
    others = [p for p in fx.READ_PERMISSIONS if p not in (contract.required_permission, *contract.accepted_permissions)]
    assert _get(simulator, "deviceManagementSettings.get", others).status_code == 403
