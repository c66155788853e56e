"""Writes of provider resource bindings: authorized, validated, written and audited in one transaction.

Operator decisions (``actor`` is a user; every one needs ``baselines.manage`` on the environment):

- :func:`binding_create_manual` — bind a subject to the provider resource the operator picked.
- :func:`binding_create_exclusion` — the subject is not governed here.
- :func:`binding_create_accepted_limitation` — a known gap the operator accepts.
- :func:`binding_mark_unsupported_coverage` / :func:`binding_mark_missing_expected`.
- :func:`binding_supersede` — end the active row as ``superseded`` and create its successor.
- :func:`binding_revoke` — end the active row as ``revoked``.

System decisions (``actor=None``; a later baseline compare calls these):

- :func:`binding_record_exact_identity` — the resource *is* the subject (same exact identity).
- :func:`binding_record_canonical` — a provider built-in/default or virtual target, keyed by its
  tenant-independent discriminator. Both are idempotent and stay traceable to their source.

Rules every write keeps: the operator note is required for manual binding, exclusion and
accepted limitation (and for any operator-recorded unsupported/missing mark, supersede and
revoke) and holds at most :data:`NOTE_MAX_LENGTH` characters; a provider connection and every
source reference must belong to the binding's workspace and environment (a baseline snapshot:
its profile must be assigned to the environment); at most one active binding per (workspace,
environment, provider, canonical subject key) — checked here inside the transaction and
enforced by the database's partial unique index. Every refusal is a ``ValidationFailed`` naming
the field, and nothing is written. Audit metadata holds ids, keys, modes and sources only; the
note goes in as ``note`` and :func:`tenantpilot.audit.redaction.redact` stores it as a keyed HMAC +
length. The note text itself lives only on the binding row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.services import actor_label_for, audit_record, audit_rows_bulk
from tenantpilot.core.errors import Conflict, ValidationFailed
from tenantpilot.inventory.models import InventoryItem, PolicyVersion
from tenantpilot.operations.models import OperationRun
from tenantpilot.providers.models import ProviderConnection
from tenantpilot.providers.services import ConnectionUse
from tenantpilot.tenancy.authority import authorize
from tenantpilot.tenancy.models import ManagedEnvironment

from . import policies
from .choices import BindingStatus, ResolutionMode, SubjectClass
from .descriptors import DescriptorSchemaError, ProviderResourceDescriptor
from .keys import CanonicalSubjectKey, KeyKind
from .models import CANONICAL_KEY_MAX_LENGTH, NOTE_MAX_LENGTH, NOTE_REQUIRED_MODES, ProviderResourceBinding

#: The :class:`ConnectionUse` kind of a connection's active bindings (interfaces link it to the list).
ACTIVE_BINDINGS_USE = "active_bindings"

#: The governance domain a subject belongs to when the caller names none.
DEFAULT_SUBJECT_DOMAIN = "baseline"

AUTOMATIC_MODES = frozenset(
    {ResolutionMode.EXACT_PROVIDER_IDENTITY, ResolutionMode.CANONICAL_BUILTIN, ResolutionMode.CANONICAL_VIRTUAL_TARGET}
)
# Modes only an operator may record (the database also demands their note).
OPERATOR_ONLY_MODES = frozenset(ResolutionMode(m) for m in NOTE_REQUIRED_MODES)
# Modes that need a provider resource (descriptor).
RESOURCE_REQUIRED_MODES = AUTOMATIC_MODES | {ResolutionMode.MANUAL_BINDING}

#: The reason code a row gets when the caller gives none.
DEFAULT_REASONS: dict[ResolutionMode, str] = {
    ResolutionMode.EXACT_PROVIDER_IDENTITY: "exact_provider_id",
    ResolutionMode.CANONICAL_BUILTIN: "provider_builtin",
    ResolutionMode.CANONICAL_VIRTUAL_TARGET: "provider_virtual_target",
    ResolutionMode.MANUAL_BINDING: "operator_decision",
    ResolutionMode.EXCLUDED_NON_GOVERNED: "operator_decision",
    ResolutionMode.ACCEPTED_LIMITATION: "operator_decision",
    ResolutionMode.UNSUPPORTED_COVERAGE: "operator_decision",
    ResolutionMode.MISSING_EXPECTED: "operator_decision",
}

_SLUG = re.compile(r"[a-z][a-z0-9_.:-]{0,63}")
_BUILTIN_CLASSES = frozenset({SubjectClass.PROVIDER_BUILTIN, SubjectClass.PROVIDER_DEFAULT})
_SOURCE_FIELDS = (
    "source_operation_run_id",
    "source_baseline_snapshot_id",
    "source_inventory_item_id",
    "source_policy_version_id",
)
_DESCRIPTOR_SOURCE_FIELDS = ("source_operation_run_id", "source_inventory_item_id", "source_policy_version_id")


class DuplicateActiveBinding(ValidationFailed):
    """An active binding already exists for this (workspace, environment, provider, canonical key)."""

    def __init__(self, existing_id: int | None = None) -> None:
        which = f" (binding #{existing_id})" if existing_id else ""
        super().__init__(
            f"This subject already has an active binding{which}. Supersede or revoke it instead of adding another.",
            field="canonical_subject_key",
        )
        self.existing_id = existing_id


@dataclass(frozen=True)
class _Subject:
    provider_key: str
    key: CanonicalSubjectKey
    subject_class: SubjectClass
    subject_type: str
    subject_domain: str
    legacy_subject_key: str


# -- validation helpers -------------------------------------------------------------------------


def clean_note(note: object, *, required: bool, field: str = "operator_note") -> str:
    """The trimmed note; ``ValidationFailed`` naming ``field`` when missing (if required) or too long."""
    if note is None:
        note = ""
    if not isinstance(note, str):
        raise ValidationFailed("The operator note must be text.", field=field)
    text = note.strip()
    if required and not text:
        raise ValidationFailed("Enter an operator note explaining this decision; it is required.", field=field)
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationFailed(
            f"The operator note is limited to {NOTE_MAX_LENGTH} characters ({len(text)} entered).", field=field
        )
    if "\x00" in text:
        raise ValidationFailed("The operator note contains a NUL character.", field=field)
    return text


def _mode(value: object) -> ResolutionMode:
    try:
        return ResolutionMode(str(value))
    except ValueError:
        allowed = ", ".join(ResolutionMode.values())
        raise ValidationFailed(
            f"Unknown resolution mode {value!r}; use one of: {allowed}.", field="resolution_mode"
        ) from None


def _subject_class(value: object) -> SubjectClass:
    try:
        return SubjectClass(str(value))
    except ValueError:
        allowed = ", ".join(SubjectClass.values())
        raise ValidationFailed(
            f"Unknown subject class {value!r}; use one of: {allowed}.", field="subject_class"
        ) from None


def _slug(value: object, field: str, default: str) -> str:
    text = default if value in (None, "") else value
    if not isinstance(text, str) or not _SLUG.fullmatch(text):
        raise ValidationFailed(
            f"{field.replace('_', ' ').capitalize()} must be a short lower-case code ([a-z][a-z0-9_.:-], up to 64).",
            field=field,
        )
    return text


def _check_class_matches_key(subject_class: SubjectClass, key: CanonicalSubjectKey) -> None:
    if key.kind is KeyKind.BUILTIN:
        ok = subject_class in _BUILTIN_CLASSES
    elif key.kind is KeyKind.VIRTUAL_TARGET:
        ok = subject_class is SubjectClass.VIRTUAL_ASSIGNMENT_TARGET
    else:
        ok = subject_class not in _BUILTIN_CLASSES and subject_class is not SubjectClass.VIRTUAL_ASSIGNMENT_TARGET
    if not ok:
        raise ValidationFailed(
            f"Subject class {subject_class.value} does not fit a {key.kind.value} subject key.", field="subject_class"
        )


def _subject(
    *,
    descriptor: ProviderResourceDescriptor | None,
    canonical_subject_key: object,
    subject_class: object,
    subject_type: object,
    subject_domain: object,
    legacy_subject_key: object,
) -> _Subject:
    if canonical_subject_key not in (None, ""):
        if not isinstance(canonical_subject_key, str):
            raise ValidationFailed("The canonical subject key must be text.", field="canonical_subject_key")
        if len(canonical_subject_key) > CANONICAL_KEY_MAX_LENGTH:
            raise ValidationFailed(
                f"The canonical subject key is limited to {CANONICAL_KEY_MAX_LENGTH} characters.",
                field="canonical_subject_key",
            )
        try:
            key = CanonicalSubjectKey.parse(canonical_subject_key)
        except ValueError as exc:
            raise ValidationFailed(f"Not a canonical subject key: {exc}", field="canonical_subject_key") from None
    elif descriptor is not None:
        key = descriptor.canonical_key
    else:
        raise ValidationFailed(
            "Name the subject: a provider resource or a canonical subject key.", field="canonical_subject_key"
        )
    if len(str(key)) > CANONICAL_KEY_MAX_LENGTH:
        raise ValidationFailed(
            f"The canonical subject key is limited to {CANONICAL_KEY_MAX_LENGTH} characters.",
            field="canonical_subject_key",
        )
    if descriptor is not None and descriptor.provider_key != key.provider_key:
        raise ValidationFailed(
            f"The provider resource belongs to provider {descriptor.provider_key!r}, the subject to {key.provider_key!r}.",
            field="descriptor",
        )
    if subject_class in (None, ""):
        if descriptor is None:
            raise ValidationFailed("Choose the subject class.", field="subject_class")
        klass = descriptor.subject_class
    else:
        klass = _subject_class(subject_class)
    _check_class_matches_key(klass, key)
    if subject_type in (None, ""):
        subject_type = descriptor.resource_type if descriptor is not None else key.resource_type
    if not isinstance(subject_type, str) or not subject_type.strip() or len(subject_type.strip()) > 128:
        raise ValidationFailed("Enter the subject type (up to 128 characters).", field="subject_type")
    legacy = "" if legacy_subject_key is None else legacy_subject_key
    if not isinstance(legacy, str) or len(legacy.strip()) > 512:
        raise ValidationFailed("The legacy subject key is limited to 512 characters.", field="legacy_subject_key")
    return _Subject(
        provider_key=key.provider_key,
        key=key,
        subject_class=klass,
        subject_type=subject_type.strip(),
        subject_domain=_slug(subject_domain, "subject_domain", DEFAULT_SUBJECT_DOMAIN),
        legacy_subject_key=legacy.strip(),
    )


def _check_descriptor_for_mode(
    mode: ResolutionMode, descriptor: ProviderResourceDescriptor | None, key: CanonicalSubjectKey
) -> None:
    if descriptor is not None and not isinstance(descriptor, ProviderResourceDescriptor):
        raise ValidationFailed("The provider resource is not a resource descriptor.", field="descriptor")
    if mode in RESOURCE_REQUIRED_MODES and descriptor is None:
        raise ValidationFailed(
            f"A {mode.label.lower()} binding needs the provider resource it binds to.", field="descriptor"
        )
    if descriptor is None or mode not in AUTOMATIC_MODES:
        return
    identity = descriptor.identity
    if mode is ResolutionMode.CANONICAL_BUILTIN and not identity.is_builtin:
        raise ValidationFailed(
            "A canonical built-in binding needs a provider built-in or default resource.", field="descriptor"
        )
    if mode is ResolutionMode.CANONICAL_VIRTUAL_TARGET and not identity.is_virtual:
        raise ValidationFailed(
            "A canonical virtual-target binding needs a virtual assignment target.", field="descriptor"
        )
    if mode is ResolutionMode.EXACT_PROVIDER_IDENTITY and identity.is_provider_canonical:
        raise ValidationFailed(
            "Built-in and virtual resources are bound canonically, not by exact provider identity.", field="descriptor"
        )
    if descriptor.canonical_key != key:
        raise ValidationFailed(
            "An automatic binding binds a resource to its own canonical key; the subject key differs.",
            field="canonical_subject_key",
        )


def _merge_sources(descriptor: ProviderResourceDescriptor | None, given: dict[str, Any]) -> dict[str, int | None]:
    sources: dict[str, int | None] = {}
    for name in _SOURCE_FIELDS:
        value = given.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValidationFailed("A source reference is a positive row id.", field=name)
        from_descriptor = getattr(descriptor, name, None) if name in _DESCRIPTOR_SOURCE_FIELDS else None
        if value is not None and from_descriptor is not None and value != from_descriptor:
            raise ValidationFailed("The source reference differs from the one the provider resource names.", field=name)
        sources[name] = value if value is not None else from_descriptor
    return sources


#: Answers whether a baseline snapshot (by id) applies to an environment (``snapshot_id``, ``workspace_id``,
#: ``environment_id`` keywords). ``baselines`` sits above ``resources`` and registers it in its ``ready()``.
SnapshotSourceCheck = Callable[..., bool]
_SNAPSHOT_SOURCE_CHECKS: list[SnapshotSourceCheck] = []


def register_snapshot_source_check(check: SnapshotSourceCheck) -> None:
    """Register ``check`` (idempotent). A binding may name a source baseline snapshot only when a
    registered check says the snapshot applies to the binding's environment: with none, none does."""
    if check not in _SNAPSHOT_SOURCE_CHECKS:
        _SNAPSHOT_SOURCE_CHECKS.append(check)


