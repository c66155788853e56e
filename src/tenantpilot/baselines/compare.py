"""The compare core: baseline subjects × one target environment → one outcome per subject.

The contract between this pure module and ``baselines.services`` (which loads everything in a
constant number of queries, calls :func:`compare`, and stores the results).

Pure: no Django, no database, no I/O. Deterministic: the same input gives the same output in
the same order (subjects in input order, then unexpected resources by type and object id).
Linear: every lookup goes through dict indexes built once (target by (type, object id), by
(type, canonical key), by (type, match key)).

Resolution order for each baseline subject (the first rule that applies decides, and the result
records *why* in ``reason``):

1. An active binding for the subject's canonical key in the target environment
   (``CompareInput.bindings``, keyed by canonical subject key):
   - ``exact_provider_identity`` / ``manual_binding`` / ``canonical_builtin`` /
     ``canonical_virtual_target`` → the bound resource (by ``provider_resource_id`` within the
     subject's policy type). Found → ``match`` or ``drift``; ``renamed`` is set when the labels
     differ. Not present in the target's inventory → ``missing`` (reason says the bound resource
     is gone), or ``unknown`` when the type's evidence is incomplete. A binding of these modes
     without a ``provider_resource_id`` names no resource: rules 2–4 decide.
   - ``excluded_non_governed`` → ``excluded``; ``unsupported_coverage`` → ``unsupported``;
     ``missing_expected`` → ``missing_expected``. A bound resource, if present, is attached and
     claimed (it is not reported as unexpected).
   - ``accepted_limitation`` → the bound resource (or, without one, resolved by rules 2–4); if
     its ``content_hash`` still equals the binding's ``accepted_fingerprint`` →
     ``accepted_limitation``; otherwise ``drift`` with ``changed_since_accepted=True`` (``match``
     with ``changed_since_accepted=True`` if the target now equals the baseline). Without a
     target: an accepted absence (no fingerprint) stays ``accepted_limitation``; an accepted
     state that disappeared is ``missing`` with ``changed_since_accepted=True``.
2. Exact provider identity: a target resource of the same policy type whose
   ``provider_object_id`` equals the subject's ``source_object_id`` (same tenant) →
   reason ``exact_identity``; ``record_identity`` is set so the service records it.
   Object ids are only unique inside one tenant (scope tag ids are ``"1"``, ``"2"``… in every
   tenant), so the rule applies when ``CompareInput.source_tenant_id`` equals
   ``target_tenant_id``; when either is unknown (``None``) it applies only to ids that carry a
   GUID, which cannot collide across tenants.
3. The provider adapter's canonical rules: built-ins and virtual targets have tenant-independent
   canonical keys; a target resource of the same type with the same ``canonical_key`` →
   reason ``canonical_rule``; ``record_identity`` is set. Only ``builtin`` and
   ``virtual-target`` keys take part: a ``policy``/``foundation`` key embeds the tenant's own
   object id, so its equality is exact identity and stays under rule 2's tenant rule.
4. The subject's ``match_key`` (a *candidate proposal*, e.g. the normalized display name) within
   the policy type, among target resources not already claimed by rules 1–3 for another subject:
   exactly one → reason ``subject_key``; several → ``ambiguous_match`` listing every candidate
   (never a guess); none → ``missing``. When several baseline subjects share a match key, none
   of them may take a candidate by name: each is ``ambiguous_match`` (``extra`` lists the
   competing subject ids) — or ``missing`` when there is no candidate at all.

``record_identity`` is only ever set when the subject has no active binding: recording an exact
identity must never supersede an operator's decision.

A subject whose policy type is in ``CompareInput.incomplete_types`` (its evidence is missing or
partial) and that rules 1–3 do not resolve is ``unknown``, never ``missing``; likewise
``unexpected`` is never reported for an incomplete type.

``unexpected``: a target resource of a governed type claimed by no subject (and not a built-in,
and not listed as a candidate of an ``ambiguous_match`` — it is accounted for there). If an
active ``excluded_non_governed`` binding exists for the *resource's own* canonical key, the row
is ``excluded`` instead, and ``unsupported_coverage`` makes it ``unsupported``.
``accepted_limitation`` on the resource's own key likewise applies: equal fingerprint →
``accepted_limitation``, otherwise ``unexpected`` with ``changed_since_accepted=True``.

``match`` vs ``drift``: equal ``content_hash`` → ``match``; otherwise ``drift`` with
:func:`diff` of the two normalized payloads as ``changes``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tenantpilot.baselines.normalize import canonical_json, item_labels


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
    """One item of a baseline snapshot.

    Hashable (usable in sets and as dict keys): ``normalized`` takes part in equality but not in
    the hash.
    """

    subject_id: int
    policy_type: str
    subject_class: str
    canonical_key: str
    match_key: str | None
    source_object_id: str
    display_label: str
    normalized: Mapping[str, Any] = field(hash=False)
    content_hash: str


@dataclass(frozen=True)
class TargetResource:
    """One present inventory item of the target environment, normalized with the target's references.

    Hashable like :class:`BaselineSubject`.
    """

    item_id: int
    policy_type: str
    provider_object_id: str
    canonical_key: str
    match_key: str | None
    display_label: str
    normalized: Mapping[str, Any] = field(hash=False)
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
    """Everything one compare needs, loaded up front.

    ``source_tenant_id`` / ``target_tenant_id`` (the provider tenant ids of the snapshot's source
    and of the target environment) gate rule 2: see the module docstring.
    """

    subjects: Sequence[BaselineSubject]
    resources: Sequence[TargetResource]
    bindings: Mapping[str, ActiveBinding]
    governed_types: frozenset[str]
    incomplete_types: frozenset[str] = frozenset()
    source_tenant_id: str | None = None
    target_tenant_id: str | None = None


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


def match_key_for(display_label: str) -> str:
    """The name-match proposal for a tenant-owned subject: casefolded, whitespace collapsed.

    Capture (baseline side) and the target side must both build ``match_key`` with this, so
    ``"WIN -  Compliance "`` and ``"win - compliance"`` propose each other. A proposal only:
    several resources with one key are ``ambiguous_match``, never a guess.
    """
    return " ".join(display_label.split()).casefold()


# -- diff ---------------------------------------------------------------------------------------


def _same_leaf(a: Any, b: Any) -> bool:
    # Mirrors canonical JSON: True ≠ 1, 1 ≠ 1.0, 0.0 ≠ -0.0.
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return json.dumps(a) == json.dumps(b)
    return bool(a == b)


_EXACT_LEAVES = (str, type(None))


def _strictly_equal(a: Any, b: Any) -> bool:
    """Equal as canonical JSON — the fast way: Python's ``==`` in C first, then the exact check.

    ``==`` alone is not enough (``True == 1 == 1.0``, ``0.0 == -0.0``), so when it holds for
    containers the canonical JSON of both sides (also C code) confirms it.
    """
    if a is b:
        return True
    ta = type(a)
    if ta is not type(b):
        return False
    if ta in _EXACT_LEAVES:
        return bool(a == b)
    if a != b:
        return False
    if ta is dict or ta is list or ta is tuple or isinstance(a, Mapping):
        return canonical_json(a) == canonical_json(b)
    return _same_leaf(a, b)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def diff(baseline: Any, target: Any, *, path: str = "") -> list[FieldChange]:
    """Field-level differences between two normalized values (empty ⇔ equal).

    Paths: dict keys dotted (``settingInstance.choiceSettingValue.value``); items of a list that
    normalization sorted by a label are named by it (``settings[<settingDefinitionId>]``,
    ``assignments[group:SG-Pilot include]``, ``roleScopeTagIds[EMEA]``), other list items by index
    (``omaSettings[0]`` when unlabeled). A key or labeled item present on one side only is one
    change with ``None`` on the other side. "Equal" is exactly "equal canonical JSON", so
    ``diff`` is empty precisely when the two content hashes are equal.
    """
    changes: list[FieldChange] = []
    _diff(baseline, target, path, "", changes)
    return changes


def _diff(a: Any, b: Any, path: str, field_name: str, out: list[FieldChange]) -> None:
    if _strictly_equal(a, b):
        return
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in sorted(set(a) | set(b)):
            sub = _join(path, key)
            if key not in b:
                out.append(FieldChange(sub, a[key], None))
            elif key not in a:
                out.append(FieldChange(sub, None, b[key]))
            else:
                _diff(a[key], b[key], sub, key, out)
        return
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        _diff_lists(a, b, path, field_name, out)
        return
    out.append(FieldChange(path, a, b))


def _diff_lists(a: Sequence[Any], b: Sequence[Any], path: str, field_name: str, out: list[FieldChange]) -> None:
    labels_a = item_labels(field_name, a)
    labels_b = item_labels(field_name, b)
    if labels_a is not None and labels_b is not None:
        before = len(out)
        by_label_b = dict(zip(labels_b, b, strict=True))
        labels_a_set = set(labels_a)
        for label, item in zip(labels_a, a, strict=True):
            sub = f"{path}[{label}]"
            if label in by_label_b:
                _diff(item, by_label_b[label], sub, "", out)
            else:
                out.append(FieldChange(sub, item, None))
        for label, item in zip(labels_b, b, strict=True):
            if label not in labels_a_set:
                out.append(FieldChange(f"{path}[{label}]", None, item))
        if len(out) == before and labels_a != labels_b:
            # Same items in another order: only possible for input not produced by the normalizer.
            out.append(FieldChange(path, list(a), list(b)))
        return
    for index in range(max(len(a), len(b))):
        sub = f"{path}[{index}]"
        if index >= len(b):
            out.append(FieldChange(sub, a[index], None))
        elif index >= len(a):
            out.append(FieldChange(sub, None, b[index]))
        else:
            _diff(a[index], b[index], sub, "", out)


# -- compare ------------------------------------------------------------------------------------

_EXACT = "exact_provider_identity"
_MANUAL = "manual_binding"
_BUILTIN = "canonical_builtin"
_VIRTUAL = "canonical_virtual_target"
_EXCLUDED = "excluded_non_governed"
_ACCEPTED = "accepted_limitation"
_UNSUPPORTED = "unsupported_coverage"
_MISSING_EXPECTED = "missing_expected"

_RESOURCE_MODES = frozenset({_EXACT, _MANUAL, _BUILTIN, _VIRTUAL})
_DECIDED_MODES: Mapping[str, Outcome] = {
    _EXCLUDED: Outcome.EXCLUDED,
    _UNSUPPORTED: Outcome.UNSUPPORTED,
    _MISSING_EXPECTED: Outcome.MISSING_EXPECTED,
}
_TENANT_INDEPENDENT_KINDS = frozenset({"builtin", "virtual-target"})
_GUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")


def _is_tenant_independent(canonical_key: str) -> bool:
    # "provider:{provider}:{kind}:…" — see tenantpilot.resources.keys for the grammar.
    parts = canonical_key.split(":", 3)
    return len(parts) == 4 and parts[2] in _TENANT_INDEPENDENT_KINDS


class _Target:
    """The target environment's resources, indexed once."""

    def __init__(self, resources: Sequence[TargetResource]) -> None:
        self.by_id: dict[tuple[str, str], TargetResource] = {}
        self.by_canonical: dict[tuple[str, str], TargetResource] = {}
        self.by_match: dict[tuple[str, str], list[TargetResource]] = {}
        by_id, by_canonical, by_match = self.by_id, self.by_canonical, self.by_match
        for resource in resources:
            ptype = resource.policy_type
            by_id.setdefault((ptype, resource.provider_object_id), resource)
            by_canonical.setdefault((ptype, resource.canonical_key), resource)
            if resource.match_key is not None:
                same_name = by_match.get((ptype, resource.match_key))
                if same_name is None:
                    by_match[(ptype, resource.match_key)] = [resource]
                else:
                    same_name.append(resource)


