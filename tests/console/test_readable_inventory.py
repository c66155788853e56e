"""Inventory pages people can read: type labels, built-ins marked and last, typed values,
named assignments and settings, a version picker and a structured diff."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from django.urls import reverse

import tenantpilot.console
from tenantpilot.console.item_readable import structured_diff
from tenantpilot.console.templatetags.console_readable import type_label, type_labels
from tenantpilot.inventory.models import InventoryItem
from tests.inventory.factories import make_item

pytestmark = pytest.mark.django_db

TENANT = "8d1f6c2e-4b7a-4f0e-9a51-2c3d4e5f6a7b"


def _url(world, name, **extra):
    return reverse(f"console:{name}", kwargs={"workspace": world.a.slug, "environment_id": world.a1.pk, **extra})


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _enrollment(world, object_id, name, priority):
    item = make_item(
        world.a1,
        policy_type="deviceEnrollmentConfigurations",
        name=name,
        payloads=[{"displayName": name, "priority": priority}],
    )
    InventoryItem.objects.filter(pk=item.pk).update(provider_object_id=object_id, metadata={"priority": priority})
    return item


def test_inventory_list_is_ordered_by_type_label_then_name_with_builtins_last(client, world):
    # Graph keys would sort "deviceCompliancePolicies" < "deviceConfigurations" < "deviceEnrollmentConfigurations"
    # < "roleScopeTags"; labels sort Compliance policies < Device configurations < Enrollment < Scope tags.
    make_item(world.a1, policy_type="roleScopeTags", name="Paris")
    make_item(world.a1, policy_type="roleScopeTags", name="Default")
    InventoryItem.objects.filter(display_name="Default").update(provider_object_id="0")
    _enrollment(world, f"{TENANT}_DefaultLimit", "All users and all devices", 0)
    _enrollment(world, f"{TENANT}_DefaultPlatformRestrictions", "All users and all devices", 0)
    _enrollment(world, f"{TENANT}_DefaultLimit_custom", "Contoso device limit", 1)
    _enrollment(world, str(TENANT), "Berlin restrictions", 2)
    make_item(world.a1, policy_type="deviceConfigurations", name="zeta profile")
    make_item(world.a1, policy_type="deviceConfigurations", name="Alpha profile")
    make_item(world.a1, policy_type="deviceCompliancePolicies", name="Windows compliance")
    client.force_login(world.owner)
    page = client.get(_url(world, "inventory")).content.decode()
    rows = re.findall(
        r"<tr>\s*<td><a [^>]*>([^<]*)</a>( <span class=\"badge muted\"[^>]*>Built-in</span>)?</td>\s*<td>([^<]*)</td>",
        page,
    )
    assert [(name, bool(badge), label) for name, badge, label in rows] == [
        ("Windows compliance", False, "Compliance policies"),
        ("Alpha profile", False, "Device configurations"),
        ("zeta profile", False, "Device configurations"),
        ("Berlin restrictions", False, "Enrollment configurations"),
        ("Contoso device limit", False, "Enrollment configurations"),
        ("All users and all devices", True, "Enrollment configurations"),
        ("All users and all devices", True, "Enrollment configurations"),
        ("Paris", False, "Scope tags"),
        ("Default", True, "Scope tags"),
    ]
    assert "deviceEnrollmentConfigurations" not in _text(page).replace('value="deviceEnrollmentConfigurations"', "")


def test_inventory_type_filter_lists_labels_in_label_order(client, world):
    client.force_login(world.owner)
    page = client.get(_url(world, "inventory")).content.decode()
    select = re.search(r'<select name="type"[^>]*>(.*?)</select>', page, re.S).group(1)
    labels = [html.unescape(x) for x in re.findall(r"<option value=\"[^\"]+\"[^>]*>([^<]*)</option>", select)]
    assert labels == sorted(labels, key=str.lower) and "Settings catalog policies" in labels


def test_item_page_shows_typed_values_not_python_reprs(client, world):
    item = make_item(world.a1, name="Typed")
    InventoryItem.objects.filter(pk=item.pk).update(
        metadata={"isAssigned": True, "roleScopeTagIds": ["0"], "platforms": "windows10AndLater", "mailEnabled": False}
    )
    client.force_login(world.owner)
    page = client.get(_url(world, "inventory-item", item_id=item.pk)).content.decode()
    text = _text(page)
    assert "Assigned Yes" in text and "Mail enabled No" in text and "Platforms windows10AndLater" in text
    assert "Scope tags Default" in text
    assert "['0']" not in html.unescape(page) and ">True<" not in page and ">False<" not in page


def test_item_page_names_groups_and_filters_in_assignments(client, world):
    sales = make_item(world.a1, policy_type="groups", name="Sales devices")
    kiosks = make_item(world.a1, policy_type="groups", name="Kiosks")
    corporate = make_item(world.a1, policy_type="assignmentFilters", name="Corporate-owned only")
    unknown_group = "11111111-2222-3333-4444-555555555555"
    assignments = [
        {
            "target": {
                "@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget",
                "groupId": kiosks.provider_object_id,
            }
        },
        {
            "target": {
                "@odata.type": "#microsoft.graph.groupAssignmentTarget",
                "groupId": sales.provider_object_id,
                "deviceAndAppManagementAssignmentFilterId": corporate.provider_object_id,
                "deviceAndAppManagementAssignmentFilterType": "include",
            }
        },
        {"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}},
        {"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": unknown_group}},
    ]
    item = make_item(
        world.a1, name="Assigned policy", payloads=[{"displayName": "Assigned policy", "assignments": assignments}]
    )
    client.force_login(world.owner)
    page = client.get(_url(world, "inventory-item", item_id=item.pk)).content.decode()
    section = _text(page.split("<h2>Assignments</h2>")[1].split("</table>")[0])
    assert "Include All devices —" in section
    assert "Include Group: Sales devices Include filter “Corporate-owned only”" in section
    assert "Exclude Group: Kiosks —" in section
    assert f"Include Group: {unknown_group} (not in the last sync)" in section
    assert sales.provider_object_id not in section and corporate.provider_object_id not in section


def test_item_page_names_known_settings_catalog_settings(client, world):
    definition = "device_vendor_msft_policy_config_defender_allowrealtimemonitoring"
    payload = {
        "name": "Defender",
        "settings": [
            {
                "id": "0",
                "settingInstance": {
                    "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
                    "settingDefinitionId": definition,
                    "choiceSettingValue": {"value": f"{definition}_1", "children": []},
                },
            },
            {
                "id": "1",
                "settingInstance": {
                    "@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
                    "settingDefinitionId": "device_vendor_msft_custom_unknownsetting",
                    "simpleSettingValue": {"value": 42},
                },
            },
        ],
    }
    item = make_item(world.a1, policy_type="configurationPolicies", name="Defender", payloads=[payload])
    client.force_login(world.owner)
    text = _text(client.get(_url(world, "inventory-item", item_id=item.pk)).content.decode())
    assert f"Allow Realtime Monitoring {definition} On (1)" in text
    assert "device_vendor_msft_custom_unknownsetting 42" in text


def test_item_page_has_a_version_picker_and_a_structured_diff(client, world):
    item = make_item(
        world.a1,
        name="Diffed",
        payloads=[
            {"displayName": "Diffed", "passwordMinimumLength": 8, "cameraBlocked": False},
            {"displayName": "Diffed", "passwordMinimumLength": 14, "cameraBlocked": False},
            {"displayName": "Diffed", "passwordMinimumLength": 14, "cameraBlocked": True},
        ],
    )
    client.force_login(world.owner)
    page = client.get(_url(world, "inventory-item", item_id=item.pk)).content.decode()
    assert 'type="number"' not in page
    for name, selected in (("from", "2"), ("to", "3")):
        select = re.search(rf'<select id="diff-{name}" name="{name}">(.*?)</select>', page, re.S).group(1)
        assert re.findall(r'<option value="(\d+)"', select) == ["3", "2", "1"]
        assert re.findall(r'<option value="(\d+)" selected', select) == [selected]
    rows = re.findall(
        r'<tr class="change-(\w+)"><td><code>([^<]*)</code></td><td class="before">([^<]*)</td><td class="after">([^<]*)</td>',
        page,
    )
    assert rows == [("changed", "cameraBlocked", "No", "Yes")]
    assert "Raw JSON diff" in page  # the raw JSON stays alongside
    page = client.get(_url(world, "inventory-item", item_id=item.pk), {"from": 1, "to": 3}).content.decode()
    rows = re.findall(
        r'<tr class="change-\w+"><td><code>([^<]*)</code></td><td class="before">([^<]*)</td><td class="after">([^<]*)</td>',
        page,
    )
    assert rows == [("cameraBlocked", "No", "Yes"), ("passwordMinimumLength", "8", "14")]


def test_structured_diff_keys_lists_by_identity_not_position():
    old = {"assignments": [{"target": {"groupId": "a"}}, {"target": {"groupId": "b"}}], "tags": ["x"]}
    new = {"assignments": [{"target": {"groupId": "b"}}, {"target": {"groupId": "a"}}], "tags": ["x", "y"]}
    assert [(c.path, c.before, c.after, c.kind) for c in structured_diff(old, new)] == [("tags[1]", "—", "y", "added")]


RAW_TYPE_KEY = re.compile(
    r"{{\s*[\w.]*\b(policy_type|policy_types|incomplete_types|governed_types|subject_type|provider_resource_type)"
    r"\s*(\|\s*(join|default)[^}]*)?}}"
)


def test_no_console_template_prints_a_policy_type_key_raw():
    root = Path(tenantpilot.console.__file__).parent / "templates"
    offenders = [
        f"{path.relative_to(root)}: {match.group(0)}"
        for path in root.rglob("*.html")
        for match in RAW_TYPE_KEY.finditer(path.read_text())
    ]
    assert offenders == []


def test_type_label_filter_shows_labels():
    assert type_label("deviceEnrollmentConfigurations") == "Enrollment configurations"
    assert type_labels(["configurationPolicies", "groups"]) == "Settings catalog policies, Groups"
    assert type_label("notARealType") == "notARealType"
