"""The provider adapter contract and the adapter registry.

Core identity code (:mod:`tenantpilot.resources`) knows nothing about any provider; every
provider-specific fact — which objects are built-ins, how a tenant-specific id maps to a
tenant-independent discriminator, which field is a human label — lives in one adapter per
provider. Adapters are pure: they classify a raw object that someone else already fetched.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from tenantpilot.core.fingerprint import VOLATILE_FIELDS, payload_fingerprint
from tenantpilot.resources.descriptors import ProviderResourceDescriptor
from tenantpilot.resources.identity import ResourceIdentity, validate_provider_key
from tenantpilot.resources.keys import CanonicalSubjectKey


class UnclassifiableResource(ValueError):
    """Raised when an adapter cannot give a raw object a stable identity (e.g. it has no id).

    Refusing is deliberate: falling back to the display name would re-introduce the
    ambiguity seed 380 removes.
    """


class UnknownProvider(LookupError):
    """Raised by :func:`get_adapter` for a provider key with no registered adapter."""


class ProviderAdapter(ABC):
    """What every provider adapter supplies to the provider-neutral core.

    Contract (proved for every adapter by ``tests/resources/test_adapter_contract.py``):

    - :meth:`describe` turns one raw provider object of a given resource type into a
      :class:`ProviderResourceDescriptor` whose identity's ``provider_key`` is this adapter's
      :attr:`provider_key`, or raises :class:`UnclassifiableResource`.
    - Identity and canonical key never depend on the fields named in
      :attr:`display_label_fields`: renaming an object leaves its key unchanged.
    - Built-ins, defaults and virtual targets get tenant-independent discriminators, so the
      same built-in in two tenants has the same canonical key; tenant-owned objects are keyed
      by their exact provider id.
    - Classification is deterministic and has no side effects (no I/O).
    """

    #: The provider's key (a slug, see :func:`~tenantpilot.resources.identity.validate_provider_key`).
    provider_key: str
    #: Raw-object fields that carry a human label; never used for identity.
    display_label_fields: tuple[str, ...] = ()
    #: Fields ignored when fingerprinting this provider's payloads.
    volatile_fields: frozenset[str] = VOLATILE_FIELDS

    @abstractmethod
    def describe(
        self,
        resource_type: str,
        item: Mapping[str, Any],
        *,
        source_inventory_item_id: int | None = None,
        source_policy_version_id: int | None = None,
        source_operation_run_id: int | None = None,
    ) -> ProviderResourceDescriptor:
        """Classify ``item`` (one raw object of ``resource_type``) into a descriptor."""

    def identify(self, resource_type: str, item: Mapping[str, Any]) -> ResourceIdentity:
        """Return the :class:`ResourceIdentity` of ``item``."""
        return self.describe(resource_type, item).identity

    def canonical_key(self, resource_type: str, item: Mapping[str, Any]) -> CanonicalSubjectKey:
        """Return the :class:`CanonicalSubjectKey` of ``item``."""
        return self.describe(resource_type, item).canonical_key

    def fingerprint(self, item: Mapping[str, Any]) -> str:
        """Fingerprint ``item`` with this provider's volatile fields ignored."""
        return payload_fingerprint(item, volatile_fields=self.volatile_fields)

    def display_label(self, item: Mapping[str, Any]) -> str | None:
        """The first non-empty label field of ``item``, for people only."""
        for name in self.display_label_fields:
            value = item.get(name)
            if isinstance(value, str) and value:
                return value
        return None


# Adapters shipped with TenantPilot, imported on first use so that importing the contract
# stays light. Test doubles (the fake adapter) are registered explicitly, never by default,
# so production data can never be bound to a fake provider.
_SHIPPED: dict[str, str] = {"microsoft": "tenantpilot.resources.adapters.microsoft:MicrosoftAdapter"}
_registry: dict[str, ProviderAdapter] = {}


def register_adapter(adapter: ProviderAdapter, *, replace: bool = False) -> None:
    """Register ``adapter`` under its provider key; refuse a second adapter for the same key."""
    if not isinstance(adapter, ProviderAdapter):
        raise TypeError("adapter must implement ProviderAdapter")
    key = validate_provider_key(adapter.provider_key)
    if (key in _registry or key in _SHIPPED) and not replace:
        raise ValueError(f"an adapter for provider {key!r} is already registered")
    _registry[key] = adapter


def unregister_adapter(provider_key: str) -> None:
    """Remove the adapter registered for ``provider_key`` (no error if there is none)."""
    _registry.pop(provider_key, None)


def get_adapter(provider_key: str) -> ProviderAdapter:
    """Return the adapter for ``provider_key``; raise :class:`UnknownProvider` if there is none."""
    adapter = _registry.get(provider_key)
    if adapter is not None:
        return adapter
    target = _SHIPPED.get(provider_key)
    if target is None:
        raise UnknownProvider(f"no resource adapter registered for provider {provider_key!r}")
    module_name, class_name = target.split(":")
    adapter = getattr(importlib.import_module(module_name), class_name)()
    assert isinstance(adapter, ProviderAdapter)
    _registry[provider_key] = adapter
    return adapter


def registered_providers() -> tuple[str, ...]:
    """Provider keys :func:`get_adapter` can serve, sorted."""
    return tuple(sorted(set(_registry) | set(_SHIPPED)))


@contextmanager
def use_adapter(adapter: ProviderAdapter) -> Iterator[ProviderAdapter]:
    """Register ``adapter`` for the duration of a ``with`` block (tests), restoring what was there."""
    key = adapter.provider_key
    previous = _registry.get(key)
    register_adapter(adapter, replace=True)
    try:
        yield adapter
    finally:
        if previous is None:
            unregister_adapter(key)
        else:
            _registry[key] = previous


__all__ = [
    "ProviderAdapter",
    "UnclassifiableResource",
    "UnknownProvider",
    "get_adapter",
    "register_adapter",
    "registered_providers",
    "unregister_adapter",
    "use_adapter",
]
