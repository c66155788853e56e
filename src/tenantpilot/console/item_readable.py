"""An inventory item's content as people read it: typed facts, named assignments, named settings,
and a structured diff (path, before, after) between two versions.

Pure (no database, no Django models): the page passes the stored, normalized payloads and the
environment's :class:`~tenantpilot.inventory.content.ReferenceNames` (one query, by the view).
Script bodies are replaced by their hash summary before anything here sees them (the caller
passes ``redact_scripts`` output), and nothing here raises on unexpected shapes: unknown shapes
are shown as compact JSON, unknown ids as the id itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tenantpilot.inventory.content import ReferenceNames

_GRAPH = "#microsoft.graph."
_ODATA_TYPE = "@odata.type"

# Assignment targets: (label of the target kind, include/exclude).
_TARGETS: dict[str, tuple[str, str]] = {
    f"{_GRAPH}groupAssignmentTarget": ("Group", "Include"),
    f"{_GRAPH}exclusionGroupAssignmentTarget": ("Group", "Exclude"),
    f"{_GRAPH}allLicensedUsersAssignmentTarget": ("All users", "Include"),
    f"{_GRAPH}allDevicesAssignmentTarget": ("All devices", "Include"),
    f"{_GRAPH}configurationManagerCollectionAssignmentTarget": ("Configuration Manager collection", "Include"),
}

#: Display names of well-known settings-catalog definitions (the sync does not read the
#: definitions themselves; a payload that carries ``settingDefinitions`` names its own).
KNOWN_SETTING_NAMES: dict[str, str] = {
    "device_vendor_msft_policy_config_defender_allowrealtimemonitoring": "Allow Realtime Monitoring",
    "device_vendor_msft_policy_config_defender_allowcloudprotection": "Allow Cloud Protection",
    "device_vendor_msft_policy_config_defender_allowbehaviormonitoring": "Allow Behavior Monitoring",
    "device_vendor_msft_policy_config_defender_puaprotection": "PUA Protection",
    "device_vendor_msft_policy_config_defender_attacksurfacereductionrules": "Attack Surface Reduction Rules",
    "device_vendor_msft_policy_config_localpoliciessecurityoptions_interactivelogon_messagetitleforusersattemptingtologon": (
        "Interactive Logon Message Title For Users Attempting To Logon"
    ),
    "device_vendor_msft_policy_config_localpoliciessecurityoptions_interactivelogon_messagetextforusersattemptingtologon": (
        "Interactive Logon Message Text For Users Attempting To Logon"
    ),
    "device_vendor_msft_bitlocker_requiredeviceencryption": "Require Device Encryption",
    "device_vendor_msft_policy_config_update_allowautoupdate": "Allow Auto Update",
    "device_vendor_msft_policy_config_browser_allowpasswordmanager": "Allow Password Manager",
    "device_vendor_msft_passportforwork_{tenantid}_policies_usepassportforwork": "Use Windows Hello For Business",
    "vendor_msft_firewall_mdmstore_firewallrules_{firewallrulename}": "Firewall Rules",
}

# Metadata keys of an item row, in words.
FACT_LABELS: dict[str, str] = {
    "platforms": "Platforms",
    "platform": "Platform",
    "technologies": "Technologies",
    "roleScopeTagIds": "Scope tags",
    "isAssigned": "Assigned",
    "isBuiltIn": "Built-in",
    "priority": "Priority",
    "settingCount": "Settings",
    "deviceEnrollmentConfigurationType": "Enrollment configuration type",
    "version": "Version (provider)",
    "lastModifiedDateTime": "Last modified (provider)",
    "groupTypes": "Group types",
    "securityEnabled": "Security enabled",
    "mailEnabled": "Mail enabled",
}


def humanize_key(key: str) -> str:
    """``passwordMinimumLength`` → ``Password minimum length`` (a known label wins)."""
    if key in FACT_LABELS:
        return FACT_LABELS[key]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key.replace("_", " ")).strip()
    return words[:1].upper() + words[1:].lower() if words else key


def display_scalar(value: Any) -> str:
    """A leaf value in words: Yes/No, — for nothing, numbers and text as they are, compact JSON
    for anything compound (never a Python repr)."""
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if value is None:
        return "—"
    if isinstance(value, str):
        return value if value else "(empty)"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


@dataclass(frozen=True)
class Fact:
    """One labelled value of an item row; ``values`` set when the value is a list."""

    label: str
    text: str
    values: tuple[str, ...] | None = None


def item_facts(metadata: object, names: ReferenceNames) -> list[Fact]:
    """The item row's whitelisted metadata as labelled, typed values (scope tags by name)."""
    if not isinstance(metadata, Mapping):
        return []
    facts = []
    for key in sorted(metadata, key=lambda k: humanize_key(str(k)).lower()):
        value = metadata[key]
        label = humanize_key(str(key))
        if key == "roleScopeTagIds" and isinstance(value, list):
            tags = tuple(names.scope_tags.get(str(v), "Default" if str(v) == "0" else str(v)) for v in value)
            facts.append(Fact(label, ", ".join(tags), tags))
        elif isinstance(value, list):
            shown = tuple(display_scalar(v) for v in value)
            facts.append(Fact(label, ", ".join(shown), shown))
        else:
            facts.append(Fact(label, display_scalar(value)))
    return facts


