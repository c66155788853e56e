"""Graph host fidelity: auth, permissions, routes per version, envelopes, paging, query options."""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Callable
from types import SimpleNamespace
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from graphsim import GraphSimulator, identity
from graphsim.fixtures_catalog import (
    BROKEN_NO_CONSENT_CLIENT_ID,
    BROKEN_NO_CONSENT_CLIENT_SECRET,
    BROKEN_PARTIAL_CLIENT_ID,
    BROKEN_PARTIAL_CLIENT_SECRET,
    BROKEN_TENANT_ID,
    GOLDEN_ADMX_EDGE_ID,
    GOLDEN_CLIENT_ID,
    GOLDEN_DEVICE_RESTRICTIONS_ID,
    GOLDEN_IOS_MAM_ID,
    GOLDEN_LOGON_BANNER_ID,
    GOLDEN_TENANT_ID,
    GOLDEN_WIN_COMPLIANCE_ID,
)
from graphsim.tenants import ALL_DEVICES_GROUP_ID, ALL_USERS_GROUP_ID

ClientFor = Callable[..., httpx.Client]

BOTH_VERSIONS = [
    "organization",
    "groups",
    "deviceManagement/deviceConfigurations",
    "deviceManagement/deviceCompliancePolicies",
    "deviceManagement/deviceEnrollmentConfigurations",
    "deviceManagement/managedDevices",
    "deviceAppManagement/managedAppPolicies",
    "deviceAppManagement/iosManagedAppProtections",
    "deviceAppManagement/androidManagedAppProtections",
]
BETA_ONLY = [
    "deviceManagement/configurationPolicies",
    "deviceManagement/groupPolicyConfigurations",
    "deviceManagement/roleScopeTags",
    "deviceManagement/assignmentFilters",
]


def _all_pages(client: httpx.Client, url: str) -> tuple[list[dict], list[dict]]:
    items, pages = [], []
    next_url: str | None = url
    while next_url:
        response = client.get(next_url)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        items += page["value"]
        next_url = page.get("@odata.nextLink")
    return items, pages


# -- authentication ------------------------------------------------------------------
def test_missing_token_is_401_invalid_authentication_token(graphsim: GraphSimulator) -> None:
    response = httpx.get(
        f"{graphsim.graph_base}/v1.0/organization", verify=ssl.create_default_context(cafile=graphsim.ca_path)
    )
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "InvalidAuthenticationToken"
    assert error["message"] == "Access token is empty."
    assert set(error["innerError"]) >= {"date", "request-id", "client-request-id"}
    assert response.headers["www-authenticate"].startswith('Bearer realm=""')


