"""Enumerations of the inventory domain: inventoried policy types, schedule frequencies."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class PolicyType(models.TextChoices):
    """Every inventoried resource type; the value is the Graph collection name.

    The registry of how each type is read lives in :data:`POLICY_TYPE_SPECS`.
    """

    DEVICE_CONFIGURATIONS = "deviceConfigurations", "Device configurations"
    DEVICE_COMPLIANCE_POLICIES = "deviceCompliancePolicies", "Compliance policies"
    CONFIGURATION_POLICIES = "configurationPolicies", "Settings catalog policies"
    GROUP_POLICY_CONFIGURATIONS = "groupPolicyConfigurations", "Administrative templates"
    DEVICE_ENROLLMENT_CONFIGURATIONS = "deviceEnrollmentConfigurations", "Enrollment configurations"
    IOS_MANAGED_APP_PROTECTIONS = "iosManagedAppProtections", "iOS app protection"
    ANDROID_MANAGED_APP_PROTECTIONS = "androidManagedAppProtections", "Android app protection"
    ROLE_SCOPE_TAGS = "roleScopeTags", "Scope tags"
    ASSIGNMENT_FILTERS = "assignmentFilters", "Assignment filters"


@dataclass(frozen=True)
class PolicyTypeSpec:
    """How one policy type is read: its list contract and the per-item sub-resources.

    ``list_contract`` streams the collection (with ``$expand=assignments`` where the contract
    declares it); ``sub_resources`` maps a payload key to a per-item contract fetched through
    ``$batch`` (``{id}`` is the item's provider object id); ``bucket`` is the Intune throttle
    bucket its requests count against (see :mod:`.pacing`).
    """

    policy_type: PolicyType
    list_contract: str
    bucket: str
    name_field: str = "displayName"
    sub_resources: tuple[tuple[str, str], ...] = ()


POLICY_TYPE_SPECS: dict[str, PolicyTypeSpec] = {
    spec.policy_type.value: spec
    for spec in (
        PolicyTypeSpec(PolicyType.DEVICE_CONFIGURATIONS, "deviceConfigurations.list", "deviceConfiguration"),
        PolicyTypeSpec(PolicyType.DEVICE_COMPLIANCE_POLICIES, "deviceCompliancePolicies.list", "deviceConfiguration"),
        PolicyTypeSpec(
            PolicyType.CONFIGURATION_POLICIES,
            "configurationPolicies.list",
            "deviceConfigV2",
            name_field="name",
            sub_resources=(("settings", "configurationPolicies.settings"),),
        ),
        PolicyTypeSpec(
            PolicyType.GROUP_POLICY_CONFIGURATIONS,
            "groupPolicyConfigurations.list",
            "deviceConfiguration",
            sub_resources=(("definitionValues", "groupPolicyConfigurations.definitionValues"),),
        ),
        PolicyTypeSpec(
            PolicyType.DEVICE_ENROLLMENT_CONFIGURATIONS, "deviceEnrollmentConfigurations.list", "enrollment"
        ),
        PolicyTypeSpec(PolicyType.IOS_MANAGED_APP_PROTECTIONS, "iosManagedAppProtections.list", "managedApps"),
        PolicyTypeSpec(PolicyType.ANDROID_MANAGED_APP_PROTECTIONS, "androidManagedAppProtections.list", "managedApps"),
        PolicyTypeSpec(PolicyType.ROLE_SCOPE_TAGS, "roleScopeTags.list", "rbac"),
        PolicyTypeSpec(PolicyType.ASSIGNMENT_FILTERS, "assignmentFilters.list", "deviceConfiguration"),
    )
}

# The metadata keys copied from a payload onto the item row (a whitelist: nothing else is kept
# outside the immutable versions).
METADATA_FIELDS: tuple[str, ...] = (
    "platforms",
    "platform",
    "technologies",
    "roleScopeTagIds",
    "isAssigned",
    "isBuiltIn",
    "priority",
    "settingCount",
    "deviceEnrollmentConfigurationType",
    "version",
    "lastModifiedDateTime",
)


class ScheduleFrequency(models.TextChoices):
    """How often a scheduled operation runs."""

    OFF = "off", "Off"
    HOURLY = "hourly", "Hourly"
    DAILY = "daily", "Daily"


class ScheduleResult(models.TextChoices):
    """What the last due tick of a schedule did."""

    STARTED = "started", "Started"
    DEDUPED = "deduped", "Already running"
    SCOPE_BUSY_SKIPPED = "scope_busy_skipped", "Skipped: environment busy"
    NO_CONNECTION = "no_connection", "Skipped: no usable connection"
    ENVIRONMENT_ARCHIVED = "environment_archived", "Skipped: environment archived"
