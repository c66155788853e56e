"""Microsoft specifics: built-in defaults, the Default scope tag and virtual targets canonicalize."""

from __future__ import annotations

import pytest

from tenantpilot.resources.adapters import UnclassifiableResource
from tenantpilot.resources.adapters.microsoft import (
    ALL_DEVICES_ID,
    ALL_LICENSED_USERS_ID,
    DEFAULT_ENROLLMENT_SUFFIXES,
    MicrosoftAdapter,
)
from tenantpilot.resources.choices import SubjectClass, SupportLevel
from tests.resources.samples import CUSTOMER_TENANT, GOLDEN_TENANT

adapter = MicrosoftAdapter()


def _enrollment(tenant: str, suffix: str, **extra) -> dict:
    return {
        "@odata.type": "#microsoft.graph.deviceEnrollmentLimitConfiguration",
        "id": f"{tenant}_{suffix}",
        "displayName": "All users and all devices",
        "priority": 0,
        **extra,
    }


@pytest.mark.parametrize("suffix", DEFAULT_ENROLLMENT_SUFFIXES)
def test_default_enrollment_configuration_has_the_same_key_in_every_tenant(suffix):
    golden = adapter.describe("deviceEnrollmentConfigurations", _enrollment(GOLDEN_TENANT, suffix))
    customer = adapter.describe(
        "deviceManagement/deviceEnrollmentConfigurations", _enrollment(CUSTOMER_TENANT.upper(), suffix, limit=15)
    )
    assert str(golden.canonical_key) == f"provider:microsoft:builtin:deviceEnrollmentConfigurations/{suffix}"
    assert customer.canonical_key == golden.canonical_key
    assert golden.subject_class is SubjectClass.PROVIDER_DEFAULT
    assert golden.identity.is_builtin and golden.identity.is_default
    # The exact Graph id is kept for later steps; only the key is tenant-independent.
    assert golden.identity.provider_resource_id == f"{GOLDEN_TENANT}_{suffix}"
    assert GOLDEN_TENANT not in str(golden.canonical_key)
    # Different settings: same subject, different state.
    assert customer.fingerprint != golden.fingerprint


def test_default_suffix_without_priority_is_still_a_default():
    item = _enrollment(GOLDEN_TENANT, "DefaultLimit")
    del item["priority"]
    assert adapter.identify("deviceEnrollmentConfigurations", item).is_default


@pytest.mark.parametrize(
    "item",
    [
        _enrollment(GOLDEN_TENANT, "DefaultLimit", priority=3),
        _enrollment(GOLDEN_TENANT, "DefaultLimit", priority=False),
        _enrollment("not-a-tenant-id", "DefaultLimit"),
        _enrollment(GOLDEN_TENANT, "DefaultLimitCopy"),
        {"id": "fe97fbc2-134e-54f3-b702-4533c7c0fed1", "displayName": "All users and all devices", "priority": 0},
    ],
)
def test_lookalikes_of_defaults_are_tenant_owned_policies(item):
    descriptor = adapter.describe("deviceEnrollmentConfigurations", item)
    assert descriptor.identity.is_tenant_owned
    assert descriptor.canonical_key.kind.value == "policy"
    assert descriptor.identity.provider_resource_id == item["id"]


def test_two_custom_policies_with_the_same_name_get_different_keys():
    one = adapter.describe("deviceConfigurations", {"id": "a1", "displayName": "WIN - Baseline"})
    two = adapter.describe("deviceConfigurations", {"id": "b2", "displayName": "WIN - Baseline"})
    assert one.canonical_key != two.canonical_key


def test_default_scope_tag_is_a_builtin_default_keyed_by_its_well_known_id():
    tag = {"@odata.type": "#microsoft.graph.roleScopeTag", "id": "0", "displayName": "Default", "isBuiltIn": True}
    descriptor = adapter.describe("roleScopeTags", tag)
    assert str(descriptor.canonical_key) == "provider:microsoft:builtin:roleScopeTags/0"
    assert descriptor.subject_class is SubjectClass.PROVIDER_DEFAULT
    assert descriptor.display_label == "Default"
    renamed = adapter.describe("roleScopeTags", {**tag, "displayName": "Standard"})
    assert renamed.canonical_key == descriptor.canonical_key


def test_other_builtin_scope_tag_is_builtin_but_not_default():
    descriptor = adapter.describe("roleScopeTags", {"id": "7", "displayName": "X", "isBuiltIn": True})
    assert descriptor.subject_class is SubjectClass.PROVIDER_BUILTIN
    assert not descriptor.identity.is_default


