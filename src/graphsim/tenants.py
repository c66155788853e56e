"""Tenant documents: loading, normalisation, synthesised built-ins and the live state.

A tenant document is Graph-native JSON (see README.md). :class:`TenantState` is what the
simulator serves from; tests may mutate it while the simulator runs.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ALL_USERS_GROUP_ID = "acacacac-9df4-4c7d-9d50-4ef0226f57a9"
ALL_DEVICES_GROUP_ID = "adadadad-808e-44e2-905a-0b7873a8a531"

SUMMARY_KEY = "deviceManagement/deviceCompliancePolicyDeviceStateSummary"
ENROLLMENT_KEY = "deviceManagement/deviceEnrollmentConfigurations"
SCOPE_TAGS_KEY = "deviceManagement/roleScopeTags"
ORGANIZATION_KEY = "organization"
MANAGED_DEVICES_KEY = "deviceManagement/managedDevices"

# complianceState value -> summary counter (graph-fidelity.md 2.2 / 6.6)
_COMPLIANCE_COUNTERS = {
    "compliant": "compliantDeviceCount",
    "noncompliant": "nonCompliantDeviceCount",
    "unknown": "unknownDeviceCount",
    "inGracePeriod": "inGracePeriodCount",
    "configManager": "configManagerCount",
    "conflict": "conflictDeviceCount",
    "error": "errorDeviceCount",
}
_SUMMARY_FIELDS = (
    "compliantDeviceCount",
    "nonCompliantDeviceCount",
    "unknownDeviceCount",
    "inGracePeriodCount",
    "configManagerCount",
    "conflictDeviceCount",
    "errorDeviceCount",
    "notApplicableDeviceCount",
    "remediatedDeviceCount",
)

_NAMESPACE = uuid.UUID("5f0c1d2e-6a4b-4c1d-9e8f-0a1b2c3d4e5f")


def stable_guid(*parts: str) -> str:
    """A deterministic GUID derived from ``parts`` (used for synthesised ids)."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def normalize_collection_key(key: str) -> str:
    """``/beta/deviceManagement/x`` or ``deviceManagement.x`` -> ``deviceManagement/x``."""
    key = key.strip().strip("/")
    for prefix in ("v1.0/", "beta/"):
        if key.startswith(prefix):
            key = key[len(prefix) :]
    if "/" not in key and "." in key:
        key = key.replace(".", "/")
    return key


def _unwrap(value: Any) -> Any:
    """Accept a raw Graph response (``{"value": [...]}``) where a list is expected."""
    if isinstance(value, dict) and "value" in value and isinstance(value["value"], list):
        return value["value"]
    return value