def _snapshot_applies(snapshot_id: int, environment: ManagedEnvironment) -> bool:
    ids = {"snapshot_id": snapshot_id, "workspace_id": environment.workspace_id, "environment_id": environment.pk}
    return bool(_SNAPSHOT_SOURCE_CHECKS) and all(check(**ids) for check in _SNAPSHOT_SOURCE_CHECKS)


def _check_sources(environment: ManagedEnvironment, sources: dict[str, int | None]) -> None:
    """Each named source must belong to the binding's workspace and environment (missing looks the same)."""
    # Row locks: a source deleted concurrently either is gone before we look (a field error
    # below) or waits for this transaction; it never turns the insert into an IntegrityError.
    scope = {"workspace_id": environment.workspace_id, "environment_id": environment.pk}

    def locked(model: Any, pk: int) -> Any:
        return model.objects.select_for_update(no_key=True).filter(pk=pk, **scope).values_list("pk", flat=True).first()

    run_id = sources["source_operation_run_id"]
    if run_id is not None and locked(OperationRun, run_id) is None:
        raise ValidationFailed(
            "The source operation run does not belong to this environment.", field="source_operation_run_id"
        )
    item_id = sources["source_inventory_item_id"]
    if item_id is not None and locked(InventoryItem, item_id) is None:
        raise ValidationFailed(
            "The source inventory item does not belong to this environment.", field="source_inventory_item_id"
        )
    version_id = sources["source_policy_version_id"]
    if version_id is not None:
        version_item = (
            PolicyVersion.objects.select_for_update(no_key=True)
            .filter(pk=version_id, **scope)
            .values_list("item_id", flat=True)
            .first()
        )
        if version_item is None:
            raise ValidationFailed(
                "The source policy version does not belong to this environment.", field="source_policy_version_id"
            )
        if item_id is not None and version_item != item_id:
            raise ValidationFailed(
                "The source policy version is a version of another inventory item.", field="source_policy_version_id"
            )
    snapshot_id = sources["source_baseline_snapshot_id"]
    if snapshot_id is not None:
        # The snapshot model is the source foreign key's own target (baselines is above resources).
        snapshots = ProviderResourceBinding._meta.get_field("source_baseline_snapshot").related_model._default_manager
        snapshots.select_for_update(no_key=True).filter(pk=snapshot_id).values_list("pk", flat=True).first()
    if snapshot_id is not None and not _snapshot_applies(snapshot_id, environment):
        raise ValidationFailed(
            "The source baseline snapshot is not of a baseline profile assigned to this environment.",
            field="source_baseline_snapshot_id",
        )


