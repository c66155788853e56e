"""The closed vocabularies of provider resource identity (seeds 380 and 381).

Each enumeration is a :class:`enum.StrEnum` whose members compare equal to their stored
value and carry a human ``label``, so a Django model can declare
``choices=BindingStatus.choices()`` without this module importing Django. The value strings
are the seeds' exact spellings: they end up in database rows and audit metadata, so they
must never be renamed.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class LabeledChoices(StrEnum):
    """A string enumeration whose members also carry a human-readable label.

    Guarantees: ``member == member.value`` (plain ``str`` comparison works everywhere), every
    member has a non-empty ``label``, and :meth:`choices` lists ``(value, label)`` pairs in
    declaration order — the shape Django's ``choices=`` expects.
    """

    label: str

    # ``label`` defaults only so that type checkers accept value lookups such as
    # ``SubjectClass("policy")``: at runtime a lookup never reaches this method (Enum swaps it
    # out once the class is built), and a member declared without a label is refused here.
    def __new__(cls, value: str, label: str = "") -> Self:
        if not label:
            raise ValueError(f"choice {value!r} needs a human label")
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """Return ``[(value, label), …]`` in declaration order."""
        return [(member.value, member.label) for member in cls]

    @classmethod
    def values(cls) -> tuple[str, ...]:
        """Return every stored value in declaration order."""
        return tuple(member.value for member in cls)


class BindingStatus(LabeledChoices):
    """Lifecycle of a binding row (seed 381 narrows seed 380: no ``inactive``).

    ``active`` is the single source of "in force" truth; ``superseded`` and ``revoked`` are
    terminal.
    """

    ACTIVE = "active", "Active"
    SUPERSEDED = "superseded", "Superseded"
    REVOKED = "revoked", "Revoked"

    @classmethod
    def terminal(cls) -> frozenset[BindingStatus]:
        """Statuses a binding never leaves."""
        return frozenset({cls.SUPERSEDED, cls.REVOKED})


class ResolutionMode(LabeledChoices):
    """What a binding decision *means* (seed 381's eight v1 modes).

    Provider defaults resolve as ``canonical_builtin``; seed 381 forbids a separate
    default-specific mode.
    """

    EXACT_PROVIDER_IDENTITY = "exact_provider_identity", "Exact provider identity"
    CANONICAL_BUILTIN = "canonical_builtin", "Canonical built-in"
    CANONICAL_VIRTUAL_TARGET = "canonical_virtual_target", "Canonical virtual target"
    MANUAL_BINDING = "manual_binding", "Manual binding"
    EXCLUDED_NON_GOVERNED = "excluded_non_governed", "Excluded (not governed)"
    ACCEPTED_LIMITATION = "accepted_limitation", "Accepted limitation"
    UNSUPPORTED_COVERAGE = "unsupported_coverage", "Unsupported coverage"
    MISSING_EXPECTED = "missing_expected", "Missing (expected)"

    @classmethod
    def operator_decisions(cls) -> frozenset[ResolutionMode]:
        """Modes that record an operator's judgement and so require an operator note (seed 381)."""
        return frozenset(
            {
                cls.MANUAL_BINDING,
                cls.EXCLUDED_NON_GOVERNED,
                cls.ACCEPTED_LIMITATION,
                cls.UNSUPPORTED_COVERAGE,
                cls.MISSING_EXPECTED,
            }
        )


class SubjectClass(LabeledChoices):
    """The governed subject taxonomy for baseline resolution (seed 380's eight v1 classes)."""

    POLICY = "policy", "Policy"
    FOUNDATION = "foundation", "Foundation object"
    ASSIGNMENT_TARGET = "assignment_target", "Assignment target"
    VIRTUAL_ASSIGNMENT_TARGET = "virtual_assignment_target", "Virtual assignment target"
    PROVIDER_BUILTIN = "provider_builtin", "Provider built-in"
    PROVIDER_DEFAULT = "provider_default", "Provider default"
    UNSUPPORTED = "unsupported", "Unsupported"
    UNKNOWN = "unknown", "Unknown"


class SupportLevel(LabeledChoices):
    """How far TenantPilot governs a resource type (a descriptor field; no seed spelling exists).

    ``supported``: captured and compared. ``inventory_only``: observed in inventory but not
    compared on its own. ``unsupported``: not understood; representable so that an operator
    can record ``unsupported_coverage`` instead of seeing a false "missing".
    """

    SUPPORTED = "supported", "Supported"
    INVENTORY_ONLY = "inventory_only", "Inventory only"
    UNSUPPORTED = "unsupported", "Unsupported"
