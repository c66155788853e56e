"""The baseline capture and compare operations the worker runs (discovered by ``operations.registry``).

Both read only the database (inventory already synced by ``inventory.sync``); neither calls
Microsoft. Compare loads everything it needs in a constant number of queries, whatever the
number of subjects, then calls the pure core (:func:`tenantpilot.baselines.compare.compare`).
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from tenantpilot.core.errors import ValidationFailed
from tenantpilot.inventory.models import InventoryItem
from tenantpilot.inventory.selectors import inventory_reference_names
from tenantpilot.operations.choices import OperationType, RunOutcome, SummaryKey
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.reasons import RunReason
from tenantpilot.operations.registry import OperationFailed, RunContext, RunResult, register_operation
from tenantpilot.resources.adapters import UnclassifiableResource, UnknownProvider, get_adapter
from tenantpilot.resources.choices import BindingStatus, ResolutionMode
from tenantpilot.resources.descriptors import ProviderResourceDescriptor
from tenantpilot.resources.models import ProviderResourceBinding
from tenantpilot.resources.selectors import inventory_provider_key
from tenantpilot.resources.services import (
    ACCEPTED_CONTENT_REASON,
    binding_record_identities,
)
from tenantpilot.tenancy.models import ManagedEnvironment

from . import compare as core
from .choices import SnapshotStatus
from .models import BaselineCompareItem, BaselineProfile, BaselineSnapshot, BaselineSnapshotItem
from .normalize import ReferenceNames, canonical_json, normalize_for_compare
from .services import compare_result_record, inventory_evidence, snapshot_record

logger = logging.getLogger("tenantpilot.baselines")

OUTCOME_KEYS: dict[core.Outcome, SummaryKey] = {
    core.Outcome.MATCH: SummaryKey.OUTCOME_MATCH,
    core.Outcome.DRIFT: SummaryKey.OUTCOME_DRIFT,
    core.Outcome.MISSING: SummaryKey.OUTCOME_MISSING,
    core.Outcome.AMBIGUOUS_MATCH: SummaryKey.OUTCOME_AMBIGUOUS_MATCH,
    core.Outcome.UNEXPECTED: SummaryKey.OUTCOME_UNEXPECTED,
    core.Outcome.EXCLUDED: SummaryKey.OUTCOME_EXCLUDED,
    core.Outcome.ACCEPTED_LIMITATION: SummaryKey.OUTCOME_ACCEPTED_LIMITATION,
    core.Outcome.UNSUPPORTED: SummaryKey.OUTCOME_UNSUPPORTED,
    core.Outcome.MISSING_EXPECTED: SummaryKey.OUTCOME_MISSING_EXPECTED,
    core.Outcome.UNKNOWN: SummaryKey.OUTCOME_UNKNOWN,
}
# Modes the compare core treats as "this is the resource": their rows name a provider resource.
_RESOURCE_MODES = frozenset(
    {
        ResolutionMode.EXACT_PROVIDER_IDENTITY.value,
        ResolutionMode.MANUAL_BINDING.value,
        ResolutionMode.CANONICAL_BUILTIN.value,
        ResolutionMode.CANONICAL_VIRTUAL_TARGET.value,
        ResolutionMode.ACCEPTED_LIMITATION.value,
    }
)


def _profile_for(run: OperationRun) -> BaselineProfile:
    profile_id = (run.context or {}).get("profile_id")
    if not isinstance(profile_id, int):
        raise OperationFailed(RunReason.INTERNAL_ERROR, "The run names no baseline profile.")
    profile = BaselineProfile.objects.filter(pk=profile_id, workspace_id=run.workspace_id).first()
    if profile is None or run.environment is None:
        raise OperationFailed(RunReason.INTERNAL_ERROR, "The run names no baseline profile of its workspace.")
    return profile


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector around the compare core.

    The core allocates tens of thousands of small acyclic objects (results, index tuples) while
    the loaded subjects and resources keep hundreds of thousands alive, so the allocation-count
    triggered collections would walk that whole heap several times during one compare — about a
    third of its time at 20,000 subjects. Reference counting still frees everything; collection
    resumes (and runs once) afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class LazyJSON(Mapping[str, Any]):
    """A normalized JSON object kept as its text and parsed on first use.

    Compare only reads a normalized payload to ``diff`` a subject whose content hash differs from
    its target's, so at 20,000 subjects holding every payload as Python objects costs hundreds of
    megabytes for nothing; the text is a fraction of that. Parsing is pure (no database access).
    """

    __slots__ = ("_text", "_value")

    def __init__(self, text: str) -> None:
        self._text = text
        self._value: dict[str, Any] | None = None

    def _parsed(self) -> dict[str, Any]:
        if self._value is None:
            value = json.loads(self._text)
            self._value = value if isinstance(value, dict) else {"": value}
        return self._value

    def __getitem__(self, key: str) -> Any:
        return self._parsed()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._parsed())

    def __len__(self) -> int:
        return len(self._parsed())


def _hashed(normalized: Mapping[str, Any], *, lazy: bool) -> tuple[Mapping[str, Any], str]:
    """(the normalized value to keep, its content hash) — ``normalize.content_hash`` computed from
    the same canonical text, which ``lazy`` keeps instead of the objects."""
    text = canonical_json(normalized)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return (LazyJSON(text) if lazy else normalized), digest


@dataclass(frozen=True)
class LoadedItem:
    """One present inventory item with its current payload, described and normalized."""

    item_id: int
    version_id: int | None
    policy_type: str
    object_id: str
    label: str
    descriptor: ProviderResourceDescriptor
    normalized: Mapping[str, Any]
    content_hash: str

    @property
    def is_builtin(self) -> bool:
        identity = self.descriptor.identity
        return identity.is_builtin or identity.is_virtual

    @property
    def canonical_key(self) -> str:
        return str(self.descriptor.canonical_key)

    @property
    def match_key(self) -> str:
        """A candidate proposal: the canonical key for built-ins/virtual targets, else the normalized label."""
        if self.is_builtin:
            return self.canonical_key
        return core.match_key_for(self.label)


@dataclass
class LoadedInventory:
    """An environment's present inventory of the governed types and its reference names (two queries)."""

    items: list[LoadedItem]
    refs: ReferenceNames
    unreadable: Counter[str]
    provider_key: str


