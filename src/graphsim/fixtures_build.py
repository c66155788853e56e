"""Regenerates the shipped fixtures: ``python -m graphsim.fixtures_build``.

The JSON files under ``graphsim/fixtures`` are the source of truth at run time; this
module documents how they were made and keeps their ids in line with
:mod:`graphsim.fixtures_catalog`.
"""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

from . import fixtures_catalog as cat
from .tenants import ALL_DEVICES_GROUP_ID, ALL_USERS_GROUP_ID, stable_guid

FIXTURES = Path(__file__).resolve().parent / "fixtures"
Doc = dict[str, Any]

_FIXED_GOLDEN_IDS = {
    "WIN - Device restrictions": cat.GOLDEN_DEVICE_RESTRICTIONS_ID,
    "WIN - Compliance": cat.GOLDEN_WIN_COMPLIANCE_ID,
    "WIN - Logon banner": cat.GOLDEN_LOGON_BANNER_ID,
    "EDGE - Browser baseline (ADMX)": cat.GOLDEN_ADMX_EDGE_ID,
    "IOS - App protection": cat.GOLDEN_IOS_MAM_ID,
}


def _id(tid: str, name: str) -> str:
    if tid == cat.GOLDEN_TENANT_ID and name in _FIXED_GOLDEN_IDS:
        return _FIXED_GOLDEN_IDS[name]
    return stable_guid(tid, name)


def _target(kind: str, group_id: str | None = None, filter_id: str | None = None, filter_type: str = "none") -> Doc:
    target: Doc = {"@odata.type": f"#microsoft.graph.{kind}"}
    if group_id:
        target["groupId"] = group_id
    target["deviceAndAppManagementAssignmentFilterId"] = filter_id
    target["deviceAndAppManagementAssignmentFilterType"] = filter_type
    return target


def _assign(policy_id: str, targets: list[tuple[str, str | None]], intent: bool = False) -> list[Doc]:
    result = []
    for kind, group_id in targets:
        virtual = {
            "allLicensedUsersAssignmentTarget": ALL_USERS_GROUP_ID,
            "allDevicesAssignmentTarget": ALL_DEVICES_GROUP_ID,
        }
        suffix = virtual.get(kind, group_id)
        entry: Doc = {"id": f"{policy_id}_{suffix}", "source": "direct", "sourceId": policy_id}
        if intent:
            entry["intent"] = "apply"
        entry["target"] = _target(kind, group_id)
        result.append(entry)
    return result


def _choice(definition: str, option: str, idx: str) -> Doc:
    return {
        "id": idx,
        "settingInstance": {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
            "settingDefinitionId": definition,
            "settingInstanceTemplateReference": None,
            "choiceSettingValue": {
                "settingValueTemplateReference": None,
                "children": [],
                "value": f"{definition}_{option}",
            },
        },
    }


def _simple(definition: str, value: Any, idx: str) -> Doc:
    value_type = "IntegerSettingValue" if isinstance(value, int) else "StringSettingValue"
    return {
        "id": idx,
        "settingInstance": {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
            "settingDefinitionId": definition,
            "settingInstanceTemplateReference": None,
            "simpleSettingValue": {
                "@odata.type": f"#microsoft.graph.deviceManagementConfiguration{value_type}",
                "settingValueTemplateReference": None,
                "value": value,
            },
        },
    }


def _base(
    tid: str, name: str, created: str = "2025-09-11T16:18:51.2668885Z", modified: str = "2026-01-14T14:02:05.5922366Z"
) -> Doc:
    return {
        "id": _id(tid, name),
        "displayName": name,
        "description": None,
        "createdDateTime": created,
        "lastModifiedDateTime": modified,
        "roleScopeTagIds": ["0"],
    }