def _check_connection(environment: ManagedEnvironment, connection_id: object, provider_key: str) -> int | None:
    if connection_id in (None, ""):
        return None
    if isinstance(connection_id, bool) or not isinstance(connection_id, int):
        raise ValidationFailed("Choose a provider connection of this environment.", field="provider_connection")
    row = (
        ProviderConnection.objects.select_for_update(no_key=True)  # conflicts with connection_delete's lock
        .filter(pk=connection_id, workspace_id=environment.workspace_id, environment=environment)
        .values_list("provider_key", flat=True)
        .first()
    )
    if row is None:
        raise ValidationFailed(
            "The provider connection does not belong to this environment.", field="provider_connection"
        )
    if row != provider_key:
        raise ValidationFailed(
            f"The provider connection is for provider {row!r}, the binding for {provider_key!r}.",
            field="provider_connection",
        )
    return connection_id


def _resource_columns(descriptor: ProviderResourceDescriptor | None) -> dict[str, Any]:
    if descriptor is None:
        return {
            "provider_resource_type": "",
            "provider_resource_id": "",
            "provider_resource_external_id": "",
            "provider_resource_discriminator": "",
            "provider_resource_fingerprint": "",
            "provider_resource_label": "",
            "support_level": "",
            "resource_descriptor": None,
        }
    identity = descriptor.identity
    return {
        "provider_resource_type": identity.resource_type[:128],
        "provider_resource_id": identity.provider_resource_id or "",
        "provider_resource_external_id": identity.external_id or "",
        "provider_resource_discriminator": identity.discriminator or "",
        "provider_resource_fingerprint": identity.fingerprint or "",
        "provider_resource_label": (descriptor.display_label or "")[:400],
        "support_level": descriptor.support_level.value,
        "resource_descriptor": descriptor.to_dict(),
    }


_RESOURCE_COLUMNS = tuple(_resource_columns(None))


def _descriptor_of(row: ProviderResourceBinding) -> ProviderResourceDescriptor | None:
    """The stored descriptor of ``row`` (upgraded to the current schema); a field error if unreadable."""
    if not row.resource_descriptor:
        return None
    try:
        return ProviderResourceDescriptor.from_dict(row.resource_descriptor)
    except DescriptorSchemaError as exc:
        raise ValidationFailed(
            f"The provider resource stored with binding #{row.pk} uses descriptor schema {exc.version!r}, which this "
            "version of TenantPilot cannot read. Pick the provider resource again from the inventory.",
            field="descriptor",
        ) from None
    except ValueError:
        raise ValidationFailed(
            f"The provider resource stored with binding #{row.pk} is damaged and cannot be kept. "
            "Pick the provider resource again from the inventory.",
            field="descriptor",
        ) from None


