"""A real browser logs in, opens the workspace, adds an environment and archives it."""

from __future__ import annotations

import uuid

import pytest

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.tenancy.models import ManagedEnvironment
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_operator_flow_login_create_archive(live_server, page, world):
    page.goto(f"{live_server.url}/w/{world.a.slug}/")
    page.fill("input[name=username]", world.owner.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/w/{world.a.slug}/")
    assert page.locator("h1").inner_text() == "Managed environments"
    assert page.get_by_text(world.a1.display_name).is_visible()

    page.click("text=Add environment")
    page.fill("input[name=display_name]", "Tailspin Toys")
    page.fill("input[name=tenant_id]", "not-a-guid")
    page.click("button[type=submit]")
    assert page.locator(".field-error").first.inner_text().startswith("Enter the tenant id as a GUID")

    tenant = str(uuid.uuid4())
    page.fill("input[name=tenant_id]", tenant)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Environment “Tailspin Toys” added.")
    env = ManagedEnvironment.objects.get(tenant_id=tenant)

    page.click("a:has-text('Archive')")
    assert "Archive “Tailspin Toys”?" in page.locator("h1").inner_text()
    page.click("button:has-text('Archive environment')")
    page.wait_for_selector("text=Environment archived.")
    env.refresh_from_db()
    assert env.is_archived
    assert list(AuditLog.objects.filter(environment=env).values_list("action", flat=True).order_by("id")) == [
        AuditAction.ENVIRONMENT_CREATED,
        AuditAction.ENVIRONMENT_ARCHIVED,
    ]
