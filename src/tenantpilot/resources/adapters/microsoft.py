"""The Microsoft Graph / Intune resource adapter.

Provider facts used here (shared/reference/graph-fidelity.md §2.4–2.6):

- Every tenant has built-in default enrollment configurations whose ids are
  ``{tenantId}_<suffix>`` with ``priority`` 0 (suffixes in :data:`DEFAULT_ENROLLMENT_SUFFIXES`).
  The tenant prefix is stripped, so the discriminator — and the canonical key — is the same
  in every tenant: ``provider:microsoft:builtin:deviceEnrollmentConfigurations/DefaultLimit``.
  A matching suffix with a non-zero ``priority`` is *not* a default (custom configurations get
  priority ≥ 1); an absent ``priority`` (e.g. a ``$select`` without it) is accepted on the
  suffix alone, because the tenant-id prefix plus suffix is unambiguous.
- The ``Default`` role scope tag has the well-known id ``"0"`` in every tenant; other tags
  flagged ``isBuiltIn`` are built-ins keyed by their id.
- Built-in Intune role definitions (``isBuiltIn`` or ``isBuiltInRoleDefinition`` true) are
  provider built-ins keyed by their well-known id (the same in every tenant); custom roles are
  tenant-owned policies.
- Microsoft-managed Conditional Access policies (and the Baseline Security Mode policies Microsoft
  creates) carry a ``templateId`` of Microsoft's managed-policy template family
  ``4200930c-0da2-4e33-ca01-…`` (observed in real exports: ``…ca01-000000000005`` "Multifactor
  authentication for Microsoft partners and vendors", ``…ca01-000000000007`` "Microsoft-managed:
  Multifactor authentication and reauthentication for risky sign-ins", ``…ca01-300000000011``
  "Baseline Security Mode: …"); the policy id is per tenant, so the template id is the
  tenant-independent discriminator. Policies an admin created from an ordinary template (other
  ``templateId`` values) and the ``"Microsoft-managed:"`` display-name prefix (absent in some
  exports, and a display name is never identity) do not make a built-in.
- Microsoft-published remediation scripts (``deviceHealthScripts`` with ``isGlobalScript`` true)
  are built-ins keyed by their id (a global script is one Microsoft object shown in every tenant).
- The tenant-wide Intune settings (``deviceManagement/settings``, a complex-type property with no
  id) are one object per tenant, inventoried under the fixed id :data:`DEVICE_MANAGEMENT_SETTINGS_ID`:
  a provider default keyed ``deviceManagementSettings/deviceManagementSettings`` in every tenant, so
  two tenants' settings are always the same subject, and their content is compared.
- Apple ADE tokens (``depOnboardingSettings``) and macOS custom attributes
  (``deviceCustomAttributeShellScripts``) are tenant-owned policies like the other scripts.
- ``allLicensedUsersAssignmentTarget`` / ``allDevicesAssignmentTarget`` are virtual assignment
  targets (no real object); their well-known virtual group ids (:data:`ALL_LICENSED_USERS_ID`,
  :data:`ALL_DEVICES_ID`) are recognized too, e.g. when a group id is read out of an assignment.

Resource types are Graph collection names (``deviceConfigurations``); a collection path such
as ``deviceManagement/deviceConfigurations`` is accepted and reduced to its last segment.
Assignment ``target`` objects are classified under the pseudo type :data:`ASSIGNMENT_TARGETS`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tenantpilot.inventory.singletons import DEVICE_MANAGEMENT_SETTINGS_ID, DEVICE_MANAGEMENT_SETTINGS_LABEL
from tenantpilot.resources.adapters import ProviderAdapter, UnclassifiableResource
from tenantpilot.resources.choices import SubjectClass, SupportLevel
from tenantpilot.resources.descriptors import ProviderResourceDescriptor
from tenantpilot.resources.identity import ResourceIdentity

PROVIDER_KEY = "microsoft"

#: Pseudo resource type for an assignment's ``target`` object.
ASSIGNMENT_TARGETS = "assignmentTargets"

POLICY_TYPES: frozenset[str] = frozenset(
    {
        "deviceConfigurations",
        "deviceCompliancePolicies",
        "configurationPolicies",
        "groupPolicyConfigurations",
        "managedAppPolicies",
        "iosManagedAppProtections",
        "androidManagedAppProtections",
        "deviceEnrollmentConfigurations",
        # issue 10 coverage
        "compliancePolicies",
        "intents",
        "windowsAutopilotDeploymentProfiles",
        "windowsFeatureUpdateProfiles",
        "windowsQualityUpdateProfiles",
        "windowsDriverUpdateProfiles",
        "deviceManagementScripts",
        "deviceShellScripts",
        "deviceHealthScripts",
        "deviceComplianceScripts",
        "conditionalAccessPolicies",
        "mobileApps",
        "mobileAppConfigurations",
        "targetedManagedAppConfigurations",
        "roleDefinitions",
        "reusablePolicySettings",
        "notificationMessageTemplates",
        "deviceCategories",
        # IntuneCD's governable extras
        "deviceCustomAttributeShellScripts",
        "depOnboardingSettings",
    }
)
# Foundation objects are observed and referenced by policies but not compared on their own yet.
FOUNDATION_TYPES: frozenset[str] = frozenset({"roleScopeTags", "assignmentFilters", "groups"})

ENROLLMENT_CONFIGURATIONS = "deviceEnrollmentConfigurations"
DEFAULT_ENROLLMENT_SUFFIXES: tuple[str, ...] = (
    "DefaultLimit",
    "DefaultPlatformRestrictions",
    "DefaultWindowsHelloForBusiness",
    "DefaultWindows10EnrollmentCompletionPageConfiguration",
    "WindowsRestore",
)
_GUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
_TENANT_PREFIXED_DEFAULT = re.compile(rf"{_GUID}_(?P<suffix>{'|'.join(DEFAULT_ENROLLMENT_SUFFIXES)})")

ROLE_SCOPE_TAGS = "roleScopeTags"
DEFAULT_SCOPE_TAG_ID = "0"
#: Intune role definitions: built-in roles (``isBuiltIn: true``, e.g. "Help Desk Operator") have
#: the same well-known id in every tenant and are Microsoft's, not the tenant's.
ROLE_DEFINITIONS = "roleDefinitions"

CONDITIONAL_ACCESS_POLICIES = "conditionalAccessPolicies"
#: Microsoft's managed Conditional Access template family (see the module docstring).
MICROSOFT_MANAGED_CA_TEMPLATE = re.compile(r"4200930c-0da2-4e33-ca01-[0-9a-f]{12}", re.IGNORECASE)
DEVICE_HEALTH_SCRIPTS = "deviceHealthScripts"
#: The tenant-wide Intune settings (one per tenant; the inventory stores it under a fixed id).
DEVICE_MANAGEMENT_SETTINGS = "deviceManagementSettings"

ALL_LICENSED_USERS_ID = "acacacac-9df4-4c7d-9d50-4ef0226f57a9"
ALL_DEVICES_ID = "adadadad-808e-44e2-905a-0b7873a8a531"
_ODATA_PREFIX = "#microsoft.graph."
# @odata.type → (canonical discriminator, well-known virtual group id, label shown to people)
_VIRTUAL_TARGETS: dict[str, tuple[str, str, str]] = {
    f"{_ODATA_PREFIX}allLicensedUsersAssignmentTarget": (
        f"{ASSIGNMENT_TARGETS}/allLicensedUsers",
        ALL_LICENSED_USERS_ID,
        "All licensed users",
    ),
    f"{_ODATA_PREFIX}allDevicesAssignmentTarget": (f"{ASSIGNMENT_TARGETS}/allDevices", ALL_DEVICES_ID, "All devices"),
}
_VIRTUAL_BY_ID = {group_id: odata_type for odata_type, (_, group_id, _) in _VIRTUAL_TARGETS.items()}
_GROUP_TARGETS = frozenset({f"{_ODATA_PREFIX}groupAssignmentTarget", f"{_ODATA_PREFIX}exclusionGroupAssignmentTarget"})
_CONFIG_MANAGER_TARGET = f"{_ODATA_PREFIX}configurationManagerCollectionAssignmentTarget"


# Collection paths whose last segment is not the resource type's name.
_COLLECTION_ALIASES = {"identity/conditionalAccess/policies": CONDITIONAL_ACCESS_POLICIES}


def _normalize_resource_type(resource_type: str) -> str:
    if not isinstance(resource_type, str) or not resource_type.strip("/"):
        raise UnclassifiableResource(f"resource type must be a Graph collection name, got {resource_type!r}")
    path = resource_type.strip("/")
    return _COLLECTION_ALIASES.get(path, path.rsplit("/", 1)[-1])


def _subtype(item: Mapping[str, Any]) -> str | None:
    odata_type = item.get("@odata.type")
    if isinstance(odata_type, str) and odata_type.startswith(_ODATA_PREFIX) and len(odata_type) > len(_ODATA_PREFIX):
        return odata_type[len(_ODATA_PREFIX) :]
    return None


def _require_id(resource_type: str, item: Mapping[str, Any], field: str = "id") -> str:
    value = item.get(field)
    if not isinstance(value, str) or not value:
        raise UnclassifiableResource(f"{resource_type} object has no {field!r}; it cannot be identified")
    return value


class MicrosoftAdapter(ProviderAdapter):
    """Classifies Microsoft Graph objects (Intune policies, foundation objects, assignment targets).

    Guarantees, beyond the :class:`ProviderAdapter` contract: the same built-in default in two
    tenants yields the same canonical key; tenant-owned objects are keyed by their exact Graph
    id; ``displayName``/``name`` are used only as display labels.
    """

    provider_key = PROVIDER_KEY
    display_label_fields = ("displayName", "name")  # configurationPolicies use "name"

    def describe(
        self,
        resource_type: str,
        item: Mapping[str, Any],
        *,
        source_inventory_item_id: int | None = None,
        source_policy_version_id: int | None = None,
        source_operation_run_id: int | None = None,
    ) -> ProviderResourceDescriptor:
        """Classify one Graph object of ``resource_type`` (see the module docstring for the rules)."""
        if not isinstance(item, Mapping):
            raise UnclassifiableResource("a Graph object is a JSON object")
        rtype = _normalize_resource_type(resource_type)
        if rtype == ASSIGNMENT_TARGETS:
            identity, subject_class, support, label = self._classify_target(item)
        else:
            identity, subject_class, support, label = self._classify_object(rtype, item)
        return ProviderResourceDescriptor(
            identity=identity,
            subject_class=subject_class,
            support_level=support,
            display_label=label,
            source_inventory_item_id=source_inventory_item_id,
            source_policy_version_id=source_policy_version_id,
            source_operation_run_id=source_operation_run_id,
        )

    # -- objects from collections ---------------------------------------------------------

    def _classify_object(
        self, rtype: str, item: Mapping[str, Any]
    ) -> tuple[ResourceIdentity, SubjectClass, SupportLevel, str | None]:
        object_id = _require_id(rtype, item)
        label = self.display_label(item)
        fingerprint = self.fingerprint(item)

        if rtype == "groups" and object_id in _VIRTUAL_BY_ID:
            return self._virtual(_VIRTUAL_BY_ID[object_id], fingerprint=fingerprint)

        if rtype == ENROLLMENT_CONFIGURATIONS:
            match = _TENANT_PREFIXED_DEFAULT.fullmatch(object_id)
            priority = item.get("priority")
            if match and (priority is None or (priority == 0 and not isinstance(priority, bool))):
                identity = ResourceIdentity(
                    provider_key=self.provider_key,
                    resource_type=rtype,
                    provider_resource_id=object_id,
                    discriminator=f"{rtype}/{match.group('suffix')}",
                    fingerprint=fingerprint,
                    is_builtin=True,
                    is_default=True,
                )
                return identity, SubjectClass.PROVIDER_DEFAULT, SupportLevel.SUPPORTED, label

        if rtype == ROLE_SCOPE_TAGS and (object_id == DEFAULT_SCOPE_TAG_ID or item.get("isBuiltIn") is True):
            # Only "0" is known to be the same in every tenant and to act as the default tag.
            is_default = object_id == DEFAULT_SCOPE_TAG_ID
            identity = ResourceIdentity(
                provider_key=self.provider_key,
                resource_type=rtype,
                provider_resource_id=object_id,
                discriminator=f"{rtype}/{object_id}",
                fingerprint=fingerprint,
                is_builtin=True,
                is_default=is_default,
            )
            subject_class = SubjectClass.PROVIDER_DEFAULT if is_default else SubjectClass.PROVIDER_BUILTIN
            return identity, subject_class, SupportLevel.INVENTORY_ONLY, label

        if rtype == ROLE_DEFINITIONS and (item.get("isBuiltIn") is True or item.get("isBuiltInRoleDefinition") is True):
            identity = ResourceIdentity(
                provider_key=self.provider_key,
                resource_type=rtype,
                provider_resource_id=object_id,
                discriminator=f"{rtype}/{object_id}",
                fingerprint=fingerprint,
                is_builtin=True,
            )
            return identity, SubjectClass.PROVIDER_BUILTIN, SupportLevel.INVENTORY_ONLY, label

        template_id = item.get("templateId")
        if (
            rtype == CONDITIONAL_ACCESS_POLICIES
            and isinstance(template_id, str)
            and MICROSOFT_MANAGED_CA_TEMPLATE.fullmatch(template_id)
        ):
            # State and exclusions of a Microsoft-managed policy are the tenant's choice: compared.
            identity = ResourceIdentity(
                provider_key=self.provider_key,
                resource_type=rtype,
                provider_resource_id=object_id,
                discriminator=f"{rtype}/template/{template_id.lower()}",
                fingerprint=fingerprint,
                is_builtin=True,
            )
            return identity, SubjectClass.PROVIDER_BUILTIN, SupportLevel.SUPPORTED, label

        if rtype == DEVICE_MANAGEMENT_SETTINGS:
            # One per tenant whatever id it was stored under: the discriminator is tenant-independent.
            identity = ResourceIdentity(
                provider_key=self.provider_key,
                resource_type=rtype,
                provider_resource_id=object_id,
                discriminator=f"{rtype}/{DEVICE_MANAGEMENT_SETTINGS_ID}",
                fingerprint=fingerprint,
                is_builtin=True,
                is_default=True,
            )
            label = label or DEVICE_MANAGEMENT_SETTINGS_LABEL
            return identity, SubjectClass.PROVIDER_DEFAULT, SupportLevel.SUPPORTED, label

        if rtype == DEVICE_HEALTH_SCRIPTS and item.get("isGlobalScript") is True:
            identity = ResourceIdentity(
                provider_key=self.provider_key,
                resource_type=rtype,
                provider_resource_id=object_id,
                discriminator=f"{rtype}/{object_id.lower()}",
                fingerprint=fingerprint,
                is_builtin=True,
            )
            return identity, SubjectClass.PROVIDER_BUILTIN, SupportLevel.INVENTORY_ONLY, label

        if rtype in POLICY_TYPES:
            subject_class, support, owned = SubjectClass.POLICY, SupportLevel.SUPPORTED, True
        elif rtype in FOUNDATION_TYPES:
            subject_class, support, owned = SubjectClass.FOUNDATION, SupportLevel.INVENTORY_ONLY, True
        else:
            # A collection we do not govern: exact identity, ownership not asserted.
            subject_class, support, owned = SubjectClass.UNKNOWN, SupportLevel.UNSUPPORTED, False
        identity = ResourceIdentity(
            provider_key=self.provider_key,
            resource_type=rtype,
            provider_resource_id=object_id,
            discriminator=_subtype(item),
            fingerprint=fingerprint,
            is_tenant_owned=owned,
        )
        return identity, subject_class, support, label

    # -- assignment targets ---------------------------------------------------------------

    def _classify_target(
        self, target: Mapping[str, Any]
    ) -> tuple[ResourceIdentity, SubjectClass, SupportLevel, str | None]:
        odata_type = target.get("@odata.type")
        fingerprint = self.fingerprint(target)
        if odata_type in _VIRTUAL_TARGETS:
            return self._virtual(str(odata_type), fingerprint=fingerprint)
        if odata_type in _GROUP_TARGETS:
            group_id = _require_id(ASSIGNMENT_TARGETS, target, "groupId")
            if group_id in _VIRTUAL_BY_ID:
                return self._virtual(_VIRTUAL_BY_ID[group_id], fingerprint=fingerprint)
            # Include and exclude targets name the same group: the identity is the group's;
            # the include/exclude intent belongs to the assignment, not to the identity.
            identity = ResourceIdentity(
                provider_key=self.provider_key,
                resource_type="groups",
                provider_resource_id=group_id,
                fingerprint=fingerprint,
                is_tenant_owned=True,
            )
            return identity, SubjectClass.ASSIGNMENT_TARGET, SupportLevel.SUPPORTED, None
        if odata_type == _CONFIG_MANAGER_TARGET:
            collection_id = _require_id(ASSIGNMENT_TARGETS, target, "collectionId")
            identity = ResourceIdentity(
                provider_key=self.provider_key,
                resource_type="configurationManagerCollections",
                provider_resource_id=collection_id,
                fingerprint=fingerprint,
                is_tenant_owned=True,
            )
            return identity, SubjectClass.ASSIGNMENT_TARGET, SupportLevel.UNSUPPORTED, None
        raise UnclassifiableResource(f"unknown assignment target type {odata_type!r}")

    def _virtual(
        self, odata_type: str, *, fingerprint: str
    ) -> tuple[ResourceIdentity, SubjectClass, SupportLevel, str | None]:
        discriminator, group_id, label = _VIRTUAL_TARGETS[odata_type]
        identity = ResourceIdentity(
            provider_key=self.provider_key,
            resource_type=ASSIGNMENT_TARGETS,
            provider_resource_id=group_id,
            discriminator=discriminator,
            fingerprint=fingerprint,
            is_virtual=True,
        )
        return identity, SubjectClass.VIRTUAL_ASSIGNMENT_TARGET, SupportLevel.SUPPORTED, label
