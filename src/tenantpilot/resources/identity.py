"""``ResourceIdentity``: which provider resource something is, without asking its name."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tenantpilot.core.fingerprint import is_fingerprint

# Provider keys are our own short slugs ("fake", …). They are written into canonical keys
# unescaped, so they may contain neither ":" nor "%" nor upper case (one spelling per provider).
_PROVIDER_KEY = re.compile(r"[a-z][a-z0-9_-]{0,63}")


def validate_provider_key(value: object) -> str:
    """Return ``value`` if it is a valid provider key (``[a-z][a-z0-9_-]{0,63}``); raise ``ValueError``."""
    if not isinstance(value, str) or not _PROVIDER_KEY.fullmatch(value):
        raise ValueError(f"provider key must match [a-z][a-z0-9_-]{{0,63}}, got {value!r}")
    return value


def _require_text(name: str, value: object, *, optional: bool) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or value == "":
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceIdentity:
    """The stable identity of one provider resource (seed 380).

    Guarantees:

    - It has **no display-name field**: a name can be shown next to an identity (see
      :class:`~.descriptors.ProviderResourceDescriptor`) but never is one (DESIGN rule 8).
    - ``provider_resource_id`` is the provider's exact object id, kept verbatim (even when it is
      tenant-specific) so later steps can address the object again.
    - ``discriminator`` is a provider-defined, *tenant-independent* qualifier. Built-in and
      virtual identities must have one: their canonical key is built from it, which is how
      the same built-in in two tenants gets the same key. Other identities may use it for a
      subtype; it then never enters their key.
    - The ownership flags are consistent: at most one of ``is_tenant_owned``, ``is_builtin``,
      ``is_virtual`` is set; ``is_default`` implies ``is_builtin`` (a provider default is a
      built-in that applies by default). All three unset means ownership is not asserted —
      used for unsupported or unknown resources.
    - Identities that are neither built-in nor virtual have a ``provider_resource_id``: they
      are keyed by it.
    - ``fingerprint``, when present, is a lowercase hex sha256 (see :mod:`.fingerprint`) of the
      observed payload; it describes state, not identity, and never enters a key.
    """

    provider_key: str
    resource_type: str
    provider_resource_id: str | None = None
    external_id: str | None = None
    discriminator: str | None = None
    fingerprint: str | None = None
    is_builtin: bool = False
    is_default: bool = False
    is_virtual: bool = False
    is_tenant_owned: bool = False

    def __post_init__(self) -> None:
        validate_provider_key(self.provider_key)
        _require_text("resource_type", self.resource_type, optional=False)
        _require_text("provider_resource_id", self.provider_resource_id, optional=True)
        _require_text("external_id", self.external_id, optional=True)
        _require_text("discriminator", self.discriminator, optional=True)
        if self.fingerprint is not None and not is_fingerprint(self.fingerprint):
            raise ValueError("fingerprint must be a lowercase hex sha256 (64 characters)")
        for flag in ("is_builtin", "is_default", "is_virtual", "is_tenant_owned"):
            if not isinstance(getattr(self, flag), bool):
                raise ValueError(f"{flag} must be a bool")
        if self.is_tenant_owned + self.is_builtin + self.is_virtual > 1:
            raise ValueError("an identity is at most one of tenant-owned, built-in and virtual")
        if self.is_default and not self.is_builtin:
            raise ValueError("a provider default must also be flagged built-in")
        if self.is_provider_canonical and self.discriminator is None:
            raise ValueError("built-in and virtual identities need a tenant-independent discriminator")
        if not self.is_provider_canonical and self.provider_resource_id is None:
            raise ValueError("an identity that is neither built-in nor virtual needs a provider_resource_id")

    @property
    def is_provider_canonical(self) -> bool:
        """Whether the provider defines this resource the same way in every tenant (built-in or virtual).

        Such identities are keyed by their discriminator, not by their (possibly tenant-specific) id.
        """
        return self.is_builtin or self.is_virtual
