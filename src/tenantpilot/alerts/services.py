"""Writes of alerting: members' preferences and the workspace's alert settings (authorized, audited),
the alerts themselves (system writes, once per state change) and their deliveries.

How an alert is decided: every alerted subject has an ``AlertState``; an event (a run ended, a
health check was recorded, a compare was recorded) computes the subject's new state and alerts
only when it differs from the stored one. A connection failing five checks in a row alerts once;
healthy again alerts once more as *recovered* when the workspace wants recovery alerts. Drift is
compared with the previous compare of the same environment and profile: an alert when a drift,
missing or unexpected count rises or a subject drifts that did not before.

Who is told: in the console, every owner and manager who may see the environment (the run's
initiator already has their own notification and gets no second one); by e-mail, those of them
who opted in; and the workspace's webhook when it is enabled. E-mail and webhook deliveries are
rows sent by a worker task (``tasks.alert_delivery_task``) with retries and exponential backoff.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.services import audit_record
from tenantpilot.baselines.models import BaselineCompareItem, BaselineCompareResult
from tenantpilot.core.errors import Conflict, Forbidden, ValidationFailed
from tenantpilot.operations.choices import OperationType, RunOutcome
from tenantpilot.operations.models import Notification, OperationRun
from tenantpilot.operations.reasons import reason_label
from tenantpilot.providers.choices import ConnectionHealth
from tenantpilot.providers.credentials import seal_secret, unseal_secret
from tenantpilot.providers.models import ProviderConnection
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.models import ManagedEnvironment, Workspace, WorkspaceMembership

from . import policies, webhooks
from .choices import AlertKind, AlertLevel, DeliveryChannel, WebhookFormat
from .models import Alert, AlertDelivery, AlertPreference, AlertSettings, AlertState
from .tasks import enqueue_delivery

logger = logging.getLogger("tenantpilot.alerts")

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix that lets secret scanners find leaked ones
#: Outcomes of the compare that count as drift for alerting.
DRIFT_OUTCOMES = ("drift", "missing", "unexpected")


# --------------------------------------------------------------------------------------------
# Settings (operators)


def alert_settings_for(workspace: Workspace) -> AlertSettings:
    """The workspace's settings row, or an unsaved default one (reading never writes)."""
    return AlertSettings.objects.filter(workspace=workspace).first() or AlertSettings(workspace=workspace)


def alert_preference_set(*, scope: Scope, email_enabled: bool) -> AlertPreference:
    """Set the member's own e-mail preference in this workspace (audited when it changes)."""
    scope.require(policies.SET_OWN_PREFERENCE)
    with transaction.atomic():
        preference, _ = AlertPreference.objects.select_for_update().get_or_create(
            workspace=scope.workspace, user=scope.user
        )
        if preference.email_enabled != bool(email_enabled):
            preference.email_enabled = bool(email_enabled)
            preference.save(update_fields=["email_enabled", "updated_at"])
            audit_record(
                actor=scope.user,
                action=AuditAction.ALERT_PREFERENCE_UPDATED,
                workspace=scope.workspace,
                target=preference,
                metadata={"email_enabled": preference.email_enabled},
            )
    return preference


def _require_webhook_authority(scope: Scope) -> None:
    """Owners and managers who see every environment: the webhook hears about all of them."""
    scope.require(policies.MANAGE_ALERTS)
    if scope.is_restricted:
        raise Forbidden(
            "A member restricted to some environments cannot change the workspace's alerting: "
            "its webhook receives alerts about every environment."
        )


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class SettingsChange:
    """The saved settings and, when one was made now, the webhook's new secret (shown once)."""

    settings: AlertSettings
    new_secret: str = ""


