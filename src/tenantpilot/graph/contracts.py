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
    consistency_eventual: bool = False
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
        if top is not None:
            if not isinstance(top, int) or isinstance(top, bool) or not 1 <= top <= 999:
                raise ValueError("top must be an integer between 1 and 999")
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
        notes="Settings catalog; beta only; 25 per page; 'name' not 'displayName'; settings via "
        "configurationPolicies.settings.",
    ),
    _c(
        name="configurationPolicies.settings",
        path="deviceManagement/configurationPolicies/{id}/settings",
        api_version="beta",
        required_permission=DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=("DeviceManagementConfiguration.ReadWrite.All",),
        item_kind="deviceManagementConfigurationSetting",
        notes="Per policy; 25 per page; fetched through $batch.",
    ),
    _c(
        name="groupPolicyConfigurations.list",
        path="deviceManagement/groupPolicyConfigurations",
        api_version="beta",
        required_permission=DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=("DeviceManagementConfiguration.ReadWrite.All",),
        expand="assignments",
        item_kind="groupPolicyConfiguration",
        notes="Administrative templates; beta only.",
    ),
    _c(
        name="groupPolicyConfigurations.definitionValues",
        path="deviceManagement/groupPolicyConfigurations/{id}/definitionValues",
        api_version="beta",
        required_permission=DEVICE_MANAGEMENT_CONFIGURATION,
        accepted_permissions=("DeviceManagementConfiguration.ReadWrite.All",),
        expand="definition,presentationValues",
        item_kind="groupPolicyDefinitionValue",
        notes="Per administrative-template policy (the configured settings); fetched through $batch.",
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
