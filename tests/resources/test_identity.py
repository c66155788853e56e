"""ResourceIdentity: exact provider identity, no display name, consistent ownership flags."""

from __future__ import annotations

import dataclasses

import pytest

from tenantpilot.core.fingerprint import payload_fingerprint
from tenantpilot.resources.identity import ResourceIdentity, validate_provider_key


def test_identity_is_built_without_any_display_name():
    identity = ResourceIdentity(
        provider_key="fake", resource_type="widgets", provider_resource_id="w-1", is_tenant_owned=True
    )
    field_names = {f.name for f in dataclasses.fields(ResourceIdentity)}
    assert not any("name" in n or "label" in n for n in field_names)
    assert identity.provider_resource_id == "w-1"


def test_identity_represents_tenant_owned_builtin_default_virtual_and_unasserted():
    tenant = ResourceIdentity(
        provider_key="fake", resource_type="widgets", provider_resource_id="w-1", is_tenant_owned=True
    )
    builtin = ResourceIdentity(
        provider_key="fake",
        resource_type="widgets",
        provider_resource_id="a::sys",
        discriminator="widgets/sys",
        is_builtin=True,
    )
    default = dataclasses.replace(builtin, is_default=True)
    virtual = ResourceIdentity(
        provider_key="fake", resource_type="audiences", discriminator="audiences/everyone", is_virtual=True
    )
    unasserted = ResourceIdentity(provider_key="fake", resource_type="doohickeys", provider_resource_id="d-1")
    assert [i.is_provider_canonical for i in (tenant, builtin, default, virtual, unasserted)] == [
        False,
        True,
        True,
        True,
        False,
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"is_tenant_owned": True, "is_builtin": True, "discriminator": "x"}, "at most one"),
        ({"is_builtin": True, "is_virtual": True, "discriminator": "x"}, "at most one"),
        ({"is_default": True}, "built-in"),
        ({"is_builtin": True}, "discriminator"),
        ({"is_virtual": True}, "discriminator"),
        ({"provider_resource_id": None}, "provider_resource_id"),
        ({"provider_resource_id": ""}, "non-empty"),
        ({"resource_type": ""}, "resource_type"),
        ({"provider_key": "Microsoft Graph"}, "provider key"),
        ({"provider_key": "a:b"}, "provider key"),
        ({"fingerprint": "not-a-hash"}, "fingerprint"),
        ({"is_builtin": 1, "discriminator": "x"}, "bool"),
    ],
)
def test_inconsistent_identity_is_refused(kwargs, message):
    base = {"provider_key": "fake", "resource_type": "widgets", "provider_resource_id": "w-1"}
    with pytest.raises(ValueError, match=message):
        ResourceIdentity(**{**base, **kwargs})


def test_fingerprint_from_the_helper_is_accepted():
    identity = ResourceIdentity(
        provider_key="fake",
        resource_type="widgets",
        provider_resource_id="w-1",
        fingerprint=payload_fingerprint({"a": 1}),
    )
    assert identity.fingerprint is not None and len(identity.fingerprint) == 64


def test_identity_is_immutable_and_hashable():
    identity = ResourceIdentity(provider_key="fake", resource_type="widgets", provider_resource_id="w-1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        identity.provider_resource_id = "w-2"  # type: ignore[misc]
    assert {identity, dataclasses.replace(identity)} == {identity}


@pytest.mark.parametrize("key", ["fake", "m365", "some_provider", "p-2"])
def test_valid_provider_keys(key):
    assert validate_provider_key(key) == key


@pytest.mark.parametrize("key", ["", "Fake", "1fake", "fa:ke", "fa%ke", "fake ", None, "x" * 65])
def test_invalid_provider_keys(key):
    with pytest.raises(ValueError):
        validate_provider_key(key)
