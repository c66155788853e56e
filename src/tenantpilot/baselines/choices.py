"""Enumerations of the baselines domain: governed policy types, snapshot states, compare outcomes."""

from __future__ import annotations

from django.db import models

from tenantpilot.inventory.choices import PolicyType

from .compare import Outcome, Reason

#: Inventory types that only carry references (names for groups, filters, scope tags): they are
#: read to make payloads portable, never compared as subjects of their own.
REFERENCE_TYPES: frozenset[str] = frozenset({"roleScopeTags", "assignmentFilters", "groups"})

#: The policy types a baseline profile may govern (every inventoried type except references).
GOVERNED_POLICY_TYPES: tuple[str, ...] = tuple(t for t in PolicyType.values if t not in REFERENCE_TYPES)


class SnapshotStatus(models.TextChoices):
    """Where a snapshot is: ``building`` while its capture writes items, then ``complete`` (immutable)."""

    BUILDING = "building", "Building"
    COMPLETE = "complete", "Complete"


class CompareOutcome(models.TextChoices):
    """The stored form of :class:`~tenantpilot.baselines.compare.Outcome` (same values)."""

    MATCH = Outcome.MATCH.value, "Match"
    DRIFT = Outcome.DRIFT.value, "Drift"
    MISSING = Outcome.MISSING.value, "Missing"
    AMBIGUOUS_MATCH = Outcome.AMBIGUOUS_MATCH.value, "Ambiguous match"
    UNEXPECTED = Outcome.UNEXPECTED.value, "Unexpected"
    EXCLUDED = Outcome.EXCLUDED.value, "Excluded"
    ACCEPTED_LIMITATION = Outcome.ACCEPTED_LIMITATION.value, "Accepted limitation"
    UNSUPPORTED = Outcome.UNSUPPORTED.value, "Unsupported"
    MISSING_EXPECTED = Outcome.MISSING_EXPECTED.value, "Missing (expected)"
    UNKNOWN = Outcome.UNKNOWN.value, "Unknown (incomplete evidence)"


class CompareReason(models.TextChoices):
    """The stored form of :class:`~tenantpilot.baselines.compare.Reason` (same values)."""

    BINDING = Reason.BINDING.value, "Decided by an active binding"
    EXACT_IDENTITY = Reason.EXACT_IDENTITY.value, "Same provider object"
    CANONICAL_RULE = Reason.CANONICAL_RULE.value, "Provider built-in / virtual target rule"
    SUBJECT_KEY = Reason.SUBJECT_KEY.value, "Matched by subject key (name)"
    NO_CANDIDATE = Reason.NO_CANDIDATE.value, "No candidate found"
    SEVERAL_CANDIDATES = Reason.SEVERAL_CANDIDATES.value, "Several candidates"
    BOUND_RESOURCE_GONE = Reason.BOUND_RESOURCE_GONE.value, "Bound resource is gone"
    INCOMPLETE_EVIDENCE = Reason.INCOMPLETE_EVIDENCE.value, "Evidence for this type is incomplete"
    NOT_IN_BASELINE = Reason.NOT_IN_BASELINE.value, "Not in the baseline"


if set(CompareOutcome.values) != {o.value for o in Outcome} or set(CompareReason.values) != {r.value for r in Reason}:
    raise RuntimeError("baselines.choices must mirror compare.Outcome and compare.Reason")
