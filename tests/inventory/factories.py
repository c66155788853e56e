"""Rows for inventory console tests, built directly (tests may; product code goes through services)."""

from __future__ import annotations

import uuid

from django.utils import timezone

from tenantpilot.core.fingerprint import normalize_payload, payload_fingerprint
from tenantpilot.inventory.models import ComplianceSnapshot, InventoryItem, PolicyVersion


def make_item(environment, *, policy_type="deviceConfigurations", name="Policy", payloads=None, gone=False):
    """An item with one version per payload (default: one), the last one current."""
    payloads = payloads or [{"@odata.type": "#microsoft.graph.windows10GeneralConfiguration", "displayName": name}]
    now = timezone.now()
    object_id = str(uuid.uuid4())
    item = InventoryItem.objects.create(
        workspace=environment.workspace,
        environment=environment,
        policy_type=policy_type,
        provider_object_id=object_id,
        display_name=name,
        payload_hash="",
        first_seen_at=now,
        last_seen_at=now,
        gone_at=now if gone else None,
    )
    version = None
    for number, payload in enumerate(payloads, start=1):
        payload = {"id": object_id, **payload}
        version = PolicyVersion.objects.create(
            workspace=environment.workspace,
            environment=environment,
            item=item,
            version_number=number,
            payload=payload,
            normalized=normalize_payload(payload),
            payload_hash=payload_fingerprint(payload),
            captured_at=now,
        )
    item.current_version = version
    item.payload_hash = version.payload_hash
    item.save()
    return item


def make_snapshot(environment, **counts):
    return ComplianceSnapshot.objects.create(
        workspace=environment.workspace, environment=environment, captured_at=timezone.now(), **counts
    )
