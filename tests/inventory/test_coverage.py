"""The issue-10 coverage end to end: a sync of every type on the golden tenant, the per-environment
type selection (sync and health check), built-in classification and script secrecy."""

from __future__ import annotations

import base64
import hashlib
import logging

import pytest
from django.urls import reverse

from graphsim import fixtures_catalog as fx
from tenantpilot.audit.models import AuditLog
from tenantpilot.core.errors import ValidationFailed
from tenantpilot.inventory.choices import POLICY_TYPE_SPECS, PolicyType
from tenantpilot.inventory.coverage import ALL_TYPES, permission_probes_for
from tenantpilot.inventory.models import InventoryItem
from tenantpilot.inventory.services_types import inventory_types_update, selected_types
from tenantpilot.operations.choices import RunOutcome
from tenantpilot.providers.health import PermissionState, check_connection
from tenantpilot.providers.selectors import connection_for_operations
from tenantpilot.resources.adapters.microsoft import MicrosoftAdapter
from tenantpilot.resources.choices import SubjectClass
from tests.inventory.support import golden_environment, item, run_now

pytestmark = pytest.mark.django_db

# What the golden tenant holds of each type (graphsim/fixtures_build.py).
GOLDEN_COUNTS = {
    "compliancePolicies": 1,
    "intents": 1,
    "windowsAutopilotDeploymentProfiles": 1,
    "windowsFeatureUpdateProfiles": 1,
    "windowsQualityUpdateProfiles": 1,
    "windowsDriverUpdateProfiles": 1,
    "deviceManagementScripts": 1,
    "deviceShellScripts": 1,
    "deviceHealthScripts": 1,
    "deviceComplianceScripts": 1,
    "conditionalAccessPolicies": 2,
    "mobileApps": 2,
    "mobileAppConfigurations": 1,
    "targetedManagedAppConfigurations": 1,
    "roleDefinitions": 2,
    "reusablePolicySettings": 1,
    "notificationMessageTemplates": 1,
    "deviceCategories": 2,
}
HELP_DESK_OPERATOR_ID = "9e0cc482-82df-4ab2-a24c-0c23a3f52e1e"


def _counts(env) -> dict[str, int]:
    counts: dict[str, int] = {}
    for policy_type in InventoryItem.objects.filter(environment=env).values_list("policy_type", flat=True):
        counts[policy_type] = counts.get(policy_type, 0) + 1
    return counts


def test_a_sync_reads_every_type_of_the_golden_tenant(world, graph_settings, caplog):
    env = golden_environment(world)
    with caplog.at_level(logging.DEBUG):
        run = run_now(env)
    assert run.outcome == RunOutcome.SUCCEEDED, (run.reason_code, run.message)
    counts = _counts(env)
    assert set(counts) == set(PolicyType.values)
    for policy_type, expected in GOLDEN_COUNTS.items():
        assert counts[policy_type] == expected, policy_type
        assert run.summary_counts[f"items.{policy_type}"] == expected
    compliance = InventoryItem.objects.get(environment=env, policy_type="compliancePolicies")
    payload = compliance.current_version.payload
    assert compliance.display_name == "LNX - Compliance (settings catalog)"
    assert len(payload["settings"]) == 2 and payload["scheduledActionsForRule"][0]["scheduledActionConfigurations"]
    intent = InventoryItem.objects.get(environment=env, policy_type="intents").current_version.payload
    assert len(intent["settings"]) == 2 and len(intent["assignments"]) == 1
    template = InventoryItem.objects.get(environment=env, policy_type="notificationMessageTemplates")
    assert template.current_version.payload["localizedNotificationMessages"][0]["locale"] == "en-us"
    # Script bodies are stored like any payload but never logged.
    script = InventoryItem.objects.get(environment=env, policy_type="deviceManagementScripts")
    body = script.current_version.payload["scriptContent"]
    assert base64.b64decode(body).startswith(b"Set-TimeZone")
    assert body not in caplog.text and "Set-TimeZone" not in caplog.text


def test_built_in_roles_are_builtin_and_custom_roles_tenant_owned(world, graph_settings):
    env = golden_environment(world)
    run_now(env)
    adapter = MicrosoftAdapter()
    builtin = item(env, "roleDefinitions", HELP_DESK_OPERATOR_ID).current_version.payload
    described = adapter.describe("roleDefinitions", builtin)
    assert described.subject_class == SubjectClass.PROVIDER_BUILTIN
    assert described.identity.is_builtin and not described.identity.is_tenant_owned
    custom = InventoryItem.objects.get(
        environment=env, policy_type="roleDefinitions", display_name="Tier 1 - Device read"
    )
    described = adapter.describe("roleDefinitions", custom.current_version.payload)
    assert described.subject_class == SubjectClass.POLICY and described.identity.is_tenant_owned
    for policy_type in GOLDEN_COUNTS:
        if policy_type == "roleDefinitions":
            continue
        row = InventoryItem.objects.filter(environment=env, policy_type=policy_type).first()
        assert adapter.describe(policy_type, row.current_version.payload).subject_class == SubjectClass.POLICY