def _audit_metadata(row: ProviderResourceBinding, *, note: str, automatic: bool, **extra: Any) -> dict[str, Any]:
    return {
        "binding_id": row.pk,
        "provider_key": row.provider_key,
        "provider_connection_id": row.provider_connection_id,
        "canonical_subject_key": row.canonical_subject_key,
        "subject_domain": row.subject_domain,
        "subject_class": row.subject_class,
        "subject_type": row.subject_type,
        "resolution_mode": row.resolution_mode,
        "resolution_reason": row.resolution_reason,
        "binding_status": row.binding_status,
        "provider_resource_type": row.provider_resource_type or None,
        "provider_resource_id": row.provider_resource_id or None,
        "source_operation_run_id": row.source_operation_run_id,
        "source_baseline_snapshot_id": row.source_baseline_snapshot_id,
        "source_inventory_item_id": row.source_inventory_item_id,
        "source_policy_version_id": row.source_policy_version_id,
        "automatic": automatic,
        # ``redact`` stores this only as {"hmac_sha256": …, "length": …}.
        "note": note,
        **extra,
    }


def _full_clean(row: ProviderResourceBinding) -> None:
    try:
        row.full_clean(validate_constraints=False)
    except ValidationError as exc:
        raise ValidationFailed.from_django(exc) from None


def _active_for(environment_id: int, workspace_id: int, provider_key: str, key: str) -> ProviderResourceBinding | None:
    return (
        ProviderResourceBinding.objects.filter(
            workspace_id=workspace_id,
            environment_id=environment_id,
            provider_key=provider_key,
            canonical_subject_key=key,
            binding_status=BindingStatus.ACTIVE,
        )
        .order_by("-id")
        .first()
    )


# -- the one write path ----------------------------------------------------------------------------


def _prepare(
    *,
    actor: Any,
    environment: ManagedEnvironment,
    mode: ResolutionMode,
    descriptor: ProviderResourceDescriptor | None,
    note: object,
    subject: _Subject,
    provider_connection_id: object,
    resolution_reason: object,
    sources_given: dict[str, Any],
) -> ProviderResourceBinding:
    """Validate everything about a new row and return it unsaved (no writes, no authorization)."""
    _check_descriptor_for_mode(mode, descriptor, subject.key)
    note_required = mode in OPERATOR_ONLY_MODES or actor is not None
    text = clean_note(note, required=note_required)
    sources = _merge_sources(descriptor, sources_given)
    if actor is None and not text and not any(v is not None for v in sources.values()):
        raise ValidationFailed(
            "A binding recorded by the system must name its source (operation run, baseline snapshot, "
            "inventory item or policy version).",
            field="source_operation_run_id",
        )
    _check_sources(environment, sources)
    connection_id = _check_connection(environment, provider_connection_id, subject.provider_key)
    now = timezone.now()
    row = ProviderResourceBinding(
        workspace_id=environment.workspace_id,
        environment=environment,
        provider_key=subject.provider_key,
        provider_connection_id=connection_id,
        subject_domain=subject.subject_domain,
        subject_class=subject.subject_class.value,
        subject_type=subject.subject_type,
        legacy_subject_key=subject.legacy_subject_key,
        canonical_subject_key=str(subject.key),
        binding_status=BindingStatus.ACTIVE.value,
        resolution_mode=mode.value,
        resolution_reason=_slug(resolution_reason, "resolution_reason", DEFAULT_REASONS[mode]),
        operator_note=text,
        decided_by=actor if getattr(actor, "is_authenticated", False) else None,
        decided_by_label=actor_label_for(actor),
        decided_at=now,
        **sources,
        **_resource_columns(descriptor),
    )
    _full_clean(row)
    return row


def _insert(row: ProviderResourceBinding) -> ProviderResourceBinding:
    """Insert ``row`` inside the caller's transaction, refusing a second active row for the key.

    The check here gives the friendly error; the partial unique index settles races (the loser's
    ``IntegrityError`` becomes the same error, raised after its transaction rolled back).
    """
    existing = _active_for(row.environment_id, row.workspace_id, row.provider_key, row.canonical_subject_key)
    if existing is not None:
        raise DuplicateActiveBinding(existing.pk)
    row.save(force_insert=True)
    return row


ARCHIVED_MESSAGE = "The environment is archived. Restore it before recording binding decisions."


def _lock_open_environment(environment_id: int) -> ManagedEnvironment:
    """Lock the environment row for this transaction; ``Conflict`` when it is archived.

    Every binding write (create, supersede, revoke) takes this lock first, so archiving and
    binding decisions never interleave, and locks are always taken environment → binding →
    connection/sources (the order ``connection_delete`` uses too): no deadlock.
    """
    environment = (
        ManagedEnvironment.objects.select_for_update(of=("self",)).select_related("workspace").get(pk=environment_id)
    )
    if environment.is_archived:
        raise Conflict(ARCHIVED_MESSAGE)
    return environment


def _raise_clean_error_for(row: ProviderResourceBinding) -> None:
    """After an ``IntegrityError``: re-check what can vanish concurrently and name the field."""
    environment = ManagedEnvironment.objects.get(pk=row.environment_id)
    with transaction.atomic():
        _check_sources(environment, {name: getattr(row, name) for name in _SOURCE_FIELDS})
        _check_connection(environment, row.provider_connection_id, row.provider_key)


def _is_duplicate_race(row: ProviderResourceBinding) -> bool:
    return _active_for(row.environment_id, row.workspace_id, row.provider_key, row.canonical_subject_key) is not None


