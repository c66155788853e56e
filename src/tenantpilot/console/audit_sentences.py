"""Audit rows as sentences people read: "alice changed bob's role from Read-only to Manager".

A pure renderer: :func:`audit_sentence` turns one row (its action, actor label, environment and
redacted metadata) plus an :class:`AuditContext` (names and what the viewer may open, looked up
beforehand in a bounded number of queries) into a :class:`Sentence` of text and link parts. It
never queries the database and never raises on odd metadata: old rows, missing keys or values
of the wrong type fall back to neutral words, and an unexpected failure falls back to the
action's registered label.

Every :class:`~tenantpilot.audit.actions.AuditAction` has its own renderer in :data:`RENDERERS`
(a test iterates the registry, so a new action cannot be forgotten). Links are only made to
pages that exist and that the viewer may see: an environment, run, binding, connection or
profile the context does not know (deleted, hidden, or the viewer lacks the capability) is
named without a link. Raw metadata stays available to the page for a details disclosure.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.apps import apps
from django.urls import NoReverseMatch, reverse

from tenantpilot.audit.actions import AuditAction
from tenantpilot.authz.roles import Role
from tenantpilot.baselines.choices import CompareOutcome
from tenantpilot.inventory.choices import PolicyType, ScheduleFrequency, ScheduleResult
from tenantpilot.operations.choices import OperationType
from tenantpilot.operations.reasons import reason_label
from tenantpilot.providers.choices import AuthType, ConnectionHealth
from tenantpilot.resources.choices import ResolutionMode
from tenantpilot.resources.keys import unescape_segment


class AuditEntry(Protocol):
    """What the renderer reads of an audit row (``audit.AuditLog`` is one)."""

    action: str
    actor_label: str
    environment_id: int | None
    target_type: str
    target_id: str
    metadata: Any


@dataclass(frozen=True)
class Part:
    """One piece of a sentence: text, linked when ``url`` is set."""

    text: str
    url: str = ""


@dataclass(frozen=True)
class Sentence:
    """A rendered audit entry: parts in reading order (``str()`` gives the plain text)."""

    parts: tuple[Part, ...]

    def __str__(self) -> str:
        return "".join(part.text for part in self.parts)


@dataclass(frozen=True)
class BindingFacts:
    """What the log may say about a binding the viewer can see (its current row)."""

    resource_label: str
    note: str
    end_note: str


@dataclass(frozen=True)
class AuditContext:
    """Names and link permissions for one page of rows, looked up beforehand (no queries here).

    Only ids present in a mapping are named and linked; ``environments``, ``connections`` and
    ``bindings`` hold only records the viewer may see. ``workspace_slug`` empty: no links at all.
    The ``can_*`` flags mirror the viewer's capabilities for the linked pages.
    """

    workspace_slug: str = ""
    users: Mapping[int, str] = field(default_factory=dict)
    environments: Mapping[int, str] = field(default_factory=dict)
    connections: Mapping[int, str] = field(default_factory=dict)
    profiles: Mapping[int, str] = field(default_factory=dict)
    bindings: Mapping[int, BindingFacts] = field(default_factory=dict)
    can_view_operations: bool = False
    can_view_inventory: bool = False
    can_view_providers: bool = False
    can_view_baselines: bool = False
    can_view_members: bool = False
    can_view_alerts: bool = False


# --------------------------------------------------------------------------------------------
# Reading metadata defensively


def _meta(row: AuditEntry) -> Mapping[str, Any]:
    return row.metadata if isinstance(row.metadata, Mapping) else {}


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _label(choices: Any, value: object, fallback: str = "") -> str:
    """The label of ``value`` in a TextChoices-like enum, else the value itself (or ``fallback``)."""
    if not isinstance(value, str) or not value:
        return fallback
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def role_label(value: object) -> str:
    """A role's label ("Read-only"), or the raw value of an unknown role."""
    return _label(Role, value, "a role")


def policy_type_label(value: object) -> str:
    """A policy type's label ("Settings catalog policies"), or the raw key of an unknown type."""
    return _label(PolicyType, value, "items")


def operation_label(value: object) -> str:
    return _label(OperationType, value, "an operation")


def _humanize_field(name: object) -> str:
    return str(name).replace("_", " ") if isinstance(name, str) and name else ""