def _matched(
    subject: BaselineSubject,
    target: TargetResource,
    reason: Reason,
    *,
    binding: ActiveBinding | None = None,
    record_identity: bool = False,
) -> SubjectResult:
    same = subject.content_hash == target.content_hash
    return SubjectResult(
        policy_type=subject.policy_type,
        canonical_key=subject.canonical_key,
        outcome=Outcome.MATCH if same else Outcome.DRIFT,
        reason=reason,
        subject=subject,
        target=target,
        binding_id=binding.binding_id if binding else None,
        binding_mode=binding.resolution_mode if binding else None,
        renamed=reason is not Reason.SUBJECT_KEY and subject.display_label != target.display_label,
        changes=() if same else tuple(diff(subject.normalized, target.normalized)),
        record_identity=record_identity,
    )


def _accepted(
    subject: BaselineSubject, target: TargetResource | None, binding: ActiveBinding, incomplete: bool
) -> SubjectResult:
    base: dict[str, Any] = {
        "policy_type": subject.policy_type,
        "canonical_key": subject.canonical_key,
        "reason": Reason.BINDING,
        "subject": subject,
        "target": target,
        "binding_id": binding.binding_id,
        "binding_mode": binding.resolution_mode,
    }
    if target is None:
        if binding.accepted_fingerprint is None:
            return SubjectResult(outcome=Outcome.ACCEPTED_LIMITATION, **base)
        if incomplete:
            return SubjectResult(outcome=Outcome.UNKNOWN, **{**base, "reason": Reason.INCOMPLETE_EVIDENCE})
        return SubjectResult(outcome=Outcome.MISSING, changed_since_accepted=True, **base)
    renamed = subject.display_label != target.display_label
    if binding.accepted_fingerprint is not None and target.content_hash == binding.accepted_fingerprint:
        return SubjectResult(outcome=Outcome.ACCEPTED_LIMITATION, renamed=renamed, **base)
    if target.content_hash == subject.content_hash:
        return SubjectResult(outcome=Outcome.MATCH, renamed=renamed, changed_since_accepted=True, **base)
    return SubjectResult(
        outcome=Outcome.DRIFT,
        renamed=renamed,
        changed_since_accepted=True,
        changes=tuple(diff(subject.normalized, target.normalized)),
        **base,
    )