def test_the_sync_reads_only_the_chosen_types(world, graph_settings):
    env = golden_environment(world)
    inventory_types_update(actor=world.owner, environment=env, policy_types=["groups", "deviceManagementScripts"])
    graph_settings.clear_requests()
    run = run_now(env)
    assert run.outcome == RunOutcome.SUCCEEDED
    assert set(_counts(env)) == {"groups", "deviceManagementScripts"}
    paths = {r.path for r in graph_settings.requests if r.host == "graph"}
    assert not any("deviceConfigurations" in p or "conditionalAccess" in p for p in paths), paths


def test_choosing_types_is_audited_and_validated(world):
    env = golden_environment(world)
    assert selected_types(env) == ALL_TYPES
    inventory_types_update(actor=world.owner, environment=env, policy_types=["mobileApps", "groups", "mobileApps"])
    assert selected_types(env) == ("groups", "mobileApps")  # registry order, no repeats
    row = AuditLog.objects.get(action="inventory.types_updated", environment=env)
    assert row.metadata["types"] == 2 and "deviceConfigurations" in row.metadata["removed"]
    for bad in ([], ["nope"], [3]):
        with pytest.raises(ValidationFailed) as caught:
            inventory_types_update(actor=world.owner, environment=env, policy_types=bad)
        assert caught.value.field == "policy_types"
    assert selected_types(env) == ("groups", "mobileApps")


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        (["deviceManagementScripts"], {"DeviceManagementScripts.Read.All"}),
        (["conditionalAccessPolicies", "groups"], {"Policy.Read.All", "Group.Read.All"}),
        (["roleDefinitions", "roleScopeTags"], {"DeviceManagementRBAC.Read.All"}),
        (
            ["windowsAutopilotDeploymentProfiles", "notificationMessageTemplates", "mobileApps"],
            {"DeviceManagementServiceConfig.Read.All", "DeviceManagementApps.Read.All"},
        ),
    ],
)
def test_permission_probes_follow_the_chosen_types(types, expected):
    assert set(permission_probes_for(types)) == expected


def test_the_health_check_probes_exactly_the_chosen_types_permissions(world, graph_settings):
    env = golden_environment(world)
    # The app may read everything but scripts and conditional access.
    app = graph_settings.tenant(fx.GOLDEN_TENANT_ID).app(fx.GOLDEN_CLIENT_ID)
    app["grantedPermissions"] = [
        p for p in app["grantedPermissions"] if p not in ("DeviceManagementScripts.Read.All", "Policy.Read.All")
    ]
    connection = connection_for_operations(env)
    report = check_connection(connection)
    assert set(report.missing_permissions) == {"DeviceManagementScripts.Read.All", "Policy.Read.All"}
    inventory_types_update(actor=world.owner, environment=env, policy_types=["deviceConfigurations", "groups"])
    connection.refresh_from_db()
    report = check_connection(connection)
    assert report.missing_permissions == []
    assert set(report.permissions) == {
        "Organization.Read.All",
        "DeviceManagementManagedDevices.Read.All",
        "DeviceManagementConfiguration.Read.All",
        "Group.Read.All",
    }
    assert set(report.permissions.values()) == {PermissionState.GRANTED}


def test_script_content_is_never_rendered_in_the_list_or_item_page(client, world, graph_settings):
    env = golden_environment(world)
    run_now(env)
    client.force_login(world.owner)
    script = InventoryItem.objects.get(environment=env, policy_type="deviceHealthScripts")
    payload = script.current_version.payload
    kwargs = {"workspace": world.a.slug, "environment_id": env.pk}
    listing = client.get(reverse("console:inventory", kwargs=kwargs), {"type": "deviceHealthScripts"})
    page = client.get(reverse("console:inventory-item", kwargs={**kwargs, "item_id": script.pk}))
    assert listing.status_code == page.status_code == 200
    for html in (listing.content.decode(), page.content.decode()):
        for field in ("detectionScriptContent", "remediationScriptContent"):
            assert payload[field] not in html
            assert base64.b64decode(payload[field]).decode()[:20] not in html
    raw = base64.b64decode(payload["remediationScriptContent"])
    assert f"script content: {hashlib.sha256(raw).hexdigest()}, {len(raw)} bytes" in page.content.decode()


def test_every_spec_names_secret_fields_only_for_scripts():
    secret = {t for t, spec in POLICY_TYPE_SPECS.items() if spec.secret_fields}
    assert secret == {
        "deviceManagementScripts",
        "deviceShellScripts",
        "deviceHealthScripts",
        "deviceComplianceScripts",
        "deviceCustomAttributeShellScripts",
    }
