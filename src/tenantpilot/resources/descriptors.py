"""``ProviderResourceDescriptor``: a candidate provider resource, ready for matching and persistence.

The serialized form (:meth:`ProviderResourceDescriptor.to_dict` / ``to_json``) is a
versioned, JSON-able dict with sorted keys at every level, so the same descriptor always
produces byte-identical JSON (safe to hash, store in ``jsonb`` or snapshot in tests).

Schema version 1::

    {
      "canonical_subject_key": str,          # derived; checked on load
      "display_label": str | null,           # shown to people; never identity
      "identity": {
        "discriminator": str | null, "external_id": str | null, "fingerprint": str | null,
        "is_builtin": bool, "is_default": bool, "is_tenant_owned": bool, "is_virtual": bool,
        "provider_key": str, "provider_resource_id": str | null, "resource_type": str
      },
      "schema_version": 1,
      "source_inventory_item_id": int | null,
      "source_operation_run_id": int | null,
      "source_policy_version_id": int | null,
      "subject_class": str,                  # a SubjectClass value
      "support_level": str                   # a SupportLevel value
    }

Schema changes (the data-migration path): stored descriptors live in
``ProviderResourceBinding.resource_descriptor`` and outlive the code that wrote them. To change
the layout, bump :data:`SCHEMA_VERSION` and register ``UPGRADES[old_version]``: a pure function
that turns a version-``old`` dict into a version-``old + 1`` dict. :meth:`from_dict` applies the
chain on read, so old rows keep loading; a ``RunPython`` migration may call
:func:`upgrade_descriptor_dict` to rewrite stored rows once. A version with no path to the
current one (or newer than this code) raises :class:`DescriptorSchemaError`, a ``ValueError``
that services turn into a field error, never a 500.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tenantpilot.resources.choices import SubjectClass, SupportLevel
from tenantpilot.resources.identity import ResourceIdentity
from tenantpilot.resources.keys import CanonicalSubjectKey

SCHEMA_VERSION = 1

#: ``UPGRADES[n]`` turns a schema-``n`` dict into a schema-``n + 1`` dict (pure, no I/O). Empty
#: while schema 1 is the only one ever written; register the step when bumping the version.
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


class DescriptorSchemaError(ValueError):
    """A stored descriptor's ``schema_version`` cannot be brought to :data:`SCHEMA_VERSION`."""

    def __init__(self, version: object) -> None:
        self.version = version
        if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
            why = "it is newer than this version of TenantPilot"
        else:
            why = "no upgrade leads from it to the current schema"
        super().__init__(f"unsupported descriptor schema_version {version!r} (expected {SCHEMA_VERSION}): {why}")


def upgrade_descriptor_dict(data: Mapping[str, Any]) -> dict[str, Any]:
    """Bring a serialized descriptor to :data:`SCHEMA_VERSION` through :data:`UPGRADES`.

    Returns a new dict (``data`` is not changed); raises :class:`DescriptorSchemaError` when the
    version is not an int, is newer than the code, or has no upgrade step.
    """
    if not isinstance(data, Mapping):
        raise ValueError("a serialized descriptor is a JSON object")
    current = dict(data)
    version = current.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version > SCHEMA_VERSION:
        raise DescriptorSchemaError(version)
    while version < SCHEMA_VERSION:
        step = UPGRADES.get(version)
        if step is None:
            raise DescriptorSchemaError(data.get("schema_version"))
        current = dict(step(current))
        if current.get("schema_version") != version + 1:
            raise ValueError(f"the descriptor upgrade from schema {version} did not produce schema {version + 1}")
        version += 1
    return current


_IDENTITY_TEXT_FIELDS = (
    "provider_key",
    "resource_type",
    "provider_resource_id",
    "external_id",
    "discriminator",
    "fingerprint",
)
_IDENTITY_FLAG_FIELDS = ("is_builtin", "is_default", "is_virtual", "is_tenant_owned")
_SOURCE_FIELDS = ("source_inventory_item_id", "source_policy_version_id", "source_operation_run_id")
_TOP_LEVEL_FIELDS = frozenset(
    {
        "schema_version",
        "canonical_subject_key",
        "display_label",
        "identity",
        "subject_class",
        "support_level",
        *_SOURCE_FIELDS,
    }
)


