"""Synthetic large tenants for benchmarks (deterministic for a given seed)."""

from __future__ import annotations

import random
import uuid
from typing import Any

from .routes import APPS, DEVICES, DMC, GROUPS, ORGANIZATION, RBAC, SERVICE_CONFIG
from .tenants import ALL_DEVICES_GROUP_ID, ALL_USERS_GROUP_ID, stable_guid

GENERATED_CLIENT_SECRET = "graphsim-generated-secret"  # noqa: S105 - a demo value

# Share of each policy family in a generated tenant (sums to 1).
_MIX = (
    ("deviceManagement/deviceConfigurations", 0.30),
    ("deviceManagement/configurationPolicies", 0.35),
    ("deviceManagement/deviceCompliancePolicies", 0.10),
    ("deviceManagement/groupPolicyConfigurations", 0.08),
    ("deviceAppManagement/iosManagedAppProtections", 0.06),
    ("deviceAppManagement/androidManagedAppProtections", 0.06),
    ("deviceManagement/deviceEnrollmentConfigurations", 0.05),
)
_CONFIG_TYPES = (
    "#microsoft.graph.windows10GeneralConfiguration",
    "#microsoft.graph.windows10CustomConfiguration",
    "#microsoft.graph.iosGeneralDeviceConfiguration",
    "#microsoft.graph.macOSGeneralDeviceConfiguration",
    "#microsoft.graph.androidWorkProfileGeneralDeviceConfiguration",
)
_COMPLIANCE_TYPES = (
    "#microsoft.graph.windows10CompliancePolicy",
    "#microsoft.graph.iosCompliancePolicy",
    "#microsoft.graph.macOSCompliancePolicy",
    "#microsoft.graph.androidWorkProfileCompliancePolicy",
)
_COMPLIANCE_STATES = (
    ("compliant", 0.72),
    ("noncompliant", 0.12),
    ("inGracePeriod", 0.04),
    ("unknown", 0.06),
    ("error", 0.02),
    ("conflict", 0.02),
    ("configManager", 0.02),
)
_OS = (("Windows", "10.0.22631.4890"), ("iOS", "17.6.1"), ("Android", "14"), ("macOS", "14.6.1"))
_SETTINGS_TEMPLATES: tuple[list[dict[str, Any]], ...] = tuple(
    [
        {
            "id": "0",
            "settingInstance": {
                "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
                "settingDefinitionId": "device_vendor_msft_policy_config_defender_allowrealtimemonitoring",
                "settingInstanceTemplateReference": None,
                "choiceSettingValue": {
                    "settingValueTemplateReference": None,
                    "children": [],
                    "value": f"device_vendor_msft_policy_config_defender_allowrealtimemonitoring_{flag}",
                },
            },
        },
        {
            "id": "1",
            "settingInstance": {
                "@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
                "settingDefinitionId": "device_vendor_msft_policy_config_localpoliciessecurityoptions_interactivelogon_messagetitleforusersattemptingtologon",
                "settingInstanceTemplateReference": None,
                "simpleSettingValue": {
                    "@odata.type": "#microsoft.graph.deviceManagementConfigurationStringSettingValue",
                    "settingValueTemplateReference": None,
                    "value": title,
                },
            },
        },
    ]
    for flag in (0, 1)
    for title in ("-WARNING-", "Authorized use only")
)


def _long_settings(size: int, salt: int) -> list[dict[str, Any]]:
    """A settings list longer than one /settings page (25): Defender ASR-like choice settings
    mixed with integer and string simple settings, ids "0".."size-1" as Graph numbers them."""
    out: list[dict[str, Any]] = []
    for index in range(size):
        definition = f"device_vendor_msft_policy_config_graphsim_setting{salt:02d}_{index:03d}"
        instance: dict[str, Any]
        if index % 3 == 0:
            instance = {
                "@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
                "settingDefinitionId": definition,
                "settingInstanceTemplateReference": None,
                "simpleSettingValue": {
                    "@odata.type": "#microsoft.graph.deviceManagementConfigurationIntegerSettingValue",
                    "settingValueTemplateReference": None,
                    "value": (index * 7 + salt) % 100,
                },
            }
        else:
            instance = {
                "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
                "settingDefinitionId": definition,
                "settingInstanceTemplateReference": None,
                "choiceSettingValue": {
                    "settingValueTemplateReference": None,
                    "children": [],
                    "value": f"{definition}_{(index + salt) % 2}",
                },
            }
        out.append({"id": str(index), "settingInstance": instance})
    return out


# Settings lists longer than one page (25 by default): 30, 48 and 120 settings.
_LONG_SETTINGS: tuple[list[dict[str, Any]], ...] = tuple(
    _long_settings(size, salt) for salt, size in enumerate((30, 48, 120))
)

