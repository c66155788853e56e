"""Alerting: workspace settings (webhook), members' e-mail preferences, alert states, alerts and
their deliveries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from tenantpilot.core.db import check_environment_workspace

from .choices import AlertKind, AlertLevel, DeliveryChannel, DeliveryStatus, WebhookFormat


class AlertSettings(models.Model):
    """A workspace's alert settings: recovery alerts, and its optional webhook.

    The webhook's URL and signing secret live only in ``webhook_sealed`` (sealed with the
    credential key ring by ``providers.credentials``; a chat webhook's URL is itself a secret).
    ``webhook_url_hint`` (scheme and host) and ``webhook_secret_hint`` (the secret's first
    characters) are what pages show; the secret itself is shown once, when it is made.
    """

    workspace = models.OneToOneField("tenancy.Workspace", on_delete=models.CASCADE, related_name="+")
    notify_recovery = models.BooleanField(default=True)
    webhook_enabled = models.BooleanField(default=False)
    webhook_format = models.CharField(max_length=16, choices=WebhookFormat.choices, default=WebhookFormat.JSON)
    webhook_url_hint = models.CharField(max_length=300, blank=True)
    webhook_secret_hint = models.CharField(max_length=16, blank=True)
    webhook_sealed = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "alert_settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(webhook_enabled=False) | ~Q(webhook_sealed=""), name="alert_settings_webhook_has_secret"
            ),
            models.CheckConstraint(condition=Q(webhook_format__in=WebhookFormat.values), name="alert_webhook_format"),
        ]

    def __str__(self) -> str:
        return f"alert settings of workspace {self.workspace_id}"

    def __repr__(self) -> str:
        return f"<AlertSettings workspace={self.workspace_id} webhook={self.webhook_url_hint or '-'}>"

    @property
    def has_webhook(self) -> bool:
        return bool(self.webhook_sealed)


class AlertPreference(models.Model):
    """One member's choice in one workspace: e-mail me the alerts I receive (owners and managers)."""

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    email_enabled = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "alert_preferences"
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="alert_preference_one_per_member")]

    def __str__(self) -> str:
        return f"alert preference of user {self.user_id} in workspace {self.workspace_id}"


class AlertState(models.Model):
    """The last known state of one alerted subject (a run target, a connection, a compare target).

    Alerts fire only when this changes, so a connection failing five checks in a row alerts once.
    ``subject_key`` is unique per workspace (``run:env:3:inventory.sync``, ``connection:7``).
    """

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.CASCADE, related_name="+")
    environment = models.ForeignKey(
        "tenancy.ManagedEnvironment", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    subject_key = models.CharField(max_length=200)
    state = models.CharField(max_length=32)
    changed_at = models.DateTimeField()

    class Meta:
        db_table = "alert_states"
        constraints = [
            models.UniqueConstraint(fields=["workspace", "subject_key"], name="alert_state_one_per_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_key}: {self.state}"

    def clean(self) -> None:
        check_environment_workspace(self)


class AlertQuerySet(models.QuerySet["Alert"]):
    """Scoping helpers of alerts."""

    def for_workspace(self, workspace: object) -> AlertQuerySet:
        return self.filter(workspace=workspace)


class Alert(models.Model):
    """One state change the workspace was told about (in-console, e-mail, webhook)."""

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.CASCADE, related_name="+")
    environment = models.ForeignKey(
        "tenancy.ManagedEnvironment", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=AlertKind.choices)
    level = models.CharField(max_length=16, choices=AlertLevel.choices)
    subject_key = models.CharField(max_length=200)
    title = models.CharField(max_length=200)
    body = models.CharField(max_length=400, blank=True)
    path = models.CharField(max_length=300, blank=True)  # the console page it is about
    facts = models.JSONField(default=dict, blank=True)  # ids and counts only, for the webhook payload
    created_at = models.DateTimeField()

    objects = AlertQuerySet.as_manager()

    class Meta:
        db_table = "alerts"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="alert_ws_created_idx")]
        constraints = [models.CheckConstraint(condition=Q(kind__in=AlertKind.values), name="alert_kind_known")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        check_environment_workspace(self)


class AlertDelivery(models.Model):
    """One alert sent through one channel to one recipient, with its attempts (the delivery log).

    The environment is copied from the alert so the log is filtered by the viewer's environment
    access with the same rule as every other row. ``last_error`` is a short sanitized reason
    (never a response body, never the URL).
    """

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.CASCADE, related_name="+")
    environment = models.ForeignKey(
        "tenancy.ManagedEnvironment", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=16, choices=DeliveryChannel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recipient = models.CharField(max_length=300)  # an e-mail address or the webhook's host
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "alert_deliveries"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="alert_delivery_ws_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="alert_delivery_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=DeliveryStatus.values), name="alert_delivery_status_known"),
            models.CheckConstraint(
                condition=Q(channel__in=DeliveryChannel.values), name="alert_delivery_channel_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} delivery {self.pk} of alert {self.alert_id}"

    def clean(self) -> None:
        check_environment_workspace(self)