def alert_settings_update(
    *,
    scope: Scope,
    notify_recovery: bool,
    webhook_enabled: bool,
    webhook_format: str,
    webhook_url: str = "",
) -> SettingsChange:
    """Change recovery alerts and the webhook. An empty ``webhook_url`` keeps the stored one; the
    first URL makes a signing secret (returned once). Audited with the changed field names only."""
    _require_webhook_authority(scope)
    if webhook_format not in WebhookFormat.values:
        raise ValidationFailed("Choose a payload format.", field="webhook_format")
    url = webhooks.validate_url(webhook_url, field="webhook_url") if (webhook_url or "").strip() else ""
    new_secret = ""
    with transaction.atomic():
        current = AlertSettings.objects.select_for_update().filter(workspace=scope.workspace).first()
        current = current or AlertSettings(workspace=scope.workspace)
        changed: list[str] = []
        if url:
            if current.webhook_sealed:
                secret = unseal_secret(current.webhook_sealed)["secret"]
            else:
                secret = new_secret = _new_secret()
            current.webhook_sealed = seal_secret({"url": url, "secret": secret})
            current.webhook_url_hint = webhooks.url_hint(url)
            current.webhook_secret_hint = secret[: len(SECRET_PREFIX) + 4]
            changed.append("webhook_url")
        if webhook_enabled and not current.webhook_sealed:
            raise ValidationFailed("Enter the webhook URL before enabling it.", field="webhook_url")
        for name, value in (
            ("notify_recovery", bool(notify_recovery)),
            ("webhook_enabled", bool(webhook_enabled)),
            ("webhook_format", webhook_format),
        ):
            if getattr(current, name) != value:
                setattr(current, name, value)
                changed.append(name)
        if not changed:
            return SettingsChange(current)
        current.save()
        audit_record(
            actor=scope.user,
            action=AuditAction.ALERT_SETTINGS_UPDATED,
            workspace=scope.workspace,
            target=current,
            metadata={
                "changed_fields": sorted(changed),
                "webhook_enabled": current.webhook_enabled,
                "webhook_format": current.webhook_format,
                "secret_created": bool(new_secret),
            },
        )
    return SettingsChange(current, new_secret)


def alert_webhook_rotate_secret(*, scope: Scope) -> SettingsChange:
    """Replace the webhook's signing secret; the new one is returned once and never shown again."""
    _require_webhook_authority(scope)
    with transaction.atomic():
        current = AlertSettings.objects.select_for_update().filter(workspace=scope.workspace).first()
        if current is None or not current.webhook_sealed:
            raise Conflict("There is no webhook to rotate a secret for.")
        url = unseal_secret(current.webhook_sealed)["url"]
        secret = _new_secret()
        current.webhook_sealed = seal_secret({"url": url, "secret": secret})
        current.webhook_secret_hint = secret[: len(SECRET_PREFIX) + 4]
        current.save(update_fields=["webhook_sealed", "webhook_secret_hint", "updated_at"])
        audit_record(
            actor=scope.user,
            action=AuditAction.ALERT_WEBHOOK_SECRET_ROTATED,
            workspace=scope.workspace,
            target=current,
            metadata={},
        )
    return SettingsChange(current, secret)


def alert_webhook_remove(*, scope: Scope) -> AlertSettings:
    """Forget the webhook (URL and secret); pending deliveries to it fail at their next attempt."""
    _require_webhook_authority(scope)
    with transaction.atomic():
        current = AlertSettings.objects.select_for_update().filter(workspace=scope.workspace).first()
        if current is None or not current.webhook_sealed:
            raise Conflict("There is no webhook to remove.")
        current.webhook_sealed = ""
        current.webhook_url_hint = current.webhook_secret_hint = ""
        current.webhook_enabled = False
        current.save()
        audit_record(
            actor=scope.user,
            action=AuditAction.ALERT_WEBHOOK_REMOVED,
            workspace=scope.workspace,
            target=current,
            metadata={},
        )
    return current


def alert_webhook_test(*, scope: Scope, now: dt.datetime | None = None) -> AlertDelivery:
    """Queue a test alert to the webhook (sent by a worker; see the delivery log)."""
    _require_webhook_authority(scope)
    now = now or timezone.now()
    with transaction.atomic():
        current = AlertSettings.objects.filter(workspace=scope.workspace).first()
        if current is None or not current.webhook_sealed:
            raise Conflict("Configure a webhook first.")
        alert = Alert.objects.create(
            workspace=scope.workspace,
            kind=AlertKind.TEST,
            level=AlertLevel.INFO,
            subject_key="test",
            title="Test alert from TenantPilot",
            body="If you can read this, the webhook works.",
            path=reverse("console:alert-settings", kwargs={"workspace": scope.workspace.slug}),
            created_at=now,
        )
        delivery = _webhook_delivery(alert, current, now)
        audit_record(
            actor=scope.user,
            action=AuditAction.ALERT_WEBHOOK_TESTED,
            workspace=scope.workspace,
            target=alert,
            metadata={"delivery_id": delivery.pk},
        )
        transaction.on_commit(partial(enqueue_delivery, delivery.pk))
    return delivery


