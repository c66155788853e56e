"""Raw provider objects for the adapter tests: per provider, objects as the provider returns them.

Each sample names the resource type, the raw object, and what the adapter must make of it
(subject class and ownership), so one shared contract suite can check every adapter.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from tenantpilot.resources.choices import SubjectClass

GOLDEN_TENANT = "11111111-aaaa-4aaa-8aaa-000000000001"
CUSTOMER_TENANT = "22222222-bbbb-4bbb-8bbb-000000000002"


@dataclass(frozen=True)
class Sample:
    """One raw object and the classification its adapter must produce."""

    name: str
    resource_type: str
    item: dict[str, Any]
    subject_class: SubjectClass
    ownership: str  # "tenant", "builtin", "default", "virtual" or "unasserted"

    def fresh(self) -> dict[str, Any]:
        """A deep copy, so a test can mutate it freely."""
        return copy.deepcopy(self.item)


def _enrollment_default(tenant: str, suffix: str, odata: str, kind: str) -> dict[str, Any]:
    return {
        "@odata.type": f"#microsoft.graph.{odata}",
        "id": f"{tenant}_{suffix}",
        "displayName": "All users and all devices",
        "description": "This is the default applied with the lowest priority to all users regardless of group membership.",
        "priority": 0,
        "version": 0,
        "roleScopeTagIds": [],
        "deviceEnrollmentConfigurationType": kind,
        "createdDateTime": "0001-01-01T00:00:00Z",
        "lastModifiedDateTime": "2025-03-26T00:08:25Z",
    }


MICROSOFT_SAMPLES: tuple[Sample, ...] = (
    Sample(
        "device configuration",
        "deviceManagement/deviceConfigurations",
        {
            "@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
            "id": "6c1f0a1e-2c9e-4f1a-9a55-0d0e5d1f3b11",
            "displayName": "WIN - Device restrictions",
            "description": None,
            "createdDateTime": "2025-09-11T16:18:51.2668885Z",
            "lastModifiedDateTime": "2026-01-14T14:02:05.5922366Z",
            "version": 3,
            "passwordRequired": True,
            "passwordMinimumLength": 12,
        },
        SubjectClass.POLICY,
        "tenant",
    ),
    Sample(
        "settings catalog policy (name, not displayName)",
        "configurationPolicies",
        {
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationPolicy",
            "id": "1b0cb496-269c-4b28-91da-acb0b42b2155",
            "name": "WIN - Logon banner",
            "platforms": "windows10",
            "technologies": "mdm",
            "roleScopeTagIds": ["0"],
        },
        SubjectClass.POLICY,
        "tenant",
    ),
    Sample(
        "custom enrollment configuration",
        "deviceEnrollmentConfigurations",
        {
            "@odata.type": "#microsoft.graph.deviceEnrollmentLimitConfiguration",
            "id": "fe97fbc2-134e-54f3-b702-4533c7c0fed1",
            "displayName": "Enrollment limit - Staff",
            "priority": 1,
            "limit": 3,
        },
        SubjectClass.POLICY,
        "tenant",
    ),
    Sample(
        "default enrollment limit",
        "deviceManagement/deviceEnrollmentConfigurations",
        _enrollment_default(GOLDEN_TENANT, "DefaultLimit", "deviceEnrollmentLimitConfiguration", "limit"),
        SubjectClass.PROVIDER_DEFAULT,
        "default",
    ),
    Sample(
        "default platform restrictions",
        "deviceEnrollmentConfigurations",
        _enrollment_default(
            GOLDEN_TENANT,
            "DefaultPlatformRestrictions",
            "deviceEnrollmentPlatformRestrictionsConfiguration",
            "platformRestrictions",
        ),
        SubjectClass.PROVIDER_DEFAULT,
        "default",
    ),
    Sample(
        "default Windows Hello for Business",
        "deviceEnrollmentConfigurations",
        _enrollment_default(
            GOLDEN_TENANT,
            "DefaultWindowsHelloForBusiness",
            "deviceEnrollmentWindowsHelloForBusinessConfiguration",
            "windowsHelloForBusiness",
        ),
        SubjectClass.PROVIDER_DEFAULT,
        "default",
    ),
    Sample(
        "default enrollment status page",
        "deviceEnrollmentConfigurations",
        _enrollment_default(
            GOLDEN_TENANT,
            "DefaultWindows10EnrollmentCompletionPageConfiguration",
            "windows10EnrollmentCompletionPageConfiguration",
            "windows10EnrollmentCompletionPageConfiguration",
        ),
        SubjectClass.PROVIDER_DEFAULT,
        "default",
    ),
    Sample(
        "default Windows restore",
        "deviceEnrollmentConfigurations",
        _enrollment_default(
            GOLDEN_TENANT, "WindowsRestore", "windowsRestoreDeviceEnrollmentConfiguration", "windowsRestore"
        ),
        SubjectClass.PROVIDER_DEFAULT,
        "default",
    ),
    Sample(
        "Default scope tag",
        "deviceManagement/roleScopeTags",
        {
            "@odata.type": "#microsoft.graph.roleScopeTag",
            "id": "0",
            "displayName": "Default",
            "description": "",
            "isBuiltIn": True,
        },
        SubjectClass.PROVIDER_DEFAULT,
        "default",
    ),
    Sample(
        "custom scope tag",
        "roleScopeTags",
        {"@odata.type": "#microsoft.graph.roleScopeTag", "id": "1", "displayName": "EMEA", "isBuiltIn": False},
        SubjectClass.FOUNDATION,
        "tenant",
    ),
    Sample(
        "group",
        "groups",
        {
            "@odata.type": "#microsoft.graph.group",
            "id": "900a1fd8-5305-54b1-b77e-2961e799ab50",
            "displayName": "SG-Intune-Windows-Devices",
        },
        SubjectClass.FOUNDATION,
        "tenant",
    ),
    Sample(
        "all licensed users target",
        "assignmentTargets",
        {
            "@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget",
            "deviceAndAppManagementAssignmentFilterId": None,
            "deviceAndAppManagementAssignmentFilterType": "none",
        },
        SubjectClass.VIRTUAL_ASSIGNMENT_TARGET,
        "virtual",
    ),
    Sample(
        "all devices target",
        "assignmentTargets",
        {
            "@odata.type": "#microsoft.graph.allDevicesAssignmentTarget",
            "deviceAndAppManagementAssignmentFilterId": None,
            "deviceAndAppManagementAssignmentFilterType": "none",
        },
        SubjectClass.VIRTUAL_ASSIGNMENT_TARGET,
        "virtual",
    ),
    Sample(
        "group target",
        "assignmentTargets",
        {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "81ae4dab-f578-5bd0-8b62-63264015f7ca"},
        SubjectClass.ASSIGNMENT_TARGET,
        "tenant",
    ),
    Sample(
        "ungoverned collection",
        "deviceManagement/managedDevices",
        {"id": "d-1", "deviceName": "PC-01"},
        SubjectClass.UNKNOWN,
        "unasserted",
    ),
)

FAKE_SAMPLES: tuple[Sample, ...] = (
    Sample(
        "widget",
        "widgets",
        {"ref": "acct-1::w-42", "title": "Kiosk lockdown", "revision": 7, "knobs": {"speed": 3}},
        SubjectClass.POLICY,
        "tenant",
    ),
    Sample("gizmo", "gizmos", {"ref": "acct-1::g-9", "title": "Helpdesk team tag"}, SubjectClass.FOUNDATION, "tenant"),
    Sample(
        "system widget",
        "widgets",
        {"ref": "acct-1::sys-baseline", "title": "Baseline", "origin": "system", "slot": "baseline"},
        SubjectClass.PROVIDER_BUILTIN,
        "builtin",
    ),
    Sample(
        "fallback widget",
        "widgets",
        {"ref": "acct-1::sys-fallback", "title": "Fallback", "origin": "system", "slot": "fallback", "fallback": True},
        SubjectClass.PROVIDER_DEFAULT,
        "default",
    ),
    Sample(
        "everyone audience",
        "audiences",
        {"kind": "everyone", "title": "Everyone"},
        SubjectClass.VIRTUAL_ASSIGNMENT_TARGET,
        "virtual",
    ),
    Sample(
        "team audience",
        "audiences",
        {"kind": "team", "team_ref": "acct-1::t-3"},
        SubjectClass.ASSIGNMENT_TARGET,
        "tenant",
    ),
    Sample(
        "unsupported thing", "doohickeys", {"ref": "acct-1::d-1", "title": "?"}, SubjectClass.UNSUPPORTED, "unasserted"
    ),
)

SAMPLES: dict[str, tuple[Sample, ...]] = {"microsoft": MICROSOFT_SAMPLES, "fake": FAKE_SAMPLES}
