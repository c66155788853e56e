"""The one redaction helper every audit row's metadata passes through.

Rules: secrets never (any key that names a secret is dropped, at any depth); free-text operator
notes only as ``{"sha256": …, "length": …}``; values limited to JSON scalars, lists and dicts,
with strings bounded in length. The output is safe to store and to show.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

SECRET_KEY_PATTERN = re.compile(
    r"(secret|password|passwd|token|credential|private[_-]?key|assertion|authorization|api[_-]?key|cookie|session)",
    re.IGNORECASE,
)
NOTE_KEYS = frozenset({"note", "operator_note", "comment", "reason_text", "notes"})
MAX_STRING = 256
MAX_DEPTH = 4

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]


def note_digest(text: str) -> dict[str, int | str]:
    """A note as it may be stored: its sha256 and its length, never its text."""
    return {"sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "length": len(text)}


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
