"""The one redaction helper every audit row's metadata passes through.

Rules: secrets never (any key that names a secret is dropped, at any depth); free-text operator
notes only as ``{"hmac_sha256": …, "length": …}``; values limited to JSON scalars, lists and dicts,
with strings bounded in length. The output is safe to store and to show.

Why a keyed hash: operator notes are often short ("ok", "per ticket 4711"), and an unsalted
SHA-256 of a short text is found by guessing. The note digest is HMAC-SHA256 under the *audit
note key*, which is kept apart from the credential keys (it never encrypts anything):

- ``TENANTPILOT_AUDIT_HMAC_KEY`` (setting / environment variable) when set — its UTF-8 bytes;
- otherwise derived from ``SECRET_KEY`` with HKDF-SHA256 and the domain-separation label
  :data:`HKDF_INFO`, so the derived key is useless for anything else Django signs with SECRET_KEY.

Changing either of these makes older digests unverifiable (they stay stored, they just cannot be
matched any more). Rows written before this scheme carry ``{"sha256": …}``; :func:`note_matches`
still checks those (see ``tenantpilot audit-verify-note``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

SECRET_KEY_PATTERN = re.compile(
    r"(secret|password|passwd|token|credential|private[_-]?key|assertion|authorization|api[_-]?key|cookie|session)",
    re.IGNORECASE,
)
NOTE_KEYS = frozenset({"note", "operator_note", "comment", "reason_text", "notes"})
MAX_STRING = 256
MAX_DEPTH = 4

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]


#: HKDF ``info`` label: the derived key serves audit note digests and nothing else.
HKDF_INFO = b"tenantpilot.audit.note-hmac.v1"
#: The stored digest field of the current scheme, and of the legacy unsalted one.
DIGEST_FIELD = "hmac_sha256"
LEGACY_DIGEST_FIELD = "sha256"


def audit_hmac_key() -> bytes:
    """The key of the note digests: ``TENANTPILOT_AUDIT_HMAC_KEY`` if set, else HKDF(SECRET_KEY)."""
    configured = str(getattr(settings, "TENANTPILOT_AUDIT_HMAC_KEY", "") or "")
    if configured:
        return configured.encode("utf-8")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO)
    return hkdf.derive(str(settings.SECRET_KEY).encode("utf-8"))


def _hmac_hex(text: str) -> str:
    return hmac.new(audit_hmac_key(), text.encode("utf-8"), hashlib.sha256).hexdigest()


def note_digest(text: str) -> dict[str, int | str]:
    """A note as it may be stored: its keyed HMAC-SHA256 and its length, never its text."""
    return {DIGEST_FIELD: _hmac_hex(text), "length": len(text)}


def is_note_digest(value: object) -> bool:
    """Whether ``value`` is a stored note digest (current or legacy scheme)."""
    return (
        isinstance(value, Mapping)
        and set(value) in ({DIGEST_FIELD, "length"}, {LEGACY_DIGEST_FIELD, "length"})
        and isinstance(value.get(DIGEST_FIELD, value.get(LEGACY_DIGEST_FIELD)), str)
    )


def note_matches(digest: Mapping[str, Any], text: str) -> bool:
    """Whether ``text`` is the note ``digest`` was made from (constant-time compare).

    Checks the keyed digest under the current key; a legacy row (``sha256``) is checked as the
    plain SHA-256 it was written with.
    """
    if not is_note_digest(digest) or digest["length"] != len(text):
        return False
    if DIGEST_FIELD in digest:
        return hmac.compare_digest(str(digest[DIGEST_FIELD]), _hmac_hex(text))
    legacy = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return hmac.compare_digest(str(digest[LEGACY_DIGEST_FIELD]), legacy)


def redact(metadata: Mapping[str, Any] | None) -> dict[str, JsonValue]:
    """Return a safe copy of ``metadata`` (see module docstring)."""
    if not metadata:
        return {}
    result = _redact_value(dict(metadata), depth=0)
    assert isinstance(result, dict)
    return result


def _redact_value(value: Any, *, depth: int) -> JsonValue:
    if depth > MAX_DEPTH:
        return "[truncated]"
    if isinstance(value, Mapping):
        out: dict[str, JsonValue] = {}
        for raw_key, item in value.items():
            key = str(raw_key)
            if SECRET_KEY_PATTERN.search(key):
                continue
            if key in NOTE_KEYS:
                out[key] = note_digest(str(item)) if item not in (None, "") else None  # type: ignore[assignment]
                continue
            out[key] = _redact_value(item, depth=depth + 1)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_redact_value(item, depth=depth + 1) for item in list(value)[:100]]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = str(value)
    return text if len(text) <= MAX_STRING else text[: MAX_STRING - 1] + "…"