def binding_create(
    *,
    actor: Any,
    environment: ManagedEnvironment,
    resolution_mode: str,
    descriptor: ProviderResourceDescriptor | None = None,
    note: str | None = "",
    canonical_subject_key: str | None = None,
    subject_class: str | None = None,
    subject_type: str | None = None,
    subject_domain: str | None = None,
    legacy_subject_key: str | None = "",
    provider_connection_id: int | None = None,
    resolution_reason: str | None = None,
    source_operation_run_id: int | None = None,
    source_baseline_snapshot_id: int | None = None,
    source_inventory_item_id: int | None = None,
    source_policy_version_id: int | None = None,
) -> ProviderResourceBinding:
    """Create one active binding in ``environment`` (the generic entry point; see the module docstring).

    ``actor=None`` means system code: allowed only for automatic modes and for unsupported/missing
    marks, and then the row must name a source (or carry a note). The subject defaults to the
    descriptor's own canonical key, class and resource type.
    """
    mode = _mode(resolution_mode)
    if actor is None:
        if mode in OPERATOR_ONLY_MODES:
            raise ValueError(f"a {mode.value} binding is an operator decision and needs an actor")
    else:
        authorize(actor, policies.MANAGE_BINDINGS, environment)
    if environment.is_archived:
        raise Conflict(ARCHIVED_MESSAGE)
    if descriptor is not None and not isinstance(descriptor, ProviderResourceDescriptor):
        raise ValidationFailed("The provider resource is not a resource descriptor.", field="descriptor")
    subject = _subject(
        descriptor=descriptor,
        canonical_subject_key=canonical_subject_key,
        subject_class=subject_class,
        subject_type=subject_type,
        subject_domain=subject_domain,
        legacy_subject_key=legacy_subject_key,
    )
    row: ProviderResourceBinding | None = None
    try:
        with transaction.atomic():
            # Sources and connection are validated here, under row locks, so that a concurrent
            # delete is a field error rather than an IntegrityError at insert or commit.
            locked = _lock_open_environment(environment.pk)
            row = _prepare(
                actor=actor,
                environment=locked,
                mode=mode,
                descriptor=descriptor,
                note=note,
                subject=subject,
                provider_connection_id=provider_connection_id,
                resolution_reason=resolution_reason,
                sources_given={
                    "source_operation_run_id": source_operation_run_id,
                    "source_baseline_snapshot_id": source_baseline_snapshot_id,
                    "source_inventory_item_id": source_inventory_item_id,
                    "source_policy_version_id": source_policy_version_id,
                },
            )
            _insert(row)
            audit_record(
                actor=actor,
                action=AuditAction.RESOURCE_BINDING_CREATED,
                workspace=locked.workspace,
                environment=locked,
                target=row,
                metadata=_audit_metadata(row, note=row.operator_note, automatic=mode in AUTOMATIC_MODES),
            )
    except IntegrityError:
        if row is None:
            raise
        row.pk = None
        if _is_duplicate_race(row):
            raise DuplicateActiveBinding() from None
        _raise_clean_error_for(row)
        raise
    return row


def binding_create_manual(
    *, actor: Any, environment: ManagedEnvironment, descriptor: ProviderResourceDescriptor, note: str, **options: Any
) -> ProviderResourceBinding:
    """Bind a subject to the provider resource the operator chose (note required).

    ``options`` are :func:`binding_create`'s subject, connection, reason and source arguments;
    give ``canonical_subject_key`` to bind another subject (e.g. a baseline's) to this resource.
    """
    return binding_create(
        actor=actor,
        environment=environment,
        resolution_mode=ResolutionMode.MANUAL_BINDING,
        descriptor=descriptor,
        note=note,
        **options,
    )


def binding_create_exclusion(
    *, actor: Any, environment: ManagedEnvironment, note: str, **options: Any
) -> ProviderResourceBinding:
    """Record that a subject is not governed in this environment (note required)."""
    return binding_create(
        actor=actor, environment=environment, resolution_mode=ResolutionMode.EXCLUDED_NON_GOVERNED, note=note, **options
    )


#: The resolution reason of an accepted limitation that watches the accepted content's fingerprint.
ACCEPTED_CONTENT_REASON = "accepted_content"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def binding_create_accepted_limitation(
    *,
    actor: Any,
    environment: ManagedEnvironment,
    note: str,
    accepted_fingerprint: str | None = None,
    **options: Any,
) -> ProviderResourceBinding:
    """Record a known limitation the operator accepts for a subject (note required).

    ``accepted_fingerprint`` (optional, a lowercase sha256 hex such as a baseline compare's
    content hash of the accepted target) is stored as ``provider_resource_fingerprint`` with the
    reason :data:`ACCEPTED_CONTENT_REASON`, in the same transaction: a later compare shows drift
    again when the target's content no longer has this fingerprint.
    """
    if accepted_fingerprint is None:
        return binding_create(
            actor=actor,
            environment=environment,
            resolution_mode=ResolutionMode.ACCEPTED_LIMITATION,
            note=note,
            **options,
        )
    if not isinstance(accepted_fingerprint, str) or not _SHA256_HEX.fullmatch(accepted_fingerprint):
        raise ValidationFailed("The accepted fingerprint must be a sha256 hex digest.", field="accepted_fingerprint")
    options.setdefault("resolution_reason", ACCEPTED_CONTENT_REASON)
    with transaction.atomic():
        row = binding_create(
            actor=actor,
            environment=environment,
            resolution_mode=ResolutionMode.ACCEPTED_LIMITATION,
            note=note,
            **options,
        )
        ProviderResourceBinding.objects.filter(pk=row.pk).update(provider_resource_fingerprint=accepted_fingerprint)
        row.provider_resource_fingerprint = accepted_fingerprint
    return row


def binding_mark_unsupported_coverage(
    *, actor: Any, environment: ManagedEnvironment, note: str | None = "", **options: Any
) -> ProviderResourceBinding:
    """Mark a subject as outside TenantPilot's coverage (operators must give a note; the system a source)."""
    return binding_create(
        actor=actor, environment=environment, resolution_mode=ResolutionMode.UNSUPPORTED_COVERAGE, note=note, **options
    )


def binding_mark_missing_expected(
    *, actor: Any, environment: ManagedEnvironment, note: str | None = "", **options: Any
) -> ProviderResourceBinding:
    """Mark an expected subject as knowingly missing here (operators must give a note; the system a source)."""
    return binding_create(
        actor=actor, environment=environment, resolution_mode=ResolutionMode.MISSING_EXPECTED, note=note, **options
    )


def _record_automatic(
    mode: ResolutionMode,
    *,
    environment: ManagedEnvironment,
    descriptor: ProviderResourceDescriptor,
    actor: Any,
    options: dict[str, Any],
) -> ProviderResourceBinding:
    if not isinstance(descriptor, ProviderResourceDescriptor):
        raise ValidationFailed("The provider resource is not a resource descriptor.", field="descriptor")
    if actor is not None:
        authorize(actor, policies.MANAGE_BINDINGS, environment)
    existing = _active_for(
        environment.pk, environment.workspace_id, descriptor.provider_key, str(descriptor.canonical_key)
    )
    if (
        existing is not None
        and existing.resolution_mode == mode
        and existing.provider_resource_id == (descriptor.identity.provider_resource_id or "")
        and existing.provider_resource_discriminator == (descriptor.identity.discriminator or "")
    ):
        return existing  # idempotent: the same decision is already in force
    return binding_create(actor=actor, environment=environment, resolution_mode=mode, descriptor=descriptor, **options)


