"""Normalization of provider payloads for baseline compare (pure: no Django, no I/O).

INTERFACE PINNED — the implementation is being written; the signatures and guarantees below are
the contract the compare services rely on.

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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ReferenceNames:
    """One environment's tenant-specific ids → portable names (from its synced inventory)."""

    groups: Mapping[str, str] = field(default_factory=dict)
    filters: Mapping[str, str] = field(default_factory=dict)
    scope_tags: Mapping[str, str] = field(default_factory=dict)


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
    """
    raise NotImplementedError


def content_hash(normalized: Any) -> str:
    """A stable sha256 (lowercase hex) of a normalized value: equal values ⇔ equal hashes."""
    raise NotImplementedError
