"""Tenant-wide objects Graph answers as one object, inventoried as one item per tenant (pure).

``GET /deviceManagement/settings`` answers the tenant's Intune settings as a bare object: no
``value`` list, no ``id`` (it is a complex-type property of ``deviceManagement``). The inventory
stores it like a one-item collection under a fixed, tenant-independent id, so the item keeps one
identity across syncs and the same subject in every tenant (never a display name, which it has
none of). The read itself is the sync's (one ``get_json`` of the type's contract, see
:func:`singleton_payload`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The fixed id of the one ``deviceManagement/settings`` item of a tenant.
DEVICE_MANAGEMENT_SETTINGS_ID = "deviceManagementSettings"
#: Its label for people (the object carries no name of its own).
DEVICE_MANAGEMENT_SETTINGS_LABEL = "Tenant-wide Intune settings"


def singleton_payload(fixed_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """The payload stored for a singleton answer: the object with ``id`` set to ``fixed_id``.

    Guarantees: the answer's properties are kept as Graph sent them (``@odata.type`` included);
    response annotations (``@odata.context`` and other ``@…`` keys that describe the answer, not
    the object) are dropped, as they are absent from the items of a collection page; an ``id`` in
    the answer is replaced, so the identity never depends on the tenant. ``body`` is not modified.
    Raises ``TypeError`` when the answer is not a JSON object.
    """
    if not isinstance(body, Mapping):
        raise TypeError(f"a singleton answer is a JSON object, not {type(body).__name__}")
    payload = {"id": fixed_id}
    payload.update((k, v) for k, v in body.items() if k != "id" and (k == "@odata.type" or not k.startswith("@")))
    return payload
