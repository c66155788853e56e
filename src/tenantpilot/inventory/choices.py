"""Enumerations of the inventory domain: inventoried policy types, schedule frequencies."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from .singletons import DEVICE_MANAGEMENT_SETTINGS_ID


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
    GROUPS = "groups", "Groups"
    COMPLIANCE_POLICIES = "compliancePolicies", "Compliance policies (settings catalog)"
    INTENTS = "intents", "Endpoint security and security baselines"
    WINDOWS_AUTOPILOT_DEPLOYMENT_PROFILES = "windowsAutopilotDeploymentProfiles", "Autopilot deployment profiles"
    WINDOWS_FEATURE_UPDATE_PROFILES = "windowsFeatureUpdateProfiles", "Feature update profiles"
    WINDOWS_QUALITY_UPDATE_PROFILES = "windowsQualityUpdateProfiles", "Quality update profiles"
    WINDOWS_DRIVER_UPDATE_PROFILES = "windowsDriverUpdateProfiles", "Driver update profiles"
    DEVICE_MANAGEMENT_SCRIPTS = "deviceManagementScripts", "PowerShell scripts"
    DEVICE_SHELL_SCRIPTS = "deviceShellScripts", "macOS shell scripts"
    DEVICE_HEALTH_SCRIPTS = "deviceHealthScripts", "Remediations (proactive)"
    DEVICE_COMPLIANCE_SCRIPTS = "deviceComplianceScripts", "Compliance scripts"
    CONDITIONAL_ACCESS_POLICIES = "conditionalAccessPolicies", "Conditional access policies"
    MOBILE_APPS = "mobileApps", "Apps"
    MOBILE_APP_CONFIGURATIONS = "mobileAppConfigurations", "App configuration (managed devices)"
    TARGETED_MANAGED_APP_CONFIGURATIONS = "targetedManagedAppConfigurations", "App configuration (managed apps)"
    ROLE_DEFINITIONS = "roleDefinitions", "Intune roles"
    REUSABLE_POLICY_SETTINGS = "reusablePolicySettings", "Reusable settings"
    NOTIFICATION_MESSAGE_TEMPLATES = "notificationMessageTemplates", "Notification message templates"
    DEVICE_CATEGORIES = "deviceCategories", "Device categories"
    DEVICE_CUSTOM_ATTRIBUTE_SHELL_SCRIPTS = "deviceCustomAttributeShellScripts", "macOS custom attributes"
    DEP_ONBOARDING_SETTINGS = "depOnboardingSettings", "Apple ADE enrollment profiles"
    DEVICE_MANAGEMENT_SETTINGS = "deviceManagementSettings", "Tenant-wide Intune settings"


#: Types that are reference data (foundations), not governed policies: compare reads them to turn
#: tenant-specific ids in assignments into portable names (group, filter and scope-tag names).
REFERENCE_TYPES: frozenset[str] = frozenset(
    {PolicyType.GROUPS.value, PolicyType.ASSIGNMENT_FILTERS.value, PolicyType.ROLE_SCOPE_TAGS.value}
)


@dataclass(frozen=True)
class PolicyTypeSpec:
    """How one policy type is read: its list contract and the per-item sub-resources.

    ``list_contract`` streams the collection (with ``$expand=assignments`` where the contract
    declares it); ``sub_resources`` maps a payload key to a per-item contract fetched through
    ``$batch`` (``{id}`` is the item's provider object id); ``bucket`` is the throttle bucket
    its requests count against (see :mod:`.pacing`); ``top`` is the page size asked for (None:
    the service's default). ``secret_fields`` name payload keys holding customer secrets
    (script bodies): stored like any content, but never rendered, logged or compared as text.
    ``expanded_list_contract`` (settings catalog) lists the same collection with the
    sub-resources expanded, a few items per page: read as a second, latency-bound chain beside
    the ``$batch`` reads when the throttle budget is the limit (graph/PLAN.md section 1).
    ``singleton_id`` marks a type Graph answers as one bare object (``list_contract`` is then a
    non-paged contract): it is read with one GET and stored as one item under that fixed id
    (:func:`.singletons.singleton_payload`). ``detail_contract`` (the Intune scripts) is a per-item
    GET by id whose answer is merged over the listed object: Graph writes the script bodies as
    null in list answers and fills them only on a GET by id (graph/PLAN.md section 9).
    """

    policy_type: PolicyType
    list_contract: str
    bucket: str
    name_field: str = "displayName"
    sub_resources: tuple[tuple[str, str], ...] = ()
    top: int | None = None
    secret_fields: tuple[str, ...] = ()
    expanded_list_contract: str | None = None
    singleton_id: str | None = None
    detail_contract: str | None = None

    @property
    def contract_names(self) -> tuple[str, ...]:
        """Every contract a read of this type may execute: lists, reads by id, sub-resources."""
        optional = (self.expanded_list_contract, self.detail_contract)
        return (
            self.list_contract,
            *(name for name in optional if name is not None),
            *(contract for _key, contract in self.sub_resources),
        )


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
            top=1000,  # pages of 25 by default (graph/PLAN.md section 1)
            expanded_list_contract="configurationPolicies.listExpanded",
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
        # Entra groups: /groups pages 100 by default and allows $top up to 999.
        PolicyTypeSpec(PolicyType.GROUPS, "groups.list", "directory", top=999),
        # -- issue 10 coverage; the evidence for each request is next to its contract.
        PolicyTypeSpec(
            PolicyType.COMPLIANCE_POLICIES,
            "compliancePolicies.list",
            "deviceConfigV2",
            name_field="name",
            sub_resources=(
                ("settings", "compliancePolicies.settings"),
                ("scheduledActionsForRule", "compliancePolicies.scheduledActionsForRule"),
            ),
        ),
        PolicyTypeSpec(
            PolicyType.INTENTS,
            "intents.list",
            "deviceConfiguration",
            sub_resources=(("settings", "intents.settings"), ("assignments", "intents.assignments")),
        ),
        PolicyTypeSpec(
            PolicyType.WINDOWS_AUTOPILOT_DEPLOYMENT_PROFILES, "windowsAutopilotDeploymentProfiles.list", "enrollment"
        ),
        PolicyTypeSpec(
            PolicyType.WINDOWS_FEATURE_UPDATE_PROFILES, "windowsFeatureUpdateProfiles.list", "deviceConfiguration"
        ),
        PolicyTypeSpec(
            PolicyType.WINDOWS_QUALITY_UPDATE_PROFILES, "windowsQualityUpdateProfiles.list", "deviceConfiguration"
        ),
        PolicyTypeSpec(
            PolicyType.WINDOWS_DRIVER_UPDATE_PROFILES, "windowsDriverUpdateProfiles.list", "deviceConfiguration"
        ),
        PolicyTypeSpec(
            PolicyType.DEVICE_MANAGEMENT_SCRIPTS,
            "deviceManagementScripts.list",
            "deviceConfiguration",
            secret_fields=("scriptContent",),
            detail_contract="deviceManagementScripts.get",
        ),
        PolicyTypeSpec(
            PolicyType.DEVICE_SHELL_SCRIPTS,
            "deviceShellScripts.list",
            "deviceConfiguration",
            secret_fields=("scriptContent",),
            detail_contract="deviceShellScripts.get",
        ),
        PolicyTypeSpec(
            PolicyType.DEVICE_HEALTH_SCRIPTS,
            "deviceHealthScripts.list",
            "deviceConfiguration",
            secret_fields=("detectionScriptContent", "remediationScriptContent"),
            detail_contract="deviceHealthScripts.get",
        ),
        PolicyTypeSpec(
            PolicyType.DEVICE_COMPLIANCE_SCRIPTS,
            "deviceComplianceScripts.list",
            "deviceConfiguration",
            secret_fields=("detectionScriptContent",),
            detail_contract="deviceComplianceScripts.get",
        ),
        PolicyTypeSpec(PolicyType.CONDITIONAL_ACCESS_POLICIES, "conditionalAccessPolicies.list", "directory"),
        PolicyTypeSpec(PolicyType.MOBILE_APPS, "mobileApps.list", "managedApps"),
        PolicyTypeSpec(PolicyType.MOBILE_APP_CONFIGURATIONS, "mobileAppConfigurations.list", "managedApps"),
        PolicyTypeSpec(
            PolicyType.TARGETED_MANAGED_APP_CONFIGURATIONS, "targetedManagedAppConfigurations.list", "managedApps"
        ),
        PolicyTypeSpec(PolicyType.ROLE_DEFINITIONS, "roleDefinitions.list", "rbac"),
        PolicyTypeSpec(PolicyType.REUSABLE_POLICY_SETTINGS, "reusablePolicySettings.list", "deviceConfigV2"),
        PolicyTypeSpec(
            PolicyType.NOTIFICATION_MESSAGE_TEMPLATES, "notificationMessageTemplates.list", "deviceConfiguration"
        ),
        PolicyTypeSpec(PolicyType.DEVICE_CATEGORIES, "deviceCategories.list", "devices"),
        # -- the governable types IntuneCD also backs up (macOS custom attributes, Apple ADE).
        PolicyTypeSpec(
            PolicyType.DEVICE_CUSTOM_ATTRIBUTE_SHELL_SCRIPTS,
            "deviceCustomAttributeShellScripts.list",
            "deviceConfiguration",
            secret_fields=("scriptContent",),
            detail_contract="deviceCustomAttributeShellScripts.get",
        ),
        # One item per ADE token with its enrollment profiles merged in (read per token through
        # $batch); the token's name is the label, compare matches the profiles by name inside it.
        PolicyTypeSpec(
            PolicyType.DEP_ONBOARDING_SETTINGS,
            "depOnboardingSettings.list",
            "enrollment",
            name_field="tokenName",
            sub_resources=(("enrollmentProfiles", "depOnboardingSettings.enrollmentProfiles"),),
        ),
        # One object per tenant (no id, no 'value'): stored under a fixed, tenant-independent id.
        PolicyTypeSpec(
            PolicyType.DEVICE_MANAGEMENT_SETTINGS,
            "deviceManagementSettings.get",
            "deviceConfiguration",
            singleton_id=DEVICE_MANAGEMENT_SETTINGS_ID,
        ),
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
    "groupTypes",
    "securityEnabled",
    "mailEnabled",
)


class ItemProblem(models.TextChoices):
    """Why one listed object could not be stored: the sync skips it, counts it and names it.

    A problem item never fails its type or the run; its stored row (if any) keeps its previous
    version and is never marked gone because of it.
    """

    NO_ID = "no_id", "listed without a usable id"
    ID_TOO_LONG = "id_too_long", "id longer than 1024 bytes"
    ID_REJECTED = "id_rejected", "id cannot be used to read its details"
    PAYLOAD_UNUSABLE = "payload_unusable", "content cannot be normalized or stored"


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
    WAITING_FOR_SYNC = "waiting_for_sync", "Waiting for the inventory sync"
    WAITING_FOR_SCOPE = "waiting_for_scope", "Waiting: environment busy, trying again"
    NO_BASELINE = "no_baseline", "Skipped: no assigned baseline with a snapshot"
