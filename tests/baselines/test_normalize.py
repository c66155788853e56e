"""The baseline normalizer: tenants configured alike normalize equal; a real change always shows.

The property tests render one *abstract* configuration (names only) into two tenants with
their own random ids, timestamps, collection orders and "no filter" spellings, the way Graph
returns it, and check that both normalize to the same value; then they change one real leaf
of a rendered payload and check that the diff names it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphsim
from graphsim.tenants import TenantState, load_tenant
from tenantpilot.baselines.compare import diff
from tenantpilot.baselines.normalize import (
    ReferenceNames,
    content_hash,
    display_name_of,
    item_labels,
    normalize_for_compare,
)
from tenantpilot.resources.adapters.microsoft import ALL_DEVICES_ID, ALL_LICENSED_USERS_ID

FIXTURES = Path(graphsim.__file__).parent / "fixtures"
G = "#microsoft.graph."
ZERO = "00000000-0000-0000-0000-000000000000"

# -- an abstract configuration and its rendering into one tenant ------------------------------

GROUP_NAMES = ["SG-Pilot", "SG-Windows", "SG-iOS Users", "SG-Finance", "Kiosk devices"]
FILTER_NAMES = ["Corporate Windows", "iOS 17 and later", "Personal devices"]
TAG_NAMES = ["EMEA", "APAC", "Helpdesk"]
POLICY_TYPES = [
    "deviceConfigurations",
    "deviceCompliancePolicies",
    "configurationPolicies",
    "groupPolicyConfigurations",
    "deviceEnrollmentConfigurations",
    "iosManagedAppProtections",
    "androidManagedAppProtections",
]
SCALAR_KEYS = ["passwordRequired", "passwordMinimumLength", "cameraBlocked", "defenderScanType", "limit"]

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyzÄé -_0123456789", min_size=1, max_size=12)
leaf_values = st.one_of(st.booleans(), st.integers(-5, 500), names)


@st.composite
def assignment_specs(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Distinct assignment targets: virtual targets and include/exclude groups, each with an optional filter."""
    kinds = draw(
        st.lists(
            st.one_of(
                st.just(("allUsers", None)),
                st.just(("allDevices", None)),
                st.tuples(st.sampled_from(["include", "exclude"]), st.sampled_from(GROUP_NAMES)),
            ),
            max_size=5,
            unique_by=lambda k: k[1] or k[0],  # one assignment per group or virtual target
        )
    )
    specs = []
    for kind, group in kinds:
        filt = None if kind == "exclude" else draw(st.none() | st.sampled_from(FILTER_NAMES))
        specs.append(
            {
                "kind": kind,
                "group": group,
                "filter": filt,
                "filter_type": draw(st.sampled_from(["include", "exclude"])) if filt else None,
                "intent": draw(st.none() | st.sampled_from(["apply", "remove"])),
            }
        )
    return specs


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    """One policy's configuration in portable terms (names, never ids)."""
    ptype = draw(st.sampled_from(POLICY_TYPES))
    config: dict[str, Any] = {
        "type": ptype,
        "name": draw(names),
        "description": draw(st.none() | names),
        "scalars": draw(st.dictionaries(st.sampled_from(SCALAR_KEYS), leaf_values, max_size=4)),
        "tags": draw(st.lists(st.sampled_from(["Default", *TAG_NAMES]), unique=True, max_size=3)),
        "assignments": draw(assignment_specs()),
    }
    if ptype == "configurationPolicies":
        config["settings"] = draw(
            st.lists(
                st.tuples(
                    st.from_regex(r"device_vendor_msft_policy_config_[a-z]{3,8}", fullmatch=True),
                    leaf_values,
                    st.lists(st.tuples(st.from_regex(r"child_[a-z]{2,5}", fullmatch=True), leaf_values), max_size=3),
                ),
                unique_by=lambda s: s[0],
                max_size=6,
            )
        )
        config["settings"] = [(d, v, list({c[0]: c for c in ch}.values())) for d, v, ch in config["settings"]]
    if ptype == "deviceConfigurations":
        config["oma"] = draw(
            st.lists(
                st.tuples(st.from_regex(r"\./Vendor/MSFT/Policy/[A-Za-z]{2,8}", fullmatch=True), leaf_values),
                unique_by=lambda o: o[0],
                max_size=3,
            )
        )
    if ptype == "groupPolicyConfigurations":
        config["definitions"] = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(["machine", "user"]),
                    st.sampled_from(["\\Microsoft Edge", "\\Microsoft Word 2016\\Security"]),
                    names,
                    st.booleans(),
                    st.lists(st.tuples(names, leaf_values), unique_by=lambda p: p[0], max_size=2),
                ),
                unique_by=lambda d: (d[0], d[1], d[2]),
                max_size=4,
            )
        )
    if ptype == "deviceCompliancePolicies":
        config["actions"] = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(["block", "notification", "retire"]),
                    st.integers(0, 720),
                    st.lists(st.sampled_from(GROUP_NAMES), unique=True, max_size=2),
                ),
                unique_by=lambda a: a[0],
                min_size=1,
                max_size=3,
            )
        )
    if ptype in ("iosManagedAppProtections", "androidManagedAppProtections"):
        config["apps"] = draw(
            st.lists(st.from_regex(r"com\.[a-z]{2,6}\.[a-z]{2,6}", fullmatch=True), unique=True, max_size=4)
        )
    return config


