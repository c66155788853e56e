"""A fake provider, deliberately unlike any real one, used to prove the core assumes no provider.

Shape of the fake provider's raw objects:

- Objects live in collections ``widgets`` (policies) and ``gizmos`` (foundation objects),
  are identified by ``ref`` and labelled by ``title``.
- Refs are account-scoped: ``"{account}::{local}"`` — they contain ``:``, which exercises key
  escaping. System objects carry ``"origin": "system"`` and a ``slot``; their key uses
  ``"{collection}/{slot}"``, so the same system object in two accounts shares one key.
  ``"fallback": true`` marks a system object that acts as the provider default.
- ``audiences`` are assignment targets: ``{"kind": "everyone"}`` and ``{"kind": "all-machines"}``
  are virtual; ``{"kind": "team", "team_ref": …}`` names a real team.
- ``revision`` and ``touched_at`` are volatile and ignored by fingerprints.

This adapter is never registered by default: tests register it with
:func:`~tenantpilot.resources.adapters.use_adapter`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenantpilot.resources.adapters import ProviderAdapter, UnclassifiableResource
from tenantpilot.resources.choices import SubjectClass, SupportLevel
from tenantpilot.resources.descriptors import ProviderResourceDescriptor
from tenantpilot.resources.identity import ResourceIdentity

FAKE_PROVIDER_KEY = "fake"

_POLICY_COLLECTIONS = frozenset({"widgets"})
_FOUNDATION_COLLECTIONS = frozenset({"gizmos"})
AUDIENCES = "audiences"
_VIRTUAL_AUDIENCES = {"everyone": "Everyone", "all-machines": "All machines"}


class FakeAdapter(ProviderAdapter):
    """The fake provider's adapter; satisfies the same contract as every real adapter."""

    provider_key = FAKE_PROVIDER_KEY
    display_label_fields = ("title",)
    volatile_fields = frozenset({"ref", "revision", "touched_at"})

    def describe(
        self,
        resource_type: str,
        item: Mapping[str, Any],
        *,
        source_inventory_item_id: int | None = None,
        source_policy_version_id: int | None = None,
        source_operation_run_id: int | None = None,
    ) -> ProviderResourceDescriptor:
        """Classify one fake object (rules in the module docstring)."""
        if not isinstance(item, Mapping):
            raise UnclassifiableResource("a fake object is a mapping")
        fingerprint = self.fingerprint(item)
        label = self.display_label(item)
        subject_class: SubjectClass
        support = SupportLevel.SUPPORTED

        if resource_type == AUDIENCES:
            kind = item.get("kind")
            if isinstance(kind, str) and kind in _VIRTUAL_AUDIENCES:
                identity = ResourceIdentity(
                    provider_key=self.provider_key,
                    resource_type=AUDIENCES,
                    discriminator=f"{AUDIENCES}/{kind}",
                    fingerprint=fingerprint,
                    is_virtual=True,
                )
                subject_class, label = SubjectClass.VIRTUAL_ASSIGNMENT_TARGET, _VIRTUAL_AUDIENCES[kind]
            elif kind == "team" and isinstance(item.get("team_ref"), str) and item["team_ref"]:
                identity = ResourceIdentity(
                    provider_key=self.provider_key,
                    resource_type="teams",
                    provider_resource_id=item["team_ref"],
                    fingerprint=fingerprint,
                    is_tenant_owned=True,
                )
                subject_class = SubjectClass.ASSIGNMENT_TARGET
            else:
                raise UnclassifiableResource(f"fake audience of kind {kind!r} cannot be identified")
        else:
            ref = item.get("ref")
            if not isinstance(ref, str) or not ref:
                raise UnclassifiableResource(f"fake {resource_type} object has no 'ref'")
            slot = item.get("slot")
            if item.get("origin") == "system" and isinstance(slot, str) and slot:
                is_default = item.get("fallback") is True
                identity = ResourceIdentity(
                    provider_key=self.provider_key,
                    resource_type=resource_type,
                    provider_resource_id=ref,
                    discriminator=f"{resource_type}/{slot}",
                    fingerprint=fingerprint,
                    is_builtin=True,
                    is_default=is_default,
                )
                subject_class = SubjectClass.PROVIDER_DEFAULT if is_default else SubjectClass.PROVIDER_BUILTIN
            else:
                if resource_type in _POLICY_COLLECTIONS:
                    subject_class, owned = SubjectClass.POLICY, True
                elif resource_type in _FOUNDATION_COLLECTIONS:
                    subject_class, owned = SubjectClass.FOUNDATION, True
                else:
                    subject_class, owned, support = SubjectClass.UNSUPPORTED, False, SupportLevel.UNSUPPORTED
                identity = ResourceIdentity(
                    provider_key=self.provider_key,
                    resource_type=resource_type,
                    provider_resource_id=ref,
                    fingerprint=fingerprint,
                    is_tenant_owned=owned,
                )
        return ProviderResourceDescriptor(
            identity=identity,
            subject_class=subject_class,
            support_level=support,
            display_label=label,
            source_inventory_item_id=source_inventory_item_id,
            source_policy_version_id=source_policy_version_id,
            source_operation_run_id=source_operation_run_id,
        )