def test_expired_token_is_401(graphsim: GraphSimulator) -> None:
    token = graphsim.mint_access_token(GOLDEN_TENANT_ID, GOLDEN_CLIENT_ID, expires_in=-600)
    response = httpx.get(
        f"{graphsim.graph_base}/v1.0/organization",
        verify=ssl.create_default_context(cafile=graphsim.ca_path),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Access token has expired or is not yet valid."


def test_a_token_verified_before_is_refused_once_it_expires(graphsim: GraphSimulator, monkeypatch) -> None:
    token = graphsim.mint_access_token(GOLDEN_TENANT_ID, GOLDEN_CLIENT_ID, expires_in=60)

    def organization() -> httpx.Response:
        return httpx.get(
            f"{graphsim.graph_base}/v1.0/organization",
            verify=ssl.create_default_context(cafile=graphsim.ca_path),
            headers={"Authorization": f"Bearer {token}"},
        )

    assert organization().status_code == 200
    assert organization().status_code == 200  # the second use is served from the verified tokens
    later = time.time() + 120
    monkeypatch.setattr(identity, "time", SimpleNamespace(time=lambda: later))  # the simulator's clock only
    response = organization()
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Access token has expired or is not yet valid."


def test_forged_token_is_401(graphsim: GraphSimulator) -> None:
    token = graphsim.mint_access_token(GOLDEN_TENANT_ID, GOLDEN_CLIENT_ID)
    head, body, sig = token.split(".")
    forged = f"{head}.{body}.{sig[:-4]}AAAA"
    response = httpx.get(
        f"{graphsim.graph_base}/v1.0/organization",
        verify=ssl.create_default_context(cafile=graphsim.ca_path),
        headers={"Authorization": f"Bearer {forged}"},
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"


# -- permissions ---------------------------------------------------------------------
def test_no_roles_gives_intune_wrapped_403_and_directory_403(client_for: ClientFor) -> None:
    client = client_for(BROKEN_TENANT_ID, BROKEN_NO_CONSENT_CLIENT_ID, BROKEN_NO_CONSENT_CLIENT_SECRET)
    intune = client.get("/beta/deviceManagement/configurationPolicies")
    assert intune.status_code == 403
    error = intune.json()["error"]
    assert error["code"] == "Forbidden"
    embedded = json.loads(error["message"])
    assert embedded["_version"] == 3
    assert "does not have application permissions configured" in embedded["Message"]
    directory = client.get("/v1.0/groups")
    assert directory.status_code == 403
    assert directory.json()["error"]["code"] == "Authorization_RequestDenied"
    assert directory.json()["error"]["message"] == "Insufficient privileges to complete the operation."


def test_missing_permission_names_the_accepted_scopes(client_for: ClientFor) -> None:
    client = client_for(BROKEN_TENANT_ID, BROKEN_PARTIAL_CLIENT_ID, BROKEN_PARTIAL_CLIENT_SECRET)
    assert client.get("/beta/deviceManagement/configurationPolicies").status_code == 200
    denied = client.get("/v1.0/deviceManagement/managedDevices")
    assert denied.status_code == 403
    message = json.loads(denied.json()["error"]["message"])["Message"]
    assert "must have one of the following scopes: DeviceManagementManagedDevices.Read.All" in message


# -- routes and envelopes -------------------------------------------------------------
@pytest.mark.parametrize("version", ["v1.0", "beta"])
@pytest.mark.parametrize("path", BOTH_VERSIONS)
def test_collections_served_in_both_versions(golden: httpx.Client, version: str, path: str) -> None:
    response = golden.get(f"/{version}/{path}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["@odata.context"].endswith(f"/{version}/$metadata#{path}")
    assert body["value"]
    assert all(item["@odata.type"].startswith("#microsoft.graph.") for item in body["value"])
    assert all("assignments" not in item and "settings" not in item for item in body["value"])


@pytest.mark.parametrize("path", BETA_ONLY)
def test_beta_only_collections(golden: httpx.Client, path: str) -> None:
    assert golden.get(f"/beta/{path}").status_code == 200
    response = golden.get(f"/v1.0/{path}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadRequest"
    assert response.json()["error"]["message"] == f"Resource not found for the segment '{path.split('/')[-1]}'."


def test_unknown_segment_is_400(golden: httpx.Client) -> None:
    response = golden.get("/v1.0/deviceManagement/notAThing")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Resource not found for the segment 'notAThing'."


def test_v1_strips_beta_only_properties(golden: httpx.Client) -> None:
    beta = golden.get(
        f"/beta/deviceManagement/deviceConfigurations/{GOLDEN_DEVICE_RESTRICTIONS_ID}?$expand=assignments"
    ).json()
    v1 = golden.get(
        f"/v1.0/deviceManagement/deviceConfigurations/{GOLDEN_DEVICE_RESTRICTIONS_ID}?$expand=assignments"
    ).json()
    assert beta["roleScopeTagIds"] == ["0"] and "roleScopeTagIds" not in v1
    assert "deviceAndAppManagementAssignmentFilterType" in beta["assignments"][0]["target"]
    assert "deviceAndAppManagementAssignmentFilterType" not in v1["assignments"][0]["target"]
    assert "source" not in v1["assignments"][0]
    assert v1["@odata.context"].endswith("$metadata#deviceManagement/deviceConfigurations/$entity")


def test_get_by_id_and_not_found_bodies(golden: httpx.Client) -> None:
    item = golden.get(f"/v1.0/deviceManagement/deviceCompliancePolicies/{GOLDEN_WIN_COMPLIANCE_ID}").json()
    assert item["displayName"] == "WIN - Compliance"
    assert item["@odata.type"] == "#microsoft.graph.windows10CompliancePolicy"
    missing = golden.get("/v1.0/deviceManagement/deviceCompliancePolicies/00000000-0000-4000-8000-00000000dead")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "ResourceNotFound"
    for virtual in (ALL_USERS_GROUP_ID, ALL_DEVICES_GROUP_ID):
        group = golden.get(f"/v1.0/groups/{virtual}")
        assert group.status_code == 404
        assert group.json()["error"]["code"] == "Request_ResourceNotFound"


def test_expand_assignments_matches_assignments_subresource(golden: httpx.Client) -> None:
    listed = golden.get("/beta/deviceManagement/configurationPolicies?$expand=assignments").json()["value"]
    policy = next(p for p in listed if p["id"] == GOLDEN_LOGON_BANNER_ID)
    sub = golden.get(f"/beta/deviceManagement/configurationPolicies/{GOLDEN_LOGON_BANNER_ID}/assignments").json()
    assert sub["@odata.context"].endswith(
        f"deviceManagement/configurationPolicies('{GOLDEN_LOGON_BANNER_ID}')/assignments"
    )
    assert policy["assignments"] == sub["value"]
    assert policy["assignments@odata.context"].endswith(f"('{GOLDEN_LOGON_BANNER_ID}')/assignments")
    target = sub["value"][0]["target"]
    assert target["@odata.type"] == "#microsoft.graph.allDevicesAssignmentTarget"
    assert sub["value"][0]["id"] == f"{GOLDEN_LOGON_BANNER_ID}_{ALL_DEVICES_GROUP_ID}"


def test_assignment_target_types_present(golden: httpx.Client) -> None:
    types = set()
    for path in ("deviceManagement/deviceConfigurations", "deviceManagement/deviceCompliancePolicies"):
        for item in golden.get(f"/beta/{path}?$expand=assignments").json()["value"]:
            types |= {a["target"]["@odata.type"] for a in item["assignments"]}
    assert {
        "#microsoft.graph.groupAssignmentTarget",
        "#microsoft.graph.exclusionGroupAssignmentTarget",
        "#microsoft.graph.allLicensedUsersAssignmentTarget",
        "#microsoft.graph.allDevicesAssignmentTarget",
    } <= types


def test_settings_subresource_and_expand(golden: httpx.Client) -> None:
    settings = golden.get(f"/beta/deviceManagement/configurationPolicies/{GOLDEN_LOGON_BANNER_ID}/settings").json()
    assert [s["id"] for s in settings["value"]] == ["0", "1"]
    instance = settings["value"][0]["settingInstance"]
    assert instance["@odata.type"] == "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance"
    expanded = golden.get(
        f"/beta/deviceManagement/configurationPolicies/{GOLDEN_LOGON_BANNER_ID}?$expand=settings"
    ).json()
    assert expanded["settings"] == settings["value"]
    dollarless = golden.get(f"/beta/deviceManagement/configurationPolicies/{GOLDEN_LOGON_BANNER_ID}/settings?&top=1000")
    assert dollarless.status_code == 200


def test_group_policy_definition_values(golden: httpx.Client) -> None:
    values = golden.get(
        f"/beta/deviceManagement/groupPolicyConfigurations/{GOLDEN_ADMX_EDGE_ID}/definitionValues?$expand=definition"
    ).json()["value"]
    assert len(values) == 2
    assert values[0]["definition"]["displayName"]
    plain = golden.get(
        f"/beta/deviceManagement/groupPolicyConfigurations/{GOLDEN_ADMX_EDGE_ID}/definitionValues"
    ).json()
    assert "definition" not in plain["value"][0]


def test_app_protections_and_managed_app_policies_union(golden: httpx.Client) -> None:
    union = golden.get("/v1.0/deviceAppManagement/managedAppPolicies").json()["value"]
    types = {p["@odata.type"] for p in union}
    assert {"#microsoft.graph.iosManagedAppProtection", "#microsoft.graph.targetedManagedAppConfiguration"} <= types
    assignments = golden.get(f"/v1.0/deviceAppManagement/iosManagedAppProtections/{GOLDEN_IOS_MAM_ID}/assignments")
    assert assignments.status_code == 200
    assert assignments.json()["value"][0]["target"]["@odata.type"] == "#microsoft.graph.groupAssignmentTarget"


def test_builtins_are_synthesized(golden: httpx.Client) -> None:
    configs = golden.get("/beta/deviceManagement/deviceEnrollmentConfigurations").json()["value"]
    ids = {c["id"] for c in configs}
    for suffix in (
        "DefaultLimit",
        "DefaultPlatformRestrictions",
        "DefaultWindowsHelloForBusiness",
        "DefaultWindows10EnrollmentCompletionPageConfiguration",
        "WindowsRestore",
    ):
        assert f"{GOLDEN_TENANT_ID}_{suffix}" in ids
    default = next(c for c in configs if c["id"].endswith("_DefaultPlatformRestrictions"))
    assert default["priority"] == 0 and default["displayName"] == "All users and all devices"
    v1_ids = {c["id"] for c in golden.get("/v1.0/deviceManagement/deviceEnrollmentConfigurations").json()["value"]}
    assert f"{GOLDEN_TENANT_ID}_WindowsRestore" not in v1_ids
    tags = golden.get("/beta/deviceManagement/roleScopeTags").json()["value"]
    assert {
        "@odata.type": "#microsoft.graph.roleScopeTag",
        "id": "0",
        "displayName": "Default",
        "description": "",
        "isBuiltIn": True,
    } in tags
    org = golden.get("/v1.0/organization").json()["value"][0]
    assert org["id"] == GOLDEN_TENANT_ID and org["tenantType"] == "AAD"


def test_compliance_summary_counts_follow_devices(graphsim: GraphSimulator, golden: httpx.Client) -> None:
    devices, _ = _all_pages(golden, "/v1.0/deviceManagement/managedDevices")
    summary = golden.get("/v1.0/deviceManagement/deviceCompliancePolicyDeviceStateSummary").json()
    assert summary["@odata.context"].endswith(
        "$metadata#deviceManagement/deviceCompliancePolicyDeviceStateSummary/$entity"
    )
    assert "value" not in summary
    assert summary["compliantDeviceCount"] == sum(d["complianceState"] == "compliant" for d in devices)
    assert summary["nonCompliantDeviceCount"] == sum(d["complianceState"] == "noncompliant" for d in devices)
    assert summary["inGracePeriodCount"] == sum(d["complianceState"] == "inGracePeriod" for d in devices)
    graphsim.tenant(GOLDEN_TENANT_ID).items("deviceManagement/managedDevices")[0]["complianceState"] = "noncompliant"
    after = golden.get("/v1.0/deviceManagement/deviceCompliancePolicyDeviceStateSummary").json()
    assert after["nonCompliantDeviceCount"] == summary["nonCompliantDeviceCount"] + 1


def test_live_state_changes_are_served(graphsim: GraphSimulator, golden: httpx.Client) -> None:
    tenant = graphsim.tenant(GOLDEN_TENANT_ID)
    tenant.update_item("deviceManagement/deviceConfigurations", GOLDEN_DEVICE_RESTRICTIONS_ID, displayName="Renamed")
    tenant.remove_item("deviceManagement/configurationPolicies", GOLDEN_LOGON_BANNER_ID)
    added = tenant.add_item(
        "deviceManagement/deviceConfigurations",
        {"@odata.type": "#microsoft.graph.windows10CustomConfiguration", "displayName": "New"},
    )
    names = {c["displayName"] for c in golden.get("/v1.0/deviceManagement/deviceConfigurations").json()["value"]}
    assert {"Renamed", "New"} <= names
    assert golden.get(f"/v1.0/deviceManagement/deviceConfigurations/{added['id']}").status_code == 200
    assert golden.get(f"/beta/deviceManagement/configurationPolicies/{GOLDEN_LOGON_BANNER_ID}").status_code == 404


# -- paging and query options ------------------------------------------------------------
def test_configuration_policies_page_by_25_and_keep_options(graphsim: GraphSimulator, golden: httpx.Client) -> None:
    tenant = graphsim.tenant(GOLDEN_TENANT_ID)
    for index in range(60):
        tenant.add_item(
            "deviceManagement/configurationPolicies",
            {
                "@odata.type": "#microsoft.graph.deviceManagementConfigurationPolicy",
                "name": f"Bulk {index:02d}",
                "platforms": "windows10",
            },
        )
    items, pages = _all_pages(golden, "/beta/deviceManagement/configurationPolicies")
    assert len(items) == 65 and [len(p["value"]) for p in pages] == [25, 25, 15]
    assert pages[0]["@odata.count"] == 25 and "@microsoft.graph.tips" in pages[0]
    assert len({i["id"] for i in items}) == 65
    selected, pages = _all_pages(golden, "/beta/deviceManagement/configurationPolicies?$select=id,name&$top=10")
    assert len(selected) == 65 and len(pages) == 7
    for page in pages[:-1]:
        query = parse_qs(urlparse(page["@odata.nextLink"]).query)
        assert query["$select"] == ["id,name"] and query["$top"] == ["10"] and "$skiptoken" in query
    assert all(set(i) <= {"@odata.type", "id", "name"} for i in selected)
    assert "@microsoft.graph.tips" not in pages[0]
    assert pages[0]["@odata.context"].endswith("configurationPolicies(id,name)")


def test_groups_page_size_and_top_limit(graphsim: GraphSimulator, golden: httpx.Client) -> None:
    tenant = graphsim.tenant(GOLDEN_TENANT_ID)
    for index in range(150):
        tenant.add_item("groups", {"@odata.type": "#microsoft.graph.group", "displayName": f"Bulk group {index}"})
    _items, pages = _all_pages(golden, "/v1.0/groups")
    assert [len(p["value"]) for p in pages] == [100, 56]
    assert "@odata.count" not in pages[0]
    too_big = golden.get("/v1.0/groups?$top=1000")
    assert too_big.status_code == 400
    counted = golden.get("/v1.0/groups?$count=true", headers={"ConsistencyLevel": "eventual"}).json()
    assert counted["@odata.count"] == 156
    assert golden.get("/v1.0/groups?$skip=5").status_code == 400


def test_intune_lists_carry_total_count(golden: httpx.Client) -> None:
    body = golden.get("/v1.0/deviceManagement/managedDevices?$top=3").json()
    assert body["@odata.count"] == 10 and len(body["value"]) == 3 and "@odata.nextLink" in body


def test_filters(golden: httpx.Client) -> None:
    noncompliant = golden.get("/v1.0/deviceManagement/managedDevices?$filter=complianceState eq 'noncompliant'").json()
    assert noncompliant["value"] and all(d["complianceState"] == "noncompliant" for d in noncompliant["value"])
    assert noncompliant["@odata.count"] == len(noncompliant["value"])
    windows = golden.get(
        "/v1.0/deviceManagement/managedDevices?$filter=operatingSystem eq 'Windows' and complianceState ne 'compliant'"
    ).json()
    assert all(d["operatingSystem"] == "Windows" and d["complianceState"] != "compliant" for d in windows["value"])
    starts = golden.get("/v1.0/deviceManagement/deviceConfigurations?$filter=startswith(displayName,'WIN')").json()
    assert {c["displayName"] for c in starts["value"]} == {
        "WIN - Device restrictions",
        "WIN - Custom OMA-URI",
        "WIN - Endpoint protection",
    }
    tags = golden.get("/beta/deviceManagement/roleScopeTags?$filter=isBuiltIn eq false").json()["value"]
    assert [t["displayName"] for t in tags] == ["EMEA"]
    bad = golden.get("/v1.0/deviceManagement/managedDevices?$filter=complianceState eq")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "BadRequest"
    lambda_filter = golden.get("/v1.0/groups?$filter=groupTypes/any(c:c eq 'Unified')")
    assert lambda_filter.status_code == 400
    unsupported = golden.get("/v1.0/deviceManagement/managedDevices?$search=abc")
    assert unsupported.status_code == 400


def test_select_trims_items(golden: httpx.Client) -> None:
    body = golden.get("/v1.0/deviceManagement/managedDevices?$select=deviceName,complianceState").json()
    assert all(set(d) == {"@odata.type", "id", "deviceName", "complianceState"} for d in body["value"])


def test_bad_expand_is_400(golden: httpx.Client) -> None:
    response = golden.get("/v1.0/deviceManagement/deviceConfigurations?$expand=settings")
    assert response.status_code == 400
    assert "Could not find a property named 'settings'" in response.json()["error"]["message"]


def test_compliance_scheduled_actions_nested_expand(golden: httpx.Client) -> None:
    url = "/beta/deviceManagement/deviceCompliancePolicies?$expand=scheduledActionsForRule($expand=scheduledActionConfigurations)"
    policies = golden.get(url).json()["value"]
    actions = policies[0]["scheduledActionsForRule"][0]["scheduledActionConfigurations"]
    assert actions[0]["actionType"] == "block"