@dataclass
class Tenant:
    """One rendering context: its own ids for every group/filter/tag and a random source for order and spelling."""

    rnd: random.Random
    groups: dict[str, str]
    filters: dict[str, str]
    tags: dict[str, str]

    @classmethod
    def new(cls, rnd: random.Random) -> Tenant:
        def guid() -> str:
            return str(uuid.UUID(int=rnd.getrandbits(128), version=4))

        tag_ids = [str(i) for i in rnd.sample(range(1, 50), len(TAG_NAMES))]
        return cls(
            rnd=rnd,
            groups={name: guid() for name in GROUP_NAMES},
            filters={name: guid() for name in FILTER_NAMES},
            tags={"Default": "0", **dict(zip(TAG_NAMES, tag_ids, strict=True))},
        )

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rnd.getrandbits(128), version=4))

    def stamp(self) -> str:
        return f"2025-{self.rnd.randint(1, 12):02d}-{self.rnd.randint(1, 28):02d}T10:00:00Z"

    def shuffled(self, items: list[Any]) -> list[Any]:
        items = list(items)
        self.rnd.shuffle(items)
        return items

    def refs(self) -> ReferenceNames:
        return ReferenceNames(
            groups={i: n for n, i in self.groups.items()},
            filters={i: n for n, i in self.filters.items()},
            scope_tags={i: n for n, i in self.tags.items()},
        )

    def no_filter(self, target: dict[str, Any]) -> None:
        """Spell "no filter" one of the ways Graph does."""
        choice = self.rnd.randrange(5)
        if choice == 0:
            return
        if choice == 1:
            target["deviceAndAppManagementAssignmentFilterId"] = None
            target["deviceAndAppManagementAssignmentFilterType"] = "none"
        elif choice == 2:
            target["deviceAndAppManagementAssignmentFilterId"] = ZERO
            target["deviceAndAppManagementAssignmentFilterType"] = self.rnd.choice(["none", "None", "NONE"])
        elif choice == 3:
            target["deviceAndAppManagementAssignmentFilterId"] = None
        else:
            target["deviceAndAppManagementAssignmentFilterType"] = "none"

    def assignment(self, policy_id: str, spec: dict[str, Any]) -> dict[str, Any]:
        kind = spec["kind"]
        target: dict[str, Any]
        if kind == "allUsers":
            target = (
                {"@odata.type": f"{G}allLicensedUsersAssignmentTarget"}
                if self.rnd.random() < 0.5
                else {"@odata.type": f"{G}groupAssignmentTarget", "groupId": ALL_LICENSED_USERS_ID}
            )
        elif kind == "allDevices":
            target = (
                {"@odata.type": f"{G}allDevicesAssignmentTarget"}
                if self.rnd.random() < 0.5
                else {"@odata.type": f"{G}groupAssignmentTarget", "groupId": ALL_DEVICES_ID}
            )
        else:
            odata = "groupAssignmentTarget" if kind == "include" else "exclusionGroupAssignmentTarget"
            target = {"@odata.type": f"{G}{odata}", "groupId": self.groups[spec["group"]]}
        if spec["filter"]:
            target["deviceAndAppManagementAssignmentFilterId"] = self.filters[spec["filter"]]
            target["deviceAndAppManagementAssignmentFilterType"] = spec["filter_type"]
        else:
            self.no_filter(target)
        out: dict[str, Any] = {"id": f"{policy_id}_{self.guid()}", "source": "direct", "sourceId": policy_id}
        if spec["intent"]:
            out["intent"] = spec["intent"]
        out["target"] = target
        return out

    def render(self, config: dict[str, Any]) -> dict[str, Any]:
        """The Graph payload of ``config`` in this tenant (ids, stamps and orders of its own)."""
        ptype = config["type"]
        policy_id = self.guid()
        name_field = "name" if ptype == "configurationPolicies" else "displayName"
        payload: dict[str, Any] = {
            "@odata.type": f"{G}{ptype[:-1]}",
            "id": policy_id,
            name_field: config["name"],
            "description": config["description"],
            "createdDateTime": self.stamp(),
            "lastModifiedDateTime": self.stamp(),
            "version": self.rnd.randint(0, 9),
            "roleScopeTagIds": self.shuffled([self.tags[t] for t in config["tags"]]),
            **config["scalars"],
            "assignments@odata.context": f"https://graph.microsoft.com/beta/$metadata#x('{policy_id}')/assignments",
            "assignments": self.shuffled([self.assignment(policy_id, a) for a in config["assignments"]]),
        }
        if "settings" in config:
            settings_ = []
            for position, (definition, value, children) in enumerate(self.shuffled(config["settings"])):
                settings_.append(
                    {
                        "id": str(position),
                        "settingInstance": {
                            "@odata.type": f"{G}deviceManagementConfigurationChoiceSettingInstance",
                            "settingDefinitionId": definition,
                            "settingInstanceTemplateReference": None,
                            "choiceSettingValue": {
                                "settingValueTemplateReference": None,
                                "value": value,
                                "children": [
                                    {
                                        "@odata.type": f"{G}deviceManagementConfigurationSimpleSettingInstance",
                                        "settingDefinitionId": child,
                                        "simpleSettingValue": {"value": child_value},
                                    }
                                    for child, child_value in self.shuffled(children)
                                ],
                            },
                        },
                    }
                )
            payload["settings"] = settings_
            payload["settingCount"] = len(settings_)
        if "oma" in config:
            payload["omaSettings"] = [
                {
                    "@odata.type": f"{G}omaSettingString",
                    "displayName": uri.rsplit("/", 1)[-1],
                    "omaUri": uri,
                    "value": value,
                    "isEncrypted": False,
                }
                for uri, value in self.shuffled(config["oma"])
            ]
        if "definitions" in config:
            payload["definitionValues"] = [
                {
                    "id": self.guid(),
                    "enabled": enabled,
                    "createdDateTime": self.stamp(),
                    "definition": {"id": self.guid(), "classType": cls, "categoryPath": path, "displayName": name},
                    "presentationValues": [
                        {"id": self.guid(), "value": pv, "presentation": {"id": self.guid(), "label": label}}
                        for label, pv in self.shuffled(presentations)
                    ],
                }
                for cls, path, name, enabled, presentations in self.shuffled(config["definitions"])
            ]
        if "actions" in config:
            payload["scheduledActionsForRule"] = [
                {
                    "id": self.guid(),
                    "ruleName": None,
                    "scheduledActionConfigurations": [
                        {
                            "id": self.guid(),
                            "actionType": action,
                            "gracePeriodHours": grace,
                            "notificationTemplateId": ZERO,
                            "notificationMessageCCList": self.shuffled([self.groups[g] for g in cc]),
                        }
                        for action, grace, cc in self.shuffled(config["actions"])
                    ],
                }
            ]
        if "apps" in config:
            payload["apps"] = [
                {
                    "id": f"{bundle}.{self.rnd.randint(0, 9)}",
                    "version": "1",
                    "mobileAppIdentifier": {"@odata.type": f"{G}iosMobileAppIdentifier", "bundleId": bundle},
                }
                for bundle in self.shuffled(config["apps"])
            ]
            payload["deployedAppCount"] = self.rnd.randint(0, 500)
        keys = self.shuffled(list(payload))
        return {k: payload[k] for k in keys}


