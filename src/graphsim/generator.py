"""Synthetic large tenants for benchmarks (deterministic for a given seed)."""

from __future__ import annotations

import base64
import copy
import random
import uuid
from typing import Any

from .fixtures_build import connector_collections, coverage_collections
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
# The other platforms' profiles carry their own property names (DOCS v1.0 resource pages
# intune-deviceconfig-iosgeneraldeviceconfiguration, -macosgeneraldeviceconfiguration,
# -androidworkprofilegeneraldeviceconfiguration): iOS says "passcode…", Android's work profile has
# no passwordRequired, and a custom (OMA-URI) profile has no password properties at all.
_PLATFORM_CONFIG_PROPERTIES: dict[str, dict[str, Any]] = {
    "#microsoft.graph.windows10GeneralConfiguration": _GENERAL_CONFIG_PROPERTIES,
    "#microsoft.graph.iosGeneralDeviceConfiguration": {
        "passcodeRequiredType": "alphanumeric",
        "passcodeBlockSimple": True,
        "passcodeExpirationDays": 90,
        "passcodeMinutesOfInactivityBeforeLock": 5,
        "passcodeMinutesOfInactivityBeforeScreenTimeout": 5,
        "passcodePreviousPasscodeBlockCount": 5,
        "passcodeSignInFailureCountBeforeWipe": 10,
        "passcodeBlockFingerprintUnlock": False,
        "screenCaptureBlocked": False,
        "safariBlockAutofill": True,
        "safariRequireFraudWarning": True,
        "safariCookieSettings": "browserDefault",
        "siriBlockedWhenLocked": True,
        "spotlightBlockInternetResults": False,
        "wiFiConnectOnlyToConfiguredNetworks": False,
    },
    "#microsoft.graph.macOSGeneralDeviceConfiguration": {
        "compliantAppsList": [],
        "compliantAppListType": "none",
        "emailInDomainSuffixes": [],
        "passwordBlockSimple": True,
        "passwordExpirationDays": 90,
        "passwordMinimumCharacterSetCount": 1,
        "passwordMinutesOfInactivityBeforeLock": 5,
        "passwordMinutesOfInactivityBeforeScreenTimeout": 15,
        "passwordPreviousPasswordBlockCount": 5,
        "passwordRequiredType": "alphanumeric",
    },
    "#microsoft.graph.androidWorkProfileGeneralDeviceConfiguration": {
        "passwordBlockFingerprintUnlock": False,
        "passwordBlockTrustAgents": True,
        "passwordMinutesOfInactivityBeforeScreenTimeout": 15,
        "passwordRequiredType": "deviceDefault",
        "workProfileDataSharingType": "preventAny",
        "workProfileBlockNotificationsWhileDeviceLocked": True,
        "workProfileBlockScreenCapture": True,
        "workProfileBlockCamera": False,
        "workProfileBlockCrossProfileCopyPaste": True,
        "workProfileDefaultAppPermissionPolicy": "prompt",
        "workProfilePasswordRequiredType": "alphanumeric",
        "workProfilePasswordMinimumLength": 6,
        "securityRequireVerifyApps": True,
    },
}
# Which boolean/length pair each platform uses for "password required" and its minimum length.
_PASSWORD_NAMES: dict[str, tuple[str | None, str | None]] = {
    "#microsoft.graph.windows10GeneralConfiguration": ("passwordRequired", "passwordMinimumLength"),
    "#microsoft.graph.iosGeneralDeviceConfiguration": ("passcodeRequired", "passcodeMinimumLength"),
    "#microsoft.graph.macOSGeneralDeviceConfiguration": ("passwordRequired", "passwordMinimumLength"),
    "#microsoft.graph.androidWorkProfileGeneralDeviceConfiguration": (
        "workProfileRequirePassword",
        "passwordMinimumLength",
    ),
    "#microsoft.graph.windows10CustomConfiguration": (None, None),
    "#microsoft.graph.iosCompliancePolicy": ("passcodeRequired", "passcodeMinimumLength"),
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


# Compliance policies per platform (DOCS v1.0 intune-deviceconfig-*compliancepolicy pages): only
# Windows has BitLocker/Secure Boot, iOS has jailbreak and passcode rules, macOS SIP/Gatekeeper.
_PLATFORM_COMPLIANCE_PROPERTIES: dict[str, dict[str, Any]] = {
    "#microsoft.graph.windows10CompliancePolicy": _COMPLIANCE_PROPERTIES,
    "#microsoft.graph.iosCompliancePolicy": {
        "passcodeBlockSimple": True,
        "passcodeRequiredType": "deviceDefault",
        "passcodeMinutesOfInactivityBeforeLock": 5,
        "osMinimumVersion": "16.0",
        "osMaximumVersion": None,
        "securityBlockJailbrokenDevices": True,
        "managedEmailProfileRequired": False,
        "deviceThreatProtectionEnabled": False,
        "deviceThreatProtectionRequiredSecurityLevel": "unavailable",
    },
    "#microsoft.graph.macOSCompliancePolicy": {
        "passwordBlockSimple": True,
        "passwordRequiredType": "deviceDefault",
        "osMinimumVersion": "14.0",
        "osMaximumVersion": None,
        "systemIntegrityProtectionEnabled": True,
        "storageRequireEncryption": True,
        "firewallEnabled": True,
        "firewallBlockAllIncoming": False,
        "firewallEnableStealthMode": True,
        "gatekeeperAllowedAppSource": "macAppStoreAndIdentifiedDevelopers",
        "deviceThreatProtectionEnabled": False,
        "deviceThreatProtectionRequiredSecurityLevel": "unavailable",
    },
    "#microsoft.graph.androidWorkProfileCompliancePolicy": {
        "passwordRequiredType": "deviceDefault",
        "osMinimumVersion": "12.0",
        "osMaximumVersion": None,
        "securityBlockJailbrokenDevices": True,
        "securityPreventInstallAppsFromUnknownSources": True,
        "securityRequireSafetyNetAttestationBasicIntegrity": True,
        "securityRequireSafetyNetAttestationCertifiedDevice": False,
        "storageRequireEncryption": True,
        "deviceThreatProtectionEnabled": False,
        "deviceThreatProtectionRequiredSecurityLevel": "unavailable",
    },
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


# With ``coverage=True``: the share of ``policies`` given to the issue-10 families, and their mix
# (sums to 1). Shapes are the shipped fixtures' (graphsim.fixtures_build), cloned per item.
_COVERAGE_SHARE = 0.30
_COVERAGE_MIX = (
    ("deviceManagement/compliancePolicies", 0.12, "CMP2"),
    ("deviceManagement/intents", 0.05, "BASE"),
    ("deviceManagement/windowsAutopilotDeploymentProfiles", 0.04, "AP"),
    ("deviceManagement/windowsFeatureUpdateProfiles", 0.04, "FU"),
    ("deviceManagement/windowsQualityUpdateProfiles", 0.04, "QU"),
    ("deviceManagement/windowsDriverUpdateProfiles", 0.03, "DU"),
    ("deviceManagement/deviceManagementScripts", 0.12, "PS"),
    ("deviceManagement/deviceShellScripts", 0.07, "SH"),
    ("deviceManagement/deviceHealthScripts", 0.08, "REM"),
    ("deviceManagement/deviceComplianceScripts", 0.04, "CSCR"),
    ("deviceManagement/deviceCustomAttributeShellScripts", 0.03, "ATTR"),
    ("deviceManagement/reusablePolicySettings", 0.03, "RPS"),
    ("deviceManagement/notificationMessageTemplates", 0.02, "NOTE"),
    ("deviceManagement/roleDefinitions", 0.02, "ROLE"),
    ("deviceManagement/deviceCategories", 0.02, "CAT"),
    ("deviceAppManagement/mobileApps", 0.14, "APP"),
    ("deviceAppManagement/mobileAppConfigurations", 0.05, "APPCFG"),
    ("identity/conditionalAccess/policies", 0.06, "CA"),
)
# Script bodies (base64 in Graph's scriptContent / detection / remediation fields).
_SCRIPT_FIELDS = ("scriptContent", "detectionScriptContent", "remediationScriptContent")
# Microsoft-managed Conditional Access policies every tenant now has (template family
# 4200930c-0da2-4e33-ca01-…, see tenantpilot.resources.adapters.microsoft).
_MICROSOFT_MANAGED_CA = (
    ("4200930c-0da2-4e33-ca01-000000000005", "Multifactor authentication for Microsoft partners and vendors"),
    (
        "4200930c-0da2-4e33-ca01-000000000007",
        "Microsoft-managed: Multifactor authentication and reauthentication for risky sign-ins",
    ),
)


def _coverage_templates(tenant_id: str, domain: str, group_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """The fixtures' issue-10 and connector items, referring to the generated tenant's groups."""
    names: tuple[str, ...] = (
        "SG-Intune-Windows-Devices",
        "SG-Intune-Pilot",
        "SG-Intune-iOS-Users",
        "DYN-All-Windows-Autopilot",
        "SG-Intune-Exclusions",
    )
    ids = group_ids or [stable_guid(tenant_id, "generated-group", name) for name in names]
    g = {name: ids[index % len(ids)] for index, name in enumerate(names)}
    return {**coverage_collections(tenant_id, g), **connector_collections(tenant_id, domain, g)}


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
    coverage: bool = False,
) -> dict[str, Any]:
    """A large synthetic tenant document: ``policies`` policies spread over the Intune
    families (each with 0-3 assignments over groups and the virtual all-users / all-devices
    targets) and ``devices`` managed devices with mixed compliance states.

    Repeated sub-structures (assignment targets, settings) are shared objects to keep
    memory low; treat the result as read-only or copy what you mutate. The one app
    (``client_id``, default derived from the tenant id) has every read permission and
    secret ``client_secret``.

    ``coverage=True`` gives 30 % of ``policies`` to the issue-10 families (scripts with base64
    bodies, settings-catalog compliance with settings lists longer than a page, intents, update
    and Autopilot profiles, apps and app configurations, custom roles, categories, notification
    templates, reusable settings, custom-attribute scripts, Conditional Access) in the shipped
    fixtures' Graph shapes, and adds what Microsoft and the tenant's connectors put in every tenant
    (built-in roles, Microsoft-managed CA policies, VPP/APNs/partners/ADE, ``deviceManagement/
    settings``) on top. The default keeps the original seven families and their exact stream.
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

    def assignments(policy_id: str, source: random.Random = rng) -> list[dict[str, Any]]:
        result = []
        for _ in range(source.randint(0, 3)):
            roll = source.random()
            target: dict[str, Any]
            target_id: str
            if roll < 0.15:
                target, target_id = all_users, ALL_USERS_GROUP_ID
            elif roll < 0.30:
                target, target_id = all_devices, ALL_DEVICES_GROUP_ID
            elif roll < 0.40 and group_targets:
                target = source.choice(exclusion_targets or group_targets)
                target_id = target["groupId"]
            elif group_targets:
                target = source.choice(group_targets)
                target_id = target["groupId"]
            else:
                continue
            result.append(
                {"id": f"{policy_id}_{target_id}", "source": "direct", "sourceId": policy_id, "target": target}
            )
        return result

    collections: dict[str, list[dict[str, Any]]] = {key: [] for key, _ in _MIX}
    collections["groups"] = group_items
    covered = round(policies * _COVERAGE_SHARE) if coverage else 0
    main_total = policies - covered
    remaining = main_total
    for position, (key, share) in enumerate(_MIX):
        count = remaining if position == len(_MIX) - 1 else min(remaining, round(main_total * share))
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
                odata_type = rng.choice(_CONFIG_TYPES)
                item = {
                    "@odata.type": odata_type,
                    **base,
                    "displayName": f"CFG - {index:05d}",
                    "version": rng.randint(1, 9),
                    "supportsScopeTags": True,
                }
                # The same random draws as before for every type, so ids and assignments stay put.
                required, length = rng.random() < 0.5, rng.choice((8, 12, 14))
                required_name, length_name = _PASSWORD_NAMES[odata_type]
                if required_name:
                    item[required_name] = required
                if length_name:
                    item[length_name] = length
                if odata_type == "#microsoft.graph.windows10CustomConfiguration":
                    item["omaSettings"] = detail.choice(_OMA_SETTINGS)
                else:
                    item.update(_PLATFORM_CONFIG_PROPERTIES[odata_type])
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
                odata_type = rng.choice(_COMPLIANCE_TYPES)
                item = {
                    "@odata.type": odata_type,
                    **base,
                    "displayName": f"CMP - {index:05d}",
                    "version": rng.randint(1, 5),
                }
                required_name, length_name = _PASSWORD_NAMES.get(
                    odata_type, ("passwordRequired", "passwordMinimumLength")
                )
                item[str(required_name)] = rng.random() < 0.5
                item[str(length_name)] = 8
                item.update(_PLATFORM_COMPLIANCE_PROPERTIES[odata_type])
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

    if coverage:
        templates = _coverage_templates(tenant_id, domain, [g["id"] for g in group_items])
        _add_coverage(collections, templates, covered, random.Random(seed + 2), assignments)  # noqa: S311

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


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _add_coverage(
    collections: dict[str, list[dict[str, Any]]],
    templates: dict[str, list[dict[str, Any]]],
    count: int,
    rng: random.Random,
    assignments: Any,
) -> None:
    """Clone ``count`` customer objects of the issue-10 families, then add Microsoft's and the connectors'."""
    remaining = count
    for position, (key, share, prefix) in enumerate(_COVERAGE_MIX):
        n = remaining if position == len(_COVERAGE_MIX) - 1 else min(remaining, round(count * share))
        remaining -= n
        pool = [
            t
            for t in templates[key]
            if not t.get("isBuiltIn") and not str(t.get("templateId") or "").startswith("4200930c")
        ]
        items = collections.setdefault(key, [])
        for index in range(n):
            item = copy.deepcopy(pool[index % len(pool)])
            pid = _guid(rng)
            item["id"] = pid
            name_field = "name" if "name" in item else "displayName"
            item[name_field] = f"{prefix} - {index:05d}"
            for field in _SCRIPT_FIELDS:
                if isinstance(item.get(field), str) and item[field]:
                    body = base64.b64decode(item[field]).decode("utf-8")
                    item[field] = _b64(f"# {prefix} {index:05d}\n{body}")
            if key.endswith("compliancePolicies") and rng.random() < 0.10:
                item["settings"] = rng.choice(_LONG_SETTINGS)  # longer than one /settings page
                item["settingCount"] = len(item["settings"])
            if "targetedMobileApps" in item:  # point at a generated app of the platform, not the template's
                odata = "#microsoft.graph.iosStoreApp"
                apps = [
                    a["id"] for a in collections.get("deviceAppManagement/mobileApps", []) if a["@odata.type"] == odata
                ]
                item["targetedMobileApps"] = [rng.choice(apps)] if apps else []
            if key.endswith("conditionalAccess/policies"):
                item["state"] = rng.choice(("enabled", "enabledForReportingButNotEnforced", "disabled"))
            elif "assignments" in item:
                extra = {
                    k: v
                    for k, v in (item["assignments"] or [{}])[0].items()
                    if k not in ("id", "target", "source", "sourceId")
                }
                item["assignments"] = [{**a, **extra} for a in assignments(pid, rng)]
                if "isAssigned" in item:
                    item["isAssigned"] = bool(item["assignments"])
            items.append(item)
    # What Microsoft puts in every tenant: built-in roles and Microsoft-managed CA policies.
    collections["deviceManagement/roleDefinitions"].extend(
        copy.deepcopy(t) for t in templates["deviceManagement/roleDefinitions"] if t.get("isBuiltIn")
    )
    ca_template = templates["identity/conditionalAccess/policies"][0]
    for template_id, name in _MICROSOFT_MANAGED_CA:
        managed = copy.deepcopy(ca_template)
        managed.update(
            id=_guid(rng), templateId=template_id, displayName=name, state="enabledForReportingButNotEnforced"
        )
        collections["identity/conditionalAccess/policies"].append(managed)
    for key in (
        "deviceAppManagement/vppTokens",
        "deviceManagement/applePushNotificationCertificate",
        "deviceManagement/androidManagedStoreAccountEnterpriseSettings",
        "deviceManagement/deviceManagementPartners",
        "deviceManagement/complianceManagementPartners",
        "deviceManagement/remoteAssistancePartners",
        "deviceManagement/depOnboardingSettings",
        "deviceManagement/templates",
        "deviceManagement/settings",
    ):
        collections[key] = templates[key]