def _plain(subject: BaselineSubject, outcome: Outcome, reason: Reason, **kwargs: Any) -> SubjectResult:
    return SubjectResult(
        policy_type=subject.policy_type,
        canonical_key=subject.canonical_key,
        outcome=outcome,
        reason=reason,
        subject=subject,
        **kwargs,
    )


def compare(data: CompareInput) -> list[SubjectResult]:
    """Resolve every subject and every unexpected resource (see the module docstring).

    Two passes: rules 1–3 for every subject first (so a name can never take a resource that
    identity or a binding gives to another subject), then rule 4 grouped by match key.
    """
    index = _Target(data.resources)
    incomplete = data.incomplete_types
    bindings = data.bindings
    same_tenant = (
        None
        if data.source_tenant_id is None or data.target_tenant_id is None
        else data.source_tenant_id == data.target_tenant_id
    )
    claimed: set[int] = set()
    results: list[SubjectResult | None] = [None] * len(data.subjects)
    by_name: dict[tuple[str, str], list[int]] = {}
    by_id, by_canonical = index.by_id, index.by_canonical

    for position, subject in enumerate(data.subjects):
        ptype = subject.policy_type
        binding = bindings.get(subject.canonical_key)
        accepted: ActiveBinding | None = None
        if binding is not None:
            decided = _resolve_by_binding(subject, binding, by_id, claimed, ptype in incomplete)
            if decided is not None:
                results[position] = decided
                continue
            accepted = binding if binding.resolution_mode == _ACCEPTED else None
        # Rule 2: exact provider identity (tenant-gated, see the module docstring).
        found = None
        reason = Reason.EXACT_IDENTITY
        if same_tenant or (same_tenant is None and _GUID.search(subject.source_object_id)):
            found = by_id.get((ptype, subject.source_object_id))
        # Rule 3: tenant-independent canonical keys (built-ins, virtual targets).
        if found is None and _is_tenant_independent(subject.canonical_key):
            found = by_canonical.get((ptype, subject.canonical_key))
            reason = Reason.CANONICAL_RULE
        if found is not None:
            claimed.add(found.item_id)
            if accepted is not None:
                results[position] = _accepted(subject, found, accepted, False)
            else:
                results[position] = _matched(subject, found, reason, record_identity=binding is None)
            continue
        if ptype in incomplete:
            results[position] = _plain(
                subject,
                Outcome.UNKNOWN,
                Reason.INCOMPLETE_EVIDENCE,
                binding_id=binding.binding_id if binding else None,
                binding_mode=binding.resolution_mode if binding else None,
            )
            continue
        if subject.match_key is None:
            results[position] = _no_candidate(subject, accepted)
            continue
        name_key = (ptype, subject.match_key)
        same_name = by_name.get(name_key)
        if same_name is None:
            by_name[name_key] = [position]
        else:
            same_name.append(position)

    accounted: set[int] = set()
    by_match = index.by_match
    for key, positions in by_name.items():
        named = [r for r in by_match.get(key, ()) if r.item_id not in claimed]
        if len(named) > 1:
            named.sort(key=lambda r: (r.provider_object_id, r.item_id))
        candidates = tuple(named)
        if not candidates:
            for position in positions:
                subject = data.subjects[position]
                results[position] = _no_candidate(subject, _accepted_binding(bindings, subject))
            continue
        if len(candidates) == 1 and len(positions) == 1:
            subject = data.subjects[positions[0]]
            target = candidates[0]
            claimed.add(target.item_id)
            accepted = _accepted_binding(bindings, subject)
            if accepted is not None:
                results[positions[0]] = _accepted(subject, target, accepted, False)
            else:
                results[positions[0]] = _matched(subject, target, Reason.SUBJECT_KEY)
            continue
        accounted.update(r.item_id for r in candidates)
        competing = [data.subjects[p].subject_id for p in positions] if len(positions) > 1 else []
        for position in positions:
            subject = data.subjects[position]
            binding = bindings.get(subject.canonical_key)
            results[position] = _plain(
                subject,
                Outcome.AMBIGUOUS_MATCH,
                Reason.SEVERAL_CANDIDATES,
                candidates=candidates,
                binding_id=binding.binding_id if binding else None,
                binding_mode=binding.resolution_mode if binding else None,
                extra={"competing_subject_ids": competing} if competing else {},
            )

    final: list[SubjectResult] = [r for r in results if r is not None]
    final.extend(_unexpected(data, claimed | accounted))
    return final