#: Rows read per chunk when loading inventory (and how often load progress is reported).
LOAD_CHUNK = 2000


def load_inventory(
    environment: ManagedEnvironment,
    governed_types: Iterable[str],
    ignored: Mapping[str, frozenset[str]],
    on_progress: Callable[[int, int], None] | None = None,
    *,
    lazy: bool = False,
) -> LoadedInventory:
    """Read, describe and normalize ``environment``'s present items of ``governed_types`` (two queries).

    Each item is described by the adapter of the provider it was read from (``provider_key`` on
    the row, so identity does not follow the default connection). An item without stored content
    (never read completely) or that the adapter cannot identify is counted per type in
    ``unreadable`` and left out; the caller treats its type as incomplete. ``on_progress`` gets
    the running totals (items loaded, items unreadable) every ``LOAD_CHUNK`` rows and at the end.
    ``lazy`` keeps each normalized payload as its canonical JSON text (see :class:`LazyJSON`).
    """
    governed = list(governed_types)
    refs = inventory_reference_names(environment_id=environment.pk)
    rows = (
        InventoryItem.objects.present()
        .filter(environment=environment, policy_type__in=governed)
        .order_by("policy_type", "provider_object_id")
        .values_list(
            "pk",
            "policy_type",
            "provider_object_id",
            "provider_key",
            "display_name",
            "current_version_id",
            "current_version__payload",
        )
    )
    items: list[LoadedItem] = []
    unreadable: Counter[str] = Counter()
    providers: Counter[str] = Counter()
    seen = 0
    for pk, policy_type, object_id, provider_key, display_name, version_id, payload in rows.iterator(
        chunk_size=LOAD_CHUNK
    ):
        seen += 1
        if on_progress is not None and seen % LOAD_CHUNK == 0:
            on_progress(len(items), sum(unreadable.values()))
        providers[provider_key] += 1
        if not isinstance(payload, dict):
            unreadable[policy_type] += 1
            continue
        try:
            descriptor = get_adapter(provider_key).describe(
                policy_type, payload, source_inventory_item_id=pk, source_policy_version_id=version_id
            )
        except (UnclassifiableResource, UnknownProvider, ValueError):
            unreadable[policy_type] += 1
            continue
        normalized, digest = _hashed(
            normalize_for_compare(policy_type, payload, refs, ignored_fields=ignored.get(policy_type, frozenset())),
            lazy=lazy,
        )
        items.append(
            LoadedItem(
                item_id=pk,
                version_id=version_id,
                policy_type=policy_type,
                object_id=object_id,
                label=display_name or descriptor.display_label or "",
                descriptor=descriptor,
                normalized=normalized,
                content_hash=digest,
            )
        )
    if on_progress is not None:
        on_progress(len(items), sum(unreadable.values()))
    provider_key = providers.most_common(1)[0][0] if providers else inventory_provider_key(environment.pk)
    return LoadedInventory(items=items, refs=refs, unreadable=unreadable, provider_key=provider_key)