def golden_collections(tid: str, domain: str) -> dict[str, list[Doc]]:
    """The golden configuration for tenant ``tid`` (ids derived from the tenant)."""
    g = {
        name: stable_guid(tid, "group", name)
        for name in (
            "SG-Intune-Windows-Devices",
            "SG-Intune-iOS-Users",
            "SG-Intune-Pilot",
            "SG-Intune-Exclusions",
            "SG-Finance",
            "DYN-All-Windows-Autopilot",
        )
    }
    groups = [
        {
            "@odata.type": "#microsoft.graph.group",
            "id": gid,
            "displayName": name,
            "description": f"{name} (managed by Intune team)",
            "groupTypes": ["DynamicMembership"] if name.startswith("DYN") else [],
            "securityEnabled": True,
            "mailEnabled": False,
            "mailNickname": name.lower(),
            "membershipRule": '(device.devicePhysicalIds -any (_ -contains "[ZTDId]"))'
            if name.startswith("DYN")
            else None,
            "membershipRuleProcessingState": "On" if name.startswith("DYN") else None,
            "createdDateTime": "2024-03-04T10:11:12Z",
        }
        for name, gid in g.items()
    ]
    filt_win = stable_guid(tid, "filter", "Corporate Windows")
    filters = [
        {
            "@odata.type": "#microsoft.graph.deviceAndAppManagementAssignmentFilter",
            "id": filt_win,
            "displayName": "Corporate Windows",
            "description": "Corporate-owned Windows devices",
            "platform": "windows10AndLater",
            "rule": '(device.deviceOwnership -eq "Corporate")',
            "roleScopeTags": ["0"],
            "assignmentFilterManagementType": "devices",
            "payloads": [],
            "createdDateTime": "2025-02-01T08:00:00Z",
            "lastModifiedDateTime": "2025-02-01T08:00:00Z",
        },
        {
            "@odata.type": "#microsoft.graph.deviceAndAppManagementAssignmentFilter",
            "id": stable_guid(tid, "filter", "iOS 17+"),
            "displayName": "iOS 17 and later",
            "description": "",
            "platform": "iOS",
            "rule": '(device.osVersion -startsWith "17")',
            "roleScopeTags": ["0"],
            "assignmentFilterManagementType": "devices",
            "payloads": [],
            "createdDateTime": "2025-02-01T08:00:00Z",
            "lastModifiedDateTime": "2025-02-01T08:00:00Z",
        },
    ]
    tags = [
        {
            "@odata.type": "#microsoft.graph.roleScopeTag",
            "id": "1",
            "displayName": "EMEA",
            "description": "Devices and policies of the EMEA region",
            "isBuiltIn": False,
        }
    ]

    def cfg(name: str, odata: str, targets: list[tuple[str, str | None]], version: int = 3, **props: Any) -> Doc:
        item = {
            "@odata.type": f"#microsoft.graph.{odata}",
            **_base(tid, name),
            "version": version,
            "supportsScopeTags": True,
            "deviceManagementApplicabilityRuleOsEdition": None,
            "deviceManagementApplicabilityRuleOsVersion": None,
            "deviceManagementApplicabilityRuleDeviceMode": None,
            **props,
        }
        item["assignments"] = _assign(item["id"], targets, intent=True)
        return item

    configs = [
        cfg(
            "WIN - Device restrictions",
            "windows10GeneralConfiguration",
            [
                ("groupAssignmentTarget", g["SG-Intune-Windows-Devices"]),
                ("exclusionGroupAssignmentTarget", g["SG-Intune-Exclusions"]),
            ],
            passwordRequired=True,
            passwordMinimumLength=12,
            passwordRequiredType="alphanumeric",
            cameraBlocked=False,
            defenderRequireRealTimeMonitoring=True,
            defenderScanType="quick",
            screenCaptureBlocked=False,
            storageBlockRemovableStorage=False,
        ),
        cfg(
            "WIN - Custom OMA-URI",
            "windows10CustomConfiguration",
            [("allDevicesAssignmentTarget", None)],
            version=2,
            omaSettings=[
                {
                    "@odata.type": "#microsoft.graph.omaSettingInteger",
                    "displayName": "Disable Cortana",
                    "description": None,
                    "omaUri": "./Vendor/MSFT/Policy/Config/Experience/AllowCortana",
                    "secretReferenceValueId": None,
                    "isEncrypted": False,
                    "value": 0,
                    "isReadOnly": False,
                }
            ],
        ),
        cfg(
            "IOS - Device restrictions",
            "iosGeneralDeviceConfiguration",
            [("groupAssignmentTarget", g["SG-Intune-iOS-Users"])],
            version=5,
            passcodeRequired=True,
            passcodeMinimumLength=6,
            passcodeBlockSimple=True,
            cameraBlocked=False,
            iCloudBlockBackup=True,
            appStoreBlocked=False,
        ),
        cfg(
            "MAC - Device restrictions",
            "macOSGeneralDeviceConfiguration",
            [("allLicensedUsersAssignmentTarget", None)],
            version=1,
            passwordRequired=True,
            passwordMinimumLength=10,
            passwordRequiredType="alphanumeric",
        ),
        cfg(
            "WIN - Endpoint protection",
            "windows10EndpointProtectionConfiguration",
            [("groupAssignmentTarget", g["SG-Intune-Windows-Devices"])],
            version=4,
            firewallBlockStatefulFTP=True,
            bitLockerEncryptDevice=True,
            smartScreenEnableInShell=True,
            defenderSecurityCenterDisableAppBrowserUI=False,
        ),
    ]

    def comp(name: str, odata: str, targets: list[tuple[str, str | None]], **props: Any) -> Doc:
        item = {"@odata.type": f"#microsoft.graph.{odata}", **_base(tid, name), "version": 4, **props}
        item["assignments"] = _assign(item["id"], targets)
        item["scheduledActionsForRule"] = [
            {
                "id": stable_guid(tid, "rule", name),
                "ruleName": None,
                "scheduledActionConfigurations": [
                    {
                        "id": stable_guid(tid, "action", name),
                        "gracePeriodHours": 24,
                        "actionType": "block",
                        "notificationTemplateId": "00000000-0000-0000-0000-000000000000",
                        "notificationMessageCCList": [],
                    }
                ],
            }
        ]
        return item

    compliance = [
        comp(
            "WIN - Compliance",
            "windows10CompliancePolicy",
            [("allLicensedUsersAssignmentTarget", None)],
            passwordRequired=False,
            passwordRequiredType="deviceDefault",
            osMinimumVersion=None,
            bitLockerEnabled=True,
            secureBootEnabled=True,
            codeIntegrityEnabled=True,
            storageRequireEncryption=True,
            requireHealthyDeviceReport=False,
        ),
        comp(
            "IOS - Compliance",
            "iosCompliancePolicy",
            [("groupAssignmentTarget", g["SG-Intune-iOS-Users"])],
            passcodeRequired=True,
            passcodeMinimumLength=6,
            osMinimumVersion="17.0",
            securityBlockJailbrokenDevices=True,
        ),
        comp(
            "AND - Compliance",
            "androidWorkProfileCompliancePolicy",
            [("allLicensedUsersAssignmentTarget", None)],
            passwordRequired=True,
            passwordMinimumLength=6,
            securityBlockJailbrokenDevices=True,
            osMinimumVersion="12.0",
        ),
    ]

    def catalog(
        name: str, settings: list[Doc], targets: list[tuple[str, str | None]], platforms: str = "windows10"
    ) -> Doc:
        pid = _id(tid, name)
        return {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationPolicy",
            "id": pid,
            "name": name,
            "description": "",
            "platforms": platforms,
            "technologies": "mdm",
            "settingCount": len(settings),
            "isAssigned": bool(targets),
            "roleScopeTagIds": ["0"],
            "creationSource": None,
            "templateReference": {
                "templateId": "",
                "templateFamily": "none",
                "templateDisplayName": None,
                "templateDisplayVersion": None,
            },
            "priorityMetaData": None,
            "createdDateTime": "2025-08-12T15:04:11Z",
            "lastModifiedDateTime": "2025-08-12T15:04:11Z",
            "settings": settings,
            "assignments": _assign(pid, targets),
        }

    banner = "device_vendor_msft_policy_config_localpoliciessecurityoptions_interactivelogon_"
    defender = "device_vendor_msft_policy_config_defender_"
    catalog_items = [
        catalog(
            "WIN - Logon banner",
            [
                _simple(banner + "messagetitleforusersattemptingtologon", "-WARNING-", "0"),
                _simple(
                    banner + "messagetextforusersattemptingtologon", "Authorized use only. Activity is monitored.", "1"
                ),
            ],
            [("allDevicesAssignmentTarget", None)],
        ),
        catalog(
            "WIN - Defender antivirus",
            [
                _choice(defender + "allowrealtimemonitoring", "1", "0"),
                _choice(defender + "allowcloudprotection", "1", "1"),
                _choice(defender + "puaprotection", "1", "2"),
                _simple(defender + "avgcpuloadfactor", 50, "3"),
            ],
            [
                ("groupAssignmentTarget", g["SG-Intune-Windows-Devices"]),
                ("exclusionGroupAssignmentTarget", g["SG-Intune-Exclusions"]),
            ],
        ),
        catalog(
            "WIN - BitLocker",
            [
                _choice("device_vendor_msft_bitlocker_requiredeviceencryption", "1", "0"),
                _choice("device_vendor_msft_bitlocker_allowwarningforotherdiskencryption", "0", "1"),
            ],
            [("groupAssignmentTarget", g["SG-Intune-Windows-Devices"])],
        ),
        catalog(
            "WIN - Windows Update ring (pilot)",
            [
                _simple("device_vendor_msft_policy_config_update_deferqualityupdatesperiodindays", 0, "0"),
                _simple("device_vendor_msft_policy_config_update_deferfeatureupdatesperiodindays", 30, "1"),
            ],
            [("groupAssignmentTarget", g["SG-Intune-Pilot"])],
        ),
        catalog(
            "MAC - FileVault",
            [
                _choice("com.apple.mcx.filevault2_enable", "0", "0"),
            ],
            [],
            platforms="macOS",
        ),
    ]

    def admx(name: str, definitions: list[tuple[str, bool, str]], targets: list[tuple[str, str | None]]) -> Doc:
        pid = _id(tid, name)
        values = []
        for display, enabled, category in definitions:
            dv_id = stable_guid(tid, "dv", name, display)
            values.append(
                {
                    "enabled": enabled,
                    "id": dv_id,
                    "configurationType": "policy",
                    "createdDateTime": "2025-05-05T10:00:00Z",
                    "lastModifiedDateTime": "2025-05-05T10:00:00Z",
                    "definition": {
                        "id": stable_guid("definition", display),
                        "classType": "machine",
                        "displayName": display,
                        "explainText": f"{display}.",
                        "categoryPath": category,
                        "policyType": "admxIngested",
                        "supportedOn": "Microsoft Edge version 77, Windows 7 or later",
                    },
                    "presentationValues": [],
                }
            )
        return {
            "@odata.type": "#microsoft.graph.groupPolicyConfiguration",
            **_base(tid, name),
            "policyConfigurationIngestionType": "builtIn",
            "definitionValues": values,
            "assignments": _assign(pid, targets),
        }

    admx_items = [
        admx(
            "EDGE - Browser baseline (ADMX)",
            [
                ("Configure Microsoft Defender SmartScreen", True, "\\Microsoft Edge\\SmartScreen settings"),
                ("Allow users to proceed from the HTTPS warning page", False, "\\Microsoft Edge"),
            ],
            [("groupAssignmentTarget", g["SG-Intune-Windows-Devices"])],
        ),
        admx(
            "OFFICE - Macro security (ADMX)",
            [
                (
                    "Block macros from running in Office files from the Internet",
                    True,
                    "\\Microsoft Word 2016\\Word Options\\Security\\Trust Center",
                ),
            ],
            [("allLicensedUsersAssignmentTarget", None)],
        ),
    ]

    def mam(name: str, platform: str, targets: list[tuple[str, str | None]], **props: Any) -> Doc:
        pid = (
            _id(tid, name)
            if name in _FIXED_GOLDEN_IDS and tid == cat.GOLDEN_TENANT_ID
            else f"T_{stable_guid(tid, name)}"
        )
        item = {
            "@odata.type": f"#microsoft.graph.{platform}ManagedAppProtection",
            **_base(tid, name),
            "id": pid,
            "version": '"4"',
            "isAssigned": bool(targets),
            "periodOfflineBeforeAccessCheck": "PT12H",
            "periodOnlineBeforeAccessCheck": "PT30M",
            "allowedInboundDataTransferSources": "managedApps",
            "allowedOutboundDataTransferDestinations": "managedApps",
            "pinRequired": True,
            "minimumPinLength": 6,
            "dataBackupBlocked": True,
            "deviceComplianceRequired": True,
            "managedBrowserToOpenLinksRequired": False,
            **props,
        }
        item["assignments"] = [
            {"id": f"{gid}_incl", "source": "direct", "sourceId": pid, "target": _target(kind, gid)}
            for kind, gid in targets
        ]
        item["apps"] = [
            {
                "id": f"com.microsoft.office.outlook.{platform}",
                "mobileAppIdentifier": {
                    "@odata.type": f"#microsoft.graph.{'iosMobileAppIdentifier' if platform == 'ios' else 'androidMobileAppIdentifier'}",
                    "bundleId" if platform == "ios" else "packageId": "com.microsoft.Office.Outlook"
                    if platform == "ios"
                    else "com.microsoft.office.outlook",
                },
            }
        ]
        return item

    ios = [
        mam("IOS - App protection", "ios", [("groupAssignmentTarget", g["SG-Intune-iOS-Users"])], faceIdBlocked=False)
    ]
    android = [
        mam("AND - App protection", "android", [("groupAssignmentTarget", g["SG-Finance"])], screenCaptureBlocked=True)
    ]
    app_configs = [
        {
            "@odata.type": "#microsoft.graph.targetedManagedAppConfiguration",
            **_base(tid, "OUTLOOK - App configuration"),
            "version": '"2"',
            "deployedAppCount": 1,
            "isAssigned": True,
            "customSettings": [{"name": "com.microsoft.outlook.Mail.FocusedInbox", "value": "false"}],
        }
    ]

    enrollment = [
        {
            "@odata.type": "#microsoft.graph.deviceEnrollmentLimitConfiguration",
            **_base(tid, "Enrollment limit - Staff"),
            "displayName": "Enrollment limit - Staff",
            "priority": 1,
            "version": 2,
            "deviceEnrollmentConfigurationType": "limit",
            "limit": 3,
            "assignments": [
                {
                    "id": f"{_id(tid, 'Enrollment limit - Staff')}_{g['SG-Finance']}",
                    "source": "direct",
                    "sourceId": _id(tid, "Enrollment limit - Staff"),
                    "target": _target("groupAssignmentTarget", g["SG-Finance"]),
                }
            ],
        },
    ]

    states = [
        "compliant",
        "compliant",
        "compliant",
        "noncompliant",
        "inGracePeriod",
        "unknown",
        "compliant",
        "noncompliant",
        "error",
        "conflict",
    ]
    oses = [
        ("Windows", "10.0.22631.4890", "windowsManagedDevice"),
        ("iOS", "17.6.1", "managedDevice"),
        ("Android", "14", "managedDevice"),
        ("macOS", "14.6.1", "managedDevice"),
    ]
    devices: list[Doc] = []
    for index, state in enumerate(states):
        os_name, os_version, odata = oses[index % len(oses)]
        devices.append(
            {
                "@odata.type": f"#microsoft.graph.{odata}",
                "id": stable_guid(tid, "device", str(index)),
                "deviceName": f"{os_name[:3].upper()}-{index:04d}",
                "operatingSystem": os_name,
                "osVersion": os_version,
                "complianceState": state,
                "lastSyncDateTime": "2026-01-14T14:02:05Z",
                "enrolledDateTime": "2025-06-01T09:00:00Z",
                "managedDeviceOwnerType": "personal" if index % 4 == 3 else "company",
                "managementAgent": "mdm",
                "userPrincipalName": f"user{index:02d}@{domain}",
                "azureADDeviceId": stable_guid(tid, "aad-device", str(index)),
                "serialNumber": f"SN{index:08d}",
                "roleScopeTagIds": [],
            }
        )

    return {
        "groups": groups,
        "deviceManagement/roleScopeTags": tags,
        "deviceManagement/assignmentFilters": filters,
        "deviceManagement/deviceConfigurations": configs,
        "deviceManagement/deviceCompliancePolicies": compliance,
        "deviceManagement/configurationPolicies": catalog_items,
        "deviceManagement/groupPolicyConfigurations": admx_items,
        "deviceAppManagement/managedAppPolicies": app_configs,
        "deviceAppManagement/iosManagedAppProtections": ios,
        "deviceAppManagement/androidManagedAppProtections": android,
        "deviceManagement/deviceEnrollmentConfigurations": enrollment,
        "deviceManagement/managedDevices": devices,
        **coverage_collections(tid, g),
        **connector_collections(tid, domain, g),
    }


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def coverage_collections(tid: str, g: dict[str, str]) -> dict[str, list[Doc]]:
    """The issue-10 types (scripts, update profiles, Autopilot, CA, apps, roles…) in Graph's shapes.

    One to three items per type, each as Graph returns it with ``$expand`` (inline
    ``assignments``/``settings``/``scheduledActionsForRule``/``localizedNotificationMessages``).
    Script bodies are base64 ``scriptContent`` like Graph's.
    """

    def item(odata: str, name: str, **props: Any) -> Doc:
        return {"@odata.type": f"#microsoft.graph.{odata}", **_base(tid, name), **props}

    def assigned(doc: Doc, targets: list[tuple[str, str | None]], **extra: Any) -> Doc:
        doc["assignments"] = [{**a, **extra} for a in _assign(doc["id"], targets)]
        return doc

    win = g["SG-Intune-Windows-Devices"]
    pilot = g["SG-Intune-Pilot"]
    ios = g["SG-Intune-iOS-Users"]

    compliance_v2: Doc = {
        "@odata.type": "#microsoft.graph.deviceManagementCompliancePolicy",
        "id": _id(tid, "LNX - Compliance (settings catalog)"),
        "name": "LNX - Compliance (settings catalog)",
        "description": "",
        "platforms": "linux",
        "technologies": "linuxMdm",
        "settingCount": 2,
        "isAssigned": True,
        "creationSource": None,
        "roleScopeTagIds": ["0"],
        "createdDateTime": "2025-08-12T15:04:11Z",
        "lastModifiedDateTime": "2025-08-12T15:04:11Z",
        "settings": [
            _simple("linux_distribution_alloweddistros_minimumversion", "22.04", "0"),
            _choice("linux_deviceencryption_required", "true", "1"),
        ],
        "scheduledActionsForRule": [
            {
                "id": stable_guid(tid, "rule", "LNX - Compliance"),
                "ruleName": None,
                "scheduledActionConfigurations": [
                    {
                        "id": stable_guid(tid, "action", "LNX - Compliance"),
                        "gracePeriodHours": 0,
                        "actionType": "block",
                        # Graph reads back the zero GUID for "no template" ("" is only a create payload's
                        # spelling); IntuneCD's DeviceCompliance module relies on it.
                        "notificationTemplateId": "00000000-0000-0000-0000-000000000000",
                        "notificationMessageCCList": [],
                    }
                ],
            }
        ],
    }
    compliance_v2["assignments"] = _assign(compliance_v2["id"], [("allDevicesAssignmentTarget", None)])

    baseline = item(
        "deviceManagementIntent",
        "WIN - Security baseline (MDM)",
        isAssigned=True,
        templateId="034ccd46-190c-4afc-adf1-ad7cc11262eb",
        roleScopeTagIds=["0"],
    )
    baseline.pop("createdDateTime")
    baseline["settings"] = [
        {
            "@odata.type": "#microsoft.graph.deviceManagementBooleanSettingInstance",
            "id": stable_guid(tid, "intent-setting", name),
            "definitionId": f"deviceConfiguration--windows10EndpointProtectionConfiguration_{name}",
            "valueJson": "true",
            "value": True,
        }
        for name in ("firewallBlockStatefulFTP", "smartScreenEnableInShell")
    ]
    baseline["assignments"] = [{"id": f"{baseline['id']}_{win}", "target": _target("groupAssignmentTarget", win)}]
    # An intent's categories carry the template's category ids; each holds that category's settings.
    baseline["categories"] = [
        {**category, "settings": [setting for setting in baseline["settings"] if member in setting["definitionId"]]}
        for category, member in zip(BASELINE_CATEGORIES, ("firewall", "smartScreen"), strict=True)
    ]

    autopilot = assigned(
        item(
            "azureADWindowsAutopilotDeploymentProfile",
            "AP - User driven (Entra joined)",
            language="os-default",
            locale="os-default",
            extractHardwareHash=True,
            deviceNameTemplate="CON-%SERIAL%",
            deviceType="windowsPc",
            enableWhiteGlove=True,
            roleScopeTagIds=["0"],
            hybridAzureADJoinSkipConnectivityCheck=False,
            outOfBoxExperienceSettings={
                "hidePrivacySettings": True,
                "hideEULA": True,
                "userType": "standard",
                "deviceUsageType": "singleUser",
                "skipKeyboardSelectionPage": True,
                "hideEscapeLink": True,
            },
            enrollmentStatusScreenSettings=None,
        ),
        [("groupAssignmentTarget", g["DYN-All-Windows-Autopilot"])],
    )

    feature = assigned(
        item(
            "windowsFeatureUpdateProfile",
            "WIN - Feature update 24H2",
            featureUpdateVersion="Windows 11, version 24H2",
            rolloutSettings={
                "offerStartDateTimeInUTC": None,
                "offerEndDateTimeInUTC": None,
                "offerIntervalInDays": None,
            },
            installLatestWindows10OnWindows11IneligibleDevice=False,
            installFeatureUpdatesOptional=False,
            endOfSupportDate="2027-10-12T00:00:00Z",
            deployableContentDisplayName="Windows 11, version 24H2",
        ),
        [("groupAssignmentTarget", win)],
    )
    quality = assigned(
        item(
            "windowsQualityUpdateProfile",
            "WIN - Expedite January quality update",
            releaseDateDisplayName="January 14, 2026 - 2026.01 B",
            deployableContentDisplayName="2026.01 B Security Updates for Windows 10 and later",
            expeditedUpdateSettings={"qualityUpdateRelease": "2026-01-14T00:00:00Z", "daysUntilForcedReboot": 1},
        ),
        [("groupAssignmentTarget", pilot)],
    )
    driver = assigned(
        item(
            "windowsDriverUpdateProfile",
            "WIN - Drivers (manual approval)",
            approvalType="manual",
            deviceReporting=0,
            newUpdates=0,
            deploymentDeferralInDays=None,
            inventorySyncStatus={
                "lastSuccessfulSyncDateTime": "2026-01-14T00:00:00Z",
                "driverInventorySyncState": "success",
            },
        ),
        [("groupAssignmentTarget", win)],
    )

    def script(odata: str, name: str, body: str, **props: Any) -> Doc:
        return item(odata, name, scriptContent=_b64(body), **props)

    ps = assigned(
        script(
            "deviceManagementScript",
            "WIN - Set time zone",
            'Set-TimeZone -Id "W. Europe Standard Time"\n',
            runAsAccount="system",
            enforceSignatureCheck=False,
            fileName="Set-TimeZone.ps1",
            runAs32Bit=False,
        ),
        [("groupAssignmentTarget", win)],
    )
    shell = assigned(
        script(
            "deviceShellScript",
            "MAC - Enable firewall",
            "#!/bin/zsh\n/usr/libexec/ApplicationFirewall/socketfilterfw --setglobalstate on\n",
            runAsAccount="system",
            fileName="enable-firewall.sh",
            executionFrequency="PT0S",
            retryCount=3,
            blockExecutionNotifications=True,
        ),
        [("allDevicesAssignmentTarget", None)],
    )
    health = item(
        "deviceHealthScript",
        "WIN - Remediate stale temp files",
        publisher="Contoso IT",
        detectionScriptContent=_b64("if ((Get-ChildItem $env:TEMP).Count -gt 500) { exit 1 } else { exit 0 }\n"),
        remediationScriptContent=_b64("Remove-Item $env:TEMP\\* -Recurse -Force -ErrorAction SilentlyContinue\n"),
        runAsAccount="system",
        enforceSignatureCheck=False,
        runAs32Bit=False,
        isGlobalScript=False,
        highestAvailableVersion=None,
        deviceHealthScriptType="deviceHealthScript",
        detectionScriptParameters=[],
        remediationScriptParameters=[],
    )
    health["assignments"] = [
        {
            "id": f"{health['id']}:{win}",
            "target": _target("groupAssignmentTarget", win),
            "runRemediationScript": True,
            "runSchedule": {
                "@odata.type": "#microsoft.graph.deviceHealthScriptDailySchedule",
                "interval": 1,
                "useUtc": False,
                "time": "09:00:00.0000000",
            },
        }
    ]
    compliance_script = item(
        "deviceComplianceScript",
        "WIN - Custom compliance: BIOS version",
        publisher="Contoso IT",
        detectionScriptContent=_b64(
            "$bios = Get-CimInstance Win32_BIOS\n@{ BiosVersion = $bios.SMBIOSBIOSVersion } | ConvertTo-Json -Compress\n"
        ),
        runAsAccount="system",
        enforceSignatureCheck=False,
        runAs32Bit=False,
    )

    reusable = {
        "@odata.type": "#microsoft.graph.deviceManagementReusablePolicySetting",
        "id": _id(tid, "Firewall rule - block SMB outbound"),
        "displayName": "Firewall rule - block SMB outbound",
        "description": "",
        "settingDefinitionId": "vendor_msft_firewall_mdmstore_firewallrules_{firewallrulename}",
        "settingInstance": {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationGroupSettingCollectionInstance",
            "settingDefinitionId": "vendor_msft_firewall_mdmstore_firewallrules_{firewallrulename}",
            "settingInstanceTemplateReference": None,
            "groupSettingCollectionValue": [],
        },
        "createdDateTime": "2025-08-12T15:04:11Z",
        "lastModifiedDateTime": "2025-08-12T15:04:11Z",
        "version": 1,
        "referencingConfigurationPolicyCount": 0,
    }

    template = item(
        "notificationMessageTemplate",
        "Noncompliance notice",
        defaultLocale="en-us",
        brandingOptions="includeCompanyLogo,includeCompanyName,includeContactInformation",
        roleScopeTagIds=["0"],
    )
    template["localizedNotificationMessages"] = [
        {
            "id": f"{template['id']}_en-us",
            "lastModifiedDateTime": "2025-08-12T15:04:11Z",
            "locale": "en-us",
            "subject": "Your device is not compliant",
            "messageTemplate": "Your device does not meet the company's security requirements. Open Company Portal.",
            "isDefault": True,
        }
    ]

    # Built-in Intune roles have the same well-known id in every tenant.
    roles = [
        {
            "@odata.type": "#microsoft.graph.deviceAndAppManagementRoleDefinition",
            "id": "9e0cc482-82df-4ab2-a24c-0c23a3f52e1e",
            "displayName": "Help Desk Operator",
            "description": "Help Desk Operators perform remote tasks on users and devices.",
            "rolePermissions": [
                {
                    "resourceActions": [
                        {
                            "allowedResourceActions": ["Microsoft.Intune_ManagedDevices_Read"],
                            "notAllowedResourceActions": [],
                        }
                    ]
                }
            ],
            "permissions": [],
            "isBuiltInRoleDefinition": True,
            "isBuiltIn": True,
            "roleScopeTagIds": ["0"],
        },
        {
            "@odata.type": "#microsoft.graph.deviceAndAppManagementRoleDefinition",
            "id": stable_guid(tid, "role", "Tier 1 - Device read"),
            "displayName": "Tier 1 - Device read",
            "description": "Custom role for the MSP's tier-1 desk",
            "rolePermissions": [
                {
                    "resourceActions": [
                        {
                            "allowedResourceActions": [
                                "Microsoft.Intune_ManagedDevices_Read",
                                "Microsoft.Intune_Organization_Read",
                            ],
                            "notAllowedResourceActions": [],
                        }
                    ]
                }
            ],
            "permissions": [],
            "isBuiltInRoleDefinition": False,
            "isBuiltIn": False,
            "roleScopeTagIds": ["0"],
        },
    ]

    categories = [
        {
            "@odata.type": "#microsoft.graph.deviceCategory",
            "id": stable_guid(tid, "category", name),
            "displayName": name,
            "description": f"{name} devices",
            "roleScopeTagIds": ["0"],
        }
        for name in ("Kiosk", "Shared lab")
    ]

    apps = [
        assigned(
            item(
                "winGetApp",
                "Company Portal",
                publisher="Microsoft Corporation",
                isFeatured=False,
                packageIdentifier="9WZDNCRFJ3PZ",
                installExperience={"runAsAccount": "user"},
                publishingState="published",
                isAssigned=True,
                roleScopeTagIds=["0"],
            ),
            [("allDevicesAssignmentTarget", None)],
            intent="required",
            settings=None,
        ),
        assigned(
            item(
                "iosStoreApp",
                "Microsoft Outlook",
                publisher="Microsoft Corporation",
                bundleId="com.microsoft.Office.Outlook",
                appStoreUrl="https://apps.apple.com/us/app/microsoft-outlook/id951937596",
                applicableDeviceType={"iPad": True, "iPhoneAndIPod": True},
                minimumSupportedOperatingSystem={"v16_0": True},
                publishingState="published",
                isAssigned=True,
                roleScopeTagIds=["0"],
            ),
            [("groupAssignmentTarget", ios)],
            intent="available",
            settings=None,
        ),
    ]
    for app in apps:
        app.pop("roleScopeTagIds", None)
        app["roleScopeTagIds"] = ["0"]

    device_app_config = assigned(
        item(
            "iosMobileAppConfiguration",
            "IOS - Outlook app configuration",
            targetedMobileApps=[apps[1]["id"]],
            roleScopeTagIds=["0"],
            version=1,
            encodedSettingXml=None,
            settings=[
                {
                    "appConfigKey": "IntuneMAMAllowedAccountsOnly",
                    "appConfigKeyType": "stringType",
                    "appConfigKeyValue": "Enabled",
                },
                {
                    "appConfigKey": "IntuneMAMUPN",
                    "appConfigKeyType": "stringType",
                    "appConfigKeyValue": "{{userprincipalname}}",
                },
            ],
        ),
        [("groupAssignmentTarget", ios)],
    )

    ca = [
        {
            "id": stable_guid(tid, "ca", name),
            "templateId": None,
            "displayName": name,
            "createdDateTime": "2025-03-01T10:00:00Z",
            "modifiedDateTime": "2025-09-01T10:00:00Z",
            "state": state,
            "sessionControls": None,
            "conditions": {
                "userRiskLevels": [],
                "signInRiskLevels": [],
                "clientAppTypes": ["all"],
                "platforms": None,
                "locations": None,
                "times": None,
                "deviceStates": None,
                "devices": None,
                "clientApplications": None,
                "applications": {
                    "includeApplications": ["All"],
                    "excludeApplications": [],
                    "includeUserActions": [],
                    "includeAuthenticationContextClassReferences": [],
                    "applicationFilter": None,
                },
                "users": {
                    "includeUsers": ["All"],
                    "excludeUsers": [],
                    "includeGroups": [],
                    "excludeGroups": [g["SG-Intune-Exclusions"]],
                    "includeRoles": [],
                    "excludeRoles": [],
                    "includeGuestsOrExternalUsers": None,
                    "excludeGuestsOrExternalUsers": None,
                },
            },
            "grantControls": {
                "operator": "OR",
                "builtInControls": controls,
                "customAuthenticationFactors": [],
                "termsOfUse": [],
                "authenticationStrength": None,
            },
        }
        for name, state, controls in (
            ("CA001 - Require MFA for all users", "enabled", ["mfa"]),
            ("CA002 - Require compliant device", "enabledForReportingButNotEnforced", ["compliantDevice"]),
        )
    ]

    return {
        "deviceManagement/compliancePolicies": [compliance_v2],
        "deviceManagement/intents": [baseline],
        "deviceManagement/windowsAutopilotDeploymentProfiles": [autopilot],
        "deviceManagement/windowsFeatureUpdateProfiles": [feature],
        "deviceManagement/windowsQualityUpdateProfiles": [quality],
        "deviceManagement/windowsDriverUpdateProfiles": [driver],
        "deviceManagement/deviceManagementScripts": [ps],
        "deviceManagement/deviceShellScripts": [shell],
        "deviceManagement/deviceHealthScripts": [health],
        "deviceManagement/deviceComplianceScripts": [compliance_script],
        "deviceManagement/reusablePolicySettings": [reusable],
        "deviceManagement/notificationMessageTemplates": [template],
        "deviceManagement/roleDefinitions": roles,
        "deviceManagement/deviceCategories": categories,
        "deviceAppManagement/mobileApps": apps,
        "deviceAppManagement/mobileAppConfigurations": [device_app_config],
        "identity/conditionalAccess/policies": ca,
    }


