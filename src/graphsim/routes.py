"""The Graph route table: which collections exist in which API version, who may read
them, how they page and which bucket throttles them (graph-fidelity.md 2.2, 3, 4.1, 5)."""

from __future__ import annotations

from dataclasses import dataclass, field

V1 = "v1.0"
BETA = "beta"
BOTH = frozenset({V1, BETA})
BETA_ONLY = frozenset({BETA})

DMC = ("DeviceManagementConfiguration.Read.All", "DeviceManagementConfiguration.ReadWrite.All")
SERVICE_CONFIG = (
    "DeviceManagementServiceConfig.Read.All",
    "DeviceManagementServiceConfig.ReadWrite.All",
    *DMC,
)
RBAC = ("DeviceManagementRBAC.Read.All", "DeviceManagementRBAC.ReadWrite.All", *DMC)
APPS = ("DeviceManagementApps.Read.All", "DeviceManagementApps.ReadWrite.All")
RBAC_ONLY = ("DeviceManagementRBAC.Read.All", "DeviceManagementRBAC.ReadWrite.All")
SCRIPTS = ("DeviceManagementScripts.Read.All", "DeviceManagementScripts.ReadWrite.All")
POLICY = ("Policy.Read.All", "Policy.ReadWrite.ConditionalAccess")
SERVICE_CONFIG_ONLY = ("DeviceManagementServiceConfig.Read.All", "DeviceManagementServiceConfig.ReadWrite.All")
DEVICES = ("DeviceManagementManagedDevices.Read.All", "DeviceManagementManagedDevices.ReadWrite.All")
ORGANIZATION = (
    "Organization.Read.All",
    "Organization.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)
GROUPS = (
    "GroupMember.Read.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
)


@dataclass(frozen=True)
class CollectionSpec:
    """How one Graph collection is served.

    ``count``: "total" (classic Intune lists carry the total ``@odata.count`` on every
    page), "page" (settings catalog: the count of the page), "directory" (only with
    ``$count=true`` + ``ConsistencyLevel: eventual``, first page only) or "none".
    ``navs`` are the navigation properties stored inline on items: stripped from plain
    answers, served as ``/{id}/{nav}`` and via ``$expand``. ``union`` adds items of other
    collections (optionally only of some ``@odata.type`` values). ``list_withheld`` are the
    properties Graph writes as ``null`` in list answers and only fills on a GET by id (the
    Intune script bodies, graph/PLAN.md section 9).
    """

    key: str
    versions: frozenset[str]
    service: str  # "intune" | "directory"
    permissions: tuple[str, ...]
    bucket: str
    item_type: str
    page_size: int = 1000
    max_top: int = 1000
    count: str = "total"
    navs: frozenset[str] = frozenset()
    union: tuple[tuple[str, frozenset[str] | None], ...] = ()
    tips: bool = False
    skip_supported: bool = True
    singleton: bool = False
    beta_only_types: frozenset[str] = field(default_factory=frozenset)
    list_withheld: frozenset[str] = frozenset()

    @property
    def entity(self) -> str:
        """The entity type name used in messages (``microsoft.graph.group``)."""
        return self.item_type.lstrip("#")


IOS_TYPE = "#microsoft.graph.iosManagedAppProtection"
ANDROID_TYPE = "#microsoft.graph.androidManagedAppProtection"

SPECS: tuple[CollectionSpec, ...] = (
    CollectionSpec(
        "organization",
        BOTH,
        "directory",
        ORGANIZATION,
        "directory",
        "#microsoft.graph.organization",
        page_size=100,
        max_top=999,
        count="none",
        skip_supported=False,
    ),
    CollectionSpec(
        "groups",
        BOTH,
        "directory",
        GROUPS,
        "directory",
        "#microsoft.graph.group",
        page_size=100,
        max_top=999,
        count="directory",
        skip_supported=False,
    ),
    CollectionSpec(
        "deviceManagement/deviceConfigurations",
        BOTH,
        "intune",
        DMC,
        "deviceConfiguration",
        "#microsoft.graph.deviceConfiguration",
        navs=frozenset({"assignments"}),
    ),
    CollectionSpec(
        "deviceManagement/deviceCompliancePolicies",
        BOTH,
        "intune",
        DMC,
        "deviceConfiguration",
        "#microsoft.graph.deviceCompliancePolicy",
        navs=frozenset({"assignments", "scheduledActionsForRule"}),
    ),
    CollectionSpec(
        "deviceManagement/configurationPolicies",
        BETA_ONLY,
        "intune",
        DMC,
        "deviceConfigV2",
        "#microsoft.graph.deviceManagementConfigurationPolicy",
        page_size=25,
        count="page",
        navs=frozenset({"assignments", "settings"}),
        tips=True,
    ),
    CollectionSpec(
        "deviceManagement/groupPolicyConfigurations",
        BETA_ONLY,
        "intune",
        DMC,
        "deviceConfiguration",
        "#microsoft.graph.groupPolicyConfiguration",
        navs=frozenset({"assignments", "definitionValues"}),
    ),
    CollectionSpec(
        "deviceAppManagement/managedAppPolicies",
        BOTH,
        "intune",
        APPS,
        "managedApps",
        "#microsoft.graph.managedAppPolicy",
        union=(
            ("deviceAppManagement/iosManagedAppProtections", None),
            ("deviceAppManagement/androidManagedAppProtections", None),
        ),
    ),
    CollectionSpec(
        "deviceAppManagement/iosManagedAppProtections",
        BOTH,
        "intune",
        APPS,
        "managedApps",
        IOS_TYPE,
        navs=frozenset({"assignments", "apps"}),
        union=(("deviceAppManagement/managedAppPolicies", frozenset({IOS_TYPE})),),
    ),
    CollectionSpec(
        "deviceAppManagement/androidManagedAppProtections",
        BOTH,
        "intune",
        APPS,
        "managedApps",
        ANDROID_TYPE,
        navs=frozenset({"assignments", "apps"}),
        union=(("deviceAppManagement/managedAppPolicies", frozenset({ANDROID_TYPE})),),
    ),
    CollectionSpec(
        "deviceManagement/deviceEnrollmentConfigurations",
        BOTH,
        "intune",
        SERVICE_CONFIG,
        "enrollment",
        "#microsoft.graph.deviceEnrollmentConfiguration",
        navs=frozenset({"assignments"}),
        beta_only_types=frozenset({"#microsoft.graph.windowsRestoreDeviceEnrollmentConfiguration"}),
    ),
    CollectionSpec(
        "deviceManagement/roleScopeTags",
        BETA_ONLY,
        "intune",
        RBAC,
        "rbac",
        "#microsoft.graph.roleScopeTag",
        navs=frozenset({"assignments"}),  # roleScopeTagAutoAssignment (IntuneCD reads it in $batch)
    ),
    CollectionSpec(
        "deviceManagement/assignmentFilters",
        BETA_ONLY,
        "intune",
        DMC,
        "deviceConfiguration",
        "#microsoft.graph.deviceAndAppManagementAssignmentFilter",
    ),
    CollectionSpec(
        "deviceManagement/managedDevices",
        BOTH,
        "intune",
        DEVICES,
        "devices",
        "#microsoft.graph.managedDevice",
    ),
    CollectionSpec(
        "deviceManagement/deviceCompliancePolicyDeviceStateSummary",
        BOTH,
        "intune",
        DMC,
        "deviceConfiguration",
        "#microsoft.graph.deviceCompliancePolicyDeviceStateSummary",
        count="none",
        singleton=True,
    ),
)

TARGETED_APP_CONFIG_TYPE = "#microsoft.graph.targetedManagedAppConfiguration"


def _intune(
    key: str,
    permissions: tuple[str, ...],
    bucket: str,
    item_type: str,
    versions: frozenset[str] = BETA_ONLY,
    **kw: object,
) -> CollectionSpec:
    return CollectionSpec(key, versions, "intune", permissions, bucket, f"#microsoft.graph.{item_type}", **kw)  # type: ignore[arg-type]


#: Script bodies: null in list answers, filled only on a GET by id (graph/PLAN.md section 9).
SCRIPT_BODY = frozenset({"scriptContent"})
HEALTH_SCRIPT_BODIES = frozenset({"detectionScriptContent", "remediationScriptContent"})
COMPLIANCE_SCRIPT_BODY = frozenset({"detectionScriptContent"})

#: The types MSPs govern beyond the first nine (issue 10); versions and permissions follow the
#: evidence recorded next to TenantPilot's contracts (tenantpilot.graph.contracts).
COVERAGE_SPECS: tuple[CollectionSpec, ...] = (
    _intune(
        "deviceManagement/compliancePolicies",
        DMC,
        "deviceConfigV2",
        "deviceManagementCompliancePolicy",
        page_size=25,
        count="page",
        navs=frozenset({"assignments", "settings", "scheduledActionsForRule"}),
        tips=True,
    ),
    _intune(
        "deviceManagement/intents",
        DMC,
        "deviceConfiguration",
        "deviceManagementIntent",
        navs=frozenset({"assignments", "settings", "categories"}),
    ),
    _intune(
        "deviceManagement/windowsAutopilotDeploymentProfiles",
        SERVICE_CONFIG_ONLY,
        "enrollment",
        "windowsAutopilotDeploymentProfile",
        navs=frozenset({"assignments"}),
    ),
    _intune(
        "deviceManagement/windowsFeatureUpdateProfiles",
        DMC,
        "deviceConfiguration",
        "windowsFeatureUpdateProfile",
        navs=frozenset({"assignments"}),
    ),
    _intune(
        "deviceManagement/windowsQualityUpdateProfiles",
        DMC,
        "deviceConfiguration",
        "windowsQualityUpdateProfile",
        navs=frozenset({"assignments"}),
    ),
    _intune(
        "deviceManagement/windowsDriverUpdateProfiles",
        DMC,
        "deviceConfiguration",
        "windowsDriverUpdateProfile",
        navs=frozenset({"assignments"}),
    ),
    _intune(
        "deviceManagement/deviceManagementScripts",
        SCRIPTS,
        "deviceConfiguration",
        "deviceManagementScript",
        navs=frozenset({"assignments"}),
        list_withheld=SCRIPT_BODY,
    ),
    _intune(
        "deviceManagement/deviceShellScripts",
        SCRIPTS,
        "deviceConfiguration",
        "deviceShellScript",
        navs=frozenset({"assignments"}),
        list_withheld=SCRIPT_BODY,
    ),
    _intune(
        "deviceManagement/deviceHealthScripts",
        SCRIPTS,
        "deviceConfiguration",
        "deviceHealthScript",
        navs=frozenset({"assignments"}),
        list_withheld=HEALTH_SCRIPT_BODIES,
    ),
    _intune(
        "deviceManagement/deviceComplianceScripts",
        SCRIPTS,
        "deviceConfiguration",
        "deviceComplianceScript",
        list_withheld=COMPLIANCE_SCRIPT_BODY,
    ),
    _intune(
        "deviceManagement/reusablePolicySettings",
        DMC,
        "deviceConfigV2",
        "deviceManagementReusablePolicySetting",
    ),
    _intune(
        "deviceManagement/notificationMessageTemplates",
        SERVICE_CONFIG_ONLY,
        "deviceConfiguration",
        "notificationMessageTemplate",
        BOTH,
        navs=frozenset({"localizedNotificationMessages"}),
    ),
    _intune(
        "deviceManagement/roleDefinitions",
        RBAC_ONLY,
        "rbac",
        "roleDefinition",
        BOTH,
        navs=frozenset({"roleAssignments"}),  # IntuneCD reads roleDefinitions/{id}/roleAssignments
    ),
    _intune("deviceManagement/deviceCategories", DEVICES, "devices", "deviceCategory", BOTH),
    _intune(
        "deviceAppManagement/mobileApps",
        APPS,
        "managedApps",
        "mobileApp",
        BOTH,
        navs=frozenset({"assignments"}),
    ),
    _intune(
        "deviceAppManagement/mobileAppConfigurations",
        APPS,
        "managedApps",
        "managedDeviceMobileAppConfiguration",
        BOTH,
        navs=frozenset({"assignments"}),
    ),
    _intune(
        "deviceAppManagement/targetedManagedAppConfigurations",
        APPS,
        "managedApps",
        "targetedManagedAppConfiguration",
        navs=frozenset({"assignments", "apps"}),
        union=(("deviceAppManagement/managedAppPolicies", frozenset({TARGETED_APP_CONFIG_TYPE})),),
    ),
    CollectionSpec(
        "identity/conditionalAccess/policies",
        BOTH,
        "directory",
        POLICY,
        "directory",
        "#microsoft.graph.conditionalAccessPolicy",
        count="none",
    ),
)
SPECS += COVERAGE_SPECS

#: What IntuneCD 2.6.0 backs up beyond the issue-10 types (tenant connectors, partner connections,
#: Apple enrollment, macOS custom attributes, the intent template catalog, tenant-wide settings).
#: Versions and application permissions from the DOCS resource/list pages (beta and v1.0 paths
#: checked per type); shapes in graphsim.fixtures_build.connector_collections.
CONNECTOR_SPECS: tuple[CollectionSpec, ...] = (
    _intune("deviceAppManagement/vppTokens", SERVICE_CONFIG_ONLY, "enrollment", "vppToken", BOTH),
    _intune(
        "deviceManagement/applePushNotificationCertificate",
        SERVICE_CONFIG_ONLY,
        "enrollment",
        "applePushNotificationCertificate",
        BOTH,
        count="none",
        singleton=True,
    ),
    _intune(
        "deviceManagement/androidManagedStoreAccountEnterpriseSettings",
        DMC,
        "deviceConfiguration",
        "androidManagedStoreAccountEnterpriseSettings",
        count="none",
        singleton=True,
    ),
    _intune(
        "deviceManagement/complianceManagementPartners",
        SERVICE_CONFIG_ONLY,
        "enrollment",
        "complianceManagementPartner",
        BOTH,
    ),
    _intune(
        "deviceManagement/deviceManagementPartners", SERVICE_CONFIG_ONLY, "enrollment", "deviceManagementPartner", BOTH
    ),
    _intune(
        "deviceManagement/remoteAssistancePartners", SERVICE_CONFIG_ONLY, "enrollment", "remoteAssistancePartner", BOTH
    ),
    _intune(
        "deviceManagement/depOnboardingSettings",
        SERVICE_CONFIG_ONLY,
        "enrollment",
        "depOnboardingSetting",
        navs=frozenset({"enrollmentProfiles", "importedAppleDeviceIdentities"}),
    ),
    _intune(
        "deviceManagement/deviceCustomAttributeShellScripts",
        SCRIPTS,  # Graph enforces DeviceManagementScripts.* since July 2025 (see the tenantpilot contract)
        "deviceConfiguration",
        "deviceCustomAttributeShellScript",
        navs=frozenset({"assignments"}),
        list_withheld=SCRIPT_BODY,
    ),
    _intune(
        "deviceManagement/templates",
        DMC,
        "deviceConfiguration",
        "deviceManagementTemplate",
        navs=frozenset({"settings", "categories", "migratableTo"}),
    ),
    # deviceManagement.settings is a complex-type property, read like a singleton.
    _intune(
        "deviceManagement/settings",
        DMC,  # GET deviceManagement, device configuration workload (intune-deviceconfig-devicemanagement-get)
        "deviceConfiguration",
        "deviceManagementSettings",
        BOTH,
        count="none",
        singleton=True,
    ),
)
SPECS += CONNECTOR_SPECS

#: What a singleton answers when the tenant document does not hold it. Intune's tenant-wide
#: settings exist in every Intune tenant (a property of deviceManagement, never absent): the
#: defaults of a new tenant (DOCS resources/intune-deviceconfig-devicemanagementsettings), so a
#: generated tenant that does not model them still answers as Graph does. Other singletons
#: (APNs certificate, managed Google Play) may really be missing and answer 404.
SINGLETON_DEFAULTS: dict[str, dict[str, object]] = {
    "deviceManagement/settings": {
        "@odata.type": "#microsoft.graph.deviceManagementSettings",
        "deviceComplianceCheckinThresholdDays": 30,
        "isScheduledActionEnabled": True,
        "secureByDefault": False,
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
    },
}

SPECS_BY_KEY: dict[str, CollectionSpec] = {spec.key: spec for spec in SPECS}


def extra_spec(key: str) -> CollectionSpec:
    """How a collection found in a tenant document but not in the table is served."""
    return CollectionSpec(
        key,
        BOTH,
        "intune",
        DMC,
        "deviceConfiguration",
        "#microsoft.graph.entity",
        navs=frozenset({"assignments"}),
    )


# Inline navigation properties never served unless expanded, whatever the collection
# (managedAppPolicies also lists the iOS/Android protections, which carry assignments).
ALWAYS_STRIPPED = frozenset(
    {"assignments", "settings", "definitionValues", "scheduledActionsForRule", "apps", "localizedNotificationMessages"}
)

# Inline navigation properties of nested entities (stripped unless expanded).
NESTED_NAVS: dict[str, frozenset[str]] = {
    "definitionValues": frozenset({"definition", "presentationValues"}),
    "presentationValues": frozenset({"presentation"}),
    "scheduledActionsForRule": frozenset({"scheduledActionConfigurations"}),
    # intents/{id}/categories/{id}/settings and templates/{id}/categories/{id}/settings (IntuneCD)
    "categories": frozenset({"settings"}),
}

# Page sizes of sub-collections (graph-fidelity.md 3: settings default to 25).
SUB_PAGE_SIZES: dict[str, int] = {"settings": 25}

# Properties that exist only in beta; stripped from v1.0 answers.
BETA_ONLY_PROPERTIES = frozenset(
    {
        "roleScopeTagIds",
        "supportsScopeTags",
        "deviceManagementApplicabilityRuleOsEdition",
        "deviceManagementApplicabilityRuleOsVersion",
        "deviceManagementApplicabilityRuleDeviceMode",
        "deviceEnrollmentConfigurationType",
    }
)
BETA_ONLY_ASSIGNMENT_PROPERTIES = frozenset({"source", "sourceId", "intent"})
BETA_ONLY_TARGET_PROPERTIES = frozenset(
    {"deviceAndAppManagementAssignmentFilterId", "deviceAndAppManagementAssignmentFilterType"}
)
V1_TYPE_MAP = {"#microsoft.graph.windowsManagedDevice": "#microsoft.graph.managedDevice"}