def _ignored(profile: BaselineProfile) -> dict[str, frozenset[str]]:
    return {t: profile.ignored_fields_for(t) for t in profile.governed_types()}


def _load_progress(ctx: RunContext) -> Callable[[int, int], None]:
    """Running totals of an inventory load, saved with the next heartbeat (a reaped run keeps them)."""

    def report(loaded: int, unreadable: int) -> None:
        ctx.set_progress({SummaryKey.ITEMS: loaded, SummaryKey.UNKNOWN: unreadable})

    return report


# --------------------------------------------------------------------------------------------
# Capture


@register_operation(OperationType.BASELINE_CAPTURE)
def baseline_capture(run: OperationRun, ctx: RunContext) -> RunResult:
    """Capture the profile's governed subjects from the run's (source) environment into a new snapshot.

    Fails with ``baseline_evidence_unusable`` when the evidence went bad since the start was
    accepted (unless the operator captured anyway); ``partially_succeeded`` when some items
    could not be read (they are left out and counted).
    """
    profile = _profile_for(run)
    environment = run.environment
    assert environment is not None
    now = timezone.now()
    evidence = inventory_evidence(environment)
    forced = bool((run.context or {}).get("force"))
    refusal = evidence.refusal(profile.max_evidence_age_hours, now)
    if evidence.run is None or (refusal is not None and not forced):
        raise OperationFailed(RunReason.BASELINE_EVIDENCE_UNUSABLE, refusal or "")
    governed = profile.governed_types()
    try:
        loaded = load_inventory(environment, governed, _ignored(profile), on_progress=_load_progress(ctx))
    except UnknownProvider:
        raise OperationFailed(RunReason.INTERNAL_ERROR, "The environment's provider has no resource adapter.") from None
    ctx.heartbeat()
    items = [
        BaselineSnapshotItem(
            policy_type=item.policy_type,
            subject_class=item.descriptor.subject_class.value,
            canonical_subject_key=item.canonical_key,
            match_key=item.match_key,
            source_object_id=item.object_id,
            source_inventory_item_id=item.item_id,
            source_policy_version_id=item.version_id,
            display_label=item.label[:400],
            normalized=dict(item.normalized),
            content_hash=item.content_hash,
        )
        for item in loaded.items
    ]
    snapshot = snapshot_record(
        run=run,
        profile=profile,
        environment=environment,
        evidence=evidence,
        captured_anyway=refusal is not None,
        provider_key=loaded.provider_key,
        policy_types=governed,
        items=items,
        now=now,
    )
    unreadable = sum(loaded.unreadable.values())
    counts = {SummaryKey.SUBJECTS: snapshot.item_count, SummaryKey.UNKNOWN: unreadable}
    ctx.set_progress(counts)
    if unreadable:
        types = ", ".join(sorted(loaded.unreadable))
        return RunResult(
            RunOutcome.PARTIALLY_SUCCEEDED,
            counts,
            RunReason.BASELINE_EVIDENCE_UNUSABLE,
            f"{unreadable} item(s) without readable content were left out ({types}).",
        )
    return RunResult(RunOutcome.SUCCEEDED, counts)


# --------------------------------------------------------------------------------------------
# Compare


def _active_bindings(environment: ManagedEnvironment, provider_key: str) -> dict[str, ProviderResourceBinding]:
    rows = ProviderResourceBinding.objects.filter(
        workspace_id=environment.workspace_id,
        environment=environment,
        provider_key=provider_key,
        binding_status=BindingStatus.ACTIVE,
    )
    return {row.canonical_subject_key: row for row in rows}


def _to_active_binding(row: ProviderResourceBinding) -> core.ActiveBinding:
    accepted = None
    if row.resolution_mode == ResolutionMode.ACCEPTED_LIMITATION and row.resolution_reason == ACCEPTED_CONTENT_REASON:
        accepted = row.provider_resource_fingerprint or None
    return core.ActiveBinding(
        binding_id=row.pk,
        canonical_key=row.canonical_subject_key,
        resolution_mode=row.resolution_mode,
        provider_resource_id=(row.provider_resource_id or None) if row.resolution_mode in _RESOURCE_MODES else None,
        accepted_fingerprint=accepted,
    )