def binding_record_exact_identity(
    *, environment: ManagedEnvironment, descriptor: ProviderResourceDescriptor, actor: Any = None, **options: Any
) -> ProviderResourceBinding:
    """Record that the resource is its own subject by exact provider identity (system code; idempotent).

    Returns the active row already in force when it records the same decision; refuses with
    :class:`DuplicateActiveBinding` when another decision (e.g. an operator's) is in force.
    """
    return _record_automatic(
        ResolutionMode.EXACT_PROVIDER_IDENTITY,
        environment=environment,
        descriptor=descriptor,
        actor=actor,
        options=options,
    )


def binding_record_canonical(
    *, environment: ManagedEnvironment, descriptor: ProviderResourceDescriptor, actor: Any = None, **options: Any
) -> ProviderResourceBinding:
    """Record a provider built-in/default (``canonical_builtin``) or virtual target (``canonical_virtual_target``).

    The mode follows the descriptor's identity; anything else is refused (``field="descriptor"``).
    Idempotent like :func:`binding_record_exact_identity`.
    """
    if not isinstance(descriptor, ProviderResourceDescriptor):
        raise ValidationFailed("The provider resource is not a resource descriptor.", field="descriptor")
    if descriptor.identity.is_virtual:
        mode = ResolutionMode.CANONICAL_VIRTUAL_TARGET
    elif descriptor.identity.is_builtin:
        mode = ResolutionMode.CANONICAL_BUILTIN
    else:
        raise ValidationFailed(
            "Only provider built-ins, defaults and virtual targets are bound canonically.", field="descriptor"
        )
    return _record_automatic(mode, environment=environment, descriptor=descriptor, actor=actor, options=options)


#: Records one bulk chunk writes with one look-up, one binding INSERT and one audit INSERT.
IDENTITY_CHUNK = 500
# Foreign keys checked in bulk by :func:`binding_record_identities` (``clean_fields`` would query each).
_BINDING_FKS = (
    "workspace",
    "environment",
    "provider_connection",
    "source_operation_run",
    "source_baseline_snapshot",
    "source_inventory_item",
    "source_policy_version",
    "decided_by",
    "ended_by",
    "superseded_by",
)


@dataclass(frozen=True)
class IdentityRecording:
    """What :func:`binding_record_identities` did: ``created`` rows (each audited), how many
    subjects already had the same decision in force (``unchanged``), and how many were refused
    (another decision in force, e.g. an operator's, or an unusable descriptor: ``refused``)."""

    created: list[ProviderResourceBinding]
    unchanged: int
    refused: int


def _automatic_mode(descriptor: object) -> ResolutionMode:
    if not isinstance(descriptor, ProviderResourceDescriptor):
        raise ValidationFailed("The provider resource is not a resource descriptor.", field="descriptor")
    if descriptor.identity.is_virtual:
        return ResolutionMode.CANONICAL_VIRTUAL_TARGET
    if descriptor.identity.is_builtin:
        return ResolutionMode.CANONICAL_BUILTIN
    return ResolutionMode.EXACT_PROVIDER_IDENTITY


def _same_decision(row: ProviderResourceBinding, mode: ResolutionMode, descriptor: ProviderResourceDescriptor) -> bool:
    return (
        row.resolution_mode == mode
        and row.provider_resource_id == (descriptor.identity.provider_resource_id or "")
        and row.provider_resource_discriminator == (descriptor.identity.discriminator or "")
    )


def _bulk_check_sources(environment: ManagedEnvironment, rows: list[ProviderResourceBinding]) -> set[int]:
    """Indexes of ``rows`` whose inventory item / policy version is not of ``environment`` (two queries).

    The same row locks as :func:`_check_sources`, taken for the whole chunk at once.
    """
    scope = {"workspace_id": environment.workspace_id, "environment_id": environment.pk}
    item_ids = {r.source_inventory_item_id for r in rows if r.source_inventory_item_id is not None}
    version_ids = {r.source_policy_version_id for r in rows if r.source_policy_version_id is not None}
    items: set[int] = set()
    versions: dict[int, int] = {}
    if item_ids:
        items = set(
            InventoryItem.objects.select_for_update(no_key=True)
            .filter(pk__in=item_ids, **scope)
            .values_list("pk", flat=True)
        )
    if version_ids:
        versions = dict(
            PolicyVersion.objects.select_for_update(no_key=True)
            .filter(pk__in=version_ids, **scope)
            .values_list("pk", "item_id")
        )
    bad = set()
    for index, row in enumerate(rows):
        item_id, version_id = row.source_inventory_item_id, row.source_policy_version_id
        item_ok = item_id is None or item_id in items
        version_ok = version_id is None or (
            version_id in versions and (item_id is None or versions[version_id] == item_id)
        )
        if not (item_ok and version_ok):
            bad.add(index)
    return bad


