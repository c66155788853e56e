"""The governable types IntuneCD backs up beyond issue 10's first list: macOS custom attributes
(secret script bodies), Apple ADE tokens with their enrollment profiles, and the tenant-wide Intune
settings (one object per tenant under a fixed identity) — synced from graphsim over real HTTPS and
compared across two tenants whose ids all differ."""

from __future__ import annotations

import base64
import hashlib
import logging

import httpx
import pytest
from django.urls import reverse

from graphsim import fixtures_catalog as fx
from tenantpilot.baselines.models import BaselineCompareItem
from tenantpilot.baselines.normalize import content_hash, normalize_for_compare
from tenantpilot.graph.contracts import get_contract
from tenantpilot.inventory.choices import POLICY_TYPE_SPECS
from tenantpilot.inventory.content import ReferenceNames
from tenantpilot.inventory.coverage import permission_probes_for
from tenantpilot.inventory.models import InventoryItem
from tenantpilot.inventory.selectors import inventory_reference_names
from tenantpilot.inventory.services_types import inventory_types_update
from tenantpilot.inventory.singletons import DEVICE_MANAGEMENT_SETTINGS_ID, singleton_payload
from tenantpilot.operations.choices import RunOutcome
from tenantpilot.providers.health import check_connection
from tenantpilot.providers.selectors import connection_for_operations
from tenantpilot.resources.adapters.microsoft import MicrosoftAdapter
from tenantpilot.resources.choices import SubjectClass
from tests.baselines.support import captured_profile, compared, contoso, fabrikam, synced
from tests.inventory.support import golden_environment, run_now

pytestmark = pytest.mark.django_db

ATTRIBUTES = "deviceCustomAttributeShellScripts"
ADE = "depOnboardingSettings"
DEP_KEY = "deviceManagement/depOnboardingSettings"
SETTINGS = "deviceManagementSettings"


def _items(env, policy_type: str) -> dict[str, InventoryItem]:
    rows = InventoryItem.objects.filter(environment=env, policy_type=policy_type).select_related("current_version")
    return {row.display_name: row for row in rows}


def test_custom_attributes_and_ade_tokens_sync_with_their_navigations(world, graph_settings, caplog):
    env = golden_environment(world)
    with caplog.at_level(logging.DEBUG):
        run = run_now(env)
    assert run.outcome == RunOutcome.SUCCEEDED, (run.reason_code, run.message)
    assert run.summary_counts[f"items.{ATTRIBUTES}"] == 2 and run.summary_counts[f"items.{ADE}"] == 1
    attributes = _items(env, ATTRIBUTES)
    assert set(attributes) == {"MAC - FileVault status", "MAC - Days since last reboot"}
    reboot = attributes["MAC - Days since last reboot"].current_version.payload
    assert reboot["customAttributeType"] == "integer" and reboot["assignments"][0]["target"]["groupId"]
    body = reboot["scriptContent"]
    script = base64.b64decode(body).decode()
    assert "kern.boottime" in script
    # Stored like any payload, never logged (neither base64 nor decoded).
    assert body not in caplog.text and "kern.boottime" not in caplog.text
    (token,) = _items(env, ADE).values()
    assert token.display_name == "Contoso ADE"
    profiles = token.current_version.payload["enrollmentProfiles"]
    assert {p["displayName"]: p["@odata.type"] for p in profiles} == {
        "IOS - ADE corporate": "#microsoft.graph.depIOSEnrollmentProfile",
        "MAC - ADE corporate": "#microsoft.graph.depMacOSEnrollmentProfile",
    }
    # The profiles were read per token through $batch (IntuneCD's plan), never as a list-level $expand.
    inner = [
        r for r in graph_settings.requests if r.host == "graph" and r.batch_inner and "/enrollmentProfiles" in r.path
    ]
    assert [r.path.rsplit("/", 2)[-2] for r in inner] == [token.provider_object_id]
    assert not any(r.query.get("$expand") for r in graph_settings.requests if r.path.endswith(DEP_KEY))