def _optional_id(name: str, value: object) -> None:
    # bool is an int subclass; True as a row id is always a bug.
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{name} must be a positive integer id or None, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderResourceDescriptor:
    """One provider resource as a matching/resolution candidate (seed 380).

    Guarantees:

    - ``canonical_key`` is derived from ``identity`` and ``subject_class`` only — never from
      ``display_label``, which exists purely for people and may be ``None``.
    - ``subject_class`` agrees with the identity's flags (built-in/default/virtual), else
      construction raises ``ValueError``.
    - ``resource_type`` and ``fingerprint`` are read from the identity: one truth, not two.
    - Source references are optional positive integer row ids (inventory item, policy
      version, operation run); the descriptor does not check that they exist.
    - ``from_dict(d.to_dict()) == d`` and ``to_json()`` is byte-identical for equal descriptors.
    """

    identity: ResourceIdentity
    subject_class: SubjectClass
    support_level: SupportLevel = SupportLevel.SUPPORTED
    display_label: str | None = None
    source_inventory_item_id: int | None = None
    source_policy_version_id: int | None = None
    source_operation_run_id: int | None = None
    canonical_key: CanonicalSubjectKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.identity, ResourceIdentity):
            raise ValueError("identity must be a ResourceIdentity")
        object.__setattr__(self, "subject_class", SubjectClass(self.subject_class))
        object.__setattr__(self, "support_level", SupportLevel(self.support_level))
        if self.display_label is not None and not isinstance(self.display_label, str):
            raise ValueError("display_label must be a string or None")
        for name in _SOURCE_FIELDS:
            _optional_id(name, getattr(self, name))
        object.__setattr__(self, "canonical_key", CanonicalSubjectKey.for_identity(self.identity, self.subject_class))

    @property
    def provider_key(self) -> str:
        """The provider the described resource belongs to."""
        return self.identity.provider_key

    @property
    def resource_type(self) -> str:
        """The provider resource type (from the identity)."""
        return self.identity.resource_type

    @property
    def fingerprint(self) -> str | None:
        """The payload fingerprint where the adapter computed one (from the identity)."""
        return self.identity.fingerprint

    # -- serialization --------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Return the versioned, JSON-able form with keys sorted at every level."""
        identity = {name: getattr(self.identity, name) for name in (*_IDENTITY_TEXT_FIELDS, *_IDENTITY_FLAG_FIELDS)}
        data: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "canonical_subject_key": str(self.canonical_key),
            "display_label": self.display_label,
            "identity": dict(sorted(identity.items())),
            "subject_class": self.subject_class.value,
            "support_level": self.support_level.value,
        }
        data.update({name: getattr(self, name) for name in _SOURCE_FIELDS})
        return dict(sorted(data.items()))

    def to_json(self) -> str:
        """Return compact, sorted-key JSON of :meth:`to_dict` (UTF-8 text, non-ASCII kept)."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProviderResourceDescriptor:
        """Rebuild a descriptor from :meth:`to_dict` output, of this or an older schema version.

        An older version is first upgraded through :data:`UPGRADES`. Raises
        :class:`DescriptorSchemaError` for a version that cannot be upgraded, and ``ValueError``
        for missing or unexpected fields, wrongly typed values, or a stored
        ``canonical_subject_key`` that does not match the one the identity derives (a stale or
        tampered record must not be trusted silently).
        """
        data = upgrade_descriptor_dict(data)
        keys = set(data)
        if keys != _TOP_LEVEL_FIELDS:
            missing, extra = sorted(_TOP_LEVEL_FIELDS - keys), sorted(keys - _TOP_LEVEL_FIELDS)
            raise ValueError(f"descriptor fields do not match schema 1 (missing {missing}, unexpected {extra})")
        raw_identity = data["identity"]
        if not isinstance(raw_identity, Mapping):
            raise ValueError("descriptor identity must be a JSON object")
        expected_identity = set(_IDENTITY_TEXT_FIELDS) | set(_IDENTITY_FLAG_FIELDS)
        if set(raw_identity) != expected_identity:
            missing, extra = (
                sorted(expected_identity - set(raw_identity)),
                sorted(set(raw_identity) - expected_identity),
            )
            raise ValueError(f"identity fields do not match schema 1 (missing {missing}, unexpected {extra})")
        for name in _IDENTITY_TEXT_FIELDS:
            if raw_identity[name] is not None and not isinstance(raw_identity[name], str):
                raise ValueError(f"identity.{name} must be a string or null")
        identity = ResourceIdentity(**{name: raw_identity[name] for name in expected_identity})
        descriptor = cls(
            identity=identity,
            subject_class=SubjectClass(data["subject_class"]),
            support_level=SupportLevel(data["support_level"]),
            display_label=data["display_label"],
            **{name: data[name] for name in _SOURCE_FIELDS},
        )
        if data["canonical_subject_key"] != str(descriptor.canonical_key):
            raise ValueError("stored canonical_subject_key does not match the one derived from the identity")
        return descriptor

    @classmethod
    def from_json(cls, text: str) -> ProviderResourceDescriptor:
        """Parse :meth:`to_json` output (see :meth:`from_dict` for what is refused)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"descriptor JSON is malformed: {exc}") from None
        return cls.from_dict(data)
