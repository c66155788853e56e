"""The alert pages pass the authorization matrix (collected by the console route meta-test and probed
by tests/security/test_probe_console.py)."""

from __future__ import annotations

import pytest

from tenantpilot.alerts import services
from tenantpilot.alerts.models import AlertSettings
from tenantpilot.audit.actions import AuditAction
from tenantpilot.authz.capabilities import Capability as C
from tenantpilot.tenancy.authority import scope_for_workspace
from tests.support.matrix import RouteCase, run_matrix


def with_webhook(world):
    """Workspace A has a webhook (set up by its owner); no path arguments."""
    if not AlertSettings.objects.filter(workspace=world.a).exclude(webhook_sealed="").exists():
        services.alert_settings_update(
            scope=scope_for_workspace(world.owner, world.a),
            notify_recovery=True,
            webhook_enabled=True,
            webhook_format="json",
            webhook_url="https://hooks.example.com/alpha/secret-path",
        )
    return {}


def webhook_form(world):
    return {
        "webhook_url": "https://hooks.example.com/alpha/secret-path",
        "webhook_format": "slack",
        "webhook_enabled": "on",
        "notify_recovery": "on",
    }


CASES = [
    RouteCase("console:alert-settings", C.WORKSPACE_VIEW),
    RouteCase(
        "console:alert-settings",
        C.WORKSPACE_VIEW,
        "POST",
        data=lambda w: {"email_enabled": "on"},
        audit_action=AuditAction.ALERT_PREFERENCE_UPDATED,
        ok_status=(302,),
    ),
    RouteCase("console:alert-webhook", C.WORKSPACE_MANAGE_MEMBERS),
    # A first URL answers 200 with the new secret shown once; a member restricted to some
    # environments may not point the workspace's alerts anywhere (403).
    RouteCase(
        "console:alert-webhook",
        C.WORKSPACE_MANAGE_MEMBERS,
        "POST",
        data=webhook_form,
        audit_action=AuditAction.ALERT_SETTINGS_UPDATED,
        ok_status=(200, 302),
        restricted_status=(403,),
    ),
    RouteCase(
        "console:alert-webhook-rotate",
        C.WORKSPACE_MANAGE_MEMBERS,
        "POST",
        kwargs=with_webhook,
        data=lambda w: {},
        audit_action=AuditAction.ALERT_WEBHOOK_SECRET_ROTATED,
        ok_status=(200,),
        restricted_status=(403,),
    ),
    RouteCase(
        "console:alert-webhook-test",
        C.WORKSPACE_MANAGE_MEMBERS,
        "POST",
        kwargs=with_webhook,
        data=lambda w: {},
        audit_action=AuditAction.ALERT_WEBHOOK_TESTED,
        ok_status=(302,),
        restricted_status=(403,),
    ),
    RouteCase(
        "console:alert-webhook-remove",
        C.WORKSPACE_MANAGE_MEMBERS,
        "POST",
        kwargs=with_webhook,
        data=lambda w: {},
        audit_action=AuditAction.ALERT_WEBHOOK_REMOVED,
        ok_status=(302,),
        restricted_status=(403,),
    ),
    RouteCase("console:alert-deliveries", C.WORKSPACE_MANAGE_MEMBERS),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=str)
def test_alert_route_passes_authorization_matrix(client, world, case):
    result = run_matrix(client, world, case)
    assert len(result.rows) >= 4
