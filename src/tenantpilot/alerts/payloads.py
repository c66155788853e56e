"""What a webhook receives: the body in the chosen format and its signature (pure, no Django models).

The signature is ``sha256=`` + hex HMAC-SHA256 of the exact body bytes, keyed with the webhook's
secret, in ``X-TenantPilot-Signature``; ``X-TenantPilot-Timestamp`` (Unix seconds) is also inside
the JSON body, so a receiver that verifies the signature can also refuse old deliveries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SIGNATURE_HEADER = "X-TenantPilot-Signature"
TIMESTAMP_HEADER = "X-TenantPilot-Timestamp"
EVENT_HEADER = "X-TenantPilot-Event"
DELIVERY_HEADER = "X-TenantPilot-Delivery"

_TEAMS_COLORS = {"error": "C4314B", "warning": "C19C00", "success": "2E7D32", "info": "5B6770"}


@dataclass(frozen=True)
class AlertMessage:
    """The facts of one alert, as every channel renders them."""

    alert_id: int
    kind: str
    level: str
    title: str
    body: str
    workspace: str
    environment_id: int | None
    environment_name: str
    url: str
    occurred_at: str
    facts: Mapping[str, Any]


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(sign(secret, body), header or "")


def text_line(message: AlertMessage) -> str:
    """One plain-text line for chat tools."""
    where = f" — {message.environment_name}" if message.environment_name else ""
    tail = f" {message.url}" if message.url else ""
    detail = f": {message.body}" if message.body else ""
    return f"[TenantPilot · {message.workspace}] {message.title}{where}{detail}{tail}"


def render(fmt: str, message: AlertMessage, *, delivery_id: int, timestamp: int) -> bytes:
    """The body for ``fmt`` (``json``, ``slack`` or ``teams``), as compact UTF-8 JSON."""
    document: dict[str, Any]
    if fmt == "slack":
        document = {"text": text_line(message)}
    elif fmt == "teams":
        document = {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": message.title,
            "themeColor": _TEAMS_COLORS.get(message.level, _TEAMS_COLORS["info"]),
            "title": message.title,
            "text": text_line(message),
        }
        if message.url:
            document["potentialAction"] = [
                {"@type": "OpenUri", "name": "Open in TenantPilot", "targets": [{"os": "default", "uri": message.url}]}
            ]
    else:
        document = {
            "event": message.kind,
            "alert_id": message.alert_id,
            "delivery_id": delivery_id,
            "timestamp": timestamp,
            "level": message.level,
            "title": message.title,
            "body": message.body,
            "workspace": message.workspace,
            "environment": (
                {"id": message.environment_id, "name": message.environment_name}
                if message.environment_id is not None
                else None
            ),
            "url": message.url,
            "occurred_at": message.occurred_at,
            "facts": dict(message.facts),
        }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