def _tenant_id(snapshot: BaselineSnapshot) -> str | None:
    if snapshot.environment_id is None:
        return None
    return ManagedEnvironment.objects.filter(pk=snapshot.environment_id).values_list("tenant_id", flat=True).first()


def _subjects(snapshot: BaselineSnapshot) -> list[core.BaselineSubject]:
    """The snapshot's subjects, their normalized payloads kept as text until a diff reads them."""
    rows = (
        BaselineSnapshotItem.objects.filter(snapshot=snapshot)
        .order_by("policy_type", "display_label", "pk")
        .annotate(normalized_text=Cast("normalized", output_field=TextField()))
        .values_list(
            "pk",
            "policy_type",
            "subject_class",
            "canonical_subject_key",
            "match_key",
            "source_object_id",
            "display_label",
            "normalized_text",
            "content_hash",
        )
    )
    return [
        core.BaselineSubject(
            subject_id=pk,
            policy_type=policy_type,
            subject_class=subject_class,
            canonical_key=canonical_key,
            match_key=match_key or None,
            source_object_id=source_object_id,
            display_label=display_label,
            normalized=LazyJSON(text),
            content_hash=digest,
        )
        for (
            pk,
            policy_type,
            subject_class,
            canonical_key,
            match_key,
            source_object_id,
            display_label,
            text,
            digest,
        ) in rows.iterator(chunk_size=LOAD_CHUNK)
    ]


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)


def _compare_item(result: core.SubjectResult) -> BaselineCompareItem:
    subject, target = result.subject, result.target
    return BaselineCompareItem(
        policy_type=result.policy_type,
        canonical_subject_key=result.canonical_key,
        snapshot_item_id=subject.subject_id if subject is not None else None,
        target_item_id=target.item_id if target is not None else None,
        target_object_id=target.provider_object_id if target is not None else "",
        target_content_hash=target.content_hash if target is not None else "",
        baseline_label=(subject.display_label if subject is not None else "")[:400],
        target_label=(target.display_label if target is not None else "")[:400],
        outcome=str(result.outcome),
        reason=str(result.reason),
        binding_id=result.binding_id,
        binding_mode=result.binding_mode or "",
        renamed=result.renamed,
        changed_since_accepted=result.changed_since_accepted,
        changes=[
            {"path": c.path, "baseline": _jsonable(c.baseline), "target": _jsonable(c.target)} for c in result.changes
        ],
        candidates=[
            {"item_id": c.item_id, "object_id": c.provider_object_id, "label": c.display_label}
            for c in result.candidates
        ],
    )


def _already_recorded(row: ProviderResourceBinding | None, descriptor: ProviderResourceDescriptor) -> bool:
    return row is not None and row.provider_resource_id == (descriptor.identity.provider_resource_id or "")


