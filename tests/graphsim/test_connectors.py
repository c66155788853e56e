"""The Intune objects IntuneCD backs up beyond the governed types (tenant connectors, partner
connections, Apple ADE onboarding, macOS custom attributes, the intent template catalog and the
tenant-wide settings): routes, versions, permissions and shapes as Graph serves them."""

from __future__ import annotations

import base64
from collections.abc import Callable

import httpx
import pytest

from graphsim import GraphSimulator
from graphsim.fixtures_build import BASELINE_TEMPLATE_ID
from graphsim.fixtures_catalog import (
    BROKEN_PARTIAL_CLIENT_ID,
    BROKEN_PARTIAL_CLIENT_SECRET,
    BROKEN_TENANT_ID,
    GOLDEN_TENANT_ID,
)
from graphsim.routes import CONNECTOR_SPECS

CONTEXT = "https://graph.microsoft.com/beta/$metadata#"
SINGLETONS = (
    "deviceManagement/applePushNotificationCertificate",
    "deviceManagement/androidManagedStoreAccountEnterpriseSettings",
)


@pytest.mark.parametrize("spec", CONNECTOR_SPECS, ids=lambda spec: spec.key)
def test_every_connector_route_answers_beta_and_only_its_documented_versions(golden: httpx.Client, spec) -> None:
    beta = golden.get(f"/beta/{spec.key}")
    assert beta.status_code == 200, beta.text
    body = beta.json()
    assert body["@odata.context"].startswith(f"{CONTEXT}{spec.key}")
    if not spec.singleton:
        assert body["value"] and all(item["@odata.type"].startswith("#microsoft.graph.") for item in body["value"])
    v1 = golden.get(f"/v1.0/{spec.key}")
    if "v1.0" in spec.versions:
        assert v1.status_code == 200, v1.text
    else:
        assert v1.status_code == 400
        assert v1.json()["error"]["message"] == f"Resource not found for the segment '{spec.key.rsplit('/', 1)[1]}'."


def test_singletons_answer_the_object_itself_with_an_entity_context(golden: httpx.Client) -> None:
    for key in SINGLETONS:
        body = golden.get(f"/beta/{key}").json()
        assert body["@odata.context"] == f"{CONTEXT}{key}/$entity"
        assert "value" not in body and body["id"]
    apns = golden.get("/beta/deviceManagement/applePushNotificationCertificate?$select=appleIdentifier").json()
    assert set(apns) == {"@odata.context", "@odata.type", "id", "appleIdentifier"}
    # deviceManagement.settings is a complex-type property: no id, no $entity.
    settings = golden.get("/beta/deviceManagement/settings").json()
    assert settings["@odata.context"] == f"{CONTEXT}deviceManagement/settings"
    assert "id" not in settings and settings["deviceComplianceCheckinThresholdDays"] == 30
    assert golden.get("/beta/deviceManagement/settings/x").status_code == 400


def test_a_tenant_without_the_singleton_answers_intune_404(graphsim: GraphSimulator, golden: httpx.Client) -> None:
    graphsim.tenant(GOLDEN_TENANT_ID).collections.pop("deviceManagement/applePushNotificationCertificate")
    response = golden.get("/beta/deviceManagement/applePushNotificationCertificate")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "ResourceNotFound"


def test_partners_list_configured_and_unconfigured_entries(golden: httpx.Client) -> None:
    managers = golden.get("/beta/deviceManagement/deviceManagementPartners").json()["value"]
    assert sorted(p["isConfigured"] for p in managers) == [False, True]
    compliance = golden.get("/v1.0/deviceManagement/complianceManagementPartners").json()["value"]
    assert {p["partnerState"] for p in compliance} == {"enabled", "unknown"}
    remote = golden.get("/beta/deviceManagement/remoteAssistancePartners").json()["value"]
    assert {p["onboardingStatus"] for p in remote} == {"onboarded", "notOnboarded"}