def test_custom_attribute_script_is_never_rendered_in_the_list_or_item_page(client, world, graph_settings):
    env = golden_environment(world)
    run_now(env)
    client.force_login(world.owner)
    script = _items(env, ATTRIBUTES)["MAC - FileVault status"]
    body = script.current_version.payload["scriptContent"]
    raw = base64.b64decode(body)
    kwargs = {"workspace": world.a.slug, "environment_id": env.pk}
    listing = client.get(reverse("console:inventory", kwargs=kwargs), {"type": ATTRIBUTES})
    page = client.get(reverse("console:inventory-item", kwargs={**kwargs, "item_id": script.pk}))
    assert listing.status_code == page.status_code == 200
    assert "MAC - FileVault status" in listing.content.decode()
    for html in (listing.content.decode(), page.content.decode()):
        assert body not in html, "the base64 body"
        assert "/usr/bin/fdesetup" not in html and "head -1" not in html, "the decoded body"
    assert f"script content: {hashlib.sha256(raw).hexdigest()}, {len(raw)} bytes" in page.content.decode()


def test_two_tenants_alike_compare_without_false_drift(world, graph_settings):
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    # Every id differs between the tenants: tokens, profiles (which embed the token id), scripts, groups.
    for policy_type in (ADE, ATTRIBUTES):
        ids = [
            {_items(env, policy_type)[name].provider_object_id for name in _items(env, policy_type)}
            for env in (golden, drifted)
        ]
        assert ids[0] and not ids[0] & ids[1], policy_type
    profile = captured_profile(world, golden, policy_types=[ADE, ATTRIBUTES])
    run, result = compared(world, profile, drifted)
    assert run.outcome == "succeeded", (run.reason_code, run.message)
    outcomes = {(i.policy_type, i.label): i.outcome for i in BaselineCompareItem.objects.filter(result=result)}
    assert outcomes == {
        (ADE, "Contoso ADE"): "match",
        (ATTRIBUTES, "MAC - FileVault status"): "match",
        (ATTRIBUTES, "MAC - Days since last reboot"): "match",
    }


def test_a_changed_enrollment_profile_is_drift_named_by_the_profile(world, graph_settings):
    tokens = graph_settings.tenant(fx.DRIFTED_TENANT_ID).collections[DEP_KEY]
    mac = next(p for p in tokens[0]["enrollmentProfiles"] if p["displayName"] == "MAC - ADE corporate")
    mac["fileVaultDisabled"] = False
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    profile = captured_profile(world, golden, policy_types=[ADE])
    _run, result = compared(world, profile, drifted)
    row = BaselineCompareItem.objects.get(result=result, policy_type=ADE)
    assert row.outcome == "drift"
    assert [c["path"] for c in row.changes] == ["enrollmentProfiles[MAC - ADE corporate].fileVaultDisabled"]


def test_ade_normalization_drops_per_customer_token_facts_but_keeps_profile_content():
    refs = ReferenceNames(groups={"g-1": "SG-Pilot", "g-2": "SG-Pilot"})

    def token(tenant: str, group: str, **changes) -> dict:
        return {
            "id": f"{tenant}-token",
            "tokenName": f"{tenant} ADE",
            "appleIdentifier": f"abm@{tenant}.example",
            "tokenExpirationDateTime": f"2026-0{len(tenant) % 9 + 1}-01T00:00:00Z",
            "syncedDeviceCount": len(tenant),
            "tokenType": "dep",
            "enrollmentProfiles": [
                {
                    "id": f"{tenant}-token_p2",
                    "displayName": "MAC",
                    "configurationEndpointUrl": f"https://appleconfigurator2.manage.microsoft.com/x?id={tenant}",
                    "companyPortalVppTokenId": f"{tenant}-vpp",
                    "enrollmentTimeAzureAdGroupIds": [group],
                    "fileVaultDisabled": True,
                },
                {"id": f"{tenant}-token_p1", "displayName": "IOS", "isDefault": True, **changes},
            ],
        }

    a = normalize_for_compare(ADE, token("contoso", "g-1"), refs)
    b = normalize_for_compare(ADE, token("fabrikam-inc", "g-2"), refs)
    assert a == b and content_hash(a) == content_hash(b)
    assert [p["displayName"] for p in a["enrollmentProfiles"]] == ["IOS", "MAC"]  # paired by name
    assert a["enrollmentProfiles"][1]["enrollmentTimeAzureAdGroupIds"] == ["group:SG-Pilot"]
    assert a["enrollmentProfiles"][1]["companyPortalVppTokenId"] == "vpp token: set"
    changed = normalize_for_compare(ADE, token("fabrikam-inc", "g-2", isDefault=False), refs)
    assert content_hash(changed) != content_hash(a)


