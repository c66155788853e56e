"""E-mail and webhook deliveries against a real SMTP server and a real HTTP receiver: the opt-in,
the signature a receiver verifies, retries with exponential backoff on a controllable clock,
no redirects, no plain-http or private hosts, and the secret shown once and never again."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import textwrap
from pathlib import Path

import pytest
from django.urls import reverse

from tenantpilot.alerts import services
from tenantpilot.alerts.choices import AlertKind, AlertLevel, DeliveryStatus
from tenantpilot.alerts.delivery import backoff_seconds, deliveries_due, delivery_attempt
from tenantpilot.alerts.models import Alert, AlertDelivery, AlertSettings
from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.roles import Role
from tenantpilot.core.errors import Forbidden, ValidationFailed
from tenantpilot.tenancy.authority import scope_for_workspace
from tests.alerts.conftest import smtp_mailers

pytestmark = pytest.mark.django_db


def owner_scope(world):
    return scope_for_workspace(world.owner, world.a)


def webhook(world, url, *, fmt="json"):
    change = services.alert_settings_update(
        scope=owner_scope(world), notify_recovery=True, webhook_enabled=True, webhook_format=fmt, webhook_url=url
    )
    assert change.new_secret.startswith("whsec_")
    return change.new_secret


def alert(world, clock, environment=None):
    return services.raise_alert(
        workspace_id=world.a.pk,
        environment_id=(environment or world.a1).pk,
        kind=AlertKind.RUN_FAILED,
        level=AlertLevel.ERROR,
        subject_key="run:test",
        title="Inventory sync failed",
        body="Alpha One · throttled",
        path="/w/alpha/operations/1/",
        facts={"run_id": 1},
        now=clock.now,
    )


def webhook_delivery(a):
    return AlertDelivery.objects.get(alert=a, channel="webhook")


def test_opted_in_owners_and_managers_get_an_email_through_smtp(world, smtp_server, clock):
    manager = world.members[Role.MANAGER]
    services.alert_preference_set(scope=scope_for_workspace(manager, world.a), email_enabled=True)
    services.alert_preference_set(scope=scope_for_workspace(world.members[Role.OPERATOR], world.a), email_enabled=True)
    a = alert(world, clock)
    deliveries = list(AlertDelivery.objects.filter(alert=a))
    assert [(d.channel, d.user_id) for d in deliveries] == [("email", manager.pk)]  # the operator gets none
    delivery = delivery_attempt(deliveries[0].pk, now=clock.now)
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
    assert len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    assert envelope.rcpt_tos == [manager.email]
    text = envelope.content.decode()
    assert "Inventory sync failed" in text and "/w/alpha/operations/1/" in text


def test_email_to_an_unreachable_server_is_retried_with_backoff(world, settings, clock):
    settings.MAILERS = smtp_mailers(9)  # the discard port: nothing listens, the connection is refused
    services.alert_preference_set(scope=owner_scope(world), email_enabled=True)
    delivery = AlertDelivery.objects.get(alert=alert(world, clock))
    delivery = delivery_attempt(delivery.pk, now=clock.now)
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.next_attempt_at == clock.now + dt.timedelta(seconds=backoff_seconds(1))
    assert delivery.last_error.startswith("Sending failed")


def test_the_receiver_verifies_the_signature_of_the_exact_body(world, receiver, clock):
    secret = webhook(world, receiver.url)
    a = alert(world, clock)
    delivery = delivery_attempt(webhook_delivery(a).pk, now=clock.now)
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.last_status_code == 200
    [(headers, body, path)] = receiver.requests
    assert path == "/hooks/tenantpilot/"
    # What a receiver does: HMAC-SHA256 of the raw body with the shared secret, constant-time compare.
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-TenantPilot-Signature"], expected)
    assert not hmac.compare_digest(
        headers["X-TenantPilot-Signature"],
        "sha256=" + hmac.new(b"another secret", body, hashlib.sha256).hexdigest(),
    )
    document = json.loads(body)
    assert headers["X-TenantPilot-Timestamp"] == str(document["timestamp"]) == str(int(clock.now.timestamp()))
    assert headers["X-TenantPilot-Event"] == document["event"] == "run.failed"
    assert document["environment"] == {"id": world.a1.pk, "name": world.a1.display_name}
    assert document["alert_id"] == a.pk and document["delivery_id"] == delivery.pk
    assert secret not in body.decode()


@pytest.mark.parametrize(("fmt", "key"), [("slack", "text"), ("teams", "@type")])
def test_chat_formats_are_what_slack_and_teams_accept(world, receiver, clock, fmt, key):
    webhook(world, receiver.url, fmt=fmt)
    delivery_attempt(webhook_delivery(alert(world, clock)).pk, now=clock.now)
    document = json.loads(receiver.requests[0][1])
    assert key in document
    assert "Inventory sync failed" in document.get("text", "")


def test_a_failing_receiver_is_retried_with_exponential_backoff_until_it_answers(world, receiver, clock, settings):
    settings.TENANTPILOT_ALERT_RETRY_BASE_SECONDS = 30
    webhook(world, receiver.url)
    receiver.statuses = [500, 503, 429]
    delivery_id = webhook_delivery(alert(world, clock)).pk
    waits = []
    for _ in range(3):
        started = clock.now
        d = delivery_attempt(delivery_id, now=clock.now)
        assert d.status == DeliveryStatus.PENDING
        waits.append((d.next_attempt_at - started).total_seconds())
        # Not due yet: nothing is sent, whoever asks.
        assert deliveries_due(now=d.next_attempt_at - dt.timedelta(seconds=1)) == []
        clock.now = d.next_attempt_at
    assert waits == [30, 60, 120]
    assert deliveries_due(now=clock.now) == [delivery_id]
    d = AlertDelivery.objects.get(pk=delivery_id)
    assert (d.status, d.attempts, d.last_status_code) == (DeliveryStatus.DELIVERED, 4, 200)
    assert len(receiver.requests) == 4
    # Each attempt is signed anew (its own timestamp in the body).
    assert len({body for _, body, _ in receiver.requests}) == 4


def test_attempts_are_bounded_and_a_client_error_is_not_retried(world, receiver, clock, settings):
    settings.TENANTPILOT_ALERT_MAX_ATTEMPTS = 2
    webhook(world, receiver.url)
    receiver.statuses = [502, 502, 404]
    first = webhook_delivery(alert(world, clock)).pk
    delivery_attempt(first, now=clock.now)
    d = delivery_attempt(first, now=clock.advance(3600))
    assert (d.status, d.attempts) == (DeliveryStatus.FAILED, 2)
    second = webhook_delivery(alert(world, clock)).pk
    d = delivery_attempt(second, now=clock.now)
    assert (d.status, d.last_status_code, d.last_error) == (DeliveryStatus.FAILED, 404, "Answered HTTP 404.")


def test_a_redirect_is_never_followed(world, receiver, clock):
    webhook(world, receiver.url)
    receiver.statuses = [302]
    d = delivery_attempt(webhook_delivery(alert(world, clock)).pk, now=clock.now)
    assert d.status == DeliveryStatus.FAILED and d.last_status_code == 302
    assert [path for _, _, path in receiver.requests] == ["/hooks/tenantpilot/"]


def test_only_https_urls_and_no_credentials_in_them(world, settings):
    settings.TENANTPILOT_ALERT_WEBHOOK_INSECURE_HOSTS = []
    for url in (
        "http://hooks.example.com/x",
        "ftp://hooks.example.com/",
        "https://user:pw@hooks.example.com/",
        "https://",
    ):
        with pytest.raises(ValidationFailed) as refused:
            webhook(world, url)
        assert refused.value.field == "webhook_url"
    assert not AlertSettings.objects.exists()


def test_a_host_resolving_to_a_private_address_is_refused_at_delivery(world, clock, settings):
    settings.TENANTPILOT_ALERT_WEBHOOK_INSECURE_HOSTS = []
    webhook(world, "https://localhost:9/hook")  # valid https, but loopback
    d = delivery_attempt(webhook_delivery(alert(world, clock)).pk, now=clock.now)
    assert d.status == DeliveryStatus.FAILED and "private or reserved" in d.last_error


def test_a_restricted_manager_cannot_configure_the_webhook(world):
    with pytest.raises(Forbidden):
        services.alert_settings_update(
            scope=scope_for_workspace(world.restricted, world.a),
            notify_recovery=True,
            webhook_enabled=False,
            webhook_format="json",
            webhook_url="https://hooks.example.com/x",
        )


def test_the_secret_is_shown_once_and_never_in_pages_audit_or_logs(world, receiver, client, clock, caplog):
    caplog.set_level(logging.DEBUG)
    client.force_login(world.owner)
    url = reverse("console:alert-webhook", kwargs={"workspace": world.a.slug})
    answer = client.post(url, {"webhook_url": receiver.url, "webhook_format": "json", "webhook_enabled": "on"})
    assert answer.status_code == 200
    settings_row = AlertSettings.objects.get(workspace=world.a)
    secret = answer.content.decode().split('id="new-secret">')[1].split("<")[0]
    assert secret.startswith("whsec_") and len(secret) > 30
    assert secret not in settings_row.webhook_sealed and receiver.url not in settings_row.webhook_sealed
    delivery_attempt(webhook_delivery(alert(world, clock)).pk, now=clock.now)
    rotated = client.post(reverse("console:alert-webhook-rotate", kwargs={"workspace": world.a.slug}))
    new_secret = rotated.content.decode().split('id="new-secret">')[1].split("<")[0]
    assert new_secret != secret
    pages = [
        client.get(url),
        client.get(reverse("console:alert-deliveries", kwargs={"workspace": world.a.slug})),
        client.get(reverse("console:alert-settings", kwargs={"workspace": world.a.slug})),
    ]
    audit = json.dumps(list(AuditLog.objects.values("metadata", "action")))
    for text in [p.content.decode() for p in pages] + [audit, caplog.text, repr(settings_row)]:
        assert secret not in text and new_secret not in text
        assert "/hooks/tenantpilot/" not in text  # a chat webhook's path is itself a secret
    assert set(AuditLog.objects.filter(workspace=world.a).values_list("action", flat=True)) >= {
        AuditAction.ALERT_SETTINGS_UPDATED,
        AuditAction.ALERT_WEBHOOK_SECRET_ROTATED,
    }


def test_the_delivery_log_lists_attempts_and_hides_a_hidden_environment(world, receiver, client, clock):
    webhook(world, receiver.url)
    receiver.statuses = [500]
    delivery_attempt(webhook_delivery(alert(world, clock, world.a1)).pk, now=clock.now)
    delivery_attempt(webhook_delivery(alert(world, clock, world.a2)).pk, now=clock.now)
    url = reverse("console:alert-deliveries", kwargs={"workspace": world.a.slug})
    client.force_login(world.owner)
    page = client.get(url).content.decode()
    assert "Answered HTTP 500." in page and "Delivered" in page and world.a1.display_name in page
    assert client.get(url, {"status": "pending"}).content.decode().count("HTTP 500") == 1
    client.force_login(world.restricted)  # an owner restricted to a2
    page = client.get(url).content.decode()
    assert world.a2.display_name in page and world.a1.display_name not in page


def test_a_test_alert_is_queued_audited_and_delivered_by_the_worker(world, receiver, clock):
    webhook(world, receiver.url)
    delivery = services.alert_webhook_test(scope=owner_scope(world), now=clock.now)
    assert AuditLog.objects.filter(action=AuditAction.ALERT_WEBHOOK_TESTED).count() == 1
    assert receiver.requests == []  # nothing is sent by the request itself
    delivery_attempt(delivery.pk, now=clock.now)
    assert json.loads(receiver.requests[0][1])["event"] == "test"
    assert Alert.objects.get(pk=delivery.alert_id).kind == AlertKind.TEST


def test_key_rotation_reseals_the_webhook(world, receiver, clock):
    from tenantpilot.providers.services import credentials_rotate

    secret = webhook(world, receiver.url)
    before = AlertSettings.objects.get(workspace=world.a).webhook_sealed
    credentials_rotate(new_key=True, prune=True)
    assert AlertSettings.objects.get(workspace=world.a).webhook_sealed != before
    delivery_attempt(webhook_delivery(alert(world, clock)).pk, now=clock.now)
    headers, body, _ = receiver.requests[0]
    assert headers["X-TenantPilot-Signature"] == "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_the_readme_receiver_snippet_verifies_a_real_delivery(world, receiver, clock):
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("\n## Alerts\n", 1)[1].split("\n## ", 1)[0]
    snippet = textwrap.dedent(section.split("```python\n", 1)[1].split("```", 1)[0])
    namespace: dict[str, object] = {}
    exec(compile(snippet, "README.md", "exec"), namespace)
    verified = namespace["verified"]
    secret = webhook(world, receiver.url)
    delivery_attempt(webhook_delivery(alert(world, clock)).pk, now=clock.now)
    headers, body, _ = receiver.requests[0]
    assert verified(secret, body, headers["X-TenantPilot-Signature"]) is True
    assert verified(secret, body + b" ", headers["X-TenantPilot-Signature"]) is False


def test_a_delivery_left_sending_by_a_dead_worker_is_sent_again(world, receiver, clock):
    webhook(world, receiver.url)
    delivery = webhook_delivery(alert(world, clock))
    AlertDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, attempts=1, last_attempt_at=clock.now
    )
    assert deliveries_due(now=clock.advance(60)) == []  # a worker may still be sending it
    assert deliveries_due(now=clock.advance(600)) == [delivery.pk]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
    assert len(receiver.requests) == 1