def _resolve_by_binding(
    subject: BaselineSubject,
    binding: ActiveBinding,
    by_id: Mapping[tuple[str, str], TargetResource],
    claimed: set[int],
    incomplete: bool,
) -> SubjectResult | None:
    """Rule 1, or ``None`` when the binding leaves the subject to rules 2–4."""
    mode = binding.resolution_mode
    resource_id = binding.provider_resource_id
    bound = by_id.get((subject.policy_type, resource_id)) if resource_id is not None else None
    if bound is not None and (mode in _RESOURCE_MODES or mode in _DECIDED_MODES or mode == _ACCEPTED):
        claimed.add(bound.item_id)
    if mode in _RESOURCE_MODES and resource_id is not None:
        if bound is not None:
            return _matched(subject, bound, Reason.BINDING, binding=binding)
        return _plain(
            subject,
            Outcome.UNKNOWN if incomplete else Outcome.MISSING,
            Reason.INCOMPLETE_EVIDENCE if incomplete else Reason.BOUND_RESOURCE_GONE,
            binding_id=binding.binding_id,
            binding_mode=mode,
        )
    if mode in _DECIDED_MODES:
        return _plain(
            subject,
            _DECIDED_MODES[mode],
            Reason.BINDING,
            target=bound,
            binding_id=binding.binding_id,
            binding_mode=mode,
        )
    if mode == _ACCEPTED and resource_id is not None:
        return _accepted(subject, bound, binding, incomplete)
    return None