def _record_chunk(
    environment_id: int,
    chunk: Sequence[ProviderResourceDescriptor],
    shared: dict[str, int | None],
) -> IdentityRecording:
    """One chunk in one transaction: lock, validate in memory, one look-up, two bulk inserts."""
    created: list[ProviderResourceBinding] = []
    unchanged = refused = 0
    with transaction.atomic():
        environment = _lock_open_environment(environment_id)
        # The run and snapshot are shared by the chunk: checked (and locked) once, as the single-row path does.
        _check_sources(environment, dict.fromkeys(_SOURCE_FIELDS) | shared)
        now = timezone.now()
        candidates: list[tuple[ResolutionMode, ProviderResourceDescriptor, ProviderResourceBinding]] = []
        for descriptor in chunk:
            try:
                mode = _automatic_mode(descriptor)
                subject = _subject(
                    descriptor=descriptor,
                    canonical_subject_key=None,
                    subject_class=None,
                    subject_type=None,
                    subject_domain=None,
                    legacy_subject_key="",
                )
                _check_descriptor_for_mode(mode, descriptor, subject.key)
                sources = _merge_sources(descriptor, shared)
                if not any(v is not None for v in sources.values()):
                    raise ValidationFailed("A binding recorded by the system must name its source.", field="source")
                row = ProviderResourceBinding(
                    workspace_id=environment.workspace_id,
                    environment=environment,
                    provider_key=subject.provider_key,
                    provider_connection_id=None,
                    subject_domain=subject.subject_domain,
                    subject_class=subject.subject_class.value,
                    subject_type=subject.subject_type,
                    legacy_subject_key=subject.legacy_subject_key,
                    canonical_subject_key=str(subject.key),
                    binding_status=BindingStatus.ACTIVE.value,
                    resolution_mode=mode.value,
                    resolution_reason=DEFAULT_REASONS[mode],
                    operator_note="",
                    decided_by=None,
                    decided_by_label=actor_label_for(None),
                    decided_at=now,
                    **sources,
                    **_resource_columns(descriptor),
                )
                try:
                    row.clean_fields(exclude=list(_BINDING_FKS))
                except ValidationError as exc:
                    raise ValidationFailed.from_django(exc) from None
            except ValidationFailed:
                refused += 1
                continue
            candidates.append((mode, descriptor, row))
        bad = _bulk_check_sources(environment, [row for _m, _d, row in candidates])
        refused += len(bad)
        candidates = [c for index, c in enumerate(candidates) if index not in bad]
        active: dict[tuple[str, str], ProviderResourceBinding] = {}
        if candidates:
            for existing in ProviderResourceBinding.objects.filter(
                workspace_id=environment.workspace_id,
                environment_id=environment.pk,
                provider_key__in={row.provider_key for _m, _d, row in candidates},
                canonical_subject_key__in={row.canonical_subject_key for _m, _d, row in candidates},
                binding_status=BindingStatus.ACTIVE,
            ).order_by("id"):
                active[(existing.provider_key, existing.canonical_subject_key)] = existing
        new_rows: list[ProviderResourceBinding] = []
        for mode, descriptor, row in candidates:
            in_force = active.get((row.provider_key, row.canonical_subject_key))
            if in_force is None:
                active[(row.provider_key, row.canonical_subject_key)] = row  # a later duplicate in the batch
                new_rows.append(row)
            elif _same_decision(in_force, mode, descriptor):
                unchanged += 1
            else:
                refused += 1  # another decision (an operator's, or another resource) stays in force
        if new_rows:
            created = ProviderResourceBinding.objects.bulk_create(new_rows)
            audit_rows_bulk(
                actor=None,
                action=AuditAction.RESOURCE_BINDING_CREATED,
                workspace=environment.workspace,
                environment=environment,
                entries=[(row, _audit_metadata(row, note=row.operator_note, automatic=True)) for row in created],
            )
    return IdentityRecording(created=created, unchanged=unchanged, refused=refused)


def _record_chunk_one_by_one(
    environment: ManagedEnvironment,
    chunk: Sequence[ProviderResourceDescriptor],
    shared: dict[str, int | None],
) -> IdentityRecording:
    """The single-row services for each record (after the bulk insert lost a race)."""
    created: list[ProviderResourceBinding] = []
    unchanged = refused = 0
    for descriptor in chunk:
        try:
            mode = _automatic_mode(descriptor)
            existing = _active_for(
                environment.pk, environment.workspace_id, descriptor.provider_key, str(descriptor.canonical_key)
            )
            if existing is not None and _same_decision(existing, mode, descriptor):
                unchanged += 1
                continue
            created.append(
                _record_automatic(mode, environment=environment, descriptor=descriptor, actor=None, options=shared)
            )
        except ValidationFailed:
            refused += 1
    return IdentityRecording(created=created, unchanged=unchanged, refused=refused)


def binding_record_identities(
    *,
    environment: ManagedEnvironment,
    descriptors: Iterable[ProviderResourceDescriptor],
    source_operation_run_id: int | None = None,
    source_baseline_snapshot_id: int | None = None,
    on_progress: Callable[[IdentityRecording], None] | None = None,
) -> IdentityRecording:
    """Record many automatic identities at once (system code; idempotent): the bulk twin of
    :func:`binding_record_exact_identity` / :func:`binding_record_canonical`.

    The mode of each record follows its descriptor (virtual target → ``canonical_virtual_target``,
    built-in/default → ``canonical_builtin``, anything else → ``exact_provider_identity``). The
    guarantees are the single-row services': a subject whose active row already records the same
    decision is left alone (``unchanged``); a subject with another active decision — an operator's
    above all — is never touched (``refused``), nor is a record with an unusable descriptor or a
    source outside the environment; the sources must belong to the environment; an archived
    environment is refused with ``Conflict``; every created row gets its ``resource_binding.created``
    audit row with the same metadata, in the same transaction. It works in chunks of
    :data:`IDENTITY_CHUNK`, each one transaction with a constant number of queries (lock, source
    checks, one look-up of the active rows, one binding INSERT, one audit INSERT). The partial unique
    index still decides races: when a concurrent writer wins a key, the chunk rolls back and is
    recorded one by one through the single-row path. ``on_progress`` gets the running totals after
    each chunk. A source that does not belong to the environment (run or snapshot) is a
    ``ValidationFailed`` naming it, and nothing is written.
    """
    shared = {
        "source_operation_run_id": source_operation_run_id,
        "source_baseline_snapshot_id": source_baseline_snapshot_id,
    }
    for name, value in shared.items():
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValidationFailed("A source reference is a positive row id.", field=name)
    if environment.is_archived:
        raise Conflict(ARCHIVED_MESSAGE)
    records = list(descriptors)
    total = IdentityRecording(created=[], unchanged=0, refused=0)
    for start in range(0, len(records), IDENTITY_CHUNK):
        chunk = records[start : start + IDENTITY_CHUNK]
        try:
            done = _record_chunk(environment.pk, chunk, shared)
        except IntegrityError:
            # A concurrent writer took a key between our look-up and our insert (or a source vanished).
            done = _record_chunk_one_by_one(environment, chunk, shared)
        total = IdentityRecording(
            created=total.created + done.created,
            unchanged=total.unchanged + done.unchanged,
            refused=total.refused + done.refused,
        )
        if on_progress is not None:
            on_progress(total)
    return total


# -- lifecycle ----------------------------------------------------------------------------------------


_KEEP = object()