@dataclass(frozen=True)
class Assignment:
    """One assignment: include or exclude, the target by name, and its filter by name."""

    intent: str
    target_kind: str
    target: str
    target_id: str
    filter_name: str = ""
    filter_mode: str = ""
    resolved: bool = True


def assignments_of(normalized: object, names: ReferenceNames) -> list[Assignment]:
    """The ``assignments`` of a payload, groups and filters named from the environment's inventory.

    An id the last sync did not see stays visible as the id (``resolved`` False), never hidden.
    Includes come before excludes, each by target name.
    """
    if not isinstance(normalized, Mapping) or not isinstance(normalized.get("assignments"), list):
        return []
    rows = []
    for entry in normalized["assignments"]:
        target = entry.get("target") if isinstance(entry, Mapping) else None
        if not isinstance(target, Mapping):
            continue
        odata_type = str(target.get(_ODATA_TYPE) or "")
        kind, intent = _TARGETS.get(odata_type, (odata_type.removeprefix(_GRAPH) or "Target", "Include"))
        group_id = target.get("groupId") or target.get("collectionId") or ""
        group_id = group_id if isinstance(group_id, str) else ""
        name = names.groups.get(group_id, "") if group_id else kind
        filter_id = target.get("deviceAndAppManagementAssignmentFilterId")
        filter_mode = str(target.get("deviceAndAppManagementAssignmentFilterType") or "")
        filter_name = ""
        if isinstance(filter_id, str) and filter_id and filter_mode.lower() != "none":
            filter_name = names.filters.get(filter_id, filter_id)
        rows.append(
            Assignment(
                intent=intent,
                target_kind=kind,
                target=name or group_id,
                target_id=group_id,
                filter_name=filter_name,
                filter_mode=filter_mode.capitalize() if filter_name else "",
                resolved=bool(name) or not group_id,
            )
        )
    return sorted(rows, key=lambda a: (a.intent != "Include", a.target.lower()))


@dataclass(frozen=True)
class Setting:
    """One settings-catalog setting: its display name (when known), its definition id, its value."""

    name: str
    definition_id: str
    value: str
    known: bool


def _definition_names(normalized: Mapping[str, Any]) -> dict[str, str]:
    names = dict(KNOWN_SETTING_NAMES)
    definitions = normalized.get("settingDefinitions")
    for definition in definitions if isinstance(definitions, list) else []:
        if (
            isinstance(definition, Mapping)
            and isinstance(definition.get("id"), str)
            and isinstance(definition.get("displayName"), str)
            and definition["displayName"]
        ):
            names[definition["id"]] = definition["displayName"]
    return names