def two_tenants(seed_a: int, seed_b: int) -> tuple[Tenant, Tenant]:
    return Tenant.new(random.Random(seed_a)), Tenant.new(random.Random(seed_b))


# -- properties ---------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(config=configs(), seed_a=st.integers(), seed_b=st.integers())
def test_tenants_configured_alike_normalize_equal_whatever_ids_and_order(
    config: dict[str, Any], seed_a: int, seed_b: int
) -> None:
    a, b = two_tenants(seed_a, seed_b)
    payload_a, payload_b = a.render(config), b.render(config)
    norm_a = normalize_for_compare(config["type"], payload_a, a.refs())
    norm_b = normalize_for_compare(config["type"], payload_b, b.refs())
    assert diff(norm_a, norm_b) == []
    assert norm_a == norm_b
    assert content_hash(norm_a) == content_hash(norm_b)


VOLATILE_OR_REFERENCE = {
    "id",
    "createdDateTime",
    "lastModifiedDateTime",
    "version",
    "sourceId",
    "groupId",
    "deviceAndAppManagementAssignmentFilterId",
    "roleScopeTagIds",
    "notificationMessageCCList",
    "notificationTemplateId",
    "deployedAppCount",
}


def real_leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every non-volatile, non-reference leaf of a rendered payload."""
    found: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in VOLATILE_OR_REFERENCE or ("@" in key and key != "@odata.type"):
                continue
            if not path and key in ("displayName", "name"):
                continue  # the display name is not content: renames are reported separately
            found += real_leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += real_leaves(item, (*path, index))
    elif path:
        found.append(path)
    return found


def mutated(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "·x"
    return "set"  # None → a value


def key_form(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path if not isinstance(p, int))


def strip_labels(path: str) -> str:
    return re.sub(r"\[[^\]]*\]", "", path)


@settings(max_examples=120, deadline=None)
@given(config=configs(), seed=st.integers(), pick=st.integers(min_value=0))
def test_any_single_real_change_shows_at_its_path(config: dict[str, Any], seed: int, pick: int) -> None:
    tenant = Tenant.new(random.Random(seed))
    original = tenant.render(config)
    leaves = real_leaves(original)
    if not leaves:
        return
    leaf = leaves[pick % len(leaves)]
    changed = copy.deepcopy(original)
    holder = changed
    for step in leaf[:-1]:
        holder = holder[step]
    holder[leaf[-1]] = mutated(holder[leaf[-1]])

    refs = tenant.refs()
    before = normalize_for_compare(config["type"], original, refs)
    after = normalize_for_compare(config["type"], changed, refs)
    changes = diff(before, after)
    assert changes, f"changing {leaf} was hidden"
    assert content_hash(before) != content_hash(after)
    expected = key_form(leaf)
    # The change is named at the leaf itself, or — when the leaf is part of a list item's label
    # (a setting's definition id, an assignment's target type) — at that whole item.
    assert any(
        strip_labels(c.path) == expected
        or (expected.startswith(strip_labels(c.path) + ".") and isinstance(c.baseline or c.target, dict))
        for c in changes
    ), (leaf, [c.path for c in changes])


@given(config=configs(), seed=st.integers())
@settings(max_examples=40, deadline=None)
def test_normalize_does_not_modify_its_input(config: dict[str, Any], seed: int) -> None:
    tenant = Tenant.new(random.Random(seed))
    payload = tenant.render(config)
    before = copy.deepcopy(payload)
    normalize_for_compare(config["type"], payload, tenant.refs())
    assert payload == before


# -- equivalent spellings and references --------------------------------------------------------


def _policy(*targets: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "@odata.type": f"{G}windows10GeneralConfiguration",
        "id": "p1",
        "displayName": "WIN - Restrictions",
        "assignments": [{"id": f"a{i}", "target": t} for i, t in enumerate(targets)],
        **fields,
    }


REFS = ReferenceNames(
    groups={"g-1": "SG-Pilot", "g-2": "SG-Finance"},
    filters={"f-1": "Corporate Windows"},
    scope_tags={"7": "EMEA"},
)


@pytest.mark.parametrize(
    "spelling",
    [
        {},
        {"deviceAndAppManagementAssignmentFilterId": None},
        {"deviceAndAppManagementAssignmentFilterType": "none"},
        {"deviceAndAppManagementAssignmentFilterId": None, "deviceAndAppManagementAssignmentFilterType": "none"},
        {"deviceAndAppManagementAssignmentFilterId": ZERO, "deviceAndAppManagementAssignmentFilterType": "none"},
        {"deviceAndAppManagementAssignmentFilterId": ZERO, "deviceAndAppManagementAssignmentFilterType": "None"},
        {
            "deviceAndAppManagementAssignmentFilterId": ZERO.upper(),
            "deviceAndAppManagementAssignmentFilterType": "NONE",
        },
        {"deviceAndAppManagementAssignmentFilterId": ZERO, "deviceAndAppManagementAssignmentFilterType": None},
    ],
)
def test_every_spelling_of_no_filter_normalizes_to_absent_filter_keys(spelling: dict[str, Any]) -> None:
    target = {"@odata.type": f"{G}groupAssignmentTarget", "groupId": "g-1", **spelling}
    normalized = normalize_for_compare("deviceConfigurations", _policy(target), REFS)
    assert normalized["assignments"] == [
        {"target": {"@odata.type": f"{G}groupAssignmentTarget", "groupId": "group:SG-Pilot"}}
    ]


def test_a_real_filter_is_named_and_differs_from_no_filter() -> None:
    with_filter = {
        "@odata.type": f"{G}groupAssignmentTarget",
        "groupId": "g-1",
        "deviceAndAppManagementAssignmentFilterId": "f-1",
        "deviceAndAppManagementAssignmentFilterType": "include",
    }
    without = {
        "@odata.type": f"{G}groupAssignmentTarget",
        "groupId": "g-1",
        "deviceAndAppManagementAssignmentFilterId": ZERO,
        "deviceAndAppManagementAssignmentFilterType": "none",
    }
    a = normalize_for_compare("deviceConfigurations", _policy(with_filter), REFS)
    b = normalize_for_compare("deviceConfigurations", _policy(without), REFS)
    assert a["assignments"][0]["target"]["deviceAndAppManagementAssignmentFilterId"] == "Corporate Windows"
    paths = {c.path for c in diff(a, b)}
    assert paths == {
        "assignments[group:SG-Pilot include].target.deviceAndAppManagementAssignmentFilterId",
        "assignments[group:SG-Pilot include].target.deviceAndAppManagementAssignmentFilterType",
    }


def test_a_zero_guid_filter_with_a_real_filter_type_stays_visible() -> None:
    target = {
        "@odata.type": f"{G}groupAssignmentTarget",
        "groupId": "g-1",
        "deviceAndAppManagementAssignmentFilterId": ZERO,
        "deviceAndAppManagementAssignmentFilterType": "include",
    }
    normalized = normalize_for_compare("deviceConfigurations", _policy(target), REFS)
    assert normalized["assignments"][0]["target"]["deviceAndAppManagementAssignmentFilterType"] == "include"


def test_unknown_references_stay_visible_as_unresolved() -> None:
    target = {
        "@odata.type": f"{G}groupAssignmentTarget",
        "groupId": "g-gone",
        "deviceAndAppManagementAssignmentFilterId": "f-gone",
        "deviceAndAppManagementAssignmentFilterType": "exclude",
    }
    normalized = normalize_for_compare("deviceConfigurations", _policy(target, roleScopeTagIds=["99"]), REFS)
    assert normalized["assignments"][0]["target"] == {
        "@odata.type": f"{G}groupAssignmentTarget",
        "groupId": "unresolved:g-gone",
        "deviceAndAppManagementAssignmentFilterId": "unresolved:f-gone",
        "deviceAndAppManagementAssignmentFilterType": "exclude",
    }
    assert normalized["roleScopeTagIds"] == ["unresolved:99"]


def test_scope_tag_zero_is_default_in_every_tenant_and_tags_are_sorted_names() -> None:
    a = normalize_for_compare("deviceConfigurations", _policy(roleScopeTagIds=["7", "0"]), REFS)
    b = normalize_for_compare(
        "deviceConfigurations", _policy(roleScopeTagIds=["0", "3"]), ReferenceNames(scope_tags={"3": "EMEA"})
    )
    assert a["roleScopeTagIds"] == b["roleScopeTagIds"] == ["Default", "EMEA"]


@pytest.mark.parametrize(
    ("target", "label"),
    [
        ({"@odata.type": f"{G}allLicensedUsersAssignmentTarget"}, "All licensed users include"),
        ({"@odata.type": f"{G}groupAssignmentTarget", "groupId": ALL_LICENSED_USERS_ID}, "All licensed users include"),
        ({"@odata.type": f"{G}allDevicesAssignmentTarget"}, "All devices include"),
        ({"@odata.type": f"{G}groupAssignmentTarget", "groupId": ALL_DEVICES_ID}, "All devices include"),
    ],
)
def test_virtual_targets_are_one_target_whether_spelled_by_type_or_well_known_id(
    target: dict[str, Any], label: str
) -> None:
    normalized = normalize_for_compare("deviceConfigurations", _policy(target), REFS)
    virtual_type = "allLicensedUsersAssignmentTarget" if "users" in label else "allDevicesAssignmentTarget"
    assert normalized["assignments"] == [{"target": {"@odata.type": f"{G}{virtual_type}"}}]
    assert item_labels("assignments", normalized["assignments"]) == [label]


def test_include_and_exclude_of_one_group_are_different_assignments() -> None:
    include = {"@odata.type": f"{G}groupAssignmentTarget", "groupId": "g-1"}
    exclude = {"@odata.type": f"{G}exclusionGroupAssignmentTarget", "groupId": "g-1"}
    a = normalize_for_compare("deviceConfigurations", _policy(include), REFS)
    b = normalize_for_compare("deviceConfigurations", _policy(exclude), REFS)
    assert [(c.path, c.baseline is None, c.target is None) for c in diff(a, b)] == [
        ("assignments[group:SG-Pilot include]", False, True),
        ("assignments[group:SG-Pilot exclude]", True, False),
    ]


# -- dropped and kept fields --------------------------------------------------------------------


def test_volatile_fields_and_annotations_are_dropped_at_every_level_but_content_is_kept() -> None:
    payload = {
        "@odata.context": "https://graph.microsoft.com/beta/$metadata#deviceManagement/deviceConfigurations/$entity",
        "@microsoft.graph.tips": "This request only returns a subset",
        "@odata.type": f"{G}windows10CustomConfiguration",
        "id": "p1",
        "displayName": "WIN - OMA",
        "description": "Kept: it is content",
        "version": 7,
        "createdDateTime": "2025-01-01T00:00:00Z",
        "lastModifiedDateTime": "2025-01-02T00:00:00Z",
        "supportsScopeTags": True,
        "omaSettings": [
            {
                "@odata.type": f"{G}omaSettingInteger",
                "id": "x",
                "displayName": "Disable Cortana",
                "omaUri": "./Vendor/MSFT/Policy/Config/Experience/AllowCortana",
                "value": 0,
                "secretReferenceValueId": None,
                "version": 3,
            },
        ],
        "omaSettings@odata.nextLink": "https://example/next",
    }
    assert normalize_for_compare("deviceConfigurations", payload, REFS) == {
        "@odata.type": f"{G}windows10CustomConfiguration",
        "description": "Kept: it is content",
        "supportsScopeTags": True,
        "omaSettings": [
            {
                "@odata.type": f"{G}omaSettingInteger",
                "displayName": "Disable Cortana",
                "omaUri": "./Vendor/MSFT/Policy/Config/Experience/AllowCortana",
                "value": 0,
            },
        ],
    }


def test_the_name_field_is_per_type_and_only_dropped_at_the_top() -> None:
    catalog = {"name": "WIN - Logon banner", "displayName": "kept: not this type's name", "platforms": "windows10"}
    assert normalize_for_compare("configurationPolicies", catalog, REFS) == {
        "displayName": "kept: not this type's name",
        "platforms": "windows10",
    }
    assert display_name_of("configurationPolicies", catalog) == "WIN - Logon banner"
    assert display_name_of("deviceManagement/deviceConfigurations", {"displayName": "X"}) == "X"


def test_null_equals_absent_and_an_empty_top_level_description_is_unset() -> None:
    a = normalize_for_compare("deviceConfigurations", {"description": "", "osMinimumVersion": None}, REFS)
    b = normalize_for_compare("deviceConfigurations", {}, REFS)
    c = normalize_for_compare("deviceConfigurations", {"description": "Set"}, REFS)
    assert a == b == {}
    assert [(x.path, x.baseline, x.target) for x in diff(b, c)] == [("description", None, "Set")]


def test_ignored_fields_are_dropped_at_any_level() -> None:
    payload = {"passwordMinimumLength": 12, "nested": {"passwordMinimumLength": 8, "kept": 1}}
    normalized = normalize_for_compare(
        "deviceConfigurations", payload, REFS, ignored_fields=frozenset({"passwordMinimumLength"})
    )
    assert normalized == {"nested": {"kept": 1}}


def test_a_group_policy_setting_order_and_ids_do_not_matter_but_a_presentation_value_does() -> None:
    def definition(name: str, value: int, ids: str) -> dict[str, Any]:
        return {
            "id": f"dv-{ids}",
            "enabled": True,
            "definition": {"id": f"def-{ids}", "classType": "machine", "categoryPath": "\\Edge", "displayName": name},
            "presentationValues": [{"id": f"pv-{ids}", "value": value, "presentation": {"id": ids, "label": "Days"}}],
        }

    a = normalize_for_compare(
        "groupPolicyConfigurations", {"definitionValues": [definition("A", 1, "1"), definition("B", 2, "2")]}, REFS
    )
    b = normalize_for_compare(
        "groupPolicyConfigurations", {"definitionValues": [definition("B", 2, "8"), definition("A", 1, "9")]}, REFS
    )
    c = normalize_for_compare(
        "groupPolicyConfigurations", {"definitionValues": [definition("B", 3, "8"), definition("A", 1, "9")]}, REFS
    )
    assert a == b
    assert [(x.path, x.baseline, x.target) for x in diff(a, c)] == [
        ("definitionValues[machine:\\Edge:B].presentationValues[Days].value", 2, 3)
    ]


def test_unlabeled_ordered_lists_keep_their_order() -> None:
    a = normalize_for_compare("deviceConfigurations", {"simpleSettingCollectionValue": ["a", "b"]}, REFS)
    b = normalize_for_compare("deviceConfigurations", {"simpleSettingCollectionValue": ["b", "a"]}, REFS)
    assert a != b
    assert [c.path for c in diff(a, b)] == ["simpleSettingCollectionValue[0]", "simpleSettingCollectionValue[1]"]


def test_non_finite_numbers_and_non_json_values_are_refused_with_the_field_named() -> None:
    with pytest.raises(ValueError, match="limit"):
        normalize_for_compare("deviceEnrollmentConfigurations", {"limit": float("nan")}, REFS)
    with pytest.raises(TypeError, match="limit"):
        normalize_for_compare("deviceEnrollmentConfigurations", {"limit": {1, 2}}, REFS)


# -- content_hash -------------------------------------------------------------------------------


def test_content_hash_is_sha256_of_canonical_json() -> None:
    value = {"b": [1, 2.5, "é"], "a": True}
    expected = hashlib.sha256('{"a":true,"b":[1,2.5,"é"]}'.encode()).hexdigest()
    assert content_hash(value) == expected
    assert content_hash({"a": True, "b": [1, 2.5, "é"]}) == expected


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
        max_leaves=12,
    )
)
def test_content_hash_round_trips_through_stored_json(value: Any) -> None:
    # Normalized payloads are stored as JSON and hashed again later: the hash must survive that.
    assert content_hash(json.loads(json.dumps(value))) == content_hash(value)


# -- the shipped simulator tenants --------------------------------------------------------------


def test_shipped_golden_and_drifted_tenants_differ_exactly_in_their_seeded_drifts() -> None:
    def normalized(name: str) -> dict[tuple[str, str], dict[str, Any]]:
        collections = TenantState(load_tenant(FIXTURES / name)).collections
        refs = ReferenceNames(
            groups={g["id"]: g["displayName"] for g in collections["groups"]},
            filters={f["id"]: f["displayName"] for f in collections["deviceManagement/assignmentFilters"]},
            scope_tags={t["id"]: t["displayName"] for t in collections["deviceManagement/roleScopeTags"]},
        )
        out = {}
        for key, items in collections.items():
            ptype = key.rsplit("/", 1)[-1]
            if ptype in POLICY_TYPES:
                for item in items:
                    label = display_name_of(ptype, item) or ""
                    if ptype == "deviceEnrollmentConfigurations" and item.get("priority") == 0:
                        label = item["id"].split("_", 1)[1]  # built-ins share one display name
                    out[(ptype, label)] = normalize_for_compare(ptype, item, refs)
        return out

    golden, drifted = normalized("golden.json"), normalized("drifted.json")
    changed = {
        key: [c.path for c in diff(golden[key], drifted[key])]
        for key in golden.keys() & drifted.keys()
        if content_hash(golden[key]) != content_hash(drifted[key])
    }
    assert changed == {
        ("deviceConfigurations", "WIN - Device restrictions"): ["cameraBlocked", "passwordMinimumLength"],
        ("deviceCompliancePolicies", "WIN - Compliance"): ["bitLockerEnabled"],
        ("configurationPolicies", "WIN - Defender antivirus"): [
            "settings[device_vendor_msft_policy_config_defender_puaprotection].settingInstance.choiceSettingValue.value"
        ],
    }
    assert golden.keys() - drifted.keys() == {("deviceConfigurations", "IOS - Device restrictions")}
    assert drifted.keys() - golden.keys() == {("deviceConfigurations", "WIN - Legacy kiosk restrictions")}