def record_identities(
    *,
    run: OperationRun,
    environment: ManagedEnvironment,
    snapshot: BaselineSnapshot,
    results: Iterable[core.SubjectResult],
    descriptors: Mapping[int, ProviderResourceDescriptor],
    bindings: Mapping[str, ProviderResourceBinding],
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Record every identity the compare resolved by rule (idempotent); returns (recorded, refused).

    Subjects whose decision is already in force (loaded with the bindings) cost no query; the
    others go to ``binding_record_identities`` at once, which writes them in chunks with a constant
    number of queries each (a 20,000-policy tenant compared with itself records everything in one
    run), audits each created row and leaves every other decision in force alone: a refusal (e.g.
    an operator decision recorded meanwhile) skips that subject and never fails the run.
    ``on_progress`` gets the running (recorded, refused) totals after each chunk.
    """
    pending = [
        descriptor
        for result in results
        if result.record_identity
        and result.target is not None
        and (descriptor := descriptors.get(result.target.item_id)) is not None
        and not _already_recorded(bindings.get(str(descriptor.canonical_key)), descriptor)
    ]
    if not pending:
        if on_progress is not None:
            on_progress(0, 0)
        return 0, 0
    try:
        done = binding_record_identities(
            environment=environment,
            descriptors=pending,
            source_operation_run_id=run.pk,
            source_baseline_snapshot_id=snapshot.pk,
            on_progress=None if on_progress is None else lambda t: on_progress(len(t.created), t.refused),
        )
    except ValidationFailed as exc:
        # A shared source no longer applies (e.g. the profile was unassigned meanwhile): every
        # pending subject is refused, as the single-row services would refuse each; the run stands.
        logger.info("compare run=%s recorded no identities: %s", run.pk, exc.field)
        if on_progress is not None:
            on_progress(0, len(pending))
        return 0, len(pending)
    return len(done.created), done.refused


@register_operation(OperationType.BASELINE_COMPARE)
def baseline_compare(run: OperationRun, ctx: RunContext) -> RunResult:
    """Compare the profile's latest complete snapshot with the run's environment and store the result.

    Stale evidence (older than the profile allows) and incomplete types (failed, partial or never
    synced) are recorded on the result; subjects of an incomplete type come out ``unknown``, never
    ``missing``. The run is ``partially_succeeded`` when the evidence was stale or incomplete.
    """
    profile = _profile_for(run)
    environment = run.environment
    assert environment is not None
    snapshot = (
        BaselineSnapshot.objects.filter(profile=profile, status=SnapshotStatus.COMPLETE)
        .order_by("-captured_at", "-pk")
        .first()
    )
    if snapshot is None:
        raise OperationFailed(RunReason.BASELINE_NO_SNAPSHOT)
    now = timezone.now()
    governed = tuple(t for t in profile.governed_types() if t in (snapshot.policy_types or profile.governed_types()))
    evidence = inventory_evidence(environment)
    stale = evidence.is_stale(profile.max_evidence_age_hours, now)
    try:
        loaded = load_inventory(environment, governed, _ignored(profile), on_progress=_load_progress(ctx), lazy=True)
    except UnknownProvider:
        raise OperationFailed(RunReason.INTERNAL_ERROR, "The environment's provider has no resource adapter.") from None
    incomplete = sorted(set(evidence.incomplete_types(governed)) | set(loaded.unreadable))
    bindings = _active_bindings(environment, loaded.provider_key)
    resources = [
        core.TargetResource(
            item_id=item.item_id,
            policy_type=item.policy_type,
            provider_object_id=item.object_id,
            canonical_key=item.canonical_key,
            match_key=item.match_key,
            display_label=item.label,
            normalized=item.normalized,
            content_hash=item.content_hash,
            is_builtin=item.is_builtin,
        )
        for item in loaded.items
    ]
    with _cyclic_gc_paused():
        results = core.compare(
            core.CompareInput(
                subjects=_subjects(snapshot),
                resources=resources,
                bindings={key: _to_active_binding(row) for key, row in bindings.items()},
                governed_types=frozenset(governed),
                incomplete_types=frozenset(incomplete),
                source_tenant_id=_tenant_id(snapshot),
                target_tenant_id=environment.tenant_id or None,
            )
        )
    by_outcome = Counter(r.outcome for r in results)
    counts = {key.value: by_outcome.get(outcome, 0) for outcome, key in OUTCOME_KEYS.items()}
    ctx.set_progress({SummaryKey.SUBJECTS.value: snapshot.item_count, **counts})
    ctx.heartbeat()
    compare_result_record(
        run=run,
        profile=profile,
        snapshot=snapshot,
        environment=environment,
        evidence=evidence,
        evidence_stale=stale,
        incomplete_types=incomplete,
        provider_key=loaded.provider_key,
        counts={outcome.value: by_outcome.get(outcome, 0) for outcome in OUTCOME_KEYS},
        items=[_compare_item(r) for r in results],
        now=now,
    )
    recorded, refused = record_identities(
        run=run,
        environment=environment,
        snapshot=snapshot,
        results=results,
        descriptors={item.item_id: item.descriptor for item in loaded.items},
        bindings=bindings,
        on_progress=lambda done, skipped: ctx.set_progress(
            {SummaryKey.IDENTITIES_RECORDED: done, **({SummaryKey.SKIPPED: skipped} if skipped else {})}
        ),
    )
    summary: dict[str, int] = {
        SummaryKey.SUBJECTS.value: snapshot.item_count,
        **counts,
        SummaryKey.IDENTITIES_RECORDED.value: recorded,
    }
    if refused:
        summary[SummaryKey.SKIPPED.value] = refused
    if stale or incomplete:
        parts = []
        if evidence.at is None:
            parts.append("This environment has no inventory yet: every subject is unknown.")
        elif stale:
            parts.append("The inventory is older than the profile allows; sync it and compare again.")
        if incomplete and evidence.at is not None:
            parts.append("Not synced completely (subjects unknown): " + ", ".join(incomplete) + ".")
        return RunResult(
            RunOutcome.PARTIALLY_SUCCEEDED, summary, RunReason.BASELINE_EVIDENCE_UNUSABLE, " ".join(parts)[:300]
        )
    return RunResult(RunOutcome.SUCCEEDED, summary)
