import dataclasses

import pytest

from tenantpilot.graph.contracts import (
    CONTRACTS,
    GraphContract,
    InvalidPathParameter,
    UnknownContract,
    contract_names,
    get_contract,
)

REQUIRED = {
    "organization.list": ("v1.0", "Organization.Read.All"),
    "deviceConfigurations.list": ("beta", "DeviceManagementConfiguration.Read.All"),
    "deviceCompliancePolicies.list": (None, "DeviceManagementConfiguration.Read.All"),
    "configurationPolicies.list": ("beta", "DeviceManagementConfiguration.Read.All"),
    "configurationPolicies.settings": ("beta", "DeviceManagementConfiguration.Read.All"),
    "groupPolicyConfigurations.list": ("beta", "DeviceManagementConfiguration.Read.All"),
    "managedAppPolicies.list": (None, "DeviceManagementApps.Read.All"),
    "iosManagedAppProtections.list": (None, "DeviceManagementApps.Read.All"),
    "androidManagedAppProtections.list": (None, "DeviceManagementApps.Read.All"),
    "deviceEnrollmentConfigurations.list": (None, None),
    "roleScopeTags.list": ("beta", None),
    "assignmentFilters.list": ("beta", "DeviceManagementConfiguration.Read.All"),
    "groups.list": (None, None),
    "managedDevices.list": (None, "DeviceManagementManagedDevices.Read.All"),
    "deviceCompliancePolicyDeviceStateSummary.get": (None, "DeviceManagementConfiguration.Read.All"),
}

# Graph has these only on beta (graph-fidelity.md 2.2).
BETA_ONLY_SEGMENTS = ("configurationPolicies", "groupPolicyConfigurations", "roleScopeTags", "assignmentFilters")


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_required_contract_is_registered_with_version_and_permission(name):
    version, permission = REQUIRED[name]
    contract = get_contract(name)
    assert contract.name == name
    assert contract.method == "GET"
    if version:
        assert contract.api_version == version
    if permission:
        assert contract.required_permission == permission
    assert contract.required_permission in contract.accepted_permissions


def test_beta_only_resources_are_never_requested_on_v1():
    for contract in CONTRACTS.values():
        if any(seg in contract.path for seg in BETA_ONLY_SEGMENTS):
            assert contract.api_version == "beta", contract.name


def test_policy_lists_expand_assignments_where_graph_allows_it():
    for name in ("deviceConfigurations.list", "configurationPolicies.list", "deviceCompliancePolicies.list"):
        assert get_contract(name).expand == "assignments"
        assert "$expand=assignments" in get_contract(name).relative_url()
    # assignments live on the ios/android collections, not on managedAppPolicies
    assert get_contract("managedAppPolicies.list").expand is None


def test_managed_devices_select_covers_the_compliance_snapshot_fields():
    select = get_contract("managedDevices.list").select
    for f in ("id", "deviceName", "complianceState", "operatingSystem", "lastSyncDateTime"):
        assert f in select


def test_singleton_contract_is_not_paged():
    assert get_contract("deviceCompliancePolicyDeviceStateSummary.get").paged is False


def test_unknown_contract_name_raises():
    with pytest.raises(UnknownContract):
        get_contract("users.list")
    with pytest.raises(UnknownContract):
        get_contract("https://graph.microsoft.com/v1.0/users")


def test_contract_names_are_sorted_and_complete():
    assert set(contract_names()) >= set(REQUIRED)
    assert list(contract_names()) == sorted(contract_names())


def test_contracts_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_contract("groups.list").path = "users"  # type: ignore[misc]


def test_relative_url_fills_placeholders_and_adds_top():
    contract = get_contract("configurationPolicies.settings")
    assert contract.placeholders == ("id",)
    url = contract.relative_url({"id": "1b0cb496-269c-4b28-91da-acb0b42b2155"}, top=1)
    assert url == "deviceManagement/configurationPolicies/1b0cb496-269c-4b28-91da-acb0b42b2155/settings?$top=1"


@pytest.mark.parametrize(
    "good", ["0", "1b0cb496-269c-4b28-91da-acb0b42b2155", "t_DefaultLimit", "a_b", "x:y", "abc.def"]
)
def test_url_safe_provider_ids_are_accepted(good):
    url = get_contract("configurationPolicies.settings").relative_url({"id": good})
    assert url == f"deviceManagement/configurationPolicies/{good}/settings?$top=1000"  # graph/PLAN.md section 1


@pytest.mark.parametrize(
    "bad",
    ["", "..", ".", "../groups", "a/b", "a?b", "a#b", "a b", "a%2Fb", "a&$expand=x", "é", "x" * 300, 5, None],
)
def test_path_params_that_are_not_ids_are_rejected(bad):
    with pytest.raises(InvalidPathParameter):
        get_contract("configurationPolicies.settings").relative_url({"id": bad})


def test_missing_or_unexpected_path_params_are_rejected():
    contract = get_contract("configurationPolicies.settings")
    with pytest.raises(InvalidPathParameter):
        contract.relative_url({})
    with pytest.raises(InvalidPathParameter):
        contract.relative_url({"id": "a", "other": "b"})
    with pytest.raises(InvalidPathParameter):
        get_contract("groups.list").relative_url({"id": "a"})


@pytest.mark.parametrize("top", [0, -1, 1001, True, "5"])
def test_invalid_top_is_rejected(top):
    with pytest.raises(ValueError):
        get_contract("groups.list").relative_url(top=top)


def test_contract_paths_must_be_relative_without_query():
    with pytest.raises(ValueError):
        GraphContract(name="x", path="/groups", api_version="v1.0", required_permission="P")
    with pytest.raises(ValueError):
        GraphContract(name="x", path="groups?$top=1", api_version="v1.0", required_permission="P")