def rotate_sealed_webhooks(rotate: Any) -> dict[int, int]:
    """Re-seal every webhook with the newest credential key (called by the key rotation)."""
    per_workspace: dict[int, int] = {}
    for row in AlertSettings.objects.select_for_update().exclude(webhook_sealed="").order_by("pk"):
        AlertSettings.objects.filter(pk=row.pk).update(webhook_sealed=rotate(row.webhook_sealed))
        per_workspace[row.workspace_id] = per_workspace.get(row.workspace_id, 0) + 1
    return per_workspace


# --------------------------------------------------------------------------------------------
# States and alerts (system)


def _transition_state(
    *, workspace_id: int, environment_id: int | None, subject_key: str, state: str, now: dt.datetime
) -> str | None:
    """Store ``state`` for the subject; return the previous one (``None``: never seen)."""
    row = AlertState.objects.select_for_update().filter(workspace_id=workspace_id, subject_key=subject_key).first()
    if row is None:
        try:
            with transaction.atomic():
                AlertState.objects.create(
                    workspace_id=workspace_id,
                    environment_id=environment_id,
                    subject_key=subject_key,
                    state=state,
                    changed_at=now,
                )
            return None
        except IntegrityError:  # another worker recorded it first
            row = AlertState.objects.select_for_update().get(workspace_id=workspace_id, subject_key=subject_key)
    previous = row.state
    if previous != state:
        row.state, row.changed_at = state, now
        row.save(update_fields=["state", "changed_at"])
    return previous


def _recipients(workspace_id: int, environment_id: int | None) -> list[WorkspaceMembership]:
    """Owners and managers (active logins) who may see the environment."""
    qs = WorkspaceMembership.objects.filter(
        workspace_id=workspace_id, role__in=policies.recipient_roles(), user__is_active=True
    )
    if environment_id is not None:
        qs = qs.filter(
            Q(restricted_environments=False) | Q(environment_grants__environment_id=environment_id)
        ).distinct()
    return list(qs.select_related("user").order_by("pk"))


def raise_alert(
    *,
    workspace_id: int,
    environment_id: int | None,
    kind: AlertKind,
    level: AlertLevel,
    subject_key: str,
    title: str,
    body: str = "",
    path: str = "",
    facts: Mapping[str, Any] | None = None,
    skip_in_app_user_ids: Iterable[int] = (),
    now: dt.datetime | None = None,
) -> Alert:
    """Record one alert and tell the workspace: in-console notifications, e-mail deliveries for
    those who opted in, a webhook delivery when enabled. Deliveries are queued after commit."""
    now = now or timezone.now()
    alert = Alert.objects.create(
        workspace_id=workspace_id,
        environment_id=environment_id,
        kind=kind,
        level=level,
        subject_key=subject_key[:200],
        title=title[:200],
        body=body[:400],
        path=path[:300],
        facts=dict(facts or {}),
        created_at=now,
    )
    members = _recipients(workspace_id, environment_id)
    skip = set(skip_in_app_user_ids)
    Notification.objects.bulk_create(
        [
            Notification(
                workspace_id=workspace_id,
                environment_id=environment_id,
                user_id=m.user_id,
                level=level,
                title=alert.title,
                body=alert.body,
            )
            for m in members
            if m.user_id not in skip
        ]
    )
    opted_in = set(
        AlertPreference.objects.filter(
            workspace_id=workspace_id, email_enabled=True, user_id__in=[m.user_id for m in members]
        ).values_list("user_id", flat=True)
    )
    deliveries = [
        AlertDelivery(
            workspace_id=workspace_id,
            environment_id=environment_id,
            alert=alert,
            channel=DeliveryChannel.EMAIL,
            user_id=m.user_id,
            recipient=m.user.email[:300],
            next_attempt_at=now,
            created_at=now,
        )
        for m in members
        if m.user_id in opted_in and m.user.email
    ]
    AlertDelivery.objects.bulk_create(deliveries)
    ids = [d.pk for d in deliveries]
    workspace_settings = AlertSettings.objects.filter(workspace_id=workspace_id, webhook_enabled=True).first()
    if workspace_settings is not None and workspace_settings.webhook_sealed:
        ids.append(_webhook_delivery(alert, workspace_settings, now).pk)
    for delivery_id in ids:
        transaction.on_commit(partial(enqueue_delivery, delivery_id))
    return alert


def _webhook_delivery(alert: Alert, workspace_settings: AlertSettings, now: dt.datetime) -> AlertDelivery:
    return AlertDelivery.objects.create(
        workspace_id=alert.workspace_id,
        environment_id=alert.environment_id,
        alert=alert,
        channel=DeliveryChannel.WEBHOOK,
        recipient=workspace_settings.webhook_url_hint,
        next_attempt_at=now,
        created_at=now,
    )