# The security baseline template the golden intent is made from (a Microsoft catalog object: the same
# id in every tenant; shape as listed by beta deviceManagement/templates, rozemuller.com "security
# baselines" capture: "@odata.type": "#microsoft.graph.securityBaselineTemplate", "MDM Security
# Baseline for Windows 10 and later for November 2021", publishedDateTime 2021-10-22).
BASELINE_TEMPLATE_ID = "034ccd46-190c-4afc-adf1-ad7cc11262eb"
BASELINE_CATEGORIES: tuple[Doc, ...] = tuple(
    {
        "@odata.type": "#microsoft.graph.deviceManagementTemplateSettingCategory",
        "id": stable_guid("microsoft", "template-category", BASELINE_TEMPLATE_ID, name),
        "displayName": name,
        "hasRequiredSetting": False,
    }
    for name in ("Firewall", "Microsoft Defender SmartScreen")
)


def connector_collections(tid: str, domain: str, g: dict[str, str]) -> dict[str, list[Doc]]:
    """What IntuneCD backs up beyond the governed types, in Graph's (beta) shapes.

    Tenant connectors (Apple VPP token, APNs certificate, managed Google Play), partner
    connections (device management, compliance, remote assistance: one configured and one not, as
    Intune lists every known partner), Apple ADE onboarding with its enrollment profiles, a macOS
    custom-attribute script (base64 ``scriptContent``), the intent template catalog (with
    categories) and the tenant-wide ``deviceManagement/settings``. Properties follow the DOCS
    resource pages (``intune-onboarding-vpptoken``, ``intune-devices-applepushnotificationcertificate``,
    ``intune-androidforwork-androidmanagedstoreaccountenterprisesettings``,
    ``intune-onboarding-devicemanagementpartner``, ``…-compliancemanagementpartner``,
    ``intune-remoteassistance-remoteassistancepartner``, ``intune-enrollment-deponboardingsetting``,
    ``…-depiosenrollmentprofile``, ``intune-devices-devicecustomattributeshellscript``,
    ``intune-deviceintent-devicemanagementtemplate``, ``intune-deviceconfig-devicemanagementsettings``).
    """
    stamp = "2026-01-14T14:02:05.5922366Z"
    vpp = {
        "@odata.type": "#microsoft.graph.vppToken",
        "id": stable_guid(tid, "vpp", "Contoso ABM"),
        "organizationName": "Contoso Ltd",
        "vppTokenAccountType": "business",
        "appleId": f"abm-admin@{domain}",
        "expirationDateTime": "2026-09-30T09:12:00Z",
        "lastSyncDateTime": stamp,
        "token": "",  # Graph never returns the token body
        "lastModifiedDateTime": stamp,
        "state": "valid",
        "tokenActionResults": [],
        "lastSyncStatus": "completed",
        "automaticallyUpdateApps": True,
        "countryOrRegion": "de",
        "dataSharingConsentGranted": True,
        "displayName": "Contoso ABM",
        "locationName": "Contoso HQ",
        "claimTokenManagementFromExternalMdm": False,
        "roleScopeTagIds": ["0"],
        "lastAppCount": 12,
    }
    apns = {
        "@odata.type": "#microsoft.graph.applePushNotificationCertificate",
        "id": stable_guid(tid, "apns"),
        "appleIdentifier": f"mdm-apple@{domain}",
        "topicIdentifier": "com.apple.mgmt.External.5d8c2b1e-0f3a-4c6e-9b7d-2a1f3e4c5b6d",
        "lastModifiedDateTime": stamp,
        "expirationDateTime": "2026-10-02T08:00:00Z",
        "certificateUploadStatus": None,
        "certificateUploadFailureReason": None,
        "certificateSerialNumber": "3B5F2A9C7D1E4F60",
        "certificate": None,
    }
    google_play = {
        "@odata.type": "#microsoft.graph.androidManagedStoreAccountEnterpriseSettings",
        "id": stable_guid(tid, "managed-google-play"),
        "bindStatus": "boundAndValidated",
        "lastAppSyncDateTime": stamp,
        "lastAppSyncStatus": "success",
        "ownerUserPrincipalName": f"android-admin@{domain}",
        "ownerOrganizationName": "Contoso Ltd",
        "lastModifiedDateTime": stamp,
        "enrollmentTarget": "targetedAsEnrollmentRestrictions",
        "targetGroupIds": [],
        "deviceOwnerManagementEnabled": True,
        "androidDeviceOwnerFullyManagedEnrollmentEnabled": True,
        "companyCodes": [],
    }

    def partner_target(group_id: str) -> Doc:
        return {
            "target": {
                "@odata.type": "#microsoft.graph.groupAssignmentTarget",
                "deviceAndAppManagementAssignmentFilterId": None,
                "deviceAndAppManagementAssignmentFilterType": "none",
                "groupId": group_id,
            }
        }

    management_partners = [
        {
            "@odata.type": "#microsoft.graph.deviceManagementPartner",
            "id": stable_guid(tid, "dm-partner", name),
            "lastHeartbeatDateTime": stamp if configured else "0001-01-01T00:00:00Z",
            "partnerState": "enabled" if configured else "unknown",
            "partnerAppType": "multiTenantApp" if configured else "unknown",
            "singleTenantAppId": None,
            "displayName": name,
            "isConfigured": configured,
            "whenPartnerDevicesWillBeRemovedDateTime": None,
            "whenPartnerDevicesWillBeMarkedAsNonCompliantDateTime": None,
            "groupsRequiringPartnerEnrollment": [partner_target(g["SG-Intune-Pilot"])] if configured else [],
        }
        for name, configured in (("Jamf Pro", True), ("Kandji", False))
    ]
    compliance_partners = [
        {
            "@odata.type": "#microsoft.graph.complianceManagementPartner",
            "id": stable_guid(tid, "compliance-partner", name),
            "lastHeartbeatDateTime": stamp if state != "unknown" else "0001-01-01T00:00:00Z",
            "partnerState": state,
            "displayName": name,
            "macOsOnboarded": state != "unknown",
            "linuxOnboarded": False,
            "androidOnboarded": False,
            "iosOnboarded": False,
            "macOsEnrollmentAssignments": [partner_target(g["SG-Intune-Pilot"])] if state != "unknown" else [],
            "androidEnrollmentAssignments": [],
            "iosEnrollmentAssignments": [],
            "linuxEnrollmentAssignments": [],
        }
        for name, state in (("Jamf Device Compliance", "enabled"), ("VMware Workspace ONE", "unknown"))
    ]
    remote_partners = [
        {
            "@odata.type": "#microsoft.graph.remoteAssistancePartner",
            "id": stable_guid(tid, "remote-assistance", name),
            "displayName": name,
            "onboardingUrl": url,
            "onboardingStatus": status,
            "lastConnectionDateTime": stamp if status == "onboarded" else "0001-01-01T00:00:00Z",
        }
        for name, url, status in (
            ("TeamViewer", "https://login.teamviewer.com/nav/intune", "onboarded"),
            ("Other partner", "", "notOnboarded"),
        )
    ]

    dep_id = stable_guid(tid, "dep", "Contoso ADE")
    ios_profile = {
        "@odata.type": "#microsoft.graph.depIOSEnrollmentProfile",
        "id": f"{dep_id}_{stable_guid(tid, 'dep-profile', 'IOS - ADE corporate')}",
        "displayName": "IOS - ADE corporate",
        "description": "Supervised, user affinity, Company Portal via VPP",
        "requiresUserAuthentication": True,
        "configurationEndpointUrl": "https://appleconfigurator2.manage.microsoft.com/MDMServiceConfig?id=contoso",
        "enableAuthenticationViaCompanyPortal": False,
        "requireCompanyPortalOnSetupAssistantEnrolledDevices": True,
        "isDefault": True,
        "supervisedModeEnabled": True,
        "supportDepartment": "Contoso IT",
        "isMandatory": True,
        "locationDisabled": False,
        "supportPhoneNumber": "+49 30 1234567",
        "profileRemovalDisabled": True,
        "restoreBlocked": False,
        "appleIdDisabled": True,
        "termsAndConditionsDisabled": True,
        "touchIdDisabled": False,
        "applePayDisabled": True,
        "siriDisabled": True,
        "diagnosticsDisabled": True,
        "displayToneSetupDisabled": True,
        "privacyPaneDisabled": True,
        "screenTimeScreenDisabled": True,
        "deviceNameTemplate": "IOS-{{SERIAL}}",
        "configurationWebUrl": False,
        "enabledSkipKeys": ["AppleID", "Payment", "Siri", "Diagnostics", "DisplayTone", "Privacy", "ScreenTime"],
        "enrollmentTimeAzureAdGroupIds": [],
        "waitForDeviceConfiguredConfirmation": True,
        "iTunesPairingMode": "disallow",
        "managementCertificates": [],
        "restoreFromAndroidDisabled": True,
        "awaitDeviceConfiguredConfirmation": True,
        "sharedIPadMaximumUserCount": 0,
        "enableSharedIPad": False,
        "companyPortalVppTokenId": vpp["id"],
        "enableSingleAppEnrollmentMode": False,
        "homeButtonScreenDisabled": True,
        "iMessageAndFaceTimeScreenDisabled": True,
        "onBoardingScreenDisabled": True,
        "simSetupScreenDisabled": False,
        "softwareUpdateScreenDisabled": False,
        "watchMigrationScreenDisabled": True,
        "appearanceScreenDisabled": True,
        "expressLanguageScreenDisabled": True,
        "preferredLanguageScreenDisabled": True,
        "deviceToDeviceMigrationDisabled": True,
        "welcomeScreenDisabled": False,
        "passCodeDisabled": False,
        "zoomDisabled": True,
        "restoreCompletedScreenDisabled": True,
        "updateCompleteScreenDisabled": True,
        "forceTemporarySession": False,
        "temporarySessionTimeoutInSeconds": 0,
        "userSessionTimeoutInSeconds": 0,
        "passcodeLockGracePeriodInSeconds": None,
        "carrierActivationUrl": None,
        "userlessSharedAadModeEnabled": False,
    }
    # intune-enrollment-depmacosenrollmentprofile: the depEnrollmentBaseProfile properties plus the
    # macOS Setup Assistant panes and the local account (adminAccountPassword is write-only: not served).
    macos_profile = {
        "@odata.type": "#microsoft.graph.depMacOSEnrollmentProfile",
        "id": f"{dep_id}_{stable_guid(tid, 'dep-profile', 'MAC - ADE corporate')}",
        "displayName": "MAC - ADE corporate",
        "description": "User affinity, FileVault and Touch ID panes skipped, pilot devices grouped at enrollment",
        "requiresUserAuthentication": True,
        "configurationEndpointUrl": "https://appleconfigurator2.manage.microsoft.com/MDMServiceConfig?id=contoso",
        "enableAuthenticationViaCompanyPortal": False,
        "requireCompanyPortalOnSetupAssistantEnrolledDevices": False,
        "isDefault": True,
        "supervisedModeEnabled": True,
        "supportDepartment": "Contoso IT",
        "isMandatory": True,
        "locationDisabled": False,
        "supportPhoneNumber": "+49 30 1234567",
        "profileRemovalDisabled": True,
        "restoreBlocked": False,
        "appleIdDisabled": True,
        "termsAndConditionsDisabled": True,
        "touchIdDisabled": True,
        "applePayDisabled": True,
        "siriDisabled": True,
        "diagnosticsDisabled": True,
        "displayToneSetupDisabled": True,
        "privacyPaneDisabled": True,
        "screenTimeScreenDisabled": True,
        "deviceNameTemplate": None,
        "configurationWebUrl": False,
        "enabledSkipKeys": [
            "AppleID",
            "Payment",
            "Siri",
            "Diagnostics",
            "DisplayTone",
            "Privacy",
            "ScreenTime",
            "Biometric",
            "FileVault",
            "iCloudDiagnostics",
            "iCloudStorage",
        ],
        "enrollmentTimeAzureAdGroupIds": [g["SG-Intune-Pilot"]],
        "waitForDeviceConfiguredConfirmation": False,
        "registrationDisabled": False,
        "fileVaultDisabled": True,
        "iCloudDiagnosticsDisabled": True,
        "passCodeDisabled": False,
        "zoomDisabled": True,
        "iCloudStorageDisabled": True,
        "chooseYourLockScreenDisabled": False,
        "accessibilityScreenDisabled": False,
        "autoUnlockWithWatchDisabled": True,
        "skipPrimarySetupAccountCreation": False,
        "setPrimarySetupAccountAsRegularUser": True,
        "dontAutoPopulatePrimaryAccountInfo": False,
        "primaryAccountFullName": None,
        "primaryAccountUserName": None,
        "enableRestrictEditing": True,
        "adminAccountUserName": "contosoadmin",
        "adminAccountFullName": "Contoso Admin",
        "hideAdminAccount": True,
        "requestRequiresNetworkTether": False,
        "autoAdvanceSetupEnabled": False,
    }
    dep = {
        "@odata.type": "#microsoft.graph.depOnboardingSetting",
        "id": dep_id,
        "appleIdentifier": f"abm-admin@{domain}",
        "tokenExpirationDateTime": "2026-09-30T09:12:00Z",
        "lastModifiedDateTime": stamp,
        "lastSuccessfulSyncDateTime": stamp,
        "lastSyncTriggeredDateTime": stamp,
        "shareTokenWithSchoolDataSyncService": False,
        "lastSyncErrorCode": 0,
        "tokenType": "dep",
        "tokenName": "Contoso ADE",
        "syncedDeviceCount": 42,
        "dataSharingConsentGranted": True,
        "roleScopeTagIds": ["0"],
        "enrollmentProfiles": [ios_profile, macos_profile],
        "importedAppleDeviceIdentities": [],
    }

    custom_attribute = {
        "@odata.type": "#microsoft.graph.deviceCustomAttributeShellScript",
        "id": stable_guid(tid, "custom-attribute", "MAC - FileVault status"),
        "customAttributeName": "FileVaultStatus",
        "customAttributeType": "string",
        "displayName": "MAC - FileVault status",
        "description": "Reports fdesetup status",
        "scriptContent": _b64("#!/bin/zsh\n/usr/bin/fdesetup status | head -1\n"),
        "createdDateTime": "2025-08-12T15:04:11Z",
        "lastModifiedDateTime": "2025-08-12T15:04:11Z",
        "runAsAccount": "system",
        "fileName": "filevault-status.sh",
        "roleScopeTagIds": ["0"],
        "assignments": [
            {
                "id": f"{stable_guid(tid, 'custom-attribute', 'MAC - FileVault status')}:{ALL_DEVICES_GROUP_ID}",
                "target": _target("allDevicesAssignmentTarget"),
            }
        ],
    }

    reboot_attribute = {
        "@odata.type": "#microsoft.graph.deviceCustomAttributeShellScript",
        "id": stable_guid(tid, "custom-attribute", "MAC - Days since last reboot"),
        "customAttributeName": "DaysSinceReboot",
        "customAttributeType": "integer",
        "displayName": "MAC - Days since last reboot",
        "description": "",
        "scriptContent": _b64(
            "#!/bin/zsh\nboot=$(sysctl -n kern.boottime | awk '{print $4}' | tr -d ,)\n"
            "echo $(( ($(date +%s) - boot) / 86400 ))\n"
        ),
        "createdDateTime": "2025-10-02T08:41:27Z",
        "lastModifiedDateTime": "2025-11-18T16:20:03Z",
        "runAsAccount": "user",
        "fileName": "days-since-reboot.sh",
        "roleScopeTagIds": ["0"],
        "assignments": [
            {
                "id": f"{stable_guid(tid, 'custom-attribute', 'MAC - Days since last reboot')}:{g['SG-Intune-Pilot']}",
                "target": _target("groupAssignmentTarget", g["SG-Intune-Pilot"]),
            }
        ],
    }

    template = {
        "@odata.type": "#microsoft.graph.securityBaselineTemplate",
        "id": BASELINE_TEMPLATE_ID,
        "displayName": "MDM Security Baseline for Windows 10 and later for November 2021",
        "description": "MDM Security Baseline for Windows 10 and later",
        "versionInfo": "November 2021",
        "isDeprecated": False,
        "intentCount": 1,
        "templateType": "securityBaseline",
        "platformType": "windows10AndLater",
        "templateSubtype": "none",
        "publishedDateTime": "2021-10-22T00:00:00Z",
        "categories": [{**category, "settings": []} for category in BASELINE_CATEGORIES],
        "settings": [],
        "migratableTo": [],
    }

    settings = {
        "@odata.type": "#microsoft.graph.deviceManagementSettings",
        "deviceComplianceCheckinThresholdDays": 30,
        "isScheduledActionEnabled": True,
        "secureByDefault": True,
        "enhancedJailBreak": False,
        "deviceInactivityBeforeRetirementInDay": 0,
        "derivedCredentialProvider": "notConfigured",
        "derivedCredentialUrl": None,
        "androidDeviceAdministratorEnrollmentEnabled": False,
        "ignoreDevicesForUnsupportedSettingsEnabled": False,
        "enableLogCollection": True,
        "enableAutopilotDiagnostics": True,
        "enableEnhancedTroubleshootingExperience": False,
        "enableDeviceGroupMembershipReport": False,
        "m365AppDiagnosticsEnabled": False,
    }

    return {
        "deviceAppManagement/vppTokens": [vpp],
        "deviceManagement/applePushNotificationCertificate": [apns],
        "deviceManagement/androidManagedStoreAccountEnterpriseSettings": [google_play],
        "deviceManagement/deviceManagementPartners": management_partners,
        "deviceManagement/complianceManagementPartners": compliance_partners,
        "deviceManagement/remoteAssistancePartners": remote_partners,
        "deviceManagement/depOnboardingSettings": [dep],
        "deviceManagement/deviceCustomAttributeShellScripts": [custom_attribute, reboot_attribute],
        "deviceManagement/templates": [template],
        "deviceManagement/settings": [settings],
    }


