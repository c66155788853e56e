"""The registry of Graph operations TenantPilot may perform.

The client executes nothing but these contracts: no raw URLs, no ad-hoc query options.
Versions, permissions and ``$expand`` support follow shared/reference/graph-fidelity.md
sections 2.2, 2.6 and 5.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

ApiVersion = Literal["v1.0", "beta"]
HttpMethod = Literal["GET"]

DEVICE_MANAGEMENT_CONFIGURATION = "DeviceManagementConfiguration.Read.All"
DEVICE_MANAGEMENT_APPS = "DeviceManagementApps.Read.All"
DEVICE_MANAGEMENT_SERVICE_CONFIG = "DeviceManagementServiceConfig.Read.All"
DEVICE_MANAGEMENT_RBAC = "DeviceManagementRBAC.Read.All"
DEVICE_MANAGEMENT_MANAGED_DEVICES = "DeviceManagementManagedDevices.Read.All"
ORGANIZATION_READ = "Organization.Read.All"
GROUP_READ = "Group.Read.All"
GROUP_MEMBER_READ = "GroupMember.Read.All"
DIRECTORY_READ = "Directory.Read.All"
DEVICE_MANAGEMENT_SCRIPTS = "DeviceManagementScripts.Read.All"
POLICY_READ = "Policy.Read.All"

_DMC_RW = "DeviceManagementConfiguration.ReadWrite.All"
_DOCS = "https://learn.microsoft.com/graph/api/"

# Provider ids seen in Graph: GUIDs, "0" (scope tag), "{tenantId}_DefaultLimit",
# "{policyId}_{groupId}", "…:…". Must start with a letter or digit so "." and ".." are impossible.
_PATH_PARAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:~-]{0,199}$")


class UnknownContract(LookupError):
    """Raised for an operation name that is not registered."""


class InvalidPathParameter(ValueError):
    """Raised when a path parameter is missing, unexpected, or not a URL-safe provider id."""


def validate_path_param(name: str, value: object) -> str:
    """Return ``value`` when it is a URL-safe provider id; raise :class:`InvalidPathParameter` otherwise."""
    if not isinstance(value, str) or not _PATH_PARAM.fullmatch(value):
        raise InvalidPathParameter(f"path parameter {name!r} must be a provider id (letters, digits, _ . : ~ -)")
    return value


@dataclass(frozen=True)
class GraphContract:
    """One registered Graph read: method, versioned path template, query options and permission.

    Guarantees: the path template names its ``{placeholders}`` explicitly and
    :meth:`relative_url` only fills them with validated ids; ``required_permission`` is the
    least-privileged application permission, ``accepted_permissions`` every permission
    that also grants the read.
    """

    name: str
    path: str
    api_version: ApiVersion
    required_permission: str
    method: HttpMethod = "GET"
    select: tuple[str, ...] = ()
    expand: str | None = None
    paged: bool = True
    accepted_permissions: tuple[str, ...] = ()
    item_kind: str = ""
    notes: str = ""
    evidence: str = ""
    consistency_eventual: bool = False
    #: ``$top`` sent when the caller asks for none (e.g. inside ``$batch``); see graph/PLAN.md.
    default_top: int | None = None
    placeholders: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        if self.path.startswith("/") or "?" in self.path:
            raise ValueError(f"{self.name}: path must be relative and carry no query")
        names = tuple(f for _, f, _, _ in string.Formatter().parse(self.path) if f is not None)
        if any(not n.isidentifier() for n in names):
            raise ValueError(f"{self.name}: placeholders must be plain names")
        object.__setattr__(self, "placeholders", names)
        accepted = tuple(dict.fromkeys((self.required_permission, *self.accepted_permissions)))
        object.__setattr__(self, "accepted_permissions", accepted)

    def query(self, *, top: int | None = None) -> str:
        """The query string (without '?') this contract always sends, plus ``$top`` if asked."""
        parts: list[str] = []
        if self.select:
            parts.append("$select=" + ",".join(self.select))
        if self.expand:
            parts.append("$expand=" + quote(self.expand, safe=",()=$;"))
        if top is None:
            top = self.default_top
        if top is not None:
            if not isinstance(top, int) or isinstance(top, bool) or not 1 <= top <= 1000:
                raise ValueError("top must be an integer between 1 and 1000")
            parts.append(f"$top={top}")
        return "&".join(parts)

    def relative_url(self, params: Mapping[str, object] | None = None, *, top: int | None = None) -> str:
        """Path and query relative to ``{graph_base}/{api_version}/``, with validated path params."""
        given = dict(params or {})
        missing = [p for p in self.placeholders if p not in given]
        extra = [p for p in given if p not in self.placeholders]
        if missing or extra:
            raise InvalidPathParameter(
                f"{self.name} takes path parameters {list(self.placeholders)}; missing {missing}, unexpected {extra}"
            )
        values = {name: validate_path_param(name, given[name]) for name in self.placeholders}
        path = self.path.format(**values)
        q = self.query(top=top)
        return f"{path}?{q}" if q else path

    def key_for(self, params: Mapping[str, object]) -> str:
        """A stable key for one set of path params: the values in placeholder order, '/'-joined."""
        return "/".join(str(params[p]) for p in self.placeholders)


def _c(**kwargs: object) -> GraphContract:
    return GraphContract(**kwargs)  # type: ignore[arg-type]


_MANAGED_DEVICE_FIELDS = (
    "id",
    "deviceName",
    "operatingSystem",
    "osVersion",
    "complianceState",
    "lastSyncDateTime",
    "enrolledDateTime",
    "managedDeviceOwnerType",
    "managementAgent",
    "userPrincipalName",
    "azureADDeviceId",
    "serialNumber",
)

_CONTRACTS: tuple[GraphContract, ...] = (
    _c(
        name="organization.list",
        path="organization",
        api_version="v1.0",
        required_permission=ORGANIZATION_READ,
        accepted_permissions=(DIRECTORY_READ, "Organization.ReadWrite.All", "Directory.ReadWrite.All"),
        select=("id", "displayName", "verifiedDomains", "tenantType", "countryLetterCode", "createdDateTime"),
        item_kind="organization",
        notes="Collection of exactly one; id equals the tenant id.",
    ),
    _c(
        name="deviceConfigurations.list",
        path="deviceManagement/deviceConfigurations",
        api_version="beta",
        required_permission=DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=("DeviceManagementConfiguration.ReadWrite.All",),
        expand="assignments",
        item_kind="deviceConfiguration",
        notes="Polymorphic (@odata.type); beta for roleScopeTagIds; full objects, no $select.",
    ),
    _c(
        name="deviceCompliancePolicies.list",
        path="deviceManagement/deviceCompliancePolicies",
        api_version="beta",
        required_permission=DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=("DeviceManagementConfiguration.ReadWrite.All",),
        expand="assignments",
        item_kind="deviceCompliancePolicy",
        notes="Polymorphic; beta for roleScopeTagIds.",
    ),
    _c(
        name="configurationPolicies.list",
        path="deviceManagement/configurationPolicies",
        api_version="beta",
        required_permission=DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=("DeviceManagementConfiguration.ReadWrite.All",),
        expand="assignments",
        item_kind="deviceManagementConfigurationPolicy",
        notes="Settings catalog; beta only; 25 per page by default, $top=1000 asked; 'name' not 'displayName'; "
        "settings via configurationPolicies.settings. List-level $expand=settings is allowed but Graph cuts "
        "such pages to ~1-2 items and ignores $top (royklo/RKSolutions-Module FINDINGS.md), so settings are "
        "read per policy in $batch as IntuneCD does, beside the expand chain when the throttle budget is "
        "the limit (hybrid plan, graph/PLAN.md section 1).",
    ),
    _c(
        name="configurationPolicies.listExpanded",
        path="deviceManagement/configurationPolicies",
        api_version="beta",
        required_permission=DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=("DeviceManagementConfiguration.ReadWrite.All",),
        expand="settings,assignments",
        item_kind="deviceManagementConfigurationPolicy",
        notes="The same list with settings expanded: Graph cuts its pages to ~1-2 policies and ignores $top "
        "(royklo/RKSolutions-Module FINDINGS.md), so no $top is sent. Read as the hybrid plan's chain from "
        "the first page while $batch reads settings from the end of the listed ids (graph/PLAN.md section 1).",
        evidence="DOCS intune-deviceconfigv2-devicemanagementconfigurationpolicy.md (settings, assignments "
        "relationships); ICD backup/Intune/DeviceCompliance.py list-level $expand=settings.",
    ),
    _c(
        name="configurationPolicies.settings",
        path="deviceManagement/configurationPolicies/{id}/settings",
        api_version="beta",
        required_permission=DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=("DeviceManagementConfiguration.ReadWrite.All",),
        item_kind="deviceManagementConfigurationSetting",
        default_top=1000,
        notes="Per policy; 25 per page by default, so $top=1000 makes one request per policy (IntuneCD "
        "'/settings?&top=1000', commit cfa24a5 'include more settings than 25'); fetched through $batch "
        "(graph/PLAN.md section 1).",
    ),
    _c(
        name="groupPolicyConfigurations.list",
        path="deviceManagement/groupPolicyConfigurations",
        api_version="beta",
        required_permission=DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=("DeviceManagementConfiguration.ReadWrite.All",),
        expand="assignments",
        item_kind="groupPolicyConfiguration",
        notes="Administrative templates; beta only. $expand=definitionValues is answered empty "
        "(microsoftgraph/microsoft-graph-docs#19655), hence groupPolicyConfigurations.definitionValues.",
    ),
    _c(
        name="groupPolicyConfigurations.definitionValues",
        path="deviceManagement/groupPolicyConfigurations/{id}/definitionValues",
        api_version="beta",
        required_permission=DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=("DeviceManagementConfiguration.ReadWrite.All",),
        expand="definition,presentationValues",
        item_kind="groupPolicyDefinitionValue",
        notes="Per administrative-template policy (the configured settings), definition and presentation "
        "values expanded in the same request; fetched through $batch (graph/PLAN.md section 2).",
    ),
    _c(
        name="managedAppPolicies.list",
        path="deviceAppManagement/managedAppPolicies",
        api_version="beta",
        required_permission=DEVICE_MANAGEMENT_APPS,
        accepted_permissions=("DeviceManagementApps.ReadWrite.All",),
        item_kind="managedAppPolicy",
        notes="Polymorphic; assignments live on the ios/android protection collections, not here.",
    ),
    _c(
        name="iosManagedAppProtections.list",
        path="deviceAppManagement/iosManagedAppProtections",
        api_version="beta",
        required_permission=DEVICE_MANAGEMENT_APPS,
        accepted_permissions=("DeviceManagementApps.ReadWrite.All",),
        expand="assignments",
        item_kind="iosManagedAppProtection",
    ),
    _c(
        name="androidManagedAppProtections.list",
        path="deviceAppManagement/androidManagedAppProtections",
        api_version="beta",
        required_permission=DEVICE_MANAGEMENT_APPS,
        accepted_permissions=("DeviceManagementApps.ReadWrite.All",),
        expand="assignments",
        item_kind="androidManagedAppProtection",
    ),
    _c(
        name="deviceEnrollmentConfigurations.list",
        path="deviceManagement/deviceEnrollmentConfigurations",
        api_version="beta",
        required_permission=DEVICE_MANAGEMENT_SERVICE_CONFIG,
        accepted_permissions=(
            "DeviceManagementServiceConfig.ReadWrite.All",
            DEVICE_MANAGEMENT_CONFIGURATION,
            "DeviceManagementConfiguration.ReadWrite.All",
        ),
        expand="assignments",
        item_kind="deviceEnrollmentConfiguration",
        notes="Built-in defaults have ids '{tenantId}_Default…' and priority 0.",
    ),
    _c(
        name="roleScopeTags.list",
        path="deviceManagement/roleScopeTags",
        api_version="beta",
        required_permission=DEVICE_MANAGEMENT_RBAC,
        accepted_permissions=(
            "DeviceManagementRBAC.ReadWrite.All",
            DEVICE_MANAGEMENT_CONFIGURATION,
            "DeviceManagementConfiguration.ReadWrite.All",
        ),
        item_kind="roleScopeTag",
        notes="Built-in 'Default' tag has id '0'.",
    ),
    _c(
        name="assignmentFilters.list",
        path="deviceManagement/assignmentFilters",
        api_version="beta",
        required_permission=DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=("DeviceManagementConfiguration.ReadWrite.All",),
        item_kind="deviceAndAppManagementAssignmentFilter",
    ),
    _c(
        name="groups.list",
        path="groups",
        api_version="v1.0",
        required_permission=GROUP_READ,
        accepted_permissions=(GROUP_MEMBER_READ, DIRECTORY_READ, "Group.ReadWrite.All", "Directory.ReadWrite.All"),
        select=(
            "id",
            "displayName",
            "description",
            "groupTypes",
            "securityEnabled",
            "mailEnabled",
            "mailNickname",
            "membershipRule",
            "createdDateTime",
        ),
        item_kind="group",
        notes="Pages of 100 by default (max $top 999).",
    ),
    _c(
        name="managedDevices.list",
        path="deviceManagement/managedDevices",
        api_version="v1.0",
        required_permission=DEVICE_MANAGEMENT_MANAGED_DEVICES,
        accepted_permissions=("DeviceManagementManagedDevices.ReadWrite.All",),
        select=_MANAGED_DEVICE_FIELDS,
        item_kind="managedDevice",
        notes="The fields a compliance snapshot needs; pages of 1000.",
    ),
    _c(
        name="deviceCompliancePolicyDeviceStateSummary.get",
        path="deviceManagement/deviceCompliancePolicyDeviceStateSummary",
        api_version="v1.0",
        required_permission=DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=("DeviceManagementConfiguration.ReadWrite.All",),
        paged=False,
        item_kind="deviceCompliancePolicyDeviceStateSummary",
        notes="Singleton entity (no 'value').",
    ),
)

# -- coverage of the types MSPs govern (issue 10) ---------------------------------------------
# Every contract below cites its evidence. "docs:" quotes the Microsoft Graph reference page
# (microsoftgraph/microsoft-graph-docs-contrib, api-reference/<version>/api/<page>.md); the
# permission is the least-privileged *application* permission of that page's table.


def _intune(name: str, path: str, permission: str, *, evidence: str, **kwargs: object) -> GraphContract:
    """A beta Intune read (beta: roleScopeTagIds and the newer types exist only there)."""
    return _c(name=name, path=path, api_version="beta", required_permission=permission, evidence=evidence, **kwargs)


_COVERAGE_CONTRACTS: tuple[GraphContract, ...] = (
    _intune(
        "compliancePolicies.list",
        "deviceManagement/compliancePolicies",
        DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=(_DMC_RW,),
        expand="assignments",
        item_kind="deviceManagementCompliancePolicy",
        notes="Settings-catalog compliance; beta only; 'name' not 'displayName'; pages of 25 like "
        "configurationPolicies; settings and scheduledActionsForRule through $batch.",
        evidence=_DOCS + "intune-deviceconfigv2-devicemanagementcompliancepolicy-list?view=graph-rest-beta — "
        "docs: 'GET /deviceManagement/compliancePolicies', Application: 'DeviceManagementConfiguration.Read.All, "
        "DeviceManagementConfiguration.ReadWrite.All'; example item has name, platforms, technologies, "
        "settingCount, roleScopeTagIds, isAssigned.",
    ),
    _intune(
        "compliancePolicies.settings",
        "deviceManagement/compliancePolicies/{id}/settings",
        DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=(_DMC_RW,),
        item_kind="deviceManagementConfigurationSetting",
        default_top=1000,
        notes="Per policy; 25 per page by default, so $top=1000 makes one request per policy; fetched through "
        "$batch (as configurationPolicies.settings, graph/PLAN.md section 1).",
        evidence=_DOCS + "intune-deviceconfigv2-devicemanagementcompliancepolicy-list-settings?view=graph-rest-beta",
    ),
    _intune(
        "compliancePolicies.scheduledActionsForRule",
        "deviceManagement/compliancePolicies/{id}/scheduledActionsForRule",
        DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=(_DMC_RW,),
        expand="scheduledActionConfigurations",
        item_kind="deviceManagementComplianceScheduledActionForRule",
        notes="The actions for noncompliance (block, notify, retire) with their grace periods.",
        evidence=_DOCS + "intune-deviceconfigv2-devicemanagementcompliancescheduledactionforrule-list"
        "?view=graph-rest-beta",
    ),
    _intune(
        "intents.list",
        "deviceManagement/intents",
        DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=(_DMC_RW,),
        item_kind="deviceManagementIntent",
        notes="Endpoint security and security baselines (template-based); beta only; settings and "
        "assignments through $batch (list-level $expand is not documented for intents).",
        evidence=_DOCS + "intune-deviceintent-devicemanagementintent-list?view=graph-rest-beta — docs: "
        "'GET /deviceManagement/intents', Application: 'DeviceManagementConfiguration.ReadWrite.All, "
        "DeviceManagementConfiguration.Read.All'; items carry displayName, isAssigned, templateId, roleScopeTagIds.",
    ),
    _intune(
        "intents.settings",
        "deviceManagement/intents/{id}/settings",
        DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=(_DMC_RW,),
        item_kind="deviceManagementSettingInstance",
        notes="Per intent: the setting instances (definitionId + valueJson).",
        evidence=_DOCS + "intune-deviceintent-devicemanagementintent-list-settings?view=graph-rest-beta",
    ),
    _intune(
        "intents.assignments",
        "deviceManagement/intents/{id}/assignments",
        DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=(_DMC_RW,),
        item_kind="deviceManagementIntentAssignment",
        notes="Per intent; fetched through $batch.",
        evidence=_DOCS + "intune-deviceintent-devicemanagementintentassignment-list?view=graph-rest-beta",
    ),
    _intune(
        "windowsAutopilotDeploymentProfiles.list",
        "deviceManagement/windowsAutopilotDeploymentProfiles",
        DEVICE_MANAGEMENT_SERVICE_CONFIG,
        accepted_permissions=("DeviceManagementServiceConfig.ReadWrite.All",),
        expand="assignments",
        item_kind="windowsAutopilotDeploymentProfile",
        notes="Polymorphic (azureADWindowsAutopilotDeploymentProfile, activeDirectory…); beta only.",
        evidence=_DOCS + "intune-enrollment-windowsautopilotdeploymentprofile-list?view=graph-rest-beta — "
        "Application: DeviceManagementServiceConfig.ReadWrite.All, DeviceManagementServiceConfig.Read.All "
        "(enrollment workload, like deviceEnrollmentConfigurations).",
    ),
    _intune(
        "windowsFeatureUpdateProfiles.list",
        "deviceManagement/windowsFeatureUpdateProfiles",
        DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=(_DMC_RW,),
        expand="assignments",
        item_kind="windowsFeatureUpdateProfile",
        evidence=_DOCS + "intune-softwareupdate-windowsfeatureupdateprofile-list?view=graph-rest-beta — docs: "
        "'GET /deviceManagement/windowsFeatureUpdateProfiles', Application: "
        "'DeviceManagementConfiguration.ReadWrite.All, DeviceManagementConfiguration.Read.All'.",
    ),
    _intune(
        "windowsQualityUpdateProfiles.list",
        "deviceManagement/windowsQualityUpdateProfiles",
        DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=(_DMC_RW,),
        expand="assignments",
        item_kind="windowsQualityUpdateProfile",
        evidence=_DOCS + "intune-softwareupdate-windowsqualityupdateprofile-list?view=graph-rest-beta "
        "(same softwareUpdate workload and permission table as the feature update profiles).",
    ),
    _intune(
        "windowsDriverUpdateProfiles.list",
        "deviceManagement/windowsDriverUpdateProfiles",
        DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=(_DMC_RW,),
        expand="assignments",
        item_kind="windowsDriverUpdateProfile",
        notes="Beta only; the driverInventories navigation (device-reported drivers) is not read.",
        evidence=_DOCS + "intune-softwareupdate-windowsdriverupdateprofile-list?view=graph-rest-beta",
    ),
    _intune(
        "deviceManagementScripts.list",
        "deviceManagement/deviceManagementScripts",
        DEVICE_MANAGEMENT_SCRIPTS,
        accepted_permissions=("DeviceManagementScripts.ReadWrite.All",),
        expand="assignments",
        item_kind="deviceManagementScript",
        notes="Windows PowerShell scripts; scriptContent is base64 (a customer secret: stored, hashed, "
        "never rendered or logged).",
        evidence=_DOCS + "intune-devices-devicemanagementscript-list?view=graph-rest-beta — docs example item "
        "carries 'scriptContent': 'c2NyaXB0Q29udGVudA==', runAsAccount, enforceSignatureCheck, fileName, "
        "roleScopeTagIds. Permission: the published table still names DeviceManagementManagedDevices/"
        "DeviceManagementConfiguration, but since Sep 2025 Graph answers app tokens without "
        "DeviceManagementScripts.Read.All with 403 'must have one of DeviceManagementScripts.Read.All, "
        "DeviceManagementScripts.ReadWrite.All' (observed by several public clients; IntuneCD's docs list the "
        "scope). We require the scope Graph enforces."
        " Graph's list answer writes the body as null (the docs example is a generated placeholder): read by id, "
        "deviceManagementScripts.get (its evidence).",
    ),
    _intune(
        "deviceShellScripts.list",
        "deviceManagement/deviceShellScripts",
        DEVICE_MANAGEMENT_SCRIPTS,
        accepted_permissions=("DeviceManagementScripts.ReadWrite.All",),
        expand="assignments",
        item_kind="deviceShellScript",
        notes="macOS shell scripts; scriptContent base64 (secret, see deviceManagementScripts.list).",
        evidence=_DOCS + "intune-devices-deviceshellscript-list?view=graph-rest-beta; permission as "
        "deviceManagementScripts.list (DeviceManagementScripts.* enforced since Sep 2025)."
        " Graph's list answer writes the body as null (the docs example is a generated placeholder): read by id, "
        "deviceShellScripts.get (its evidence).",
    ),
    _intune(
        "deviceHealthScripts.list",
        "deviceManagement/deviceHealthScripts",
        DEVICE_MANAGEMENT_SCRIPTS,
        accepted_permissions=("DeviceManagementScripts.ReadWrite.All",),
        expand="assignments",
        item_kind="deviceHealthScript",
        notes="Proactive remediations: detectionScriptContent + remediationScriptContent (base64, secret).",
        evidence=_DOCS + "intune-devices-devicehealthscript-list?view=graph-rest-beta — docs example item has "
        "'detectionScriptContent', 'remediationScriptContent', publisher, runAsAccount, isGlobalScript. The "
        "published table names DeviceManagementConfiguration.Read.All; Graph now enforces "
        "DeviceManagementScripts.Read.All (see deviceManagementScripts.list)."
        " Graph's list answer writes the body as null (the docs example is a generated placeholder): read by id, "
        "deviceHealthScripts.get (its evidence).",
    ),
    _intune(
        "deviceComplianceScripts.list",
        "deviceManagement/deviceComplianceScripts",
        DEVICE_MANAGEMENT_SCRIPTS,
        accepted_permissions=("DeviceManagementScripts.ReadWrite.All",),
        item_kind="deviceComplianceScript",
        notes="Custom compliance discovery scripts: detectionScriptContent (base64, secret); no assignments "
        "(a compliance policy references the script).",
        evidence=_DOCS + "intune-devices-devicecompliancescript-list?view=graph-rest-beta; permission as "
        "deviceManagementScripts.list."
        " Graph's list answer writes the body as null (the docs example is a generated placeholder): read by id, "
        "deviceComplianceScripts.get (its evidence).",
    ),
    _intune(
        "reusablePolicySettings.list",
        "deviceManagement/reusablePolicySettings",
        DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=(_DMC_RW,),
        item_kind="deviceManagementReusablePolicySetting",
        notes="Reusable settings groups (e.g. firewall rules, removable storage) referenced by "
        "settings-catalog policies; no assignments.",
        evidence=_DOCS + "intune-deviceconfigv2-devicemanagementreusablepolicysetting-list?view=graph-rest-beta",
    ),
    _intune(
        "notificationMessageTemplates.list",
        "deviceManagement/notificationMessageTemplates",
        DEVICE_MANAGEMENT_SERVICE_CONFIG,
        accepted_permissions=("DeviceManagementServiceConfig.ReadWrite.All",),
        expand="localizedNotificationMessages",
        item_kind="notificationMessageTemplate",
        notes="Compliance notification e-mails with their localized messages.",
        evidence=_DOCS + "intune-notification-notificationmessagetemplate-list?view=graph-rest-beta — "
        "Application: DeviceManagementServiceConfig.ReadWrite.All, DeviceManagementServiceConfig.Read.All; "
        "IntuneCD reads it with $expand=localizedNotificationMessages.",
    ),
    _intune(
        "roleDefinitions.list",
        "deviceManagement/roleDefinitions",
        DEVICE_MANAGEMENT_RBAC,
        accepted_permissions=("DeviceManagementRBAC.ReadWrite.All",),
        item_kind="roleDefinition",
        notes="Built-in Intune roles carry isBuiltIn true (classified builtin); custom roles are tenant-owned.",
        evidence=_DOCS + "intune-rbac-roledefinition-list?view=graph-rest-beta — docs: "
        "'GET /deviceManagement/roleDefinitions', 'DeviceManagementRBAC.ReadWrite.All, "
        "DeviceManagementRBAC.Read.All'; example item has rolePermissions, isBuiltInRoleDefinition, isBuiltIn.",
    ),
    _intune(
        "deviceCategories.list",
        "deviceManagement/deviceCategories",
        DEVICE_MANAGEMENT_MANAGED_DEVICES,
        accepted_permissions=("DeviceManagementManagedDevices.ReadWrite.All",),
        item_kind="deviceCategory",
        evidence=_DOCS + "intune-onboarding-devicecategory-list?view=graph-rest-beta — docs: "
        "'GET /deviceManagement/deviceCategories', 'DeviceManagementManagedDevices.ReadWrite.All, "
        "DeviceManagementManagedDevices.Read.All'.",
    ),
    _intune(
        "mobileApps.list",
        "deviceAppManagement/mobileApps",
        DEVICE_MANAGEMENT_APPS,
        accepted_permissions=("DeviceManagementApps.ReadWrite.All",),
        expand="assignments",
        item_kind="mobileApp",
        notes="Polymorphic (win32LobApp, iosStoreApp, …); file content is never read.",
        evidence=_DOCS + "intune-apps-mobileapp-list?view=graph-rest-beta — Application: "
        "DeviceManagementApps.Read.All, DeviceManagementApps.ReadWrite.All.",
    ),
    _intune(
        "mobileAppConfigurations.list",
        "deviceAppManagement/mobileAppConfigurations",
        DEVICE_MANAGEMENT_APPS,
        accepted_permissions=("DeviceManagementApps.ReadWrite.All",),
        expand="assignments",
        item_kind="managedDeviceMobileAppConfiguration",
        notes="App configuration for managed devices (iOS/Android enterprise).",
        evidence=_DOCS + "intune-apps-manageddevicemobileappconfiguration-list?view=graph-rest-beta — "
        "Application: DeviceManagementApps.Read.All.",
    ),
    _intune(
        "targetedManagedAppConfigurations.list",
        "deviceAppManagement/targetedManagedAppConfigurations",
        DEVICE_MANAGEMENT_APPS,
        accepted_permissions=("DeviceManagementApps.ReadWrite.All",),
        expand="assignments",
        item_kind="targetedManagedAppConfiguration",
        notes="App configuration for managed apps (MAM); also listed under managedAppPolicies.",
        evidence=_DOCS + "intune-mam-targetedmanagedappconfiguration-list?view=graph-rest-beta — Application: "
        "DeviceManagementApps.Read.All.",
    ),
    _c(
        name="conditionalAccessPolicies.list",
        path="identity/conditionalAccess/policies",
        api_version="v1.0",
        required_permission=POLICY_READ,
        item_kind="conditionalAccessPolicy",
        notes="Entra conditional access; v1.0 (generally available); not an Intune workload.",
        evidence=_DOCS + "conditionalaccessroot-list-policies?view=graph-rest-1.0 — docs: "
        "'GET /identity/conditionalAccess/policies', Application: 'Policy.Read.All'; 'supports the $skip, "
        "$top, $count, $filter, $orderBy, and $select OData query parameters'.",
    ),
)

_CONTRACTS += _COVERAGE_CONTRACTS

# -- the governable types IntuneCD also backs up: macOS custom attributes, Apple ADE, tenant settings --
_SCRIPTS_NOTE = (
    " Microsoft Learn (intune/solutions/education/tutorial-school-deployment/ref-privacy-settings-windows): "
    "'As of July 31 2025, Microsoft Graph replaced use of the DeviceManagementConfiguration.ReadWrite.All "
    "permission with DeviceManagementScripts.ReadWrite.All for the following API calls: … "
    "~/deviceManagement/deviceCustomAttributeShellScripts …'."
)

_APPLE_AND_TENANT_CONTRACTS: tuple[GraphContract, ...] = (
    _intune(
        "deviceCustomAttributeShellScripts.list",
        "deviceManagement/deviceCustomAttributeShellScripts",
        DEVICE_MANAGEMENT_SCRIPTS,
        accepted_permissions=("DeviceManagementScripts.ReadWrite.All",),
        expand="assignments",
        item_kind="deviceCustomAttributeShellScript",
        notes="macOS custom attributes: a shell script whose output becomes a device attribute "
        "(customAttributeName/customAttributeType); scriptContent base64 (a customer secret: stored, hashed, never "
        "rendered or logged). Beta only. IntuneCD's CustomAttributes module reads each with ?$expand=assignments.",
        evidence=_DOCS + "intune-devices-devicecustomattributeshellscript-list?view=graph-rest-beta — docs: "
        "'GET /deviceManagement/deviceCustomAttributeShellScripts'; example item carries customAttributeName, "
        "customAttributeType, displayName, scriptContent 'c2NyaXB0Q29udGVudA==', runAsAccount, fileName, "
        "roleScopeTagIds. The published table names DeviceManagementManagedDevices/DeviceManagementConfiguration; "
        "Graph enforces the scripts scope since mid-2025:"
        + _SCRIPTS_NOTE
        + " Graph's list answer writes the body as null (the docs example is a generated placeholder): read by id, "
        "deviceCustomAttributeShellScripts.get (its evidence).",
    ),
    _intune(
        "depOnboardingSettings.list",
        "deviceManagement/depOnboardingSettings",
        DEVICE_MANAGEMENT_SERVICE_CONFIG,
        accepted_permissions=("DeviceManagementServiceConfig.ReadWrite.All",),
        item_kind="depOnboardingSetting",
        notes="Apple ADE (DEP) tokens, a handful per tenant; each one's enrollmentProfiles are read through $batch "
        "(as IntuneCD's AppleEnrollmentProfiles module does: list, then depOnboardingSettings/{id}/enrollmentProfiles "
        "per token in one $batch). Beta only.",
        evidence=_DOCS + "intune-enrollment-deponboardingsetting-list?view=graph-rest-beta — docs: "
        "'GET /deviceManagement/depOnboardingSettings', Application: 'DeviceManagementServiceConfig.Read.All, "
        "DeviceManagementServiceConfig.ReadWrite.All, DeviceManagementConfiguration.Read.All'; example item has "
        "appleIdentifier, tokenExpirationDateTime, lastSuccessfulSyncDateTime, tokenType, tokenName, "
        "syncedDeviceCount, roleScopeTagIds.",
    ),
    _intune(
        "depOnboardingSettings.enrollmentProfiles",
        "deviceManagement/depOnboardingSettings/{id}/enrollmentProfiles",
        DEVICE_MANAGEMENT_SERVICE_CONFIG,
        accepted_permissions=("DeviceManagementServiceConfig.ReadWrite.All",),
        item_kind="enrollmentProfile",
        notes="Per ADE token: its enrollment profiles (depIOSEnrollmentProfile, depMacOSEnrollmentProfile, …); "
        "fetched through $batch. A profile's id embeds its token's id, so compare matches profiles by name "
        "inside the token, never by id (baselines.normalize).",
        evidence=_DOCS + "intune-enrollment-enrollmentprofile-list?view=graph-rest-beta — docs: "
        "'GET /deviceManagement/depOnboardingSettings/{depOnboardingSettingId}/enrollmentProfiles', Application: "
        "'DeviceManagementServiceConfig.Read.All, DeviceManagementServiceConfig.ReadWrite.All, "
        "DeviceManagementConfiguration.Read.All'.",
    ),
    _intune(
        "deviceManagementSettings.get",
        "deviceManagement/settings",
        DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=(_DMC_RW,),
        paged=False,
        item_kind="deviceManagementSettings",
        notes="Tenant-wide Intune settings (compliance check-in threshold, 'mark devices with no compliance "
        "policy as', jailbreak detection, …): a complex-type property of deviceManagement, answered as one object "
        "with no id and no 'value'. Inventoried as one item per tenant with the fixed id "
        "'deviceManagementSettings' (tenantpilot.inventory.choices.SINGLETON_SPECS).",
        evidence=_DOCS + "intune-deviceconfig-devicemanagement-get?view=graph-rest-beta — docs: 'GET "
        "/deviceManagement', Application: 'DeviceManagementConfiguration.Read.All, "
        "DeviceManagementConfiguration.ReadWrite.All'; resources/intune-deviceconfig-devicemanagementsettings: "
        "'deviceManagementSettings resource type' with deviceComplianceCheckinThresholdDays, "
        "isScheduledActionEnabled, secureByDefault, enhancedJailBreak, …; 'Relationships: None'. IntuneCD's "
        "DeviceManagementSettings module reads GET /beta/deviceManagement/settings.",
    ),
)

_CONTRACTS += _APPLE_AND_TENANT_CONTRACTS

# -- script bodies: Graph answers them only on a GET by id (graph/PLAN.md section 9) ------------
SCRIPT_BODY_EVIDENCE = (
    " List answers carry the script bodies as null; only a GET by id fills them. Observed: a beta list "
    "answer captured in Graph Explorer (thdy/zenn-contents articles/download_scripts_in_intune_with_graph_explorer.md "
    "@15ff4ee): '@odata.context': '…/beta/$metadata#deviceManagement/deviceManagementScripts', item "
    "'\"scriptContent\": null', and the same script by id ('…#deviceManagement/deviceManagementScripts/$entity') "
    "with the base64 body. IntuneCD 2.6.0 lists each of the five script collections and then re-reads every script by "
    "id (backup/Intune/{PowershellScripts,ShellScripts,CustomAttributes,ProactiveRemediation,ComplianceScripts}.py: "
    "batch_request(ids, 'deviceManagement/deviceManagementScripts/', '')) before it saves "
    "item['scriptContent'] / detectionScriptContent / remediationScriptContent; IntuneManagement (Micke-K @faffa95, "
    "Extensions/EndpointManager.psm1 Invoke-DownloadScript) re-reads the object (Get-GraphObject) before "
    "$obj.scriptContent. The docs' list examples show bodies, but they are generated placeholders for every "
    "property ('Display Name value'), not captured answers."
)


def _script_get(name: str, collection: str, kind: str, page: str, bodies: str) -> GraphContract:
    return _intune(
        name,
        f"deviceManagement/{collection}/{{id}}",
        DEVICE_MANAGEMENT_SCRIPTS,
        accepted_permissions=("DeviceManagementScripts.ReadWrite.All",),
        paged=False,
        item_kind=kind,
        notes=f"One {kind} by id, with {bodies} (a customer secret: stored, hashed, never rendered or logged); read "
        "through $batch, 20 per POST, one throttle token per inner request, merged over the listed object "
        "(which keeps its $expand=assignments). No $expand here: the list already expanded the assignments.",
        evidence=_DOCS + f"{page}?view=graph-rest-beta — docs: 'GET /deviceManagement/{collection}/{{id}}'; "
        "permission as the list (the scripts scope Graph enforces)." + SCRIPT_BODY_EVIDENCE,
    )


_SCRIPT_DETAIL_CONTRACTS: tuple[GraphContract, ...] = (
    _script_get(
        "deviceManagementScripts.get",
        "deviceManagementScripts",
        "deviceManagementScript",
        "intune-devices-devicemanagementscript-get",
        "scriptContent",
    ),
    _script_get(
        "deviceShellScripts.get",
        "deviceShellScripts",
        "deviceShellScript",
        "intune-devices-deviceshellscript-get",
        "scriptContent",
    ),
    _script_get(
        "deviceHealthScripts.get",
        "deviceHealthScripts",
        "deviceHealthScript",
        "intune-devices-devicehealthscript-get",
        "detectionScriptContent and remediationScriptContent",
    ),
    _script_get(
        "deviceComplianceScripts.get",
        "deviceComplianceScripts",
        "deviceComplianceScript",
        "intune-devices-devicecompliancescript-get",
        "detectionScriptContent",
    ),
    _script_get(
        "deviceCustomAttributeShellScripts.get",
        "deviceCustomAttributeShellScripts",
        "deviceCustomAttributeShellScript",
        "intune-devices-devicecustomattributeshellscript-get",
        "scriptContent",
    ),
)

_CONTRACTS += _SCRIPT_DETAIL_CONTRACTS

CONTRACTS: Mapping[str, GraphContract] = {c.name: c for c in _CONTRACTS}
if len(CONTRACTS) != len(_CONTRACTS):
    raise RuntimeError("duplicate Graph contract name")


def get_contract(name: str) -> GraphContract:
    """The registered contract called ``name``; raises :class:`UnknownContract` otherwise."""
    try:
        return CONTRACTS[name]
    except (KeyError, TypeError):
        raise UnknownContract(f"no Graph contract named {name!r}") from None


def contract_names() -> tuple[str, ...]:
    """All registered operation names, sorted."""
    return tuple(sorted(CONTRACTS))