# Full property sets of the classic profiles (beta names; graph-fidelity.md 6.1), shared.
_GENERAL_CONFIG_PROPERTIES: dict[str, Any] = {
    "deviceManagementApplicabilityRuleOsEdition": None,
    "deviceManagementApplicabilityRuleOsVersion": None,
    "deviceManagementApplicabilityRuleDeviceMode": None,
    "passwordRequiredType": "alphanumeric",
    "passwordExpirationDays": 90,
    "passwordPreviousPasswordBlockCount": 5,
    "passwordMinutesOfInactivityBeforeScreenTimeout": 15,
    "passwordSignInFailureCountBeforeFactoryReset": 10,
    "cameraBlocked": False,
    "bluetoothBlocked": False,
    "storageRequireMobileDeviceEncryption": True,
    "defenderRequireRealTimeMonitoring": True,
    "defenderRequireBehaviorMonitoring": True,
    "defenderScanType": "quick",
    "defenderScheduledScanTime": "02:00:00.0000000",
    "defenderSignatureUpdateIntervalInHours": 8,
    "smartScreenEnableAppInstallControl": True,
    "edgeBlockPopups": True,
    "windowsSpotlightBlocked": False,
    "lockScreenBlockToastNotifications": True,
}
_OMA_SETTINGS: tuple[list[dict[str, Any]], ...] = tuple(
    [
        {
            "@odata.type": "#microsoft.graph.omaSettingInteger",
            "displayName": "Allow telemetry",
            "description": None,
            "omaUri": "./Device/Vendor/MSFT/Policy/Config/System/AllowTelemetry",
            "secretReferenceValueId": None,
            "isEncrypted": False,
            "value": level,
            "isReadOnly": False,
        },
        {
            "@odata.type": "#microsoft.graph.omaSettingString",
            "displayName": "Start layout",
            "description": "Pinned apps",
            "omaUri": "./Vendor/MSFT/Policy/Config/Start/StartLayout",
            "secretReferenceValueId": None,
            "isEncrypted": False,
            "value": f'<LayoutModificationTemplate Version="{level}"/>',
        },
        {
            "@odata.type": "#microsoft.graph.omaSettingBoolean",
            "displayName": "Disable consumer features",
            "description": None,
            "omaUri": "./Device/Vendor/MSFT/Policy/Config/Experience/AllowWindowsConsumerFeatures",
            "secretReferenceValueId": None,
            "isEncrypted": False,
            "value": level % 2 == 0,
        },
    ]
    for level in (0, 1, 3)
)
_COMPLIANCE_PROPERTIES: dict[str, Any] = {
    "passwordRequiredType": "deviceDefault",
    "passwordMinimumLength": 8,
    "osMinimumVersion": None,
    "osMaximumVersion": None,
    "bitLockerEnabled": True,
    "secureBootEnabled": True,
    "codeIntegrityEnabled": True,
    "storageRequireEncryption": True,
    "requireHealthyDeviceReport": False,
    "deviceThreatProtectionEnabled": False,
    "deviceThreatProtectionRequiredSecurityLevel": "unavailable",
}


def _admx_values(salt: int) -> list[dict[str, Any]]:
    """ADMX definitionValues with their definition and presentationValues (graph-fidelity.md 2.2)."""
    values: list[dict[str, Any]] = []
    for index in range(1 + salt % 3):
        definition_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"graphsim/admx-definition/{index}"))
        values.append(
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"graphsim/admx-value/{salt}/{index}")),
                "enabled": index % 2 == 0,
                "configurationType": "policy",
                "createdDateTime": "2025-03-01T08:00:00Z",
                "lastModifiedDateTime": "2025-03-01T08:00:00Z",
                "definition": {
                    "id": definition_id,
                    "classType": "machine",
                    "displayName": f"Edge setting {index}",
                    "categoryPath": "\\Microsoft Edge\\Startup",
                    "policyType": "admxBacked",
                    "version": "1.0",
                },
                "presentationValues": [
                    {
                        "@odata.type": "#microsoft.graph.groupPolicyPresentationValueText",
                        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"graphsim/admx-presentation/{salt}/{index}")),
                        "value": f"https://intranet.example/{salt}/{index}",
                        "createdDateTime": "2025-03-01T08:00:00Z",
                        "lastModifiedDateTime": "2025-03-01T08:00:00Z",
                        "presentation": {
                            "@odata.type": "#microsoft.graph.groupPolicyPresentationTextBox",
                            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"graphsim/admx-textbox/{index}")),
                            "label": "Home page URL",
                            "required": True,
                            "maxLength": 1023,
                        },
                    }
                ],
            }
        )
    return values