def _accepted_binding(bindings: Mapping[str, ActiveBinding], subject: BaselineSubject) -> ActiveBinding | None:
    binding = bindings.get(subject.canonical_key)
    return binding if binding is not None and binding.resolution_mode == _ACCEPTED else None


def _no_candidate(subject: BaselineSubject, accepted: ActiveBinding | None) -> SubjectResult:
    if accepted is not None:
        return _accepted(subject, None, accepted, False)
    return _plain(subject, Outcome.MISSING, Reason.NO_CANDIDATE)


def _unexpected(data: CompareInput, taken: set[int]) -> list[SubjectResult]:
    rows = [
        r
        for r in data.resources
        if r.item_id not in taken
        and not r.is_builtin
        and r.policy_type in data.governed_types
        and r.policy_type not in data.incomplete_types
    ]
    rows.sort(key=lambda r: (r.policy_type, r.provider_object_id, r.item_id))
    out: list[SubjectResult] = []
    for resource in rows:
        binding = data.bindings.get(resource.canonical_key)
        outcome, changed = Outcome.UNEXPECTED, False
        reason = Reason.NOT_IN_BASELINE
        if binding is not None and binding.resolution_mode == _EXCLUDED:
            outcome, reason = Outcome.EXCLUDED, Reason.BINDING
        elif binding is not None and binding.resolution_mode == _UNSUPPORTED:
            outcome, reason = Outcome.UNSUPPORTED, Reason.BINDING
        elif binding is not None and binding.resolution_mode == _ACCEPTED:
            reason = Reason.BINDING
            if binding.accepted_fingerprint is not None and binding.accepted_fingerprint == resource.content_hash:
                outcome = Outcome.ACCEPTED_LIMITATION
            else:
                changed = True
        else:
            binding = None
        out.append(
            SubjectResult(
                policy_type=resource.policy_type,
                canonical_key=resource.canonical_key,
                outcome=outcome,
                reason=reason,
                target=resource,
                binding_id=binding.binding_id if binding else None,
                binding_mode=binding.resolution_mode if binding else None,
                changed_since_accepted=changed,
            )
        )
    return out
