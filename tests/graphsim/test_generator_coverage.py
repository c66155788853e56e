"""Realistic generated tenants (issue 10, "What to build" 4): per-platform property sets, OMA-URI
settings, ADMX values, settings lists longer than a page, and — with ``coverage=True`` — scripts
and the other issue-10 families in Graph's shapes, plus what Microsoft puts in every tenant."""

from __future__ import annotations

import base64
import ssl
from collections import Counter

import httpx

from graphsim import GraphSimulator, generate_tenant

TID = "0badc0de-0000-4000-8000-0000000000c0"
MAIN_FAMILIES = {
    "deviceManagement/deviceConfigurations",
    "deviceManagement/configurationPolicies",
    "deviceManagement/deviceCompliancePolicies",
    "deviceManagement/groupPolicyConfigurations",
    "deviceAppManagement/iosManagedAppProtections",
    "deviceAppManagement/androidManagedAppProtections",
    "deviceManagement/deviceEnrollmentConfigurations",
}
SCRIPTS = {
    "deviceManagement/deviceManagementScripts": "scriptContent",
    "deviceManagement/deviceShellScripts": "scriptContent",
    "deviceManagement/deviceHealthScripts": "detectionScriptContent",
    "deviceManagement/deviceComplianceScripts": "detectionScriptContent",
    "deviceManagement/deviceCustomAttributeShellScripts": "scriptContent",
}


def test_default_tenants_keep_the_seven_families():
    doc = generate_tenant(tenant_id=TID, policies=1000, devices=0, seed=3)
    assert set(doc["collections"]) == MAIN_FAMILIES | {"groups", "deviceManagement/managedDevices"}


def test_each_platform_carries_its_own_properties():
    items = generate_tenant(tenant_id=TID, policies=2000, devices=0, seed=3)["collections"]
    configs = items["deviceManagement/deviceConfigurations"]
    by_type = {item["@odata.type"].rsplit(".", 1)[1]: item for item in configs}
    assert "passcodeRequired" in by_type["iosGeneralDeviceConfiguration"]
    assert "passwordRequired" not in by_type["iosGeneralDeviceConfiguration"]
    assert "defenderScanType" in by_type["windows10GeneralConfiguration"]
    assert not any(k.startswith("defender") for k in by_type["macOSGeneralDeviceConfiguration"])
    assert "workProfileDataSharingType" in by_type["androidWorkProfileGeneralDeviceConfiguration"]
    custom = by_type["windows10CustomConfiguration"]
    assert custom["omaSettings"] and "passwordRequired" not in custom
    assert all(len(item) >= 15 for item in configs if "omaSettings" not in item)
    compliance = {i["@odata.type"].rsplit(".", 1)[1]: i for i in items["deviceManagement/deviceCompliancePolicies"]}
    assert "bitLockerEnabled" in compliance["windows10CompliancePolicy"]
    assert "bitLockerEnabled" not in compliance["iosCompliancePolicy"]
    assert compliance["iosCompliancePolicy"]["securityBlockJailbrokenDevices"] is True
    assert compliance["macOSCompliancePolicy"]["gatekeeperAllowedAppSource"] == "macAppStoreAndIdentifiedDevelopers"
    admx = items["deviceManagement/groupPolicyConfigurations"]
    assert all(p["definitionValues"] and p["definitionValues"][0]["presentationValues"] for p in admx)


def test_coverage_tenants_hold_every_issue_10_family_with_distinct_script_bodies():
    doc = generate_tenant(tenant_id=TID, policies=2000, devices=0, seed=3, coverage=True)
    items = doc["collections"]
    customer = [k for k in items if k not in ("groups", "deviceManagement/managedDevices")]
    # policies counts the tenant's own objects; Microsoft's and the connectors' come on top.
    builtins = [r for r in items["deviceManagement/roleDefinitions"] if r["isBuiltIn"]]
    managed = [
        p for p in items["identity/conditionalAccess/policies"] if (p["templateId"] or "").startswith("4200930c")
    ]
    connectors = sum(
        len(items[k])
        for k in customer
        if k.startswith(("deviceAppManagement/vpp",))
        or k
        in {
            "deviceManagement/applePushNotificationCertificate",
            "deviceManagement/androidManagedStoreAccountEnterpriseSettings",
            "deviceManagement/deviceManagementPartners",
            "deviceManagement/complianceManagementPartners",
            "deviceManagement/remoteAssistancePartners",
            "deviceManagement/depOnboardingSettings",
            "deviceManagement/templates",
            "deviceManagement/settings",
        }
    )
    assert sum(len(items[k]) for k in customer) == 2000 + len(builtins) + len(managed) + connectors
    assert builtins and len(managed) == 2
    for key, field in SCRIPTS.items():
        bodies = [base64.b64decode(s[field]) for s in items[key]]
        assert len(bodies) > 5 and len(set(bodies)) == len(bodies), key
    long_lists = [p for p in items["deviceManagement/compliancePolicies"] if len(p["settings"]) > 25]
    assert long_lists and all(p["settingCount"] == len(p["settings"]) for p in long_lists)
    for key in customer:
        names = Counter(i.get("displayName") or i.get("name") for i in items[key] if not i.get("isBuiltIn"))
        assert not names or names.most_common(1)[0][1] == 1, key  # every cloned object is its own


def test_a_coverage_tenant_is_served_with_graphs_shapes_and_paging():
    doc = generate_tenant(tenant_id=TID, policies=2000, devices=0, seed=3, coverage=True)
    client_id = doc["apps"][0]["clientId"]
    with GraphSimulator([doc]) as sim:
        token = sim.mint_access_token(TID, client_id)
        with httpx.Client(
            base_url=sim.graph_base,
            verify=ssl.create_default_context(cafile=sim.ca_path),
            headers={"Authorization": f"Bearer {token}"},
        ) as c:
            scripts = c.get("/beta/deviceManagement/deviceManagementScripts?$expand=assignments").json()["value"]
            assert scripts and all(s["scriptContent"] is None for s in scripts)  # Graph lists bodies as null
            bodies = [c.get(f"/beta/deviceManagement/deviceManagementScripts/{s['id']}").json() for s in scripts[:5]]
            assert all(base64.b64decode(s["scriptContent"]) for s in bodies)
            policy = next(
                p for p in doc["collections"]["deviceManagement/compliancePolicies"] if len(p["settings"]) > 25
            )
            first = c.get(f"/beta/deviceManagement/compliancePolicies/{policy['id']}/settings").json()
            assert len(first["value"]) == 25 and first["@odata.nextLink"]
            ca = c.get("/v1.0/identity/conditionalAccess/policies").json()["value"]
            assert {p["templateId"] for p in ca} >= {"4200930c-0da2-4e33-ca01-000000000005"}
            assert c.get("/beta/deviceManagement/settings").status_code == 200