def load_tenant(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load one tenant document.

    ``path`` is either a ``*.json`` file holding the whole document, or a folder holding
    ``tenant.json`` plus one ``<collection>.json`` per collection, where the file name is
    the collection path with ``.`` for ``/`` (``deviceManagement.deviceConfigurations.json``)
    and the content is a list of items or a raw Graph page (``{"value": [...]}``).
    """
    p = Path(path)
    if p.is_dir():
        doc: dict[str, Any] = json.loads((p / "tenant.json").read_text(encoding="utf-8"))
        collections = dict(doc.get("collections") or {})
        for file in sorted(p.glob("*.json")):
            if file.name == "tenant.json":
                continue
            key = normalize_collection_key(file.name[: -len(".json")])
            collections[key] = _unwrap(json.loads(file.read_text(encoding="utf-8")))
        doc["collections"] = collections
        return doc
    loaded = json.loads(p.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict) or "tenantId" not in loaded:
        raise ValueError(f"{p}: not a tenant document (no 'tenantId')")
    return loaded


def discover_tenant_paths(directory: str | os.PathLike[str]) -> list[Path]:
    """Every tenant under a fixtures folder: ``*.json`` files and folders with ``tenant.json``."""
    root = Path(directory)
    found: list[Path] = []
    for entry in sorted(root.iterdir()):
        is_doc = entry.is_file() and entry.suffix == ".json"
        if is_doc or (entry.is_dir() and (entry / "tenant.json").is_file()):
            found.append(entry)
    return found


def builtin_enrollment_configurations(tenant_id: str) -> list[dict[str, Any]]:
    """The five default enrollment configurations every tenant has (fidelity 2.4)."""
    restriction = {
        "platformBlocked": False,
        "personalDeviceEnrollmentBlocked": False,
        "osMinimumVersion": "",
        "osMaximumVersion": "",
        "blockedManufacturers": [],
        "blockedSkus": [],
    }
    common = {
        "displayName": "All users and all devices",
        "priority": 0,
        "version": 0,
        "roleScopeTagIds": [],
        "createdDateTime": "0001-01-01T00:00:00Z",
        "lastModifiedDateTime": "2025-03-26T00:08:25Z",
    }

    def make(suffix: str, odata_type: str, kind: str, description: str, **extra: Any) -> dict[str, Any]:
        config_id = f"{tenant_id}_{suffix}"
        return {
            "@odata.type": f"#microsoft.graph.{odata_type}",
            "id": config_id,
            **common,
            "description": description,
            "deviceEnrollmentConfigurationType": kind,
            **extra,
            "assignments": [
                {
                    "id": f"{config_id}_{ALL_USERS_GROUP_ID}",
                    "source": "direct",
                    "sourceId": config_id,
                    "target": {
                        "@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget",
                        "deviceAndAppManagementAssignmentFilterId": None,
                        "deviceAndAppManagementAssignmentFilterType": "none",
                    },
                }
            ],
        }

    return [
        make(
            "DefaultLimit",
            "deviceEnrollmentLimitConfiguration",
            "limit",
            "This is the default Device Limit Restriction applied with the lowest priority to all users regardless of group membership.",
            limit=5,
        ),
        make(
            "DefaultPlatformRestrictions",
            "deviceEnrollmentPlatformRestrictionsConfiguration",
            "platformRestrictions",
            "This is the default Device Type Restriction applied with the lowest priority to all users regardless of group membership.",
            windowsRestriction=dict(restriction),
            iosRestriction=dict(restriction),
            androidRestriction=dict(restriction),
            macOSRestriction=dict(restriction),
            windowsMobileRestriction={**restriction, "platformBlocked": True},
        ),
        make(
            "DefaultWindowsHelloForBusiness",
            "deviceEnrollmentWindowsHelloForBusinessConfiguration",
            "windowsHelloForBusiness",
            "This is the default Windows Hello for Business configuration applied with the lowest priority to all users regardless of group membership.",
            pinMinimumLength=6,
            pinMaximumLength=127,
            pinUppercaseCharactersUsage="disallowed",
            pinLowercaseCharactersUsage="disallowed",
            pinSpecialCharactersUsage="disallowed",
            state="notConfigured",
            securityDeviceRequired=False,
            unlockWithBiometricsEnabled=True,
            remotePassportEnabled=True,
            pinPreviousBlockCount=0,
            pinExpirationInDays=0,
            enhancedBiometricsState="notConfigured",
        ),
        make(
            "DefaultWindows10EnrollmentCompletionPageConfiguration",
            "windows10EnrollmentCompletionPageConfiguration",
            "windows10EnrollmentCompletionPageConfiguration",
            "This is the default enrollment status screen configuration applied with the lowest priority to all users and all devices regardless of group membership.",
            showInstallationProgress=False,
            blockDeviceSetupRetryByUser=False,
            allowDeviceResetOnInstallFailure=False,
            allowLogCollectionOnInstallFailure=False,
            customErrorMessage="",
            installProgressTimeoutInMinutes=60,
            allowDeviceUseOnInstallFailure=False,
            selectedMobileAppIds=[],
            trackInstallProgressForAutopilotOnly=False,
            disableUserStatusTrackingAfterFirstUser=False,
        ),
        make(
            "WindowsRestore",
            "windowsRestoreDeviceEnrollmentConfiguration",
            "windowsRestore",
            "This is the default Windows Restore configuration applied with the lowest priority to all users regardless of group membership.",
            state="notConfigured",
        ),
    ]


DEFAULT_SCOPE_TAG: dict[str, Any] = {
    "@odata.type": "#microsoft.graph.roleScopeTag",
    "id": "0",
    "displayName": "Default",
    "description": "",
    "isBuiltIn": True,
}


class TenantState:
    """The live, mutable state of one simulated tenant.

    ``collections`` maps a collection path (``deviceManagement/deviceConfigurations``) to
    the list of stored items (inline ``assignments``/``settings`` included). The simulator
    reads it on every request, so changes show up immediately. Item dicts of the document
    passed in are taken over, not copied.
    """

    def __init__(self, doc: dict[str, Any]) -> None:
        if "tenantId" not in doc:
            raise ValueError("tenant document needs 'tenantId'")
        self.doc = doc
        self.tenant_id: str = str(doc["tenantId"]).lower()
        self.display_name: str = doc.get("displayName") or self.tenant_id
        self.default_domain: str = (doc.get("defaultDomain") or f"tenant{self.tenant_id[:8]}.onmicrosoft.com").lower()
        self.apps: list[dict[str, Any]] = list(doc.get("apps") or [])
        sim_knobs = doc.get("simulator") or {}
        self.throttling: bool | None = sim_knobs.get("throttling")
        self.latency_ms: int = int(sim_knobs.get("latencyMs") or 0)
        self.collections: dict[str, list[dict[str, Any]]] = {}
        self.summary_id: str = stable_guid(self.tenant_id, "summary")
        for raw_key, value in (doc.get("collections") or {}).items():
            key = normalize_collection_key(raw_key)
            if key == SUMMARY_KEY:
                if isinstance(value, dict) and value.get("id"):
                    self.summary_id = str(value["id"])
                continue
            items = _unwrap(value)
            if isinstance(items, dict):  # a singleton (applePushNotificationCertificate, settings…)
                items = [items]
            if not isinstance(items, list):
                raise ValueError(f"tenant {self.tenant_id}: collection {key!r} is not a list")
            self.collections[key] = list(items)
        self._synthesize()

    def _synthesize(self) -> None:
        if not self.collections.get(ORGANIZATION_KEY):
            self.collections[ORGANIZATION_KEY] = [
                {
                    "@odata.type": "#microsoft.graph.organization",
                    "id": self.tenant_id,
                    "deletedDateTime": None,
                    "businessPhones": [],
                    "city": None,
                    "country": None,
                    "countryLetterCode": self.doc.get("countryLetterCode", "US"),
                    "createdDateTime": self.doc.get("createdDateTime", "2019-04-02T09:12:44Z"),
                    "displayName": self.display_name,
                    "tenantType": "AAD",
                    "verifiedDomains": [
                        {
                            "capabilities": "Email, OfficeCommunicationsOnline",
                            "isDefault": True,
                            "isInitial": True,
                            "name": self.default_domain,
                            "type": "Managed",
                        }
                    ],
                }
            ]
        tags = self.collections.setdefault(SCOPE_TAGS_KEY, [])
        if not any(str(t.get("id")) == "0" for t in tags):
            tags.insert(0, dict(DEFAULT_SCOPE_TAG))
        enrollment = self.collections.setdefault(ENROLLMENT_KEY, [])
        present = {str(item.get("id")) for item in enrollment}
        builtins = [b for b in builtin_enrollment_configurations(self.tenant_id) if b["id"] not in present]
        enrollment[:0] = builtins

    # -- identity -------------------------------------------------------------------
    @property
    def domains(self) -> set[str]:
        """Every domain name that resolves to this tenant (lower case)."""
        names = {self.default_domain}
        for org in self.collections.get(ORGANIZATION_KEY, []):
            for domain in org.get("verifiedDomains") or []:
                if domain.get("name"):
                    names.add(str(domain["name"]).lower())
        return names

    def app(self, client_id: str) -> dict[str, Any] | None:
        """The app registration with ``clientId`` (case-insensitive), or None."""
        wanted = client_id.lower()
        for app in self.apps:
            if str(app.get("clientId", "")).lower() == wanted:
                return app
        return None

    # -- collections ------------------------------------------------------------------
    def items(self, key: str) -> list[dict[str, Any]]:
        """The stored items of a collection (the live list; created empty if absent)."""
        return self.collections.setdefault(normalize_collection_key(key), [])

    def iter_all_items(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every stored item with its collection key."""
        for key, items in self.collections.items():
            for item in items:
                yield key, item

    def get_item(self, key: str, item_id: str) -> dict[str, Any] | None:
        """The stored item with ``id`` (case-insensitive) in a collection, or None."""
        wanted = item_id.lower()
        for item in self.items(key):
            if str(item.get("id", "")).lower() == wanted:
                return item
        return None

    def add_item(self, key: str, item: dict[str, Any]) -> dict[str, Any]:
        """Append an item (an ``id`` is generated if missing) and return it."""
        item.setdefault("id", str(uuid.uuid4()))
        self.items(key).append(item)
        return item

    def remove_item(self, key: str, item_id: str) -> dict[str, Any]:
        """Remove and return an item; KeyError if it does not exist."""
        items = self.items(key)
        for index, item in enumerate(items):
            if str(item.get("id", "")).lower() == item_id.lower():
                return items.pop(index)
        raise KeyError(item_id)

    def update_item(self, key: str, item_id: str, **changes: Any) -> dict[str, Any]:
        """Change fields of an item in place (e.g. ``displayName=...``) and return it."""
        item = self.get_item(key, item_id)
        if item is None:
            raise KeyError(item_id)
        item.update(changes)
        return item

    def compliance_summary(self) -> dict[str, Any]:
        """deviceCompliancePolicyDeviceStateSummary derived from managedDevices' states."""
        counts = dict.fromkeys(_SUMMARY_FIELDS, 0)
        for device in self.collections.get(MANAGED_DEVICES_KEY, []):
            counter = _COMPLIANCE_COUNTERS.get(str(device.get("complianceState", "unknown")))
            if counter is not None:
                counts[counter] += 1
        return {
            "id": self.summary_id,
            **counts,
        }