def test_tenant_settings_have_one_stable_identity_in_every_tenant(simulator):
    contract = get_contract("deviceManagementSettings.get")
    adapter = MicrosoftAdapter()
    described = []
    for tenant_id, client_id in (
        (fx.GOLDEN_TENANT_ID, fx.GOLDEN_CLIENT_ID),
        (fx.DRIFTED_TENANT_ID, fx.DRIFTED_CLIENT_ID),
    ):
        token = simulator.mint_access_token(tenant_id, client_id, roles=[contract.required_permission])
        answer = httpx.get(
            f"{simulator.graph_base}/{contract.api_version}/{contract.relative_url()}",
            headers={"Authorization": f"Bearer {token}"},
            verify=simulator.ca_path,
            timeout=30,
        )
        assert answer.status_code == 200
        body = answer.json()
        payload = singleton_payload(DEVICE_MANAGEMENT_SETTINGS_ID, body)
        assert payload["id"] == DEVICE_MANAGEMENT_SETTINGS_ID and "@odata.context" in body
        assert "@odata.context" not in payload and payload["@odata.type"] == body["@odata.type"]
        assert (
            singleton_payload(DEVICE_MANAGEMENT_SETTINGS_ID, {**body, "id": tenant_id})["id"]
            == DEVICE_MANAGEMENT_SETTINGS_ID
        )
        described.append((adapter.describe("deviceManagementSettings", payload), payload))
    (first, first_payload), (second, second_payload) = described
    assert first.subject_class == SubjectClass.PROVIDER_DEFAULT and first.identity.is_default
    assert str(first.canonical_key) == str(second.canonical_key)
    assert "deviceManagementSettings/deviceManagementSettings" in str(first.canonical_key)
    assert first.display_label == "Tenant-wide Intune settings"
    normalized = [
        normalize_for_compare("deviceManagementSettings", p, ReferenceNames()) for p in (first_payload, second_payload)
    ]
    assert normalized[0] == normalized[1] and normalized[0]["deviceComplianceCheckinThresholdDays"] == 30
    changed = {**second_payload, "secureByDefault": False}
    assert normalize_for_compare("deviceManagementSettings", changed, ReferenceNames()) != normalized[0]
    with pytest.raises(TypeError):
        singleton_payload(DEVICE_MANAGEMENT_SETTINGS_ID, ["not", "an", "object"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        ([ATTRIBUTES], {"DeviceManagementScripts.Read.All"}),
        ([ADE], {"DeviceManagementServiceConfig.Read.All"}),
        (
            [ADE, ATTRIBUTES, "deviceConfigurations"],
            {
                "DeviceManagementServiceConfig.Read.All",
                "DeviceManagementScripts.Read.All",
                "DeviceManagementConfiguration.Read.All",
            },
        ),
    ],
)
def test_permission_probes_of_the_new_types(types, expected):
    assert set(permission_probes_for(types)) == expected
    for policy_type in types:
        for _key, sub in POLICY_TYPE_SPECS[policy_type].sub_resources:
            assert get_contract(sub).required_permission in expected


