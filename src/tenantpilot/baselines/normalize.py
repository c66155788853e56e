"""Normalization of provider payloads for baseline compare (pure: no Django, no I/O).

``normalize_for_compare(policy_type, payload, refs)`` returns the *portable* form of one policy
payload, so that two tenants configured alike produce equal values:

- volatile and tenant-specific fields are dropped at every level (ids, timestamps, ``version``,
  counters, ``@odata.context`` and other transport annotations, ``createdDateTime``, …);
- collections whose order has no meaning are sorted by a stable key (settings-catalog
  ``settings``, ``assignments``, ``roleScopeTagIds``, …);
- tenant-specific references become portable names: group id → ``group:<displayName>``,
  assignment filter id → filter name, scope tag id → tag name (``"0"`` → ``Default``); the
  well-known virtual targets become ``All licensed users`` / ``All devices``; an id that the
  reference data does not know stays visible as ``unresolved:<id>`` (never silently dropped);
- equivalent spellings become one: an unset assignment filter (absent, ``null``, or the zero GUID
  with filter type ``none``) is absent.

A normalizer may never hide a real difference: any value that differs in a non-volatile field
differs in the normalized form (property-tested).

The rules in detail (the per-field decisions the guarantee above rests on):

Dropped
    At every level: ``id``, ``createdDateTime``, ``lastModifiedDateTime``, ``version`` (all
    identity or revision noise) and every OData annotation except ``@odata.type`` (keys that
    start with ``@`` or contain ``@`` — ``assignments@odata.context``, ``@microsoft.graph.tips``).
    In assignments: ``sourceId`` (the parent policy's id). At the top level only: the display
    name (``displayName``; ``name`` for settings-catalog ``configurationPolicies``) — renames are
    reported by compare, not as content — and device status roll-ups of app protections
    (``deploymentSummary``, ``deployedAppCount``). A profile's ``ignored_fields`` likewise, at
    every level. Everything else is content, including ``description``, ``isAssigned``,
    ``settingCount``, ``priority`` and ``supportsScopeTags``.
``null`` ≡ absent
    A key whose value is ``null`` is dropped: a Graph GET returns unset properties as ``null``
    or leaves them out (``$select``, API version), and the two mean the same. The top-level
    ``description`` also treats ``""`` as unset (the portal writes either).
Portable references (the ``…Id`` keys keep their names but hold the portable value)
    ``assignments[].target.groupId`` → ``group:<name>``; a group target naming a virtual group
    id becomes that virtual target (``allLicensedUsersAssignmentTarget`` /
    ``allDevicesAssignmentTarget``; an exclusion keeps its type and gets the virtual label).
    ``deviceAndAppManagementAssignmentFilterId`` → the filter's name. ``roleScopeTagIds`` (and
    a filter's ``roleScopeTags``) → tag names, ``"0"`` → ``Default``.
    ``notificationMessageCCList`` → ``group:<name>``; ``notificationTemplateId`` → the template
    name (the zero GUID means "none" and is dropped). Unknown ids → ``unresolved:<id>``.
Orderless collections (sorted by label, then by content; see :data:`ORDERLESS_FIELDS`)
    ``assignments`` (label ``<target> include|exclude``), ``roleScopeTagIds``/``roleScopeTags``,
    ``notificationMessageCCList``, ``apps`` (bundle/package id), ``scheduledActionsForRule``
    (rule name), ``scheduledActionConfigurations`` (action type) — always; settings-catalog
    ``settings`` and choice ``children`` (``settingDefinitionId``), ADMX ``definitionValues``
    (class + category path + definition name), ``presentationValues`` (presentation label) and
    OMA-URI ``omaSettings`` (``omaUri``; Intune applies each URI independently) — when every
    item carries its key, else their order is kept. Every other list keeps its order
    (``groupSettingCollectionValue``, ``simpleSettingCollectionValue``, …): reordering them may
    be a real change.

Conditional access and app configuration references
    ``includeGroups``/``excludeGroups`` (conditional access ``conditions.users``) → sorted
    ``group:<name>``; ``targetedMobileApps`` (app configurations) → sorted ``app:<name>``.
Script bodies
    ``scriptContent``, ``detectionScriptContent`` and ``remediationScriptContent`` (base64) become
    ``script content: <sha256>, N bytes`` of the decoded script: compared by hash, never rendered.
Apple ADE tokens (``depOnboardingSettings``, with their ``enrollmentProfiles``)
    The token's name (``tokenName``) is its label. Its Apple account and sync state
    (:data:`TYPE_TOP_LEVEL_VOLATILE_FIELDS`: ``appleIdentifier``, token expiry, last sync times and
    error, synced device count) differ per customer or change by themselves: dropped. A profile's
    id embeds the token's id and is dropped like every id; ``enrollmentProfiles`` are orderless,
    labeled by ``displayName``, so two tenants' profiles pair by name whatever their ids. Intune
    writes each profile's ``configurationEndpointUrl`` from the tenant's account ids: dropped
    (:data:`TYPE_VOLATILE_FIELDS`). ``enrollmentTimeAzureAdGroupIds`` → sorted ``group:<name>``;
    ``companyPortalVppTokenId`` (a customer's own VPP token, never the same object in two
    tenants) → ``vpp token: set`` when it names one.

Non-finite numbers (NaN, infinity) have no stable JSON form and raise ``ValueError``; a
non-JSON value raises ``TypeError`` — a per-item problem for the caller, never a silent change.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tenantpilot.inventory.content import SCRIPT_CONTENT_FIELDS, ReferenceNames, script_content_summary
from tenantpilot.resources.adapters.microsoft import ALL_DEVICES_ID, ALL_LICENSED_USERS_ID, DEFAULT_SCOPE_TAG_ID

#: Dropped at every level (identity and revision noise; see the module docstring).
VOLATILE_FIELDS: frozenset[str] = frozenset({"id", "createdDateTime", "lastModifiedDateTime", "version"})
#: Dropped at the top level only: status roll-ups that change as devices check in.
TOP_LEVEL_VOLATILE_FIELDS: frozenset[str] = frozenset({"deploymentSummary", "deployedAppCount"})
#: The top-level field holding a type's display name (default ``displayName``).
NAME_FIELDS: Mapping[str, str] = {
    "configurationPolicies": "name",
    "compliancePolicies": "name",
    "depOnboardingSettings": "tokenName",
}

#: Lists of Entra group ids outside assignments (conditional access ``conditions.users``, ADE
#: profiles' enrollment-time device groups).
GROUP_LIST_FIELDS: frozenset[str] = frozenset({"includeGroups", "excludeGroups", "enrollmentTimeAzureAdGroupIds"})

#: Per type, dropped at the top level only: per-customer facts and state that changes by itself.
TYPE_TOP_LEVEL_VOLATILE_FIELDS: Mapping[str, frozenset[str]] = {
    "depOnboardingSettings": frozenset(
        {
            "appleIdentifier",
            "tokenExpirationDateTime",
            "lastSuccessfulSyncDateTime",
            "lastSyncTriggeredDateTime",
            "lastSyncErrorCode",
            "syncedDeviceCount",
        }
    ),
}
#: Per type, dropped at every level: values the service derives from the tenant's own ids.
TYPE_VOLATILE_FIELDS: Mapping[str, frozenset[str]] = {
    "depOnboardingSettings": frozenset({"configurationEndpointUrl"}),
}
#: What a set ``companyPortalVppTokenId`` (a tenant's own VPP token) compares as.
VPP_TOKEN_SET = "vpp token: set"  # noqa: S105 - a marker, not a credential

ZERO_GUID = "00000000-0000-0000-0000-000000000000"
DEFAULT_SCOPE_TAG_NAME = "Default"
UNRESOLVED_PREFIX = "unresolved:"
GROUP_PREFIX = "group:"

_ODATA_TYPE = "@odata.type"
_GRAPH = "#microsoft.graph."
_GROUP_TARGET = f"{_GRAPH}groupAssignmentTarget"
_EXCLUSION_TARGET = f"{_GRAPH}exclusionGroupAssignmentTarget"
_ALL_USERS_TARGET = f"{_GRAPH}allLicensedUsersAssignmentTarget"
_ALL_DEVICES_TARGET = f"{_GRAPH}allDevicesAssignmentTarget"
_CONFIG_MANAGER_TARGET = f"{_GRAPH}configurationManagerCollectionAssignmentTarget"
_VIRTUAL_BY_GROUP_ID = {ALL_LICENSED_USERS_ID: _ALL_USERS_TARGET, ALL_DEVICES_ID: _ALL_DEVICES_TARGET}
_VIRTUAL_LABELS = {_ALL_USERS_TARGET: "All licensed users", _ALL_DEVICES_TARGET: "All devices"}
_FILTER_ID = "deviceAndAppManagementAssignmentFilterId"
_FILTER_TYPE = "deviceAndAppManagementAssignmentFilterType"


# -- labels of orderless collections ---------------------------------------------------------


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def _scalar_label(item: Any) -> str | None:
    if isinstance(item, bool) or item is None or isinstance(item, (Mapping, list)):
        return None
    return str(item)


def _setting_label(item: Any) -> str | None:
    if not isinstance(item, Mapping):
        return None
    instance = item.get("settingInstance")
    if isinstance(instance, Mapping):
        return _str_or_none(instance.get("settingDefinitionId"))
    return _str_or_none(item.get("settingDefinitionId"))


def _child_label(item: Any) -> str | None:
    return _str_or_none(item.get("settingDefinitionId")) if isinstance(item, Mapping) else None


def _target_name(target: Mapping[str, Any]) -> str:
    odata_type = target.get(_ODATA_TYPE)
    if odata_type in _VIRTUAL_LABELS:
        return _VIRTUAL_LABELS[odata_type]
    if isinstance(target.get("groupId"), str):
        return str(target["groupId"])
    if isinstance(target.get("collectionId"), str):
        return f"collection:{target['collectionId']}"
    if isinstance(odata_type, str):
        return odata_type.removeprefix(_GRAPH)
    return "target"


def _assignment_label(item: Any) -> str | None:
    if not isinstance(item, Mapping) or not isinstance(item.get("target"), Mapping):
        return None
    target = item["target"]
    intent = "exclude" if target.get(_ODATA_TYPE) == _EXCLUSION_TARGET else "include"
    return f"{_target_name(target)} {intent}"


def _app_label(item: Any) -> str | None:
    if not isinstance(item, Mapping):
        return None
    identifier = item.get("mobileAppIdentifier")
    if isinstance(identifier, Mapping):
        for key in sorted(identifier):
            if key != _ODATA_TYPE and _str_or_none(identifier[key]):
                return str(identifier[key])
    return None


def _definition_value_label(item: Any) -> str | None:
    if not isinstance(item, Mapping) or not isinstance(item.get("definition"), Mapping):
        return None
    definition = item["definition"]
    name = _str_or_none(definition.get("displayName"))
    if name is None:
        return None
    parts = [_str_or_none(definition.get("classType")), _str_or_none(definition.get("categoryPath")), name]
    return ":".join(p for p in parts if p)


def _presentation_value_label(item: Any) -> str | None:
    if not isinstance(item, Mapping) or not isinstance(item.get("presentation"), Mapping):
        return None
    return _str_or_none(item["presentation"].get("label"))


def _key_label(key: str) -> Callable[[Any], str | None]:
    def label(item: Any) -> str | None:
        return _str_or_none(item.get(key)) if isinstance(item, Mapping) else None

    return label


@dataclass(frozen=True)
class OrderlessField:
    """How a list under one field name is sorted: its item label, and whether to sort unlabeled lists."""

    label: Callable[[Any], str | None]
    sort_unlabeled: bool


#: Lists (by the field name that holds them, at any depth) whose order carries no meaning.
ORDERLESS_FIELDS: Mapping[str, OrderlessField] = {
    "assignments": OrderlessField(_assignment_label, True),
    "roleScopeTagIds": OrderlessField(_scalar_label, True),
    "roleScopeTags": OrderlessField(_scalar_label, True),
    "notificationMessageCCList": OrderlessField(_scalar_label, True),
    "apps": OrderlessField(_app_label, True),
    "scheduledActionsForRule": OrderlessField(_key_label("ruleName"), True),
    "scheduledActionConfigurations": OrderlessField(_key_label("actionType"), True),
    "settings": OrderlessField(_setting_label, False),
    "children": OrderlessField(_child_label, False),
    "definitionValues": OrderlessField(_definition_value_label, False),
    "presentationValues": OrderlessField(_presentation_value_label, False),
    "omaSettings": OrderlessField(_key_label("omaUri"), False),
    "enrollmentProfiles": OrderlessField(_key_label("displayName"), True),
}


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys, UTF-8 text kept as is; refuses NaN/infinity (``ValueError``)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_json_default
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"a {type(value).__name__} is not JSON")


def item_labels(field_name: str, items: Sequence[Any]) -> list[str] | None:
    """The stable labels of a normalized list held under ``field_name``, or ``None`` if it has none.

    A list is labeled when its field is orderless (:data:`ORDERLESS_FIELDS`) and every item has
    a label. Repeated labels get ``#2``, ``#3``… in list order, so labels are unique within a
    list. Compare uses them to name list items in diff paths (``settings[<settingDefinitionId>]``).
    """
    spec = ORDERLESS_FIELDS.get(field_name)
    if spec is None:
        return None
    labels: list[str] = []
    seen: dict[str, int] = {}
    for item in items:
        label = spec.label(item)
        if label is None:
            return None
        count = seen.get(label, 0) + 1
        seen[label] = count
        labels.append(label if count == 1 else f"{label}#{count}")
    return labels


# -- the walk ---------------------------------------------------------------------------------


class _Normalizer:
    def __init__(self, refs: ReferenceNames, ignored: frozenset[str]) -> None:
        self.refs = refs
        self.drop = VOLATILE_FIELDS | ignored

    # references

    def group(self, group_id: Any) -> Any:
        if not isinstance(group_id, str):
            return self.value(group_id, "")
        if group_id in _VIRTUAL_BY_GROUP_ID:
            return _VIRTUAL_LABELS[_VIRTUAL_BY_GROUP_ID[group_id]]
        name = self.refs.groups.get(group_id)
        return f"{GROUP_PREFIX}{name}" if name is not None else f"{UNRESOLVED_PREFIX}{group_id}"

    def scope_tag(self, tag_id: Any) -> Any:
        if isinstance(tag_id, bool) or not isinstance(tag_id, (str, int)):
            return self.value(tag_id, "")
        tag_id = str(tag_id)
        if tag_id == DEFAULT_SCOPE_TAG_ID:
            return DEFAULT_SCOPE_TAG_NAME
        name = self.refs.scope_tags.get(tag_id)
        return name if name is not None else f"{UNRESOLVED_PREFIX}{tag_id}"

    def app(self, app_id: str) -> str:
        name = self.refs.apps.get(app_id)
        return f"app:{name}" if name is not None else f"{UNRESOLVED_PREFIX}{app_id}"

    def filter(self, filter_id: str) -> str:
        name = self.refs.filters.get(filter_id)
        return name if name is not None else f"{UNRESOLVED_PREFIX}{filter_id}"

    # structure

    def keep(self, key: str, value: Any) -> bool:
        if value is None or key in self.drop:
            return False
        # OData/instance annotations: "@odata.context", "@microsoft.graph.tips", "x@odata.nextLink".
        return key == _ODATA_TYPE or "@" not in key

    def value(self, value: Any, field_name: str) -> Any:
        if value is None or isinstance(value, (bool, int, str)):
            return value
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError(f"{field_name or 'payload'} holds a non-finite number, which has no stable JSON form")
            return value
        if isinstance(value, Mapping):
            return self.mapping(value)
        if isinstance(value, (list, tuple)):
            return self.sequence([self.value(item, field_name) for item in value], field_name)
        raise TypeError(f"{field_name or 'payload'} holds a {type(value).__name__}, which is not JSON")

    def mapping(self, value: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"payload object keys must be strings, not {type(key).__name__}")
            if not self.keep(key, item):
                continue
            if key == "assignments" and isinstance(item, (list, tuple)):
                out[key] = self.sequence([self.assignment(a) for a in item], key)
            elif key in ("roleScopeTagIds", "roleScopeTags") and isinstance(item, (list, tuple)):
                out[key] = self.sequence([self.scope_tag(t) for t in item], key)
            elif key == "notificationMessageCCList" and isinstance(item, (list, tuple)):
                out[key] = self.sequence([self.group(g) for g in item], key)
            elif key in GROUP_LIST_FIELDS and isinstance(item, (list, tuple)):
                out[key] = sorted(self.group(g) for g in item) if all(isinstance(g, str) for g in item) else item
            elif key == "targetedMobileApps" and isinstance(item, (list, tuple)):
                out[key] = sorted(self.app(a) for a in item) if all(isinstance(a, str) for a in item) else item
            elif key in SCRIPT_CONTENT_FIELDS and isinstance(item, str):
                out[key] = script_content_summary(item)
            elif key == "companyPortalVppTokenId" and isinstance(item, str):
                if item.strip() and item.lower() != ZERO_GUID:
                    out[key] = VPP_TOKEN_SET
            elif key == "notificationTemplateId" and isinstance(item, str):
                if item.lower() != ZERO_GUID:
                    name = self.refs.notification_templates.get(item)
                    out[key] = name if name is not None else f"{UNRESOLVED_PREFIX}{item}"
            else:
                out[key] = self.value(item, key)
        return out

    def sequence(self, items: list[Any], field_name: str) -> list[Any]:
        spec = ORDERLESS_FIELDS.get(field_name)
        if spec is None or len(items) < 2:
            return items
        labels = [spec.label(item) for item in items]
        if any(label is None for label in labels) and not spec.sort_unlabeled:
            return items
        keyed = sorted(zip(labels, items, strict=True), key=lambda pair: (pair[0] or "", canonical_json(pair[1])))
        return [item for _, item in keyed]

    def assignment(self, assignment: Any) -> Any:
        if not isinstance(assignment, Mapping):
            return self.value(assignment, "assignments")
        out = self.mapping({k: v for k, v in assignment.items() if k not in ("target", "sourceId")})
        target = assignment.get("target")
        if isinstance(target, Mapping):
            out["target"] = self.target(target)
        elif target is not None:
            out["target"] = self.value(target, "target")
        return out

    def target(self, target: Mapping[str, Any]) -> dict[str, Any]:
        special = {"groupId", _FILTER_ID, _FILTER_TYPE, _ODATA_TYPE}
        out = self.mapping({k: v for k, v in target.items() if k not in special})
        odata_type = target.get(_ODATA_TYPE)
        group_id = target.get("groupId")
        if group_id in _VIRTUAL_BY_GROUP_ID and odata_type in (_GROUP_TARGET, None):
            # "All users" spelled as a group target with the virtual group id is the virtual target.
            odata_type, group_id = _VIRTUAL_BY_GROUP_ID[group_id], None
        if odata_type is not None:
            out[_ODATA_TYPE] = self.value(odata_type, _ODATA_TYPE)
        if group_id is not None:
            out["groupId"] = self.group(group_id)
        self.assignment_filter(target, out)
        return out

    def assignment_filter(self, target: Mapping[str, Any], out: dict[str, Any]) -> None:
        filter_id = target.get(_FILTER_ID)
        filter_type = target.get(_FILTER_TYPE)
        id_unset = filter_id is None or (isinstance(filter_id, str) and filter_id.strip().lower() in ("", ZERO_GUID))
        type_unset = filter_type is None or (isinstance(filter_type, str) and filter_type.strip().lower() == "none")
        if id_unset and type_unset:
            return  # every spelling of "no filter" is the same: both keys absent
        if not id_unset:
            out[_FILTER_ID] = (
                self.filter(filter_id) if isinstance(filter_id, str) else self.value(filter_id, _FILTER_ID)
            )
        if filter_type is not None:
            out[_FILTER_TYPE] = self.value(filter_type, _FILTER_TYPE)


def _type_name(policy_type: str) -> str:
    return policy_type.rstrip("/").rsplit("/", 1)[-1]


def normalize_for_compare(
    policy_type: str,
    payload: Mapping[str, Any],
    refs: ReferenceNames,
    *,
    ignored_fields: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The portable, order-independent form of ``payload`` (see the module docstring).

    ``ignored_fields`` are extra top-level-or-nested field names (a profile's per-type
    "ignored fields") dropped like volatile ones.

    Guarantees: deterministic; the input is not modified; the result is plain JSON
    (dicts, lists, str, int, float, bool) and ``content_hash`` of it is stable.
    """
    if not isinstance(payload, Mapping):
        raise TypeError(f"a {policy_type} payload is a JSON object, not {type(payload).__name__}")
    type_name = _type_name(policy_type)
    top_drop = (
        TOP_LEVEL_VOLATILE_FIELDS
        | {NAME_FIELDS.get(type_name, "displayName")}
        | TYPE_TOP_LEVEL_VOLATILE_FIELDS.get(type_name, frozenset())
    )
    top = {k: v for k, v in payload.items() if k not in top_drop}
    if top.get("description") == "":
        top["description"] = None
    ignored = frozenset(ignored_fields) | TYPE_VOLATILE_FIELDS.get(type_name, frozenset())
    return _Normalizer(refs, ignored).mapping(top)


def display_name_of(policy_type: str, payload: Mapping[str, Any]) -> str | None:
    """The display name a type's payload carries (``name`` for settings catalog), or ``None``.

    A label for people and a *candidate* for matching, never identity.
    """
    value = payload.get(NAME_FIELDS.get(_type_name(policy_type), "displayName"))
    return value if isinstance(value, str) else None


def content_hash(normalized: Any) -> str:
    """A stable sha256 (lowercase hex) of a normalized value: equal values ⇔ equal hashes.

    The hashed bytes are :func:`canonical_json` (sorted keys, no whitespace, non-ASCII kept,
    floats in their shortest round-trip form) encoded as UTF-8.
    """
    return hashlib.sha256(canonical_json(normalized).encode("utf-8")).hexdigest()