def _notify_recovery(workspace_id: int) -> bool:
    row = AlertSettings.objects.filter(workspace_id=workspace_id).values_list("notify_recovery", flat=True).first()
    return True if row is None else bool(row)


def _environment_name(environment_id: int | None) -> str:
    if environment_id is None:
        return ""
    return ManagedEnvironment.objects.filter(pk=environment_id).values_list("display_name", flat=True).first() or ""


def _join(*parts: str) -> str:
    return " · ".join(p for p in parts if p)


_RUN_STATES = {
    RunOutcome.SUCCEEDED.value: "ok",
    RunOutcome.PARTIALLY_SUCCEEDED.value: "partial",
    RunOutcome.FAILED.value: "failed",
}


def run_subject_key(run: OperationRun) -> str:
    """What a run's state is kept for: its scope, type and target (connection or profile)."""
    target = ""
    if run.connection_id is not None:
        target = f":connection:{run.connection_id}"
    elif isinstance((run.context or {}).get("profile_id"), int):
        target = f":profile:{run.context['profile_id']}"
    return f"run:{run.scope_key}:{run.type}{target}"


def alert_on_run_finished(run: OperationRun, *, now: dt.datetime | None = None) -> Alert | None:
    """A failed or partial run alerts when its target was not already failing that way; success
    after failure alerts as recovered. A health check's verdict alerts as the connection's health
    (not twice); a cancelled run changes nothing."""
    state = _RUN_STATES.get(run.outcome)
    if state is None:
        return None
    if run.type == OperationType.PROVIDER_HEALTH_CHECK and run.connection_id is not None:
        checked = (
            ProviderConnection.objects.filter(pk=run.connection_id).values_list("last_checked_at", flat=True).first()
        )
        if checked is not None and run.started_at is not None and checked >= run.started_at:
            return None
    now = now or timezone.now()
    key = run_subject_key(run)
    previous = _transition_state(
        workspace_id=run.workspace_id, environment_id=run.environment_id, subject_key=key, state=state, now=now
    )
    if previous == state or (previous is None and state == "ok"):
        return None
    environment_name = _environment_name(run.environment_id)
    facts = {"run_id": run.pk, "operation_type": run.type, "outcome": run.outcome, "reason_code": run.reason_code}
    path = reverse("console:operation-detail", kwargs={"workspace": run.workspace.slug, "run_id": run.pk})
    if state == "ok":
        if not _notify_recovery(run.workspace_id):
            return None
        kind, level, title = AlertKind.RUN_RECOVERED, AlertLevel.SUCCESS, f"{run.type_label} succeeded again"
    elif state == "failed":
        kind, level, title = AlertKind.RUN_FAILED, AlertLevel.ERROR, f"{run.type_label} failed"
    else:
        kind, level, title = AlertKind.RUN_PARTIAL, AlertLevel.WARNING, f"{run.type_label} partially succeeded"
    by = "scheduled" if run.initiator_id is None else f"started by {run.initiator_label}"
    body = _join(environment_name, reason_label(run.reason_code) if run.reason_code else "", f"run #{run.pk} ({by})")
    return raise_alert(
        workspace_id=run.workspace_id,
        environment_id=run.environment_id,
        kind=kind,
        level=level,
        subject_key=key,
        title=title,
        body=body,
        path=path,
        facts=facts,
        skip_in_app_user_ids=[run.initiator_id] if run.initiator_id is not None else [],
        now=now,
    )


