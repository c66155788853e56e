"""The payload fingerprint ignores key order and volatile fields, and sees every setting change."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenantpilot.core.fingerprint import (
    VOLATILE_FIELDS,
    canonical_json,
    is_fingerprint,
    normalize_payload,
    normalized_fingerprint,
    payload_fingerprint,
)

POLICY: dict[str, Any] = {
    "@odata.type": "#example.windows10GeneralConfiguration",
    "id": "6c1f0a1e-2c9e-4f1a-9a55-0d0e5d1f3b11",
    "displayName": "WIN - Device restrictions",
    "createdDateTime": "2025-09-11T16:18:51.2668885Z",
    "lastModifiedDateTime": "2026-01-14T14:02:05.5922366Z",
    "version": 3,
    "@odata.context": "https://example.invalid/$metadata#deviceConfigurations/$entity",
    "passwordRequired": True,
    "passwordMinimumLength": 12,
    "settings": [{"id": "0", "value": "a"}, {"id": "1", "value": "b"}],
    "assignments@odata.context": "https://example.invalid/…/assignments",
}


def test_documented_volatile_fields():
    assert {"id", "createdDateTime", "lastModifiedDateTime", "version", "@odata.context"} <= VOLATILE_FIELDS


def test_fingerprint_is_lowercase_hex_sha256():
    value = payload_fingerprint(POLICY)
    assert is_fingerprint(value)
    assert not is_fingerprint(value.upper())


def test_fingerprint_ignores_key_order():
    reordered = dict(reversed(list(POLICY.items())))
    assert payload_fingerprint(reordered) == payload_fingerprint(POLICY)


def test_fingerprint_ignores_volatile_fields_at_every_level():
    other_tenant = {
        **POLICY,
        "id": "another-id",
        "createdDateTime": "2020-01-01T00:00:00Z",
        "lastModifiedDateTime": "2026-06-15T00:00:00Z",
        "version": 99,
        "@odata.context": "https://example.invalid/other",
        "settings": [{"id": "7", "value": "a"}, {"id": "8", "value": "b"}],
    }
    del other_tenant["assignments@odata.context"]
    assert payload_fingerprint(other_tenant) == payload_fingerprint(POLICY)


def test_fingerprint_changes_on_a_setting_change():
    changed = {**POLICY, "passwordMinimumLength": 14}
    assert payload_fingerprint(changed) != payload_fingerprint(POLICY)


def test_fingerprint_keeps_the_object_type_and_list_order():
    assert payload_fingerprint({**POLICY, "@odata.type": "#example.other"}) != payload_fingerprint(POLICY)
    swapped = {**POLICY, "settings": list(reversed(POLICY["settings"]))}
    assert payload_fingerprint(swapped) != payload_fingerprint(POLICY)


def test_fingerprint_distinguishes_types_that_json_distinguishes():
    assert payload_fingerprint({"a": 1}) != payload_fingerprint({"a": "1"})
    assert payload_fingerprint({"a": True}) != payload_fingerprint({"a": 1})
    assert payload_fingerprint({"a": None}) != payload_fingerprint({})


def test_custom_volatile_fields():
    assert payload_fingerprint({"rev": 1, "x": 1}, volatile_fields={"rev"}) == payload_fingerprint(
        {"rev": 2, "x": 1}, volatile_fields={"rev"}
    )
    # With a custom set, "id" is content again.
    assert payload_fingerprint({"id": 1}, volatile_fields=set()) != payload_fingerprint(
        {"id": 2}, volatile_fields=set()
    )


def test_canonical_json_is_sorted_compact_and_keeps_unicode():
    assert canonical_json({"b": "ü", "a": [1, {"d": 1, "c": 2}], "id": "x"}) == '{"a":[1,{"c":2,"d":1}],"b":"ü"}'


@pytest.mark.parametrize("bad", [{"a": {1, 2}}, {"a": b"x"}, {1: "a"}, {"a": object()}])
def test_non_json_values_are_refused(bad):
    with pytest.raises(TypeError):
        payload_fingerprint(bad)


def test_non_finite_numbers_are_refused():
    with pytest.raises(ValueError):
        payload_fingerprint({"a": float("nan")})


def test_normalize_does_not_mutate_the_input():
    payload = json.loads(json.dumps(POLICY))
    normalize_payload(payload)
    assert payload == POLICY


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_property_key_order_never_matters(payload):
    assert payload_fingerprint(dict(reversed(list(payload.items())))) == payload_fingerprint(payload)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6), st.text(min_size=1, max_size=8))
def test_property_volatile_fields_never_matter(payload, new_id):
    assert payload_fingerprint({**payload, "id": new_id, "version": new_id}) == payload_fingerprint(
        {k: v for k, v in payload.items() if k not in {"id", "version"}}
    )


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_property_fingerprint_of_a_normalized_payload_is_the_payloads(payload):
    assert normalized_fingerprint(normalize_payload(payload)) == payload_fingerprint(payload)
