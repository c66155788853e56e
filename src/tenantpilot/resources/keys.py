"""``CanonicalSubjectKey``: TenantPilot's stable, parseable key for a governed subject.

Grammar (seed 380's key forms)::

    provider:{provider_key}:policy:{resource_type}:{provider_resource_id}
    provider:{provider_key}:foundation:{resource_type}:{provider_resource_id}
    provider:{provider_key}:builtin:{discriminator}
    provider:{provider_key}:virtual-target:{discriminator}

The provider key is a slug (see :func:`~.identity.validate_provider_key`). Every other
segment is opaque provider text, escaped so that the round trip is lossless and the string
form is unique: ``%`` → ``%25``, ``:`` → ``%3A``, and control characters (U+0000–U+001F,
U+007F) → ``%XX``, always upper-case hex, which keeps keys single-line and storable in
PostgreSQL ``text`` (no NUL). Nothing else is escaped — Unicode stays readable — and the
parser refuses any other escape, so each key has exactly one string spelling.

Built-in and tenant-owned subjects can never collide: their kind segment differs. Keys are
built from ids and provider-supplied discriminators only; no constructor accepts a display
name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from tenantpilot.resources.choices import SubjectClass
from tenantpilot.resources.identity import ResourceIdentity, validate_provider_key

_PREFIX = "provider"

# Characters that must be escaped inside a segment, and the escapes the parser accepts.
_MUST_ESCAPE = frozenset({"%", ":", "\x7f", *(chr(c) for c in range(0x20))})
_ESCAPES = {ch: f"%{ord(ch):02X}" for ch in _MUST_ESCAPE}
_UNESCAPES = {esc: ch for ch, esc in _ESCAPES.items()}
_ESCAPE_RE = re.compile(r"%(.{0,2})", re.DOTALL)


class InvalidSubjectKey(ValueError):
    """Raised when a string is not a well-formed canonical subject key; the message says why."""


class KeyKind(StrEnum):
    """The kind segment of a canonical subject key (seed 380's four forms)."""

    POLICY = "policy"
    FOUNDATION = "foundation"
    BUILTIN = "builtin"
    VIRTUAL_TARGET = "virtual-target"

    @property
    def is_typed(self) -> bool:
        """Whether keys of this kind carry ``{resource_type}:{provider_resource_id}`` (else ``{discriminator}``)."""
        return self in (KeyKind.POLICY, KeyKind.FOUNDATION)


# Subject classes whose tenant-owned (or unasserted) resources use the foundation form;
# every other class uses the policy form. Unsupported/unknown resources still get an exact
# type+id key so an operator can record a decision about them.
_FOUNDATION_CLASSES = frozenset({SubjectClass.FOUNDATION, SubjectClass.ASSIGNMENT_TARGET})


def escape_segment(text: str) -> str:
    """Escape one key segment (``%``, ``:`` and control characters; see the module docstring)."""
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


def unescape_segment(text: str) -> str:
    """Invert :func:`escape_segment`; raise :class:`InvalidSubjectKey` for any non-canonical spelling."""

    def replace(match: re.Match[str]) -> str:
        escape = match.group(0)
        if escape not in _UNESCAPES:
            raise InvalidSubjectKey(
                f"invalid escape {escape!r}: only %25, %3A and %00–%1F/%7F (upper-case hex) are allowed"
            )
        return _UNESCAPES[escape]

    for ch in text:
        if ch in _MUST_ESCAPE and ch != "%":
            raise InvalidSubjectKey(f"unescaped character {ch!r} inside a key segment")
    return _ESCAPE_RE.sub(replace, text)


def _require_segment(name: str, value: object) -> str:
    if not isinstance(value, str) or value == "":
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class CanonicalSubjectKey:
    """A canonical subject key as a value: build it, print it, parse it back.

    Guarantees:

    - ``CanonicalSubjectKey.parse(str(key)) == key`` for every key, and ``str(parse(s)) == s``
      for every string ``parse`` accepts (one spelling per key).
    - Two keys are equal exactly when provider, kind, resource type and id/discriminator are
      equal, and then their strings are equal; different keys have different strings.
    - ``policy``/``foundation`` keys carry ``resource_type`` and ``provider_resource_id`` and no
      ``discriminator``; ``builtin``/``virtual-target`` keys carry only ``discriminator``.
    """

    provider_key: str
    kind: KeyKind
    resource_type: str | None = None
    provider_resource_id: str | None = None
    discriminator: str | None = None

    def __post_init__(self) -> None:
        validate_provider_key(self.provider_key)
        if not isinstance(self.kind, KeyKind):
            object.__setattr__(self, "kind", KeyKind(self.kind))
        if self.kind.is_typed:
            _require_segment("resource_type", self.resource_type)
            _require_segment("provider_resource_id", self.provider_resource_id)
            if self.discriminator is not None:
                raise ValueError(f"a {self.kind} key has no discriminator")
        else:
            _require_segment("discriminator", self.discriminator)
            if self.resource_type is not None or self.provider_resource_id is not None:
                raise ValueError(f"a {self.kind} key has only a discriminator")

    # -- construction -------------------------------------------------------------------

    @classmethod
    def policy(cls, provider_key: str, resource_type: str, provider_resource_id: str) -> CanonicalSubjectKey:
        """``provider:{p}:policy:{type}:{id}`` — a tenant-owned (or unasserted) policy-like resource."""
        return cls(provider_key, KeyKind.POLICY, resource_type, provider_resource_id)

    @classmethod
    def foundation(cls, provider_key: str, resource_type: str, provider_resource_id: str) -> CanonicalSubjectKey:
        """``provider:{p}:foundation:{type}:{id}`` — a tenant-owned foundation object (groups, tags, filters…)."""
        return cls(provider_key, KeyKind.FOUNDATION, resource_type, provider_resource_id)

    @classmethod
    def builtin(cls, provider_key: str, discriminator: str) -> CanonicalSubjectKey:
        """``provider:{p}:builtin:{discriminator}`` — a provider built-in or default, the same in every tenant."""
        return cls(provider_key, KeyKind.BUILTIN, discriminator=discriminator)

    @classmethod
    def virtual_target(cls, provider_key: str, discriminator: str) -> CanonicalSubjectKey:
        """``provider:{p}:virtual-target:{discriminator}`` — a virtual assignment target (no real object)."""
        return cls(provider_key, KeyKind.VIRTUAL_TARGET, discriminator=discriminator)

    @classmethod
    def for_identity(cls, identity: ResourceIdentity, subject_class: SubjectClass) -> CanonicalSubjectKey:
        """Derive the key of ``identity`` governed as ``subject_class``.

        Virtual identities get ``virtual-target``, built-ins (defaults included) get ``builtin``
        — both from the tenant-independent discriminator; everything else gets ``foundation``
        (foundation and assignment-target classes) or ``policy`` from type and exact id.
        Raises ``ValueError`` when the subject class contradicts the identity's flags.
        """
        subject_class = SubjectClass(subject_class)
        if subject_class is SubjectClass.VIRTUAL_ASSIGNMENT_TARGET and not identity.is_virtual:
            raise ValueError("a virtual assignment target needs a virtual identity")
        if subject_class in (SubjectClass.PROVIDER_BUILTIN, SubjectClass.PROVIDER_DEFAULT) and not identity.is_builtin:
            raise ValueError(f"subject class {subject_class} needs a built-in identity")
        if subject_class is SubjectClass.PROVIDER_DEFAULT and not identity.is_default:
            raise ValueError("subject class provider_default needs an identity flagged as default")
        if identity.is_virtual:
            assert identity.discriminator is not None  # guaranteed by ResourceIdentity
            return cls.virtual_target(identity.provider_key, identity.discriminator)
        if identity.is_builtin:
            assert identity.discriminator is not None  # guaranteed by ResourceIdentity
            return cls.builtin(identity.provider_key, identity.discriminator)
        assert identity.provider_resource_id is not None  # guaranteed by ResourceIdentity
        if subject_class in _FOUNDATION_CLASSES:
            return cls.foundation(identity.provider_key, identity.resource_type, identity.provider_resource_id)
        return cls.policy(identity.provider_key, identity.resource_type, identity.provider_resource_id)

    # -- string form ----------------------------------------------------------------------

    def __str__(self) -> str:
        parts = [_PREFIX, self.provider_key, self.kind.value]
        if self.kind.is_typed:
            assert self.resource_type is not None and self.provider_resource_id is not None
            parts += [escape_segment(self.resource_type), escape_segment(self.provider_resource_id)]
        else:
            assert self.discriminator is not None
            parts.append(escape_segment(self.discriminator))
        return ":".join(parts)

    @property
    def text(self) -> str:
        """The canonical string form (same as ``str(key)``)."""
        return str(self)

    @classmethod
    def parse(cls, text: str) -> CanonicalSubjectKey:
        """Parse a canonical key string; raise :class:`InvalidSubjectKey` (a ``ValueError``) if malformed."""
        if not isinstance(text, str):
            raise InvalidSubjectKey(f"a canonical subject key is a string, got {type(text).__name__}")
        parts = text.split(":")
        if len(parts) < 4 or parts[0] != _PREFIX:
            raise InvalidSubjectKey(
                f"{text!r} is not a canonical subject key: expected 'provider:{{provider}}:{{kind}}:…'"
            )
        provider_key, kind_text, rest = parts[1], parts[2], parts[3:]
        try:
            validate_provider_key(provider_key)
        except ValueError as exc:
            raise InvalidSubjectKey(f"{text!r}: {exc}") from None
        try:
            kind = KeyKind(kind_text)
        except ValueError:
            allowed = ", ".join(k.value for k in KeyKind)
            raise InvalidSubjectKey(f"{text!r}: unknown key kind {kind_text!r} (expected one of {allowed})") from None
        expected = 2 if kind.is_typed else 1
        if len(rest) != expected:
            shape = "{resource_type}:{provider_resource_id}" if kind.is_typed else "{discriminator}"
            raise InvalidSubjectKey(f"{text!r}: a {kind} key ends with {shape} (a ':' inside must be %3A)")
        if any(segment == "" for segment in rest):
            raise InvalidSubjectKey(f"{text!r}: empty segment")
        values = [unescape_segment(segment) for segment in rest]
        if kind.is_typed:
            return cls(provider_key, kind, resource_type=values[0], provider_resource_id=values[1])
        return cls(provider_key, kind, discriminator=values[0])