def alert_on_connection_health(connection: ProviderConnection, *, now: dt.datetime | None = None) -> Alert | None:
    """A connection turning degraded or unhealthy alerts once; healthy again alerts as recovered.
    ``unknown`` (never checked, or a credential just replaced) changes no state."""
    health = connection.health
    if health == ConnectionHealth.UNKNOWN:
        return None
    now = now or timezone.now()
    key = f"connection:{connection.pk}"
    previous = _transition_state(
        workspace_id=connection.workspace_id,
        environment_id=connection.environment_id,
        subject_key=key,
        state=health,
        now=now,
    )
    if previous == health or (previous is None and health == ConnectionHealth.HEALTHY):
        return None
    workspace_slug = Workspace.objects.filter(pk=connection.workspace_id).values_list("slug", flat=True).get()
    path = reverse(
        "console:connection-detail",
        kwargs={
            "workspace": workspace_slug,
            "environment_id": connection.environment_id,
            "connection_id": connection.pk,
        },
    )
    facts = {"connection_id": connection.pk, "health": health, "reason_code": connection.last_reason_code}
    name = f"“{connection.display_name}”"
    if health == ConnectionHealth.HEALTHY:
        if not _notify_recovery(connection.workspace_id):
            return None
        kind, level, title = AlertKind.CONNECTION_RECOVERED, AlertLevel.SUCCESS, f"Connection {name} is healthy again"
    elif health == ConnectionHealth.UNHEALTHY:
        kind, level, title = AlertKind.CONNECTION_UNHEALTHY, AlertLevel.ERROR, f"Connection {name} is unhealthy"
    else:
        kind, level, title = AlertKind.CONNECTION_DEGRADED, AlertLevel.WARNING, f"Connection {name} is degraded"
    body = _join(
        _environment_name(connection.environment_id),
        reason_label(connection.last_reason_code) if connection.last_reason_code else "",
        connection.last_message,
    )
    return raise_alert(
        workspace_id=connection.workspace_id,
        environment_id=connection.environment_id,
        kind=kind,
        level=level,
        subject_key=key,
        title=title,
        body=body,
        path=path,
        facts=facts,
        now=now,
    )


def _drift_keys(result_id: int) -> set[tuple[str, str, str]]:
    return set(
        BaselineCompareItem.objects.filter(result_id=result_id, outcome__in=DRIFT_OUTCOMES).values_list(
            "outcome", "policy_type", "canonical_subject_key"
        )
    )


def alert_on_compare(result: BaselineCompareResult, *, now: dt.datetime | None = None) -> Alert | None:
    """New drift against the previous compare of the same environment and profile: a drift,
    missing or unexpected count rose, or a subject is drifting (in that way) that was not.
    The same drift compared again alerts nothing; no drift left after some alerts as cleared."""
    previous = (
        BaselineCompareResult.objects.filter(environment_id=result.environment_id, profile_id=result.profile_id)
        .exclude(pk=result.pk)
        .filter(Q(created_at__lt=result.created_at) | Q(created_at=result.created_at, pk__lt=result.pk))
        .order_by("-created_at", "-pk")
        .first()
    )
    counts: dict[str, int] = {o: int(result.counts.get(o, 0) or 0) for o in DRIFT_OUTCOMES}
    before: dict[str, int] = {o: int(previous.counts.get(o, 0) or 0) if previous else 0 for o in DRIFT_OUTCOMES}
    drifting, drifted_before = any(counts.values()), any(before.values())
    # Always both queries, drift or not: a compare's query count does not depend on its findings.
    current_keys = _drift_keys(result.pk)
    new_keys = current_keys - (_drift_keys(previous.pk) if previous is not None else set())
    rising = [o for o in DRIFT_OUTCOMES if counts[o] > before[o]]
    now = now or timezone.now()
    key = f"drift:env:{result.environment_id}:profile:{result.profile_id}"
    profile_name = result.profile.name
    workspace_slug = Workspace.objects.filter(pk=result.workspace_id).values_list("slug", flat=True).get()
    path = reverse(
        "console:baseline-result",
        kwargs={"workspace": workspace_slug, "profile_id": result.profile_id, "environment_id": result.environment_id},
    )
    facts: dict[str, Any] = {
        "result_id": result.pk,
        "profile_id": result.profile_id,
        "previous_result_id": previous.pk if previous else None,
        "counts": counts,
        "previous_counts": before,
        "new_subjects": len(new_keys),
    }
    if new_keys or rising:
        summary = ", ".join(f"{counts[o]} {o}" for o in DRIFT_OUTCOMES if counts[o])
        body = _join(_environment_name(result.environment_id), summary, f"{len(new_keys)} newly drifting subject(s)")
        return raise_alert(
            workspace_id=result.workspace_id,
            environment_id=result.environment_id,
            kind=AlertKind.DRIFT_NEW,
            level=AlertLevel.WARNING,
            subject_key=key,
            title=f"New drift from baseline “{profile_name}”",
            body=body,
            path=path,
            facts=facts,
            now=now,
        )
    if previous is not None and drifted_before and not drifting and _notify_recovery(result.workspace_id):
        return raise_alert(
            workspace_id=result.workspace_id,
            environment_id=result.environment_id,
            kind=AlertKind.DRIFT_CLEARED,
            level=AlertLevel.SUCCESS,
            subject_key=key,
            title=f"No drift from baseline “{profile_name}” any more",
            body=_environment_name(result.environment_id),
            path=path,
            facts=facts,
            now=now,
        )
    return None