def _setting_value(instance: Mapping[str, Any], definition_id: str) -> str:
    choice = instance.get("choiceSettingValue")
    if isinstance(choice, Mapping):
        value = choice.get("value")
        if isinstance(value, str) and definition_id and value.startswith(definition_id + "_"):
            suffix = value[len(definition_id) + 1 :]
            return {"0": "Off (0)", "1": "On (1)", "true": "Yes", "false": "No"}.get(suffix, suffix)
        return display_scalar(value)
    simple = instance.get("simpleSettingValue")
    if isinstance(simple, Mapping):
        return display_scalar(simple.get("value"))
    for key in ("groupSettingCollectionValue", "simpleSettingCollectionValue", "choiceSettingCollectionValue"):
        if key in instance:
            values = instance[key]
            return f"{len(values)} values" if isinstance(values, list) else display_scalar(values)
    return "—"


def settings_of(normalized: object) -> list[Setting]:
    """The settings-catalog ``settings`` of a payload, by display name where the definition is known."""
    if not isinstance(normalized, Mapping) or not isinstance(normalized.get("settings"), list):
        return []
    names = _definition_names(normalized)
    out = []
    for entry in normalized["settings"]:
        if not isinstance(entry, Mapping):
            continue
        instance = entry.get("settingInstance", entry)
        if not isinstance(instance, Mapping):
            continue
        definition_id = instance.get("settingDefinitionId")
        if not isinstance(definition_id, str) or not definition_id:
            continue
        name = names.get(definition_id, "")
        out.append(
            Setting(
                name=name or definition_id,
                definition_id=definition_id,
                value=_setting_value(instance, definition_id),
                known=bool(name),
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# Structured diff

_LIST_KEYS = ("settingDefinitionId", "id", "displayName", "name")


def _item_key(item: Any) -> str | None:
    if not isinstance(item, Mapping):
        return None
    instance = item.get("settingInstance")
    if isinstance(instance, Mapping) and isinstance(instance.get("settingDefinitionId"), str):
        return str(instance["settingDefinitionId"])
    target = item.get("target")
    if isinstance(target, Mapping):
        who = target.get("groupId") or str(target.get(_ODATA_TYPE) or "").removeprefix(_GRAPH)
        return str(who) if who else None
    for key in _LIST_KEYS:
        if isinstance(item.get(key), str) and item[key]:
            return str(item[key])
    return None


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """Leaf paths → values. Lists of objects with a key (settings by definition id, assignments
    by target, items by id or name) are addressed by that key, so reordering is not a change;
    other lists by position. Empty objects and lists are leaves."""
    out: dict[str, Any] = {}
    if isinstance(value, Mapping) and value:
        for key in sorted(value):
            out.update(flatten(value[key], f"{path}.{key}" if path else str(key)))
        return out
    if isinstance(value, list) and value:
        keys = [_item_key(v) for v in value]
        keyed = all(k is not None for k in keys) and len(set(keys)) == len(keys)
        for index, item in enumerate(value):
            label = f"[{keys[index]}]" if keyed else f"[{index}]"
            out.update(flatten(item, f"{path}{label}"))
        return out
    out[path or "(value)"] = value
    return out


@dataclass(frozen=True)
class Change:
    """One changed leaf: its path and its before/after values in words (``—`` when absent)."""

    path: str
    before: str
    after: str
    kind: str  # "changed", "added" or "removed"


def structured_diff(old: Any, new: Any) -> list[Change]:
    """Every leaf that differs between two payloads, by path (sorted)."""
    before, after = flatten(old), flatten(new)
    changes = []
    for path in sorted(set(before) | set(after)):
        if path in before and path in after:
            if before[path] == after[path] and type(before[path]) is type(after[path]):
                continue
            changes.append(Change(path, display_scalar(before[path]), display_scalar(after[path]), "changed"))
        elif path in after:
            changes.append(Change(path, "—", display_scalar(after[path]), "added"))
        else:
            changes.append(Change(path, display_scalar(before[path]), "—", "removed"))
    return changes