def _join(words: Iterable[str]) -> str:
    items = [w for w in words if w]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _plural(count: int, singular: str, plural: str = "") -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def target_label(target_type: str, target_id: str) -> str:
    """A readable name of a row's target ("Workspace membership 5"), never ``app.model#5``."""
    try:
        name = str(apps.get_model(target_type)._meta.verbose_name)
    except (LookupError, ValueError):
        name = target_type.rsplit(".", 1)[-1] or "record"
    return f"{name[:1].upper()}{name[1:]} {target_id}".strip()


def metadata_json(metadata: object) -> str:
    """The stored (already redacted) metadata as indented JSON for a details disclosure."""
    try:
        return json.dumps(metadata, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return "{}"


# --------------------------------------------------------------------------------------------
# Building sentences


class _Builder:
    """Collects parts; every link helper degrades to plain text when it may not link."""

    def __init__(self, row: AuditEntry, ctx: AuditContext) -> None:
        self.row = row
        self.ctx = ctx
        self.meta = _meta(row)
        self.parts: list[Part] = []

    # -- plumbing
    def text(self, *texts: str) -> _Builder:
        for t in texts:
            if t:
                self.parts.append(Part(t))
        return self

    def link(self, text: str, route: str, allowed: bool = True, **kwargs: Any) -> _Builder:
        url = ""
        if allowed and self.ctx.workspace_slug:
            try:
                url = reverse(f"console:{route}", kwargs={"workspace": self.ctx.workspace_slug, **kwargs})
            except NoReverseMatch:
                url = ""
        self.parts.append(Part(text, url))
        return self

    def sentence(self) -> Sentence:
        return Sentence(tuple(self.parts))

    # -- subjects
    def actor(self) -> _Builder:
        label = self.row.actor_label or "someone"
        return self.text("TenantPilot" if label == "system" else label)

    def user(self, user_id: object, *, possessive: bool = False) -> _Builder:
        pk = _int(user_id)
        name = self.ctx.users.get(pk, "") if pk is not None else ""
        text = name or (f"user {pk}" if pk is not None else "a user")
        if possessive:
            text += "’s"
        return self.link(text, "members", allowed=bool(name) and self.ctx.can_view_members)

    def environment(self, environment_id: object = None) -> _Builder:
        pk = _int(environment_id) if environment_id is not None else self.row.environment_id
        name = self.ctx.environments.get(pk, "") if pk is not None else ""
        if not name:
            return self.text("an environment")
        return self.link(name, "environment-detail", environment_id=pk)

    def in_environment(self) -> _Builder:
        if self.row.environment_id is None:
            return self
        return self.text(" in ").environment()

    def run(self, run_id: object, text: str = "") -> _Builder:
        pk = _int(run_id)
        if pk is None:
            return self.text(text or "a run")
        return self.link(text or f"run {pk}", "operation-detail", allowed=self.ctx.can_view_operations, run_id=pk)

    def connection(self, connection_id: object, client_id: object = None) -> _Builder:
        pk = _int(connection_id) if connection_id is not None else _int(self.row.target_id)
        name = self.ctx.connections.get(pk, "") if pk is not None else ""
        env = self.row.environment_id
        if name and env is not None:
            return self.link(
                f"connection “{name}”",
                "connection-detail",
                allowed=self.ctx.can_view_providers,
                environment_id=env,
                connection_id=pk,
            )
        client = _str(client_id)
        return self.text(f"a connection (app {client})" if client else "a connection")

    def profile(self, profile_id: object, name: object = None) -> _Builder:
        pk = _int(profile_id)
        known = self.ctx.profiles.get(pk, "") if pk is not None else ""
        text = known or _str(name) or (f"profile {pk}" if pk is not None else "a profile")
        return self.link(
            f"baseline “{text}”" if (known or _str(name)) else f"baseline {text}",
            "baseline-profile",
            allowed=bool(known) and self.ctx.can_view_baselines,
            profile_id=pk,
        )

    def binding(self, binding_id: object, text: str = "") -> _Builder:
        pk = _int(binding_id)
        env = self.row.environment_id
        if pk is None:
            return self.text(text or "a binding")
        return self.link(
            text or f"binding {pk}",
            "binding-detail",
            allowed=pk in self.ctx.bindings and env is not None and self.ctx.can_view_baselines,
            environment_id=env,
            binding_id=pk,
        )

    def inventory_item(self, item_id: object, text: str) -> _Builder:
        pk = _int(item_id)
        env = self.row.environment_id
        return self.link(
            text,
            "inventory-item",
            allowed=pk is not None and env is not None and self.ctx.can_view_inventory,
            environment_id=env,
            item_id=pk,
        )

    def environments_list(self, ids: object) -> _Builder:
        known = [pk for pk in (_int(v) for v in _list(ids)) if pk is not None and pk in self.ctx.environments]
        if not known:
            return self.text("the selected environments")
        for index, pk in enumerate(known):
            if index:
                self.text(" and " if index == len(known) - 1 else ", ")
            self.environment(pk)
        return self


def _note(b: _Builder, key: str = "note", *, text: str = "") -> _Builder:
    """`` — note: “…”`` from the binding row when known, else how long the (hashed) note was."""
    if text:
        return b.text(f" — note: “{text}”")
    stored = b.meta.get(key)
    length = _int(stored.get("length")) if isinstance(stored, Mapping) else None
    if length:
        return b.text(f" — with a note ({_plural(length, 'character')})")
    return b


# --------------------------------------------------------------------------------------------
# One renderer per action

Renderer = Callable[[_Builder], _Builder]


def _workspace_created(b: _Builder) -> _Builder:
    slug = _str(b.meta.get("slug"))
    return (
        b.actor()
        .text(" created the workspace", f" “{slug}”" if slug else "", " with ")
        .user(b.meta.get("owner_user_id"))
        .text(" as its owner")
    )


def _environment_created(b: _Builder) -> _Builder:
    tenant = _str(b.meta.get("tenant_id"))
    return b.actor().text(" created the environment ").environment().text(f" for tenant {tenant}" if tenant else "")


def _environment_updated(b: _Builder) -> _Builder:
    fields = _join(_humanize_field(f) for f in _list(b.meta.get("changed_fields")))
    return b.actor().text(" changed ", fields or "the details", " of the environment ").environment()


def _environment_archived(b: _Builder) -> _Builder:
    return b.actor().text(" archived the environment ").environment()


def _environment_restored(b: _Builder) -> _Builder:
    return b.actor().text(" restored the environment ").environment().text(" from the archive")


def _member_added(b: _Builder) -> _Builder:
    b.actor().text(" added ").user(b.meta.get("user_id")).text(" as ", role_label(b.meta.get("role")))
    if b.meta.get("restricted") is True:
        b.text(", limited to selected environments")
    if _int(b.meta.get("invitation_id")) is not None:
        b.text(" (by accepting an invitation)")
    return b


def _member_role_changed(b: _Builder) -> _Builder:
    return (
        b.actor()
        .text(" changed ")
        .user(b.meta.get("user_id"), possessive=True)
        .text(f" role from {role_label(b.meta.get('from_role'))} to {role_label(b.meta.get('to_role'))}")
    )


def _member_removed(b: _Builder) -> _Builder:
    role = _str(b.meta.get("role"))
    return (
        b.actor()
        .text(" removed ")
        .user(b.meta.get("user_id"))
        .text(f" ({role_label(role)})" if role else "", " from the workspace")
    )


def _member_access_changed(b: _Builder) -> _Builder:
    b.actor()
    if b.meta.get("restricted") is True:
        return (
            b.text(" limited ")
            .user(b.meta.get("user_id"))
            .text(" to ")
            .environments_list(b.meta.get("environment_ids"))
        )
    return b.text(" let ").user(b.meta.get("user_id")).text(" see all environments")


def _credential_words(b: _Builder) -> str:
    auth = b.meta.get("auth_type")
    thumbprint = _str(b.meta.get("certificate_thumbprint"))
    if auth == AuthType.CERTIFICATE or thumbprint:
        return f"a certificate (thumbprint {thumbprint})" if thumbprint else "a certificate"
    if auth == AuthType.CLIENT_SECRET:
        return "a client secret"
    return "a new credential"


def _connection_created(b: _Builder) -> _Builder:
    b.actor().text(" added ").connection(None, b.meta.get("client_id")).in_environment()
    b.text(f" using {_credential_words(b)}")
    if b.meta.get("is_default") is True:
        b.text(" as the default connection")
    return b


def _connection_updated(b: _Builder) -> _Builder:
    fields = _join(_humanize_field(f) for f in _list(b.meta.get("changed_fields")))
    return (
        b.actor()
        .text(" changed ", fields or "the settings", " of ")
        .connection(None, b.meta.get("client_id"))
        .in_environment()
    )


def _connection_credential_replaced(b: _Builder) -> _Builder:
    return (
        b.actor()
        .text(" replaced the credential of ")
        .connection(None, b.meta.get("client_id"))
        .in_environment()
        .text(f" with {_credential_words(b)}")
    )


def _connection_default_changed(b: _Builder) -> _Builder:
    return (
        b.actor()
        .text(" made ")
        .connection(None, b.meta.get("client_id"))
        .text(" the default connection of ")
        .environment()
    )


def _connection_enabled(b: _Builder) -> _Builder:
    return b.actor().text(" enabled ").connection(None, b.meta.get("client_id")).in_environment()


def _connection_disabled(b: _Builder) -> _Builder:
    return b.actor().text(" disabled ").connection(None, b.meta.get("client_id")).in_environment()


def _connection_deleted(b: _Builder) -> _Builder:
    client = _str(b.meta.get("client_id"))
    b.actor().text(" deleted the connection", f" for app {client}" if client else "", " from ").environment()
    if b.meta.get("was_default") is True:
        b.text("; it was the default")
        if _int(b.meta.get("new_default_id")) is not None:
            b.text(" and ").connection(b.meta.get("new_default_id")).text(" took over")
    return b


def _connection_health_recorded(b: _Builder) -> _Builder:
    health = _label(ConnectionHealth, b.meta.get("health"), "unknown")
    code = _str(b.meta.get("reason_code"))
    b.text("A health check found ").connection(None, b.meta.get("client_id")).in_environment()
    b.text(f" {health.lower()}")
    if code:
        b.text(f" ({reason_label(code)})")
    return b


def _credentials_rotated(b: _Builder) -> _Builder:
    count = _int(b.meta.get("reencrypted_count")) or 0
    return b.actor().text(f" re-encrypted {_plural(count, 'stored credential')} with the current key")


def _operation_started(b: _Builder) -> _Builder:
    return (
        b.actor()
        .text(" started ")
        .run(b.row.target_id, operation_label(b.meta.get("operation_type")).lower() + f" (run {b.row.target_id})")
        .in_environment()
    )


def _operation_cancelled(b: _Builder) -> _Builder:
    return (
        b.actor()
        .text(" cancelled ")
        .run(b.row.target_id, operation_label(b.meta.get("operation_type")).lower() + f" (run {b.row.target_id})")
        .in_environment()
    )


def _inventory_sync_recorded(b: _Builder) -> _Builder:
    b.run(b.meta.get("run_id") or b.row.target_id, "Inventory sync").text(" of ").environment().text(" recorded ")
    counts = [(key, _int(b.meta.get(key)) or 0) for key in ("created", "updated", "unchanged", "gone", "skipped")]
    b.text(_join(f"{n} {key}" for key, n in counts if n) or "no changes")
    failed = b.meta.get("types_failed")
    if isinstance(failed, Mapping) and failed:
        b.text("; failed types: ", _join(policy_type_label(t) for t in sorted(failed)))
    return b


def _compliance_snapshot_recorded(b: _Builder) -> _Builder:
    total = _int(b.meta.get("device_total")) or 0
    compliant = _int(b.meta.get("compliant")) or 0
    noncompliant = _int(b.meta.get("noncompliant")) or 0
    b.text("Compliance snapshot of ").environment()
    b.text(f": {compliant} of {_plural(total, 'device')} compliant, {noncompliant} not compliant")
    if _int(b.meta.get("run_id")) is not None:
        b.text(" (").run(b.meta.get("run_id")).text(")")
    return b


def _schedule_updated(b: _Builder) -> _Builder:
    return (
        b.actor()
        .text(f" changed the {operation_label(b.meta.get('operation_type')).lower()} schedule of ")
        .environment()
        .text(
            f" from {_label(ScheduleFrequency, b.meta.get('from'), 'off')} to {_label(ScheduleFrequency, b.meta.get('to'), 'off')}"
        )
    )


def _inventory_types_updated(b: _Builder) -> _Builder:
    count = _int(b.meta.get("types")) or 0
    b.actor().text(f" chose {_plural(count, 'type')} to sync in ").environment()
    added = _join(policy_type_label(t) for t in _list(b.meta.get("added")))
    removed = _join(policy_type_label(t) for t in _list(b.meta.get("removed")))
    if added:
        b.text(f"; added {added}")
    if removed:
        b.text(f"; removed {removed}")
    return b


def _schedule_skipped(b: _Builder) -> _Builder:
    reason = _label(ScheduleResult, b.meta.get("reason"), "skipped")
    b.text(f"The scheduled {operation_label(b.meta.get('operation_type')).lower()} of ").environment()
    b.text(f" did not start: {reason}")
    if _int(b.meta.get("active_run_id")) is not None:
        b.text(" (").run(b.meta.get("active_run_id"), f"busy with run {b.meta.get('active_run_id')}").text(")")
    return b


def _subject_text(b: _Builder, facts: BindingFacts | None) -> str:
    """The governed subject in words: its type and the last segment of its canonical key."""
    key = _str(b.meta.get("canonical_subject_key"))
    tail = key.rsplit(":", 1)[-1] if key else ""
    with contextlib.suppress(ValueError):  # a malformed key is shown as stored
        tail = unescape_segment(tail)
    kind = policy_type_label(b.meta.get("subject_type")) if b.meta.get("subject_type") else "subject"
    return f"{kind} “{tail}”" if tail else f"a {kind.lower()}"


def _resource(b: _Builder, facts: BindingFacts | None) -> _Builder:
    rid = _str(b.meta.get("provider_resource_id"))
    if facts is not None and facts.resource_label:
        text = f"“{facts.resource_label}”"
    elif rid:
        text = f"{policy_type_label(b.meta.get('provider_resource_type'))} {rid}"
    else:
        text = "a provider resource"
    return b.inventory_item(b.meta.get("source_inventory_item_id"), text)


def _binding_decision(b: _Builder, verb: str, facts: BindingFacts | None) -> _Builder:
    mode = _str(b.meta.get("resolution_mode"))
    if mode in (ResolutionMode.EXACT_PROVIDER_IDENTITY, ResolutionMode.MANUAL_BINDING, "") or (
        mode in (ResolutionMode.CANONICAL_BUILTIN, ResolutionMode.CANONICAL_VIRTUAL_TARGET)
    ):
        b.text(f" {verb} {_subject_text(b, facts)} to ")
        _resource(b, facts)
        if mode:
            b.text(f" ({_label(ResolutionMode, mode).lower()})")
    else:
        b.text(f" recorded {_subject_text(b, facts)} as {_label(ResolutionMode, mode).lower()}")
    return b.in_environment()


def _binding_created(b: _Builder) -> _Builder:
    pk = _int(b.meta.get("binding_id")) or _int(b.row.target_id)
    facts = b.ctx.bindings.get(pk) if pk is not None else None
    if b.meta.get("automatic") is True or b.row.actor_label == "system":
        b.text("TenantPilot automatically")
    else:
        b.actor()
    _binding_decision(b, "bound", facts)
    b.text(" — ").binding(pk)
    return _note(b, text=facts.note if facts else "")


def _binding_superseded(b: _Builder) -> _Builder:
    pk = _int(b.meta.get("binding_id")) or _int(b.row.target_id)
    facts = b.ctx.bindings.get(pk) if pk is not None else None
    b.actor().text(" replaced ").binding(b.meta.get("previous_binding_id")).text(" with ").binding(pk).text(":")
    _binding_decision(b, "bound", facts)
    return _note(b, text=facts.note if facts else "")


def _binding_revoked(b: _Builder) -> _Builder:
    pk = _int(b.meta.get("binding_id")) or _int(b.row.target_id)
    facts = b.ctx.bindings.get(pk) if pk is not None else None
    b.actor().text(" revoked ").binding(pk).text(f" of {_subject_text(b, facts)}").in_environment()
    return _note(b, text=facts.end_note if facts else "")


def _profile_created(b: _Builder) -> _Builder:
    types = _list(b.meta.get("policy_types"))
    b.actor().text(" created the ").profile(b.meta.get("profile_id"), b.meta.get("name"))
    return b.text(f" governing {_plural(len(types), 'type')}" if types else "")


def _profile_updated(b: _Builder) -> _Builder:
    changed = b.meta.get("changed")
    names = _join(_humanize_field(f) for f in (changed if isinstance(changed, list) else []))
    return (
        b.actor()
        .text(" changed ", names or "the settings", " of the ")
        .profile(b.meta.get("profile_id"), b.meta.get("name"))
    )


def _profile_archived(b: _Builder) -> _Builder:
    return b.actor().text(" archived the ").profile(b.meta.get("profile_id"), b.meta.get("name"))


def _profile_assigned(b: _Builder) -> _Builder:
    return b.actor().text(" assigned the ").profile(b.meta.get("profile_id")).text(" to ").environment()


def _profile_unassigned(b: _Builder) -> _Builder:
    return b.actor().text(" unassigned the ").profile(b.meta.get("profile_id")).text(" from ").environment()


def _capture_requested(b: _Builder) -> _Builder:
    b.actor().text(" asked to capture the ").profile(b.meta.get("profile_id")).text(" from ").environment()
    b.text(" (").run(b.meta.get("run_id") or b.row.target_id).text(")")
    if b.meta.get("captured_anyway") is True:
        refusal = _str(b.meta.get("refusal"))
        b.text(" despite a warning", f": {refusal}" if refusal else "")
    return _note(b)


def _snapshot_captured(b: _Builder) -> _Builder:
    items = _int(b.meta.get("items")) or 0
    profile_id, snapshot_id = _int(b.meta.get("profile_id")), _int(b.meta.get("snapshot_id"))
    b.text("The ").profile(profile_id).text(" captured ")
    b.link(
        f"snapshot {snapshot_id}" if snapshot_id is not None else "a snapshot",
        "baseline-snapshot",
        allowed=profile_id in b.ctx.profiles and snapshot_id is not None and b.ctx.can_view_baselines,
        profile_id=profile_id,
        snapshot_id=snapshot_id,
    )
    b.text(f" with {_plural(items, 'item')} from ").environment()
    return b.text(" despite a warning" if b.meta.get("captured_anyway") is True else "")


def _compare_recorded(b: _Builder) -> _Builder:
    profile_id = _int(b.meta.get("profile_id"))
    b.link(
        "Compared",
        "baseline-result",
        allowed=profile_id in b.ctx.profiles and b.row.environment_id is not None and b.ctx.can_view_baselines,
        profile_id=profile_id,
        environment_id=b.row.environment_id,
    )
    b.text(" ").environment().text(" with the ").profile(profile_id).text(": ")
    counts = b.meta.get("counts")
    words = []
    if isinstance(counts, Mapping):
        words = [f"{n} {_label(CompareOutcome, k).lower()}" for k, n in sorted(counts.items()) if _int(n)]
    b.text(_join(words) or "nothing to compare")
    if b.meta.get("evidence_stale") is True:
        b.text(" (on stale inventory)")
    return b


def _review_set(b: _Builder) -> _Builder:
    to = _str(b.meta.get("to"))
    before = _str(b.meta.get("from"))
    b.actor().text(" set the review date of ").binding(b.meta.get("binding_id"))
    b.text(f" to {to[:10]}" if to else " to none")
    return b.text(f" (was {before[:10]})" if before else "")


def _sign_in_throttled(b: _Builder) -> _Builder:
    who = _str(b.meta.get("username"))
    address = _str(b.meta.get("address"))
    failures = _int(b.meta.get("failures")) or 0
    seconds = _int(b.meta.get("locked_seconds")) or 0
    return b.text(
        f"Sign-ins{f' of {who}' if who else ''}{f' from {address}' if address else ''} were locked for "
        f"{_plural(seconds, 'second')} after {_plural(failures, 'failed attempt')}"
    )


def _token_created(b: _Builder) -> _Builder:
    kind = "read-only" if b.meta.get("read_only") is True else "read-write"
    days = _int(b.meta.get("expires_in_days"))
    b.actor().text(f" created a {kind} ").link(f"API token {b.meta.get('token_id') or b.row.target_id}", "api-tokens")
    return b.text(f" valid for {_plural(days, 'day')}" if days else "")


def _token_revoked(b: _Builder) -> _Builder:
    return (
        b.actor()
        .text(" revoked ")
        .link(f"API token {b.meta.get('token_id') or b.row.target_id}", "api-tokens")
        .text(" of ")
        .user(b.meta.get("owner_id"))
    )


def _token_used_after_revoke(b: _Builder) -> _Builder:
    ip = _str(b.meta.get("ip"))
    return (
        b.text(f"Revoked API token {b.meta.get('token_id') or b.row.target_id} of ")
        .user(b.meta.get("owner_id"))
        .text(f" was presented{f' from {ip}' if ip else ''} and refused")
    )


def _alert_preference_updated(b: _Builder) -> _Builder:
    state = "on" if b.meta.get("email_enabled") is True else "off"
    return b.actor().text(f" turned their alert e-mails {state}")


def _alert_settings_updated(b: _Builder) -> _Builder:
    fields = _join(_humanize_field(f) for f in _list(b.meta.get("changed_fields")))
    b.actor().text(" changed ", fields or "the alert settings", " in the ").link(
        "alert settings", "alert-settings", allowed=b.ctx.can_view_alerts
    )
    if b.meta.get("secret_created") is True:
        b.text(" and a new webhook signing secret was created")
    return b


def _webhook_secret_rotated(b: _Builder) -> _Builder:
    return (
        b.actor()
        .text(" replaced the signing secret of the ")
        .link("alert webhook", "alert-settings", allowed=b.ctx.can_view_alerts)
    )


def _webhook_removed(b: _Builder) -> _Builder:
    return b.actor().text(" removed the ").link("alert webhook", "alert-settings", allowed=b.ctx.can_view_alerts)


def _webhook_tested(b: _Builder) -> _Builder:
    return (
        b.actor()
        .text(" sent a ")
        .link("test alert", "alert-deliveries", allowed=b.ctx.can_view_alerts)
        .text(" to the webhook")
    )


def _invitation_created(b: _Builder) -> _Builder:
    email = _str(b.meta.get("email")) or "someone"
    b.actor().text(f" invited {email} as {role_label(b.meta.get('role'))}")
    if b.meta.get("restricted") is True:
        b.text(" to ").environments_list(b.meta.get("environment_ids"))
    days = _int(b.meta.get("expires_in_days"))
    return b.text(f" (link valid for {_plural(days, 'day')})" if days else "")


def _invitation_revoked(b: _Builder) -> _Builder:
    email = _str(b.meta.get("email")) or "someone"
    return b.actor().text(f" withdrew the invitation of {email} as {role_label(b.meta.get('role'))}")


def _invitation_accepted(b: _Builder) -> _Builder:
    b.user(b.meta.get("user_id")).text(f" accepted an invitation and joined as {role_label(b.meta.get('role'))}")
    return b.text(" with a new login" if b.meta.get("login_created") is True else "")


def _login_created(b: _Builder) -> _Builder:
    role = _str(b.meta.get("role"))
    b.actor().text(" created the login ").user(b.meta.get("user_id"))
    return b.text(f" ({role_label(role)})" if role else "")


RENDERERS: dict[AuditAction, Renderer] = {
    AuditAction.WORKSPACE_CREATED: _workspace_created,
    AuditAction.ENVIRONMENT_CREATED: _environment_created,
    AuditAction.ENVIRONMENT_UPDATED: _environment_updated,
    AuditAction.ENVIRONMENT_ARCHIVED: _environment_archived,
    AuditAction.ENVIRONMENT_RESTORED: _environment_restored,
    AuditAction.MEMBER_ADDED: _member_added,
    AuditAction.MEMBER_ROLE_CHANGED: _member_role_changed,
    AuditAction.MEMBER_REMOVED: _member_removed,
    AuditAction.MEMBER_ACCESS_CHANGED: _member_access_changed,
    AuditAction.CONNECTION_CREATED: _connection_created,
    AuditAction.CONNECTION_UPDATED: _connection_updated,
    AuditAction.CONNECTION_CREDENTIAL_REPLACED: _connection_credential_replaced,
    AuditAction.CONNECTION_DEFAULT_CHANGED: _connection_default_changed,
    AuditAction.CONNECTION_ENABLED: _connection_enabled,
    AuditAction.CONNECTION_DISABLED: _connection_disabled,
    AuditAction.CONNECTION_DELETED: _connection_deleted,
    AuditAction.CONNECTION_HEALTH_RECORDED: _connection_health_recorded,
    AuditAction.CREDENTIAL_KEYS_ROTATED: _credentials_rotated,
    AuditAction.OPERATION_STARTED: _operation_started,
    AuditAction.OPERATION_CANCELLED: _operation_cancelled,
    AuditAction.INVENTORY_SYNC_RECORDED: _inventory_sync_recorded,
    AuditAction.COMPLIANCE_SNAPSHOT_RECORDED: _compliance_snapshot_recorded,
    AuditAction.SCHEDULE_UPDATED: _schedule_updated,
    AuditAction.INVENTORY_TYPES_UPDATED: _inventory_types_updated,
    AuditAction.SCHEDULE_SKIPPED: _schedule_skipped,
    AuditAction.RESOURCE_BINDING_CREATED: _binding_created,
    AuditAction.RESOURCE_BINDING_SUPERSEDED: _binding_superseded,
    AuditAction.RESOURCE_BINDING_REVOKED: _binding_revoked,
    AuditAction.BASELINE_PROFILE_CREATED: _profile_created,
    AuditAction.BASELINE_PROFILE_UPDATED: _profile_updated,
    AuditAction.BASELINE_PROFILE_ARCHIVED: _profile_archived,
    AuditAction.BASELINE_PROFILE_ASSIGNED: _profile_assigned,
    AuditAction.BASELINE_PROFILE_UNASSIGNED: _profile_unassigned,
    AuditAction.BASELINE_CAPTURE_REQUESTED: _capture_requested,
    AuditAction.BASELINE_SNAPSHOT_CAPTURED: _snapshot_captured,
    AuditAction.BASELINE_COMPARE_RECORDED: _compare_recorded,
    AuditAction.BASELINE_REVIEW_SET: _review_set,
    AuditAction.SIGN_IN_THROTTLED: _sign_in_throttled,
    AuditAction.API_TOKEN_CREATED: _token_created,
    AuditAction.API_TOKEN_REVOKED: _token_revoked,
    AuditAction.API_TOKEN_USED_AFTER_REVOKE: _token_used_after_revoke,
    AuditAction.ALERT_PREFERENCE_UPDATED: _alert_preference_updated,
    AuditAction.ALERT_SETTINGS_UPDATED: _alert_settings_updated,
    AuditAction.ALERT_WEBHOOK_SECRET_ROTATED: _webhook_secret_rotated,
    AuditAction.ALERT_WEBHOOK_REMOVED: _webhook_removed,
    AuditAction.ALERT_WEBHOOK_TESTED: _webhook_tested,
    AuditAction.INVITATION_CREATED: _invitation_created,
    AuditAction.INVITATION_REVOKED: _invitation_revoked,
    AuditAction.INVITATION_ACCEPTED: _invitation_accepted,
    AuditAction.LOGIN_CREATED: _login_created,
}


def generic_sentence(row: AuditEntry) -> Sentence:
    """The fallback: "<actor>: <action label>" (used only for an unregistered or failing row)."""
    try:
        label = str(AuditAction(row.action).label)
    except ValueError:
        label = row.action
    return Sentence((Part(f"{row.actor_label or 'someone'}: {label}"),))


def audit_sentence(row: AuditEntry, ctx: AuditContext) -> Sentence:
    """``row`` as a sentence for the viewer described by ``ctx``; never raises."""
    try:
        renderer = RENDERERS[AuditAction(row.action)]
    except (ValueError, KeyError):
        return generic_sentence(row)
    try:
        return renderer(_Builder(row, ctx)).sentence()
    except Exception:  # noqa: BLE001 - a page must render whatever an old row holds
        return generic_sentence(row)


# Metadata keys whose values name users, environments, connections, profiles or bindings:
# what the page must look up (in one query per kind) before rendering.
USER_KEYS = ("user_id", "owner_user_id", "owner_id")
ENVIRONMENT_KEYS = ("environment_id",)
ENVIRONMENT_LIST_KEYS = ("environment_ids",)
CONNECTION_KEYS = ("new_default_id", "previous_default_id", "provider_connection_id")
PROFILE_KEYS = ("profile_id",)
BINDING_KEYS = ("binding_id", "previous_binding_id")
CONNECTION_TARGET = "providers.providerconnection"
BINDING_TARGET = "resources.providerresourcebinding"


@dataclass
class ReferencedIds:
    """Every id a page of rows refers to, by kind (what :class:`AuditContext` must name)."""

    users: set[int] = field(default_factory=set)
    environments: set[int] = field(default_factory=set)
    connections: set[int] = field(default_factory=set)
    profiles: set[int] = field(default_factory=set)
    bindings: set[int] = field(default_factory=set)


def referenced_ids(rows: Iterable[AuditEntry]) -> ReferencedIds:
    """The ids of users, environments, connections, profiles and bindings ``rows`` mention."""
    found = ReferencedIds()

    def add(bucket: set[int], value: object) -> None:
        pk = _int(value)
        if pk is not None:
            bucket.add(pk)

    for row in rows:
        meta = _meta(row)
        for key in USER_KEYS:
            add(found.users, meta.get(key))
        for key in ENVIRONMENT_KEYS:
            add(found.environments, meta.get(key))
        for key in ENVIRONMENT_LIST_KEYS:
            for value in _list(meta.get(key)):
                add(found.environments, value)
        if row.environment_id is not None:
            found.environments.add(row.environment_id)
        for key in CONNECTION_KEYS:
            add(found.connections, meta.get(key))
        if row.target_type == CONNECTION_TARGET:
            add(found.connections, row.target_id)
        for key in PROFILE_KEYS:
            add(found.profiles, meta.get(key))
        for key in BINDING_KEYS:
            add(found.bindings, meta.get(key))
        if row.target_type == BINDING_TARGET:
            add(found.bindings, row.target_id)
    return found
