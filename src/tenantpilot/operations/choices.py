"""Enumerations of operation runs: what runs, where it is in its life, how it ended, what it counted."""

from __future__ import annotations

from django.db import models


class OperationType(models.TextChoices):
    """Every long or outbound thing the product does. New kinds are registered here."""

    PROVIDER_HEALTH_CHECK = "provider.health_check", "Connection health check"
    INVENTORY_SYNC = "inventory.sync", "Inventory sync"
    COMPLIANCE_SNAPSHOT = "compliance.snapshot", "Compliance snapshot"
    BASELINE_CAPTURE = "baseline.capture", "Baseline capture"
    BASELINE_COMPARE = "baseline.compare", "Baseline compare"


class RunStatus(models.TextChoices):
    """Where a run is: ``queued → running → completed`` (or ``queued → completed`` when it never ran)."""

    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"


class RunOutcome(models.TextChoices):
    """How a run ended; ``pending`` exactly while it has not ended."""

    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIALLY_SUCCEEDED = "partially_succeeded", "Partially succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


ACTIVE_STATUSES: frozenset[RunStatus] = frozenset({RunStatus.QUEUED, RunStatus.RUNNING})
TERMINAL_OUTCOMES: frozenset[RunOutcome] = frozenset(set(RunOutcome) - {RunOutcome.PENDING})
# What a handler may report as its result (cancelled is decided by an operator, never by a handler).
HANDLER_OUTCOMES: frozenset[RunOutcome] = frozenset(
    {RunOutcome.SUCCEEDED, RunOutcome.PARTIALLY_SUCCEEDED, RunOutcome.FAILED}
)

# The legal transitions of the run state machine: (from status, to status) → outcomes allowed on arrival.
# Everything else — leaving ``completed``, going back to ``queued``, ``running → running``, a
# completed run without a terminal outcome, a run that never started "succeeding" — is illegal.
LEGAL_TRANSITIONS: dict[tuple[RunStatus, RunStatus], frozenset[RunOutcome]] = {
    (RunStatus.QUEUED, RunStatus.RUNNING): frozenset({RunOutcome.PENDING}),
    (RunStatus.QUEUED, RunStatus.COMPLETED): frozenset({RunOutcome.FAILED, RunOutcome.CANCELLED}),
    (RunStatus.RUNNING, RunStatus.COMPLETED): TERMINAL_OUTCOMES,
}


def is_legal_transition(from_status: str, to_status: str, to_outcome: str) -> bool:
    """True when a run in ``from_status`` may move to ``to_status`` with ``to_outcome``."""
    try:
        allowed = LEGAL_TRANSITIONS.get((RunStatus(from_status), RunStatus(to_status)))
        return allowed is not None and RunOutcome(to_outcome) in allowed
    except ValueError:
        return False