_ADMX_VALUES: tuple[list[dict[str, Any]], ...] = tuple(_admx_values(salt) for salt in range(6))


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    roll = rng.random()
    for value, weight in weighted:
        roll -= weight
        if roll < 0:
            return value
    return weighted[-1][0]


def generate_tenant(
    *,
    tenant_id: str,
    policies: int,
    devices: int,
    seed: int = 0,
    groups: int = 200,
    client_id: str | None = None,
    client_secret: str = GENERATED_CLIENT_SECRET,
) -> dict[str, Any]:
    """A large synthetic tenant document: ``policies`` policies spread over the Intune
    families (each with 0-3 assignments over groups and the virtual all-users / all-devices
    targets) and ``devices`` managed devices with mixed compliance states.

    Repeated sub-structures (assignment targets, settings) are shared objects to keep
    memory low; treat the result as read-only or copy what you mutate. The one app
    (``client_id``, default derived from the tenant id) has every read permission and
    secret ``client_secret``.
    """
    rng = random.Random(seed)  # noqa: S311 - deterministic test data, not crypto
    detail = random.Random(seed + 1)  # noqa: S311 - a second stream, so the base shape stays as before
    tenant_id = tenant_id.lower()
    domain = f"bench{tenant_id[:8]}.onmicrosoft.com"
    group_items: list[dict[str, Any]] = [
        {
            "@odata.type": "#microsoft.graph.group",
            "id": _guid(rng),
            "displayName": f"SG-Intune-{index:04d}",
            "description": None,
            "groupTypes": [],
            "securityEnabled": True,
            "mailEnabled": False,
            "mailNickname": f"sg-intune-{index:04d}",
            "membershipRule": None,
            "createdDateTime": "2024-02-01T10:00:00Z",
        }
        for index in range(groups)
    ]
    group_targets: list[dict[str, Any]] = [
        {
            "@odata.type": "#microsoft.graph.groupAssignmentTarget",
            "groupId": g["id"],
            "deviceAndAppManagementAssignmentFilterId": None,
            "deviceAndAppManagementAssignmentFilterType": "none",
        }
        for g in group_items
    ]
    exclusion_targets: list[dict[str, Any]] = [
        {
            "@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget",
            "groupId": g["id"],
            "deviceAndAppManagementAssignmentFilterId": None,
            "deviceAndAppManagementAssignmentFilterType": "none",
        }
        for g in group_items[:20]
    ]
    all_users: dict[str, Any] = {
        "@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget",
        "deviceAndAppManagementAssignmentFilterId": None,
        "deviceAndAppManagementAssignmentFilterType": "none",
    }
    all_devices: dict[str, Any] = {
        "@odata.type": "#microsoft.graph.allDevicesAssignmentTarget",
        "deviceAndAppManagementAssignmentFilterId": None,
        "deviceAndAppManagementAssignmentFilterType": "none",
    }

    def assignments(policy_id: str) -> list[dict[str, Any]]:
        result = []
        for _ in range(rng.randint(0, 3)):
            roll = rng.random()
            target: dict[str, Any]
            target_id: str
            if roll < 0.15:
                target, target_id = all_users, ALL_USERS_GROUP_ID
            elif roll < 0.30:
                target, target_id = all_devices, ALL_DEVICES_GROUP_ID
            elif roll < 0.40 and group_targets:
                target = rng.choice(exclusion_targets or group_targets)
                target_id = target["groupId"]
            elif group_targets:
                target = rng.choice(group_targets)
                target_id = target["groupId"]
            else:
                continue
            result.append(
                {"id": f"{policy_id}_{target_id}", "source": "direct", "sourceId": policy_id, "target": target}
            )
        return result

    collections: dict[str, list[dict[str, Any]]] = {key: [] for key, _ in _MIX}
    collections["groups"] = group_items
    remaining = policies
    for position, (key, share) in enumerate(_MIX):
        count = remaining if position == len(_MIX) - 1 else min(remaining, round(policies * share))
        remaining -= count
        items = collections[key]
        for index in range(count):
            pid = _guid(rng)
            stamp = f"2025-{1 + index % 12:02d}-{1 + index % 28:02d}T08:00:00Z"
            base: dict[str, Any] = {
                "id": pid,
                "description": None,
                "createdDateTime": stamp,
                "lastModifiedDateTime": stamp,
                "roleScopeTagIds": ["0"],
            }
            if key.endswith("deviceConfigurations"):
                item = {
                    "@odata.type": rng.choice(_CONFIG_TYPES),
                    **base,
                    "displayName": f"CFG - {index:05d}",
                    "version": rng.randint(1, 9),
                    "supportsScopeTags": True,
                    "passwordRequired": rng.random() < 0.5,
                    "passwordMinimumLength": rng.choice((8, 12, 14)),
                }
                if item["@odata.type"] == "#microsoft.graph.windows10CustomConfiguration":
                    item["omaSettings"] = detail.choice(_OMA_SETTINGS)
                else:
                    item.update(_GENERAL_CONFIG_PROPERTIES)
            elif key.endswith("configurationPolicies"):
                settings = rng.choice(_SETTINGS_TEMPLATES)
                if detail.random() < 0.10:  # one in ten lists is longer than a /settings page
                    settings = detail.choice(_LONG_SETTINGS)
                item = {
                    "@odata.type": "#microsoft.graph.deviceManagementConfigurationPolicy",
                    **base,
                    "name": f"SC - {index:05d}",
                    "platforms": "windows10",
                    "technologies": "mdm",
                    "settingCount": len(settings),
                    "isAssigned": False,
                    "creationSource": None,
                    "templateReference": {
                        "templateId": "",
                        "templateFamily": "none",
                        "templateDisplayName": None,
                        "templateDisplayVersion": None,
                    },
                    "priorityMetaData": None,
                    "settings": settings,
                }
                del item["description"]
                item["description"] = ""
            elif key.endswith("deviceCompliancePolicies"):
                item = {
                    "@odata.type": rng.choice(_COMPLIANCE_TYPES),
                    **base,
                    "displayName": f"CMP - {index:05d}",
                    "version": rng.randint(1, 5),
                    "passwordRequired": rng.random() < 0.5,
                    **_COMPLIANCE_PROPERTIES,
                }
            elif key.endswith("groupPolicyConfigurations"):
                item = {
                    "@odata.type": "#microsoft.graph.groupPolicyConfiguration",
                    **base,
                    "displayName": f"ADMX - {index:05d}",
                    "policyConfigurationIngestionType": "builtIn",
                    "definitionValues": detail.choice(_ADMX_VALUES),
                }
            elif key.endswith("iosManagedAppProtections") or key.endswith("androidManagedAppProtections"):
                ios = key.endswith("iosManagedAppProtections")
                item = {
                    "@odata.type": "#microsoft.graph.iosManagedAppProtection"
                    if ios
                    else "#microsoft.graph.androidManagedAppProtection",
                    **base,
                    "displayName": f"{'IOS' if ios else 'AND'} MAM - {index:05d}",
                    "version": '"1"',
                    "isAssigned": False,
                    "pinRequired": True,
                    "minimumPinLength": rng.choice((4, 6)),
                }
            else:
                item = {
                    "@odata.type": "#microsoft.graph.deviceEnrollmentLimitConfiguration",
                    **base,
                    "displayName": f"Enrollment limit - {index:05d}",
                    "priority": index + 1,
                    "version": 1,
                    "deviceEnrollmentConfigurationType": "limit",
                    "limit": rng.randint(1, 15),
                }
            item["assignments"] = assignments(pid)
            if "isAssigned" in item:
                item["isAssigned"] = bool(item["assignments"])
            items.append(item)

    device_items: list[dict[str, Any]] = []
    for index in range(devices):
        os_name, os_version = _OS[index % len(_OS)]
        device_items.append(
            {
                "@odata.type": "#microsoft.graph.managedDevice",
                "id": _guid(rng),
                "deviceName": f"DEV-{index:06d}",
                "operatingSystem": os_name,
                "osVersion": os_version,
                "complianceState": _pick(rng, _COMPLIANCE_STATES),
                "lastSyncDateTime": "2026-01-14T14:02:05Z",
                "enrolledDateTime": "2025-06-01T09:00:00Z",
                "managedDeviceOwnerType": "company" if index % 5 else "personal",
                "managementAgent": "mdm",
                "userPrincipalName": f"user{index % 5000:05d}@{domain}",
                "azureADDeviceId": _guid(rng),
                "serialNumber": f"SN{index:08d}",
                "roleScopeTagIds": [],
            }
        )
    collections["deviceManagement/managedDevices"] = device_items
    return {
        "tenantId": tenant_id,
        "displayName": f"Benchmark tenant {tenant_id[:8]}",
        "defaultDomain": domain,
        "apps": [
            {
                "clientId": client_id or stable_guid(tenant_id, "generated-app"),
                "displayName": "TenantPilot (benchmark)",
                "secrets": [{"value": client_secret, "expiresAt": "2099-01-01T00:00:00Z"}],
                "certificates": [],
                "grantedPermissions": sorted(
                    {
                        DMC[0],
                        SERVICE_CONFIG[0],
                        RBAC[0],
                        APPS[0],
                        DEVICES[0],
                        GROUPS[1],
                        ORGANIZATION[0],
                        "DeviceManagementScripts.Read.All",
                        "Policy.Read.All",
                    }
                ),
                "adminConsented": True,
                "servicePrincipal": True,
            }
        ],
        "collections": collections,
    }