def test_dep_onboarding_serves_its_enrollment_profiles_as_a_navigation(golden: httpx.Client) -> None:
    dep = golden.get("/beta/deviceManagement/depOnboardingSettings/").json()["value"][0]
    assert "enrollmentProfiles" not in dep and dep["tokenType"] == "dep"
    profiles = golden.get(f"/beta/deviceManagement/depOnboardingSettings/{dep['id']}/enrollmentProfiles").json()
    assert profiles["@odata.context"] == (
        f"{CONTEXT}deviceManagement/depOnboardingSettings('{dep['id']}')/enrollmentProfiles"
    )
    assert [p["@odata.type"] for p in profiles["value"]] == [
        "#microsoft.graph.depIOSEnrollmentProfile",
        "#microsoft.graph.depMacOSEnrollmentProfile",
    ]
    assert all(p["id"].startswith(f"{dep['id']}_") for p in profiles["value"])  # Graph's ids embed the token's


def test_custom_attribute_script_carries_base64_content_and_expands_assignments(golden: httpx.Client) -> None:
    listing = golden.get("/beta/deviceManagement/deviceCustomAttributeShellScripts").json()["value"]
    script = golden.get(
        f"/beta/deviceManagement/deviceCustomAttributeShellScripts/{listing[0]['id']}?$expand=assignments"
    ).json()
    assert base64.b64decode(script["scriptContent"]).startswith(b"#!/bin/zsh")
    assert script["customAttributeType"] == "string"
    assert [a["target"]["@odata.type"] for a in script["assignments"]] == [
        "#microsoft.graph.allDevicesAssignmentTarget"
    ]


def test_intent_settings_are_read_per_template_category(golden: httpx.Client) -> None:
    categories = golden.get(f"/beta/deviceManagement/templates/{BASELINE_TEMPLATE_ID}/categories").json()
    assert BASELINE_TEMPLATE_ID in categories["@odata.context"]
    assert [c["displayName"] for c in categories["value"]] == ["Firewall", "Microsoft Defender SmartScreen"]
    assert all(set(c) == {"@odata.type", "id", "displayName", "hasRequiredSetting"} for c in categories["value"])
    intent = golden.get("/beta/deviceManagement/intents").json()["value"][0]
    assert intent["templateId"] == BASELINE_TEMPLATE_ID
    per_category = [
        golden.get(f"/beta/deviceManagement/intents/{intent['id']}/categories/{c['id']}/settings").json()
        for c in categories["value"]
    ]
    assert all(intent["id"] in page["@odata.context"] for page in per_category)
    ids = [s["id"] for page in per_category for s in page["value"]]
    whole = golden.get(f"/beta/deviceManagement/intents/{intent['id']}/settings").json()["value"]
    assert sorted(ids) == sorted(s["id"] for s in whole) and len(ids) == 2


def test_connectors_need_the_service_configuration_permission(client_for: Callable[..., httpx.Client]) -> None:
    # The partial app holds DeviceManagementConfiguration and Organization only.
    partial = client_for(BROKEN_TENANT_ID, BROKEN_PARTIAL_CLIENT_ID, BROKEN_PARTIAL_CLIENT_SECRET)
    denied = partial.get("/beta/deviceAppManagement/vppTokens")
    assert denied.status_code == 403
    assert "DeviceManagementServiceConfig.Read.All" in denied.json()["error"]["message"]
    assert partial.get("/beta/deviceManagement/androidManagedStoreAccountEnterpriseSettings").status_code == 200
    assert partial.get("/beta/deviceManagement/templates").status_code == 200


def test_tenant_settings_exist_in_every_tenant_even_when_the_document_omits_them(
    graphsim: GraphSimulator, golden: httpx.Client
) -> None:
    graphsim.tenant(GOLDEN_TENANT_ID).collections.pop("deviceManagement/settings")
    settings = golden.get("/beta/deviceManagement/settings").json()
    assert settings["@odata.context"] == f"{CONTEXT}deviceManagement/settings"
    assert settings["deviceComplianceCheckinThresholdDays"] == 30 and settings["secureByDefault"] is False
    assert "id" not in settings
