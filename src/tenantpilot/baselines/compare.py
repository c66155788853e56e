"""The compare core: baseline subjects × one target environment → one outcome per subject.

INTERFACE PINNED — the implementation is being written; the types and rules below are the
contract between this pure module and ``baselines.services`` (which loads everything in a
constant number of queries, calls :func:`compare`, and stores the results).

Pure: no Django, no database, no I/O. Deterministic: the same input gives the same output in
the same order (subjects in input order, then unexpected resources by type and object id).

Resolution order for each baseline subject (the first rule that applies decides, and the result
records *why* in ``reason``):

1. An active binding for the subject's canonical key in the target environment
   (``CompareInput.bindings``, keyed by canonical subject key):
   - ``exact_provider_identity`` / ``manual_binding`` / ``canonical_builtin`` /
     ``canonical_virtual_target`` → the bound resource (by ``provider_resource_id`` within the
     subject's policy type). Found → ``match`` or ``drift``; ``renamed`` is set when the labels
     differ. Not present in the target's inventory → ``missing`` (reason says the bound resource
     is gone).
   - ``excluded_non_governed`` → ``excluded``; ``unsupported_coverage`` → ``unsupported``;
     ``missing_expected`` → ``missing_expected``.
   - ``accepted_limitation`` → the bound resource (or, without one, resolved by rules 2–3); if
     its ``content_hash`` still equals the binding's ``accepted_fingerprint`` →
     ``accepted_limitation``; otherwise ``drift`` with ``changed_since_accepted=True``.
2. Exact provider identity: a target resource of the same policy type whose
   ``provider_object_id`` equals the subject's ``source_object_id`` (same tenant) →
   reason ``exact_identity``; ``record_identity`` is set so the service records it.
3. The provider adapter's canonical rules: built-ins and virtual targets have tenant-independent
   canonical keys; a target resource of the same type with the same ``canonical_key`` →
   reason ``canonical_rule``; ``record_identity`` is set.
4. The subject's ``match_key`` (a *candidate proposal*, e.g. the normalized display name) within
   the policy type, among target resources not already claimed by rules 1–3 for another subject:
   exactly one → reason ``subject_key``; several → ``ambiguous_match`` listing every candidate
   (never a guess); none → ``missing``.

A subject whose policy type is in ``CompareInput.incomplete_types`` (its evidence is missing or
partial) and that rules 1–3 do not resolve is ``unknown``, never ``missing``; likewise
``unexpected`` is never reported for an incomplete type.

``unexpected``: a target resource of a governed type claimed by no subject (and not a built-in).
If an active ``excluded_non_governed`` binding exists for the *resource's own* canonical key, the
row is ``excluded`` instead. ``accepted_limitation`` on the resource's own key likewise applies.

``match`` vs ``drift``: equal ``content_hash`` → ``match``; otherwise ``drift`` with
:func:`diff` of the two normalized payloads as ``changes``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    """What the compare found for one subject (or one unexpected resource)."""

    MATCH = "match"
    DRIFT = "drift"
    MISSING = "missing"
    AMBIGUOUS_MATCH = "ambiguous_match"
    UNEXPECTED = "unexpected"
    EXCLUDED = "excluded"
    ACCEPTED_LIMITATION = "accepted_limitation"
    UNSUPPORTED = "unsupported"
    MISSING_EXPECTED = "missing_expected"
    UNKNOWN = "unknown"


class Reason(StrEnum):
    """Which rule decided the outcome."""

    BINDING = "binding"  # an active binding decided (see ``binding_mode``)
    EXACT_IDENTITY = "exact_identity"
    CANONICAL_RULE = "canonical_rule"
    SUBJECT_KEY = "subject_key"
    NO_CANDIDATE = "no_candidate"
    SEVERAL_CANDIDATES = "several_candidates"
    BOUND_RESOURCE_GONE = "bound_resource_gone"
    INCOMPLETE_EVIDENCE = "incomplete_evidence"
    NOT_IN_BASELINE = "not_in_baseline"


@dataclass(frozen=True)
class BaselineSubject:
    """One item of a baseline snapshot."""

    subject_id: int
    policy_type: str
    subject_class: str
    canonical_key: str
    match_key: str | None
    source_object_id: str
    display_label: str
    normalized: Mapping[str, Any]
    content_hash: str


@dataclass(frozen=True)
class TargetResource:
    """One present inventory item of the target environment, normalized with the target's references."""

    item_id: int
    policy_type: str
    provider_object_id: str
    canonical_key: str
    match_key: str | None
    display_label: str
    normalized: Mapping[str, Any]
    content_hash: str
    is_builtin: bool = False


@dataclass(frozen=True)
class ActiveBinding:
    """The active binding of one canonical subject key in the target environment."""

    binding_id: int
    canonical_key: str
    resolution_mode: str
    provider_resource_id: str | None = None
    accepted_fingerprint: str | None = None


@dataclass(frozen=True)
class CompareInput:
    subjects: Sequence[BaselineSubject]
    resources: Sequence[TargetResource]
    bindings: Mapping[str, ActiveBinding]
    governed_types: frozenset[str]
    incomplete_types: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FieldChange:
    """One differing value: a path such as ``settings[Defender PUA].value`` and both sides."""

    path: str
    baseline: Any
    target: Any


@dataclass(frozen=True)
class SubjectResult:
    """The outcome for one subject (``subject`` set) or one unexpected resource (``subject`` None)."""

    policy_type: str
    canonical_key: str
    outcome: Outcome
    reason: Reason
    subject: BaselineSubject | None = None
    target: TargetResource | None = None
    binding_id: int | None = None
    binding_mode: str | None = None
    renamed: bool = False
    changed_since_accepted: bool = False
    changes: tuple[FieldChange, ...] = ()
    candidates: tuple[TargetResource, ...] = ()
    record_identity: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)


def diff(baseline: Any, target: Any, *, path: str = "") -> list[FieldChange]:
    """Field-level differences between two normalized values (empty ⇔ equal)."""
    raise NotImplementedError


def compare(data: CompareInput) -> list[SubjectResult]:
    """Resolve every subject and every unexpected resource (see the module docstring)."""
    raise NotImplementedError
