"""Alerts in the console: one's own e-mail preference, the workspace's webhook (owners and
managers who see every environment; its secret is shown once), and the delivery log."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from tenantpilot.alerts import selectors, services
from tenantpilot.alerts.choices import DeliveryChannel, DeliveryStatus, WebhookFormat
from tenantpilot.alerts.policies import MANAGE_ALERTS, SET_OWN_PREFERENCE
from tenantpilot.console.decorators import workspace_view
from tenantpilot.console.pagination import paginate
from tenantpilot.core.errors import ValidationFailed
from tenantpilot.tenancy.authority import Scope


class PreferenceForm(forms.Form):
    """The member's own alert e-mail choice."""

    email_enabled = forms.BooleanField(required=False, label="E-mail me the alerts I receive")


class WebhookForm(forms.Form):
    """The workspace's alert settings; an empty URL keeps the stored one (it is never shown)."""

    webhook_url = forms.CharField(
        required=False,
        max_length=2000,
        label="Webhook URL",
        help_text="https:// only. Leave empty to keep the current URL. Never shown again once saved.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    webhook_format = forms.ChoiceField(choices=WebhookFormat.choices, label="Payload format")
    webhook_enabled = forms.BooleanField(required=False, label="Send alerts to the webhook")
    notify_recovery = forms.BooleanField(required=False, label="Also alert when things recover")


def _can_manage(scope: Scope) -> bool:
    return scope.can(MANAGE_ALERTS) and not scope.is_restricted


@require_http_methods(["GET", "POST"])
@workspace_view(SET_OWN_PREFERENCE)
def alert_settings(request: HttpRequest, scope: Scope) -> HttpResponse:
    """GET shows the member's e-mail preference; POST changes it (audited)."""
    form = PreferenceForm(request.POST or None, initial={"email_enabled": selectors.alert_preference_get(scope=scope)})
    if request.method == "POST":
        if form.is_valid():
            services.alert_preference_set(scope=scope, email_enabled=form.cleaned_data["email_enabled"])
            messages.success(request, "Alert e-mail preference saved.")
            return redirect("console:alert-settings", workspace=scope.workspace.slug)
        return _settings_page(request, scope, form, status=400)
    return _settings_page(request, scope, form)


def _settings_page(request: HttpRequest, scope: Scope, form: forms.Form, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "console/alerts/settings.html",
        {
            "scope": scope,
            "form": form,
            "receives_alerts": selectors.receives_alerts(scope=scope),
            "has_email": bool(getattr(request.user, "email", "")),
            "can_manage": _can_manage(scope),
        },
        status=status,
    )


def _webhook_page(
    request: HttpRequest, scope: Scope, form: WebhookForm | None = None, *, new_secret: str = "", status: int = 200
) -> HttpResponse:
    current = services.alert_settings_for(scope.workspace)
    if form is None:
        form = WebhookForm(
            initial={
                "webhook_format": current.webhook_format,
                "webhook_enabled": current.webhook_enabled,
                "notify_recovery": current.notify_recovery,
            }
        )
    return render(
        request,
        "console/alerts/webhook.html",
        {"scope": scope, "form": form, "current": current, "new_secret": new_secret, "can_manage": _can_manage(scope)},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@workspace_view(MANAGE_ALERTS)
def alert_webhook(request: HttpRequest, scope: Scope) -> HttpResponse:
    """GET shows the webhook settings; POST saves them (audited). A first URL makes a signing
    secret, shown on this answer only."""
    if request.method == "GET":
        return _webhook_page(request, scope)
    form = WebhookForm(request.POST)
    if not form.is_valid():
        return _webhook_page(request, scope, form, status=400)
    try:
        change = services.alert_settings_update(scope=scope, **form.cleaned_data)
    except ValidationFailed as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return _webhook_page(request, scope, form, status=400)
    if change.new_secret:
        return _webhook_page(request, scope, new_secret=change.new_secret)
    messages.success(request, "Alert settings saved.")
    return redirect("console:alert-webhook", workspace=scope.workspace.slug)


@require_POST
@workspace_view(MANAGE_ALERTS)
def alert_webhook_rotate(request: HttpRequest, scope: Scope) -> HttpResponse:
    """Replace the signing secret; the new one is shown on this answer only."""
    change = services.alert_webhook_rotate_secret(scope=scope)
    return _webhook_page(request, scope, new_secret=change.new_secret)


@require_POST
@workspace_view(MANAGE_ALERTS)
def alert_webhook_remove(request: HttpRequest, scope: Scope) -> HttpResponse:
    """Forget the webhook's URL and secret (audited); the settings page says so."""
    services.alert_webhook_remove(scope=scope)
    messages.success(request, "Webhook removed.")
    return redirect("console:alert-webhook", workspace=scope.workspace.slug)


@require_POST
@workspace_view(MANAGE_ALERTS)
def alert_webhook_test(request: HttpRequest, scope: Scope) -> HttpResponse:
    """Queue a test delivery (a worker sends it); its result shows in the delivery log."""
    delivery = services.alert_webhook_test(scope=scope)
    messages.success(request, f"Test alert queued (delivery #{delivery.pk}).")
    return redirect("console:alert-deliveries", workspace=scope.workspace.slug)


@require_http_methods(["GET"])
@workspace_view(MANAGE_ALERTS)
def alert_deliveries(request: HttpRequest, scope: Scope) -> HttpResponse:
    """The delivery log: every e-mail and webhook delivery with its attempts and last result."""
    status = request.GET.get("status", "")
    channel = request.GET.get("channel", "")
    status = status if status in DeliveryStatus.values else ""
    channel = channel if channel in DeliveryChannel.values else ""
    page = paginate(request, selectors.delivery_list(scope=scope, status=status, channel=channel))
    return render(
        request,
        "console/alerts/deliveries.html",
        {
            "scope": scope,
            "page": page,
            "status": status,
            "channel": channel,
            "statuses": DeliveryStatus.choices,
            "channels": DeliveryChannel.choices,
        },
    )