def binding_supersede(
    *,
    actor: Any,
    binding: ProviderResourceBinding,
    resolution_mode: str,
    note: str,
    descriptor: ProviderResourceDescriptor | object | None = _KEEP,
    provider_connection_id: int | object | None = _KEEP,
    resolution_reason: str | None = None,
    source_operation_run_id: int | None = None,
    source_baseline_snapshot_id: int | None = None,
    source_inventory_item_id: int | None = None,
    source_policy_version_id: int | None = None,
    accepted_fingerprint: str | None = None,
) -> ProviderResourceBinding:
    """Replace the active ``binding`` with a new decision for the same subject, atomically.

    The old row becomes ``superseded`` (``ended_at``, ``ended_by``, ``superseded_by``) and the new
    row is created in the same transaction; if anything fails, neither change is kept. The
    subject (canonical key, class, type, domain, legacy key) carries over; the resource and the
    connection carry over unless given (``descriptor=None`` drops the resource). Note required.
    ``accepted_fingerprint`` (only with ``accepted_limitation``) is stored as in
    :func:`binding_create_accepted_limitation`, with the reason :data:`ACCEPTED_CONTENT_REASON`.
    """
    authorize(actor, policies.MANAGE_BINDINGS, binding)
    mode = _mode(resolution_mode)
    text = clean_note(note, required=True)
    if accepted_fingerprint is not None:
        if mode is not ResolutionMode.ACCEPTED_LIMITATION:
            raise ValidationFailed(
                "Only an accepted limitation stores an accepted fingerprint.", field="resolution_mode"
            )
        if not isinstance(accepted_fingerprint, str) or not _SHA256_HEX.fullmatch(accepted_fingerprint):
            raise ValidationFailed(
                "The accepted fingerprint must be a sha256 hex digest.", field="accepted_fingerprint"
            )
        resolution_reason = resolution_reason or ACCEPTED_CONTENT_REASON
    with transaction.atomic():
        environment = _lock_open_environment(binding.environment_id)
        current = ProviderResourceBinding.objects.select_for_update().get(pk=binding.pk)
        if current.binding_status != BindingStatus.ACTIVE:
            raise ValidationFailed(
                f"Only an active binding can be superseded; this one is {current.binding_status}.",
                field="binding_status",
            )
        now = timezone.now()
        # End the old row first: the partial unique index allows one active row per key.
        current.binding_status = BindingStatus.SUPERSEDED.value
        current.ended_at = now
        current.ended_by = actor if getattr(actor, "is_authenticated", False) else None
        current.ended_by_label = actor_label_for(actor)
        current.save(update_fields=["binding_status", "ended_at", "ended_by", "ended_by_label", "updated_at"])

        new_descriptor: ProviderResourceDescriptor | None
        if descriptor is _KEEP:
            new_descriptor = _descriptor_of(current)
        elif descriptor is None or isinstance(descriptor, ProviderResourceDescriptor):
            new_descriptor = descriptor
        else:
            raise ValidationFailed("The provider resource is not a resource descriptor.", field="descriptor")
        connection = current.provider_connection_id if provider_connection_id is _KEEP else provider_connection_id
        subject = _subject(
            descriptor=new_descriptor,
            canonical_subject_key=current.canonical_subject_key,
            subject_class=current.subject_class,
            subject_type=current.subject_type,
            subject_domain=current.subject_domain,
            legacy_subject_key=current.legacy_subject_key,
        )
        sources_given = {
            "source_operation_run_id": source_operation_run_id,
            "source_baseline_snapshot_id": source_baseline_snapshot_id,
            "source_inventory_item_id": source_inventory_item_id,
            "source_policy_version_id": source_policy_version_id,
        }
        if descriptor is _KEEP and not any(v is not None for v in sources_given.values()):
            # Keeping the resource keeps the references that say where it was observed.
            sources_given["source_inventory_item_id"] = current.source_inventory_item_id
            sources_given["source_policy_version_id"] = current.source_policy_version_id
        row = _prepare(
            actor=actor,
            environment=environment,
            mode=mode,
            descriptor=new_descriptor,
            note=text,
            subject=subject,
            provider_connection_id=connection,
            resolution_reason=resolution_reason,
            sources_given=sources_given,
        )
        if accepted_fingerprint is not None:
            row.provider_resource_fingerprint = accepted_fingerprint
        _insert(row)
        current.superseded_by = row
        current.save(update_fields=["superseded_by", "updated_at"])
        audit_record(
            actor=actor,
            action=AuditAction.RESOURCE_BINDING_SUPERSEDED,
            workspace=environment.workspace,
            environment=environment,
            target=row,
            metadata=_audit_metadata(
                row,
                note=text,
                automatic=False,
                previous_binding_id=current.pk,
                previous_resolution_mode=current.resolution_mode,
                previous_provider_resource_id=current.provider_resource_id or None,
            ),
        )
    binding.refresh_from_db()
    return row


def binding_revoke(*, actor: Any, binding: ProviderResourceBinding, note: str) -> ProviderResourceBinding:
    """End the active ``binding`` as ``revoked`` (note required); the subject then has no active decision.

    Like create and supersede, refused with ``Conflict`` in an archived environment: an archived
    environment's decisions are frozen history until it is restored (and a revoke there would
    change what a restored environment's next compare sees without anyone working in it).
    """
    authorize(actor, policies.MANAGE_BINDINGS, binding)
    text = clean_note(note, required=True)
    with transaction.atomic():
        environment = _lock_open_environment(binding.environment_id)
        current = ProviderResourceBinding.objects.select_for_update().get(pk=binding.pk)
        if current.binding_status != BindingStatus.ACTIVE:
            raise ValidationFailed(
                f"Only an active binding can be revoked; this one is {current.binding_status}.", field="binding_status"
            )
        current.binding_status = BindingStatus.REVOKED.value
        current.ended_at = timezone.now()
        current.ended_by = actor if getattr(actor, "is_authenticated", False) else None
        current.ended_by_label = actor_label_for(actor)
        current.end_note = text
        current.save(
            update_fields=["binding_status", "ended_at", "ended_by", "ended_by_label", "end_note", "updated_at"]
        )
        audit_record(
            actor=actor,
            action=AuditAction.RESOURCE_BINDING_REVOKED,
            workspace=environment.workspace,
            environment=environment,
            target=current,
            metadata=_audit_metadata(current, note=text, automatic=False),
        )
    binding.refresh_from_db()
    return current


# -- provider connections -----------------------------------------------------------------------------


def active_bindings_using_connection(connection: Any) -> ConnectionUse:
    """How many active bindings name ``connection`` (registered with the providers app).

    Its ``connection_delete`` refuses while this is non-zero: those decisions must be
    superseded onto another connection or revoked — each with its own audit row — first.
    """
    count = ProviderResourceBinding.objects.filter(
        provider_connection_id=connection.pk, binding_status=BindingStatus.ACTIVE
    ).count()
    noun = "active resource binding" if count == 1 else "active resource bindings"
    return ConnectionUse(kind=ACTIVE_BINDINGS_USE, count=count, description=f"{count} {noun}")
