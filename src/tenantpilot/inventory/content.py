"""What inventory knows of an item's content that compare shares: the portable names of an
environment's reference objects, and the one way a script body is ever shown.

Pure (no Django), so the inventory pages and the baseline normalizer use the same rules.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReferenceNames:
    """One environment's tenant-specific ids → portable names (from its synced inventory).

    ``notification_templates`` (compliance notification message templates) is optional: an id it
    does not know shows as ``unresolved:<id>``, which is a visible difference, never a hidden one.
    """

    groups: Mapping[str, str] = field(default_factory=dict)
    filters: Mapping[str, str] = field(default_factory=dict)
    scope_tags: Mapping[str, str] = field(default_factory=dict)
    notification_templates: Mapping[str, str] = field(default_factory=dict)
    apps: Mapping[str, str] = field(default_factory=dict)


#: Script bodies (base64, customer secrets in practice): compared and shown only as
#: :func:`script_content_summary` (sha256 and size), never as text.
SCRIPT_CONTENT_FIELDS: frozenset[str] = frozenset(
    {"scriptContent", "detectionScriptContent", "remediationScriptContent"}
)


def script_content_summary(value: str) -> str:
    """``script content: <sha256>, N bytes`` of a script body, never the body itself.

    Graph sends script bodies base64-encoded; the hash and size are of the decoded script, so
    two tenants with the same script compare equal and any change to it is a visible
    difference. A value that is not valid base64 is hashed as its UTF-8 text.
    """
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raw = value.encode("utf-8")
    return f"script content: {hashlib.sha256(raw).hexdigest()}, {len(raw)} bytes"