def test_the_health_check_reports_the_ade_permission_when_ade_is_chosen(world, graph_settings):
    env = golden_environment(world)
    app = graph_settings.tenant(fx.GOLDEN_TENANT_ID).app(fx.GOLDEN_CLIENT_ID)
    app["grantedPermissions"] = [p for p in app["grantedPermissions"] if p != "DeviceManagementServiceConfig.Read.All"]
    inventory_types_update(actor=world.owner, environment=env, policy_types=[ATTRIBUTES, "groups"])
    report = check_connection(connection_for_operations(env))
    assert report.missing_permissions == []
    assert "DeviceManagementScripts.Read.All" in report.permissions
    inventory_types_update(actor=world.owner, environment=env, policy_types=[ADE, "groups"])
    report = check_connection(connection_for_operations(env))
    assert report.missing_permissions == ["DeviceManagementServiceConfig.Read.All"]
    run = run_now(env)  # and the sync names the type it could not read, never a silent empty list
    assert run.outcome != RunOutcome.SUCCEEDED
    assert not InventoryItem.objects.filter(environment=env, policy_type=ADE).exists()


def test_reference_names_map_the_ade_profiles_group_to_its_name(world, graph_settings):
    env = golden_environment(world)
    run_now(env)
    refs = inventory_reference_names(environment_id=env.pk)
    (token,) = _items(env, ADE).values()
    normalized = normalize_for_compare(ADE, token.current_version.payload, refs)
    mac = next(p for p in normalized["enrollmentProfiles"] if "fileVaultDisabled" in p)
    assert mac["enrollmentTimeAzureAdGroupIds"] == ["group:SG-Intune-Pilot"]
    assert "configurationEndpointUrl" not in mac and "appleIdentifier" not in normalized


def test_tenant_settings_sync_as_one_item_that_keeps_its_identity_and_compares(world, graph_settings):
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    first = InventoryItem.objects.get(environment=golden, policy_type=SETTINGS)
    assert first.provider_object_id == DEVICE_MANAGEMENT_SETTINGS_ID
    assert first.current_version.payload["deviceComplianceCheckinThresholdDays"] == 30
    assert "@odata.context" not in first.current_version.payload
    synced(golden)  # a second read is the same item, unchanged
    again = InventoryItem.objects.get(environment=golden, policy_type=SETTINGS)
    assert (again.pk, again.current_version_id) == (first.pk, first.current_version_id)
    assert InventoryItem.objects.get(environment=drifted, policy_type=SETTINGS).provider_object_id == (
        DEVICE_MANAGEMENT_SETTINGS_ID
    )
    profile = captured_profile(world, golden, policy_types=[SETTINGS])
    _run, result = compared(world, profile, drifted)
    (row,) = BaselineCompareItem.objects.filter(result=result)
    assert (row.outcome, row.label) == ("match", "Tenant-wide Intune settings")
    settings = graph_settings.tenant(fx.DRIFTED_TENANT_ID).collections["deviceManagement/settings"][0]
    settings["secureByDefault"] = False
    synced(drifted)
    _run, result = compared(world, profile, drifted)
    row = BaselineCompareItem.objects.get(result=result)
    assert row.outcome == "drift" and [c["path"] for c in row.changes] == ["secureByDefault"]


def test_the_tenant_settings_alone_are_probed_with_their_own_read(world, graph_settings):
    (probe,) = permission_probes_for([SETTINGS]).values()
    assert probe.name == "deviceManagementSettings.get"
    env = golden_environment(world)
    app = graph_settings.tenant(fx.GOLDEN_TENANT_ID).app(fx.GOLDEN_CLIENT_ID)
    app["grantedPermissions"] = [  # Graph also accepts the ServiceConfig scopes for this read
        p
        for p in app["grantedPermissions"]
        if not p.startswith(("DeviceManagementConfiguration.", "DeviceManagementServiceConfig."))
    ]
    inventory_types_update(actor=world.owner, environment=env, policy_types=[SETTINGS, "groups"])
    graph_settings.clear_requests()
    report = check_connection(connection_for_operations(env))
    assert report.missing_permissions == ["DeviceManagementConfiguration.Read.All"]
    probed = [r for r in graph_settings.requests if r.path.endswith("deviceManagement/settings")]
    assert [r.status for r in probed] == [403]
