"""Sending alert deliveries (run by workers only): one attempt at a time, retried with
exponential backoff, recorded on the delivery row (the console's delivery log).

The clock is a parameter (``now``), so retries and backoff are tested without waiting.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from tenantpilot.providers.credentials import CredentialUnavailable, unseal_secret

from . import payloads, webhooks
from .choices import DeliveryChannel, DeliveryStatus
from .models import AlertDelivery, AlertSettings

logger = logging.getLogger("tenantpilot.alerts.delivery")


def backoff_seconds(attempts: int) -> float:
    """Wait before attempt ``attempts + 1``: base × 2^(attempts − 1), capped."""
    base = float(settings.TENANTPILOT_ALERT_RETRY_BASE_SECONDS)
    cap = float(settings.TENANTPILOT_ALERT_RETRY_MAX_SECONDS)
    return min(cap, base * (2 ** max(0, attempts - 1)))


def _message(delivery: AlertDelivery) -> payloads.AlertMessage:
    alert = delivery.alert
    base = str(getattr(settings, "TENANTPILOT_BASE_URL", "") or "").rstrip("/")
    return payloads.AlertMessage(
        alert_id=alert.pk,
        kind=alert.kind,
        level=alert.level,
        title=alert.title,
        body=alert.body,
        workspace=alert.workspace.slug,
        environment_id=alert.environment_id,
        environment_name=alert.environment.display_name if alert.environment is not None else "",
        url=f"{base}{alert.path}" if alert.path else "",
        occurred_at=alert.created_at.isoformat(),
        facts=alert.facts,
    )


@dataclass(frozen=True)
class _Outcome:
    ok: bool
    retryable: bool
    status_code: int | None = None
    error: str = ""


def _send_webhook(delivery: AlertDelivery, now: dt.datetime) -> _Outcome:
    workspace_settings = AlertSettings.objects.filter(workspace_id=delivery.workspace_id).first()
    if workspace_settings is None or not workspace_settings.webhook_sealed:
        return _Outcome(False, False, error="The webhook was removed.")
    try:
        sealed = unseal_secret(workspace_settings.webhook_sealed)
    except CredentialUnavailable:
        return _Outcome(False, False, error="The webhook's secret cannot be decrypted with the key ring.")
    timestamp = int(now.timestamp())
    body = payloads.render(
        workspace_settings.webhook_format, _message(delivery), delivery_id=delivery.pk, timestamp=timestamp
    )
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "TenantPilot-Alerts",
        payloads.EVENT_HEADER: delivery.alert.kind,
        payloads.DELIVERY_HEADER: str(delivery.pk),
        payloads.TIMESTAMP_HEADER: str(timestamp),
        payloads.SIGNATURE_HEADER: payloads.sign(sealed["secret"], body),
    }
    result = webhooks.post(
        sealed["url"], body, headers, timeout=float(settings.TENANTPILOT_ALERT_WEBHOOK_TIMEOUT_SECONDS)
    )
    return _Outcome(result.ok, result.retryable, result.status_code, result.error)


def _send_email(delivery: AlertDelivery, now: dt.datetime) -> _Outcome:
    message = _message(delivery)
    lines = [message.title, "", message.body]
    if message.url:
        lines += ["", message.url]
    lines += ["", "You receive this because you opted in to alert e-mails in this TenantPilot workspace."]
    email = EmailMessage(
        subject=f"[TenantPilot · {message.workspace}] {message.title}",
        body="\n".join(lines),
        to=[delivery.recipient],
    )
    try:
        email.send(fail_silently=False)
    except OSError as error:  # smtplib's errors are OSErrors; the text may name the server only
        return _Outcome(False, True, error=f"Sending failed ({type(error).__name__}).")
    return _Outcome(True, False)


def delivery_attempt(delivery_id: int, *, now: dt.datetime | None = None) -> AlertDelivery | None:
    """Make one attempt of a due delivery (a worker's task). Not pending or not yet due: nothing.

    The row is claimed (``pending → sending``, attempt counted) in its own transaction, sent
    outside any transaction, and the result recorded: ``delivered``; ``pending`` again after
    ``backoff_seconds(attempts)`` when retrying may help and attempts remain; else ``failed``.
    """
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            AlertDelivery.objects.select_for_update(of=("self",))
            .select_related("alert", "alert__workspace", "alert__environment")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return delivery
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return delivery
        delivery.status = DeliveryStatus.SENDING
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.save(update_fields=["status", "attempts", "last_attempt_at"])
    try:
        send = _send_webhook if delivery.channel == DeliveryChannel.WEBHOOK else _send_email
        outcome = send(delivery, now)
    except Exception as exc:  # noqa: BLE001 - a bug must not leave the row "sending"
        logger.error("alert delivery %s raised %s", delivery_id, type(exc).__name__)
        outcome = _Outcome(False, True, error="Internal error while sending.")
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error[:200]
    max_attempts = int(settings.TENANTPILOT_ALERT_MAX_ATTEMPTS)
    if outcome.ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, now, None
    elif outcome.retryable and delivery.attempts < max_attempts:
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = now + dt.timedelta(seconds=backoff_seconds(delivery.attempts))
    else:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
    delivery.save(update_fields=["status", "delivered_at", "next_attempt_at", "last_status_code", "last_error"])
    if delivery.status == DeliveryStatus.PENDING:
        logger.info("alert delivery %s attempt %s failed; retrying later", delivery.pk, delivery.attempts)
    elif delivery.status == DeliveryStatus.FAILED:
        logger.warning("alert delivery %s failed after %s attempt(s)", delivery.pk, delivery.attempts)
    return delivery


def deliveries_due(
    *, now: dt.datetime | None = None, grace_seconds: float = 0, stuck_seconds: float = 300, limit: int = 200
) -> list[int]:
    """Attempt pending deliveries due for ``grace_seconds`` or longer (the retries of a queue
    without deferred tasks, and deliveries whose task was lost); a delivery left ``sending`` by a
    dead worker for ``stuck_seconds`` is made pending again first. Returns the ids attempted."""
    now = now or timezone.now()
    AlertDelivery.objects.filter(
        status=DeliveryStatus.SENDING, last_attempt_at__lt=now - dt.timedelta(seconds=stuck_seconds)
    ).update(status=DeliveryStatus.PENDING, next_attempt_at=now, last_error="The worker sending it was lost.")
    due = list(
        AlertDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now - dt.timedelta(seconds=grace_seconds)
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in due:
        delivery_attempt(delivery_id, now=now)
    return due
