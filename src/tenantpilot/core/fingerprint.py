"""A stable content fingerprint of a provider payload.

Pure and provider-neutral, so it sits in ``core``: inventory, resources and compare all reuse
:func:`payload_fingerprint` to tell "same configuration" from
"changed configuration" without storing or diffing whole payloads.

Normalization (what makes two payloads "the same"):

- Object keys are sorted; the input's key order never matters.
- Fields in :data:`VOLATILE_FIELDS` are dropped **at every nesting level**. They change
  without any setting changing, or differ between tenants for the same configuration:

  ``id``
      The provider's object id (and positional child ids such as settings ``"0"``, ``"1"``):
      identity, not content — identity lives in :class:`tenantpilot.resources.identity.ResourceIdentity`.
  ``createdDateTime``, ``lastModifiedDateTime``
      Timestamps move on every save, even a no-op save.
  ``version``
      A provider revision counter, bumped on save.
  ``@odata.context``, ``@odata.nextLink``, ``@odata.count``, ``@odata.etag``, ``@odata.id``, ``@odata.editLink``
      OData transport annotations (OData is the OASIS protocol, not one provider's format).

- Property annotations of the form ``<property>@odata.<x>`` (e.g. ``assignments@odata.context``)
  are transport metadata too and are dropped. ``@odata.type`` is *kept*: it is the object's type.
- List order is kept: some lists are ordered settings, and reordering them is a real change.
- Strings are hashed as given (no case folding, no Unicode normalization): a changed
  character is a changed setting.

Callers with other volatile fields pass their own set via ``volatile_fields``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

#: Field names dropped at every level before hashing (see the module docstring for why).
VOLATILE_FIELDS: frozenset[str] = frozenset(
    {
        "id",
        "createdDateTime",
        "lastModifiedDateTime",
        "version",
        "@odata.context",
        "@odata.nextLink",
        "@odata.count",
        "@odata.etag",
        "@odata.id",
        "@odata.editLink",
    }
)

_KEPT_ANNOTATION = "@odata.type"
_ANNOTATION_MARK = "@odata."

#: Length of a fingerprint: lowercase hex sha256.
FINGERPRINT_LENGTH = 64


def _is_volatile(key: str, volatile: frozenset[str]) -> bool:
    if key in volatile:
        return True
    # "<property>@odata.<annotation>" decorates a property with transport metadata.
    return _ANNOTATION_MARK in key and key != _KEPT_ANNOTATION


def normalize_payload(payload: Any, *, volatile_fields: Iterable[str] = VOLATILE_FIELDS) -> Any:
    """Return a JSON-able copy of ``payload`` with volatile fields removed at every level.

    Raises ``TypeError`` for values JSON cannot represent (sets, datetimes, bytes, non-string
    keys) and ``ValueError`` for NaN/infinity: silently coercing them would make two different
    payloads hash alike.
    """
    volatile = frozenset(volatile_fields)
    return _normalize(payload, volatile)


def _normalize(value: Any, volatile: frozenset[str]) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("payload contains a non-finite number, which has no stable JSON form")
        return value
    if isinstance(value, Mapping):
        result: dict[str, Any] = {}
        for key in sorted(value, key=_require_str_key):
            if not _is_volatile(key, volatile):
                result[key] = _normalize(value[key], volatile)
        return result
    if isinstance(value, (list, tuple)):
        return [_normalize(item, volatile) for item in value]
    raise TypeError(f"payload contains a {type(value).__name__}, which is not JSON")


def _require_str_key(key: object) -> str:
    if not isinstance(key, str):
        raise TypeError(f"payload object keys must be strings, not {type(key).__name__}")
    return key


def canonical_json(payload: Any, *, volatile_fields: Iterable[str] = VOLATILE_FIELDS) -> str:
    """Return the normalized payload as compact JSON with sorted keys (the bytes that get hashed)."""
    return _canonical_text(normalize_payload(payload, volatile_fields=volatile_fields))


def _canonical_text(normalized: Any) -> str:
    return json.dumps(normalized, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def payload_fingerprint(payload: Any, *, volatile_fields: Iterable[str] = VOLATILE_FIELDS) -> str:
    """Return the lowercase hex sha256 of :func:`canonical_json` (UTF-8).

    Guarantees: equal for payloads that differ only in key order or volatile fields; different
    (up to sha256 collisions) when any other value changes.
    """
    return normalized_fingerprint(normalize_payload(payload, volatile_fields=volatile_fields))


def normalized_fingerprint(normalized: Any) -> str:
    """:func:`payload_fingerprint` of a payload :func:`normalize_payload` already returned
    (with the default volatile fields): the same digest, without walking the payload again."""
    return hashlib.sha256(_canonical_text(normalized).encode("utf-8")).hexdigest()


def is_fingerprint(value: object) -> bool:
    """Whether ``value`` has the shape :func:`payload_fingerprint` produces."""
    return isinstance(value, str) and len(value) == FINGERPRINT_LENGTH and all(c in "0123456789abcdef" for c in value)
