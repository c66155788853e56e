"""Enumerations of alerting: what happened, how loud, where it goes, and how a delivery went."""

from __future__ import annotations

from django.db import models


class AlertKind(models.TextChoices):
    """One kind per state change the workspace is told about."""

    RUN_FAILED = "run.failed", "Run failed"
    RUN_PARTIAL = "run.partially_succeeded", "Run partially succeeded"
    RUN_RECOVERED = "run.recovered", "Run succeeded again"
    CONNECTION_UNHEALTHY = "connection.unhealthy", "Connection unhealthy"
    CONNECTION_DEGRADED = "connection.degraded", "Connection degraded"
    CONNECTION_RECOVERED = "connection.recovered", "Connection healthy again"
    DRIFT_NEW = "drift.new", "New drift"
    DRIFT_CLEARED = "drift.cleared", "Drift cleared"
    TEST = "test", "Test alert"


RECOVERY_KINDS = frozenset({AlertKind.RUN_RECOVERED, AlertKind.CONNECTION_RECOVERED, AlertKind.DRIFT_CLEARED})


class AlertLevel(models.TextChoices):
    """How loud an alert is (the notification level of the in-console copy)."""

    ERROR = "error", "Error"
    WARNING = "warning", "Warning"
    SUCCESS = "success", "Success"
    INFO = "info", "Info"


class WebhookFormat(models.TextChoices):
    """The body a webhook receives."""

    JSON = "json", "TenantPilot JSON"
    SLACK = "slack", 'Slack-compatible ({"text": …})'
    TEAMS = "teams", "Microsoft Teams-compatible (MessageCard)"


class DeliveryChannel(models.TextChoices):
    """How an alert is delivered outside the console."""

    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Webhook"


class DeliveryStatus(models.TextChoices):
    """``pending`` (waiting for its next attempt) → ``sending`` → ``delivered`` | ``pending`` | ``failed``."""

    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"