def _app(
    client_id: str,
    name: str,
    secret: str,
    *,
    expires: str = "2030-01-01T00:00:00Z",
    permissions: tuple[str, ...] = cat.READ_PERMISSIONS,
    consented: bool = True,
    sp: bool = True,
) -> Doc:
    return {
        "clientId": client_id,
        "displayName": name,
        "secrets": [{"value": secret, "expiresAt": expires, "displayName": "demo"}],
        "certificates": [],
        "grantedPermissions": list(permissions),
        "adminConsented": consented,
        "servicePrincipal": sp,
    }


def _tenant(tid: str, name: str, domain: str, apps: list[Doc], collections: dict[str, list[Doc]]) -> Doc:
    return {
        "tenantId": tid,
        "displayName": name,
        "defaultDomain": domain,
        "countryLetterCode": "DE",
        "apps": apps,
        "collections": collections,
    }


def _by_name(items: list[Doc], name: str) -> Doc:
    return next(i for i in items if i.get("displayName", i.get("name")) == name)


def build() -> dict[str, Doc]:
    """Every shipped tenant document by file stem."""
    golden = _tenant(
        cat.GOLDEN_TENANT_ID,
        "Contoso (golden)",
        cat.GOLDEN_DOMAIN,
        [_app(cat.GOLDEN_CLIENT_ID, "TenantPilot", cat.GOLDEN_CLIENT_SECRET)],
        golden_collections(cat.GOLDEN_TENANT_ID, cat.GOLDEN_DOMAIN),
    )

    d = golden_collections(cat.DRIFTED_TENANT_ID, cat.DRIFTED_DOMAIN)
    cfgs = d["deviceManagement/deviceConfigurations"]
    restr = _by_name(cfgs, "WIN - Device restrictions")
    restr.update(passwordMinimumLength=8, cameraBlocked=True, version=4)
    cfgs.remove(_by_name(cfgs, "IOS - Device restrictions"))
    cfgs.append(
        {
            "@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
            **_base(cat.DRIFTED_TENANT_ID, "WIN - Legacy kiosk restrictions"),
            "version": 1,
            "supportsScopeTags": True,
            "passwordRequired": False,
            "cameraBlocked": True,
            "assignments": [],
        }
    )
    defender = _by_name(d["deviceManagement/configurationPolicies"], "WIN - Defender antivirus")
    defender["settings"][2] = _choice("device_vendor_msft_policy_config_defender_puaprotection", "0", "2")
    _by_name(d["deviceManagement/deviceCompliancePolicies"], "WIN - Compliance")["bitLockerEnabled"] = False
    # The one seeded drift among the issue-10 types: the PowerShell script's body differs.
    _by_name(d["deviceManagement/deviceManagementScripts"], "WIN - Set time zone")["scriptContent"] = _b64(
        'Set-TimeZone -Id "GMT Standard Time"\n'
    )
    drifted = _tenant(
        cat.DRIFTED_TENANT_ID,
        "Fabrikam (drifted)",
        cat.DRIFTED_DOMAIN,
        [_app(cat.DRIFTED_CLIENT_ID, "TenantPilot", cat.DRIFTED_CLIENT_SECRET)],
        d,
    )

    u = golden_collections(cat.DUPLICATES_TENANT_ID, cat.DUPLICATES_DOMAIN)
    cfgs = u["deviceManagement/deviceConfigurations"]
    twin = copy.deepcopy(_by_name(cfgs, "WIN - Device restrictions"))
    twin["id"] = stable_guid(cat.DUPLICATES_TENANT_ID, "twin", "WIN - Device restrictions")
    twin["passwordMinimumLength"] = 14
    twin["assignments"] = []
    cfgs.append(twin)
    catalog_items = u["deviceManagement/configurationPolicies"]
    twin_sc = copy.deepcopy(_by_name(catalog_items, "WIN - Logon banner"))
    twin_sc["id"] = stable_guid(cat.DUPLICATES_TENANT_ID, "twin", "WIN - Logon banner")
    twin_sc["assignments"], twin_sc["isAssigned"] = [], False
    catalog_items.append(twin_sc)
    comp = u["deviceManagement/deviceCompliancePolicies"]
    twin_c = copy.deepcopy(_by_name(comp, "WIN - Compliance"))
    twin_c["id"] = stable_guid(cat.DUPLICATES_TENANT_ID, "twin", "WIN - Compliance")
    comp.append(twin_c)
    u["deviceManagement/deviceEnrollmentConfigurations"].append(
        {
            "@odata.type": "#microsoft.graph.deviceEnrollmentLimitConfiguration",
            **_base(cat.DUPLICATES_TENANT_ID, "All users and all devices"),
            "priority": 2,
            "version": 1,
            "deviceEnrollmentConfigurationType": "limit",
            "limit": 10,
            "assignments": [],
        }
    )
    duplicates = _tenant(
        cat.DUPLICATES_TENANT_ID,
        "Northwind (duplicate names)",
        cat.DUPLICATES_DOMAIN,
        [_app(cat.DUPLICATES_CLIENT_ID, "TenantPilot", cat.DUPLICATES_CLIENT_SECRET)],
        u,
    )

    r = golden_collections(cat.RENAMED_TENANT_ID, cat.RENAMED_DOMAIN)
    _by_name(r["deviceManagement/deviceConfigurations"], "WIN - Device restrictions")["displayName"] = (
        "Windows - Device Restrictions (v2)"
    )
    _by_name(r["deviceManagement/configurationPolicies"], "WIN - Logon banner")["name"] = (
        "Windows | Legal notice at sign-in"
    )
    _by_name(r["deviceManagement/deviceCompliancePolicies"], "IOS - Compliance")["displayName"] = (
        "iOS/iPadOS compliance"
    )
    renamed = _tenant(
        cat.RENAMED_TENANT_ID,
        "Tailspin (renamed policies)",
        cat.RENAMED_DOMAIN,
        [_app(cat.RENAMED_CLIENT_ID, "TenantPilot", cat.RENAMED_CLIENT_SECRET)],
        r,
    )

    b = golden_collections(cat.BROKEN_TENANT_ID, cat.BROKEN_DOMAIN)
    broken = _tenant(
        cat.BROKEN_TENANT_ID,
        "Woodgrove (broken connections)",
        cat.BROKEN_DOMAIN,
        [
            _app(
                cat.BROKEN_EXPIRED_CLIENT_ID,
                "TenantPilot (expired secret)",
                cat.BROKEN_EXPIRED_CLIENT_SECRET,
                expires="2024-06-30T00:00:00Z",
            ),
            _app(
                cat.BROKEN_NO_CONSENT_CLIENT_ID,
                "TenantPilot (no admin consent)",
                cat.BROKEN_NO_CONSENT_CLIENT_SECRET,
                consented=False,
            ),
            _app(
                cat.BROKEN_NO_SP_CLIENT_ID,
                "TenantPilot (no service principal)",
                cat.BROKEN_NO_SP_CLIENT_SECRET,
                sp=False,
            ),
            _app(
                cat.BROKEN_PARTIAL_CLIENT_ID,
                "TenantPilot (partial permissions)",
                cat.BROKEN_PARTIAL_CLIENT_SECRET,
                permissions=("DeviceManagementConfiguration.Read.All", "Organization.Read.All"),
            ),
        ],
        b,
    )
    return {"golden": golden, "drifted": drifted, "duplicates": duplicates, "renamed": renamed, "broken": broken}


def write(directory: Path = FIXTURES) -> None:
    """Write the fixtures; ``renamed`` uses the folder-per-tenant format."""
    directory.mkdir(parents=True, exist_ok=True)
    for stem, doc in build().items():
        if stem == "renamed":
            folder = directory / stem
            folder.mkdir(exist_ok=True)
            collections = doc.pop("collections")
            (folder / "tenant.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
            for key, items in collections.items():
                (folder / f"{key.replace('/', '.')}.json").write_text(
                    json.dumps({"value": items}, indent=2) + "\n", encoding="utf-8"
                )
        else:
            (directory / f"{stem}.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write()
