"""ProviderResourceDescriptor: key from identity only, stable versioned serialization."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantpilot.core.fingerprint import payload_fingerprint
from tenantpilot.resources.choices import SubjectClass, SupportLevel
from tenantpilot.resources.descriptors import SCHEMA_VERSION, ProviderResourceDescriptor
from tenantpilot.resources.identity import ResourceIdentity
from tenantpilot.resources.keys import CanonicalSubjectKey


def _descriptor(**overrides: Any) -> ProviderResourceDescriptor:
    values: dict[str, Any] = {
        "identity": ResourceIdentity(
            provider_key="fake",
            resource_type="widgets",
            provider_resource_id="acct-1::w-42",
            discriminator="kiosk",
            fingerprint=payload_fingerprint({"knob": 1}),
            is_tenant_owned=True,
        ),
        "subject_class": SubjectClass.POLICY,
        "support_level": SupportLevel.SUPPORTED,
        "display_label": "Kiosk lockdown – ü",
        "source_inventory_item_id": 11,
        "source_policy_version_id": 12,
        "source_operation_run_id": 13,
    }
    values.update(overrides)
    return ProviderResourceDescriptor(**values)


def test_descriptor_exposes_identity_derived_fields():
    descriptor = _descriptor()
    assert descriptor.resource_type == "widgets"
    assert descriptor.provider_key == "fake"
    assert descriptor.fingerprint == descriptor.identity.fingerprint
    assert descriptor.canonical_key == CanonicalSubjectKey.policy("fake", "widgets", "acct-1::w-42")


def test_display_label_is_optional_and_never_identity():
    unnamed = _descriptor(display_label=None)
    renamed = _descriptor(display_label="Something else entirely")
    assert unnamed.canonical_key == renamed.canonical_key == _descriptor().canonical_key


def test_same_input_gives_byte_identical_json():
    assert _descriptor().to_json() == _descriptor().to_json()
    assert _descriptor().to_json().encode() == _descriptor().to_json().encode()


def test_serialized_form_is_versioned_and_sorted():
    data = _descriptor().to_dict()
    assert data["schema_version"] == SCHEMA_VERSION == 1
    assert list(data) == sorted(data)
    assert list(data["identity"]) == sorted(data["identity"])
    assert data["canonical_subject_key"] == "provider:fake:policy:widgets:acct-1%3A%3Aw-42"
    json.dumps(data)  # JSON-able as is


def test_round_trip_through_dict_and_json():
    descriptor = _descriptor()
    assert ProviderResourceDescriptor.from_dict(descriptor.to_dict()) == descriptor
    assert ProviderResourceDescriptor.from_json(descriptor.to_json()) == descriptor
    assert ProviderResourceDescriptor.from_json(descriptor.to_json()).to_json() == descriptor.to_json()


def test_round_trip_of_builtin_and_virtual_descriptors():
    builtin = ProviderResourceDescriptor(
        identity=ResourceIdentity(
            provider_key="fake",
            resource_type="widgets",
            provider_resource_id="acct-1::sys",
            discriminator="widgets/fallback",
            is_builtin=True,
            is_default=True,
        ),
        subject_class=SubjectClass.PROVIDER_DEFAULT,
    )
    virtual = ProviderResourceDescriptor(
        identity=ResourceIdentity(
            provider_key="fake", resource_type="audiences", discriminator="audiences/everyone", is_virtual=True
        ),
        subject_class=SubjectClass.VIRTUAL_ASSIGNMENT_TARGET,
        support_level=SupportLevel.INVENTORY_ONLY,
    )
    for descriptor in (builtin, virtual):
        assert ProviderResourceDescriptor.from_json(descriptor.to_json()) == descriptor


def test_subject_class_must_agree_with_identity():
    with pytest.raises(ValueError):
        _descriptor(subject_class=SubjectClass.PROVIDER_BUILTIN)


@pytest.mark.parametrize("bad", [0, -1, True, "12", 1.5])
def test_source_ids_must_be_positive_integers(bad):
    with pytest.raises(ValueError, match="source_operation_run_id"):
        _descriptor(source_operation_run_id=bad)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(schema_version=2), "schema_version"),
        (lambda d: d.update(schema_version=True), "schema_version"),
        (lambda d: d.pop("schema_version"), "schema_version"),
        (lambda d: d.update(extra=1), "unexpected"),
        (lambda d: d.pop("display_label"), "missing"),
        (lambda d: d["identity"].update(display_name="x"), "unexpected"),
        (lambda d: d["identity"].update(provider_resource_id=5), "provider_resource_id"),
        (lambda d: d.update(subject_class="widget"), "SubjectClass"),
        (lambda d: d.update(canonical_subject_key="provider:fake:policy:widgets:other"), "canonical_subject_key"),
        (lambda d: d.update(identity="nope"), "identity"),
    ],
)
def test_bad_serialized_descriptors_are_refused(mutate, message):
    data = json.loads(_descriptor().to_json())
    mutate(data)
    with pytest.raises(ValueError, match=message):
        ProviderResourceDescriptor.from_dict(data)


def test_malformed_json_is_a_value_error():
    with pytest.raises(ValueError, match="malformed"):
        ProviderResourceDescriptor.from_json("{not json")


@given(
    resource_id=st.text(min_size=1, max_size=30),
    label=st.none() | st.text(max_size=30),
    run_id=st.none() | st.integers(min_value=1, max_value=2**63 - 1),
    subject_class=st.sampled_from([SubjectClass.POLICY, SubjectClass.FOUNDATION, SubjectClass.UNKNOWN]),
)
def test_property_serialization_round_trip(resource_id, label, run_id, subject_class):
    descriptor = ProviderResourceDescriptor(
        identity=ResourceIdentity(provider_key="fake", resource_type="widgets", provider_resource_id=resource_id),
        subject_class=subject_class,
        display_label=label,
        source_operation_run_id=run_id,
    )
    text = descriptor.to_json()
    assert ProviderResourceDescriptor.from_json(text) == descriptor
    assert ProviderResourceDescriptor.from_json(text).to_json() == text