class SummaryKey(models.TextChoices):
    """The registered keys of a run's summary counts (flat ``{key: non-negative int}``)."""

    TOTAL = "total", "Total"
    PROCESSED = "processed", "Processed"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    DELETED = "deleted", "Deleted"
    UNCHANGED = "unchanged", "Unchanged"
    ITEMS = "items", "Items"
    POLICIES = "policies", "Policies"
    ASSIGNMENTS = "assignments", "Assignments"
    DEVICES = "devices", "Devices"
    COMPLIANT = "compliant", "Compliant"
    NONCOMPLIANT = "noncompliant", "Non-compliant"
    PERMISSIONS_CHECKED = "permissions_checked", "Permissions checked"
    PERMISSIONS_MISSING = "permissions_missing", "Permissions missing"
    MATCHED = "matched", "Matched"
    MISSING = "missing", "Missing"
    DIFFERENT = "different", "Different"
    UNEXPECTED = "unexpected", "Unexpected"
    ERRORS = "errors", "Errors"
    RETRIES = "retries", "Retries"
    VERSIONS_CREATED = "versions_created", "Versions created"
    GONE = "gone", "Marked gone"
    UNKNOWN = "unknown", "Content unknown (kept previous version)"
    TYPES_SYNCED = "types_synced", "Policy types synced"
    TYPES_FAILED = "types_failed", "Policy types failed"
    REQUESTS = "requests", "Graph requests"
    THROTTLED = "throttled", "Throttled answers"
    RETRY_WAITS_CAPPED = "retry_waits_capped", "Retry-After waits shortened to the run's retry budget"
    ITEMS_DEVICE_CONFIGURATIONS = "items.deviceConfigurations", "Device configurations"
    ITEMS_DEVICE_COMPLIANCE_POLICIES = "items.deviceCompliancePolicies", "Compliance policies"
    ITEMS_CONFIGURATION_POLICIES = "items.configurationPolicies", "Settings catalog policies"
    ITEMS_GROUP_POLICY_CONFIGURATIONS = "items.groupPolicyConfigurations", "Administrative templates"
    ITEMS_DEVICE_ENROLLMENT_CONFIGURATIONS = "items.deviceEnrollmentConfigurations", "Enrollment configurations"
    ITEMS_IOS_MANAGED_APP_PROTECTIONS = "items.iosManagedAppProtections", "iOS app protection"
    ITEMS_ANDROID_MANAGED_APP_PROTECTIONS = "items.androidManagedAppProtections", "Android app protection"
    ITEMS_ROLE_SCOPE_TAGS = "items.roleScopeTags", "Scope tags"
    ITEMS_ASSIGNMENT_FILTERS = "items.assignmentFilters", "Assignment filters"
    ITEMS_GROUPS = "items.groups", "Groups"
    ITEMS_COMPLIANCE_POLICIES = "items.compliancePolicies", "Compliance policies (settings catalog)"
    ITEMS_INTENTS = "items.intents", "Endpoint security and security baselines"
    ITEMS_WINDOWS_AUTOPILOT_DEPLOYMENT_PROFILES = (
        "items.windowsAutopilotDeploymentProfiles",
        "Autopilot deployment profiles",
    )
    ITEMS_WINDOWS_FEATURE_UPDATE_PROFILES = "items.windowsFeatureUpdateProfiles", "Feature update profiles"
    ITEMS_WINDOWS_QUALITY_UPDATE_PROFILES = "items.windowsQualityUpdateProfiles", "Quality update profiles"
    ITEMS_WINDOWS_DRIVER_UPDATE_PROFILES = "items.windowsDriverUpdateProfiles", "Driver update profiles"
    ITEMS_DEVICE_MANAGEMENT_SCRIPTS = "items.deviceManagementScripts", "PowerShell scripts"
    ITEMS_DEVICE_SHELL_SCRIPTS = "items.deviceShellScripts", "macOS shell scripts"
    ITEMS_DEVICE_HEALTH_SCRIPTS = "items.deviceHealthScripts", "Remediations (proactive)"
    ITEMS_DEVICE_COMPLIANCE_SCRIPTS = "items.deviceComplianceScripts", "Compliance scripts"
    ITEMS_CONDITIONAL_ACCESS_POLICIES = "items.conditionalAccessPolicies", "Conditional access policies"
    ITEMS_MOBILE_APPS = "items.mobileApps", "Apps"
    ITEMS_MOBILE_APP_CONFIGURATIONS = "items.mobileAppConfigurations", "App configuration (managed devices)"
    ITEMS_TARGETED_MANAGED_APP_CONFIGURATIONS = (
        "items.targetedManagedAppConfigurations",
        "App configuration (managed apps)",
    )
    ITEMS_ROLE_DEFINITIONS = "items.roleDefinitions", "Intune roles"
    ITEMS_REUSABLE_POLICY_SETTINGS = "items.reusablePolicySettings", "Reusable settings"
    ITEMS_NOTIFICATION_MESSAGE_TEMPLATES = "items.notificationMessageTemplates", "Notification message templates"
    ITEMS_DEVICE_CATEGORIES = "items.deviceCategories", "Device categories"
    ITEMS_DEVICE_CUSTOM_ATTRIBUTE_SHELL_SCRIPTS = "items.deviceCustomAttributeShellScripts", "macOS custom attributes"
    ITEMS_DEP_ONBOARDING_SETTINGS = "items.depOnboardingSettings", "Apple ADE enrollment profiles"
    ITEMS_DEVICE_MANAGEMENT_SETTINGS = "items.deviceManagementSettings", "Tenant-wide Intune settings"
    SUBJECTS = "subjects", "Baseline subjects"
    OUTCOME_MATCH = "outcome.match", "Match"
    OUTCOME_DRIFT = "outcome.drift", "Drift"
    OUTCOME_MISSING = "outcome.missing", "Missing"
    OUTCOME_AMBIGUOUS_MATCH = "outcome.ambiguous_match", "Ambiguous match"
    OUTCOME_UNEXPECTED = "outcome.unexpected", "Unexpected"
    OUTCOME_EXCLUDED = "outcome.excluded", "Excluded"
    OUTCOME_ACCEPTED_LIMITATION = "outcome.accepted_limitation", "Accepted limitation"
    OUTCOME_UNSUPPORTED = "outcome.unsupported", "Unsupported"
    OUTCOME_MISSING_EXPECTED = "outcome.missing_expected", "Missing (expected)"
    OUTCOME_UNKNOWN = "outcome.unknown", "Unknown (incomplete evidence)"
    IDENTITIES_RECORDED = "identities_recorded", "Identities recorded"