def test_custom_scope_tag_named_default_is_not_the_builtin():
    descriptor = adapter.describe("roleScopeTags", {"id": "5", "displayName": "Default", "isBuiltIn": False})
    assert descriptor.identity.is_tenant_owned
    assert str(descriptor.canonical_key) == "provider:microsoft:foundation:roleScopeTags:5"


@pytest.mark.parametrize(
    ("odata_type", "group_id", "discriminator"),
    [
        ("allLicensedUsersAssignmentTarget", ALL_LICENSED_USERS_ID, "assignmentTargets/allLicensedUsers"),
        ("allDevicesAssignmentTarget", ALL_DEVICES_ID, "assignmentTargets/allDevices"),
    ],
)
def test_virtual_targets_are_recognized_by_type_and_by_well_known_id(odata_type, group_id, discriminator):
    by_type = adapter.describe(
        "assignmentTargets",
        {"@odata.type": f"#microsoft.graph.{odata_type}", "deviceAndAppManagementAssignmentFilterType": "none"},
    )
    by_group_target = adapter.describe(
        "assignmentTargets", {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group_id}
    )
    by_group_object = adapter.describe("groups", {"id": group_id})
    expected = f"provider:microsoft:virtual-target:{discriminator}"
    assert (
        str(by_type.canonical_key)
        == str(by_group_target.canonical_key)
        == str(by_group_object.canonical_key)
        == expected
    )
    assert by_type.subject_class is SubjectClass.VIRTUAL_ASSIGNMENT_TARGET
    assert by_type.identity.provider_resource_id == group_id
    assert by_type.display_label


def test_group_targets_and_groups_share_the_groups_identity():
    group_id = "81ae4dab-f578-5bd0-8b62-63264015f7ca"
    include = adapter.describe(
        "assignmentTargets", {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": group_id}
    )
    exclude = adapter.describe(
        "assignmentTargets", {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": group_id}
    )
    group = adapter.describe("groups", {"id": group_id, "displayName": "SG"})
    assert include.canonical_key == exclude.canonical_key == group.canonical_key
    assert str(group.canonical_key) == f"provider:microsoft:foundation:groups:{group_id}"
    assert include.subject_class is SubjectClass.ASSIGNMENT_TARGET


def test_configuration_manager_target_is_identified_but_unsupported():
    descriptor = adapter.describe(
        "assignmentTargets",
        {"@odata.type": "#microsoft.graph.configurationManagerCollectionAssignmentTarget", "collectionId": "SMS00001"},
    )
    assert descriptor.support_level is SupportLevel.UNSUPPORTED
    assert str(descriptor.canonical_key) == "provider:microsoft:foundation:configurationManagerCollections:SMS00001"


@pytest.mark.parametrize(
    "target",
    [
        {"@odata.type": "#microsoft.graph.somethingNewAssignmentTarget"},
        {},
        {"@odata.type": "#microsoft.graph.groupAssignmentTarget"},
    ],
)
def test_unknown_or_incomplete_targets_are_refused(target):
    with pytest.raises(UnclassifiableResource):
        adapter.describe("assignmentTargets", target)


def test_collection_path_and_name_are_the_same_resource_type():
    item = {"id": "6c1f", "displayName": "x"}
    assert adapter.canonical_key("deviceManagement/deviceConfigurations", item) == adapter.canonical_key(
        "deviceConfigurations", item
    )


@pytest.mark.parametrize("resource_type", ["", "/", None])
def test_missing_resource_type_is_refused(resource_type):
    with pytest.raises(UnclassifiableResource):
        adapter.describe(resource_type, {"id": "x"})


def test_display_label_prefers_display_name_then_name():
    assert adapter.describe("configurationPolicies", {"id": "p", "name": "Logon"}).display_label == "Logon"
    assert adapter.describe("deviceConfigurations", {"id": "p"}).display_label is None


def test_subtype_is_kept_as_discriminator_without_entering_the_key():
    descriptor = adapter.describe(
        "deviceConfigurations", {"@odata.type": "#microsoft.graph.windows10GeneralConfiguration", "id": "p1"}
    )
    assert descriptor.identity.discriminator == "windows10GeneralConfiguration"
    assert str(descriptor.canonical_key) == "provider:microsoft:policy:deviceConfigurations:p1"
