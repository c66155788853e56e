"""The resolution loop in a real browser: an ambiguous match is bound with a note, re-compared to a
match, and comes back as ambiguous when the decision is revoked.

Northwind (graphsim's duplicate-names tenant) holds two "WIN - Compliance" policies: the compare
must not guess. Setup runs the real sync, capture and compare services against graphsim; every
decision is made through the console.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from graphsim import fixtures_catalog as fx
from graphsim.tenants import stable_guid
from tenantpilot.audit.models import AuditLog
from tenantpilot.baselines.models import BaselineCompareItem
from tenantpilot.resources.choices import BindingStatus
from tenantpilot.resources.models import ProviderResourceBinding
from tests.baselines.support import captured_profile, compared, contoso, synced
from tests.browser.support import flash, login, shot
from tests.inventory.support import golden_environment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUBJECT = "WIN - Compliance"
TYPE = "deviceCompliancePolicies"
NOTE = "The original policy; the twin is the pilot copy (ticket 4711)."


def latest_row(environment) -> BaselineCompareItem:
    return (
        BaselineCompareItem.objects.filter(result__environment=environment, policy_type=TYPE, baseline_label=SUBJECT)
        .order_by("-result_id")
        .first()
    )


def test_bind_an_ambiguous_match_recompare_then_revoke(live_server, page, world, graph_settings):
    golden = synced(contoso(world))
    northwind = synced(
        golden_environment(
            world,
            tenant_id=fx.DUPLICATES_TENANT_ID,
            client_id=fx.DUPLICATES_CLIENT_ID,
            secret=fx.DUPLICATES_CLIENT_SECRET,
            name="Northwind",
        )
    )
    profile = captured_profile(world, golden)
    compared(world, profile, northwind)
    ambiguous = latest_row(northwind)
    assert ambiguous.outcome == "ambiguous_match" and len(ambiguous.candidates) == 2
    original = next(
        c for c in ambiguous.candidates if c["object_id"] != stable_guid(fx.DUPLICATES_TENANT_ID, "twin", SUBJECT)
    )

    result = reverse(
        "console:baseline-result",
        kwargs={"workspace": world.a.slug, "profile_id": profile.pk, "environment_id": northwind.pk},
    )
    login(page, live_server.url, world.owner, result)
    page.goto(f"{live_server.url}{result}?outcome=ambiguous_match")
    row = page.locator(f'tr[data-item="{ambiguous.pk}"]')
    expect(row).to_have_attribute("data-outcome", "ambiguous_match")
    row.get_by_role("link", name="Resolve").click()

    # Both candidates are offered; bind the original with a note.
    bind = page.locator('section[data-section="bind"]')
    expect(bind.locator("input[name=inventory_item]")).to_have_count(2)
    shot(page, "resolve-ambiguous")
    bind.locator(f'input[name=inventory_item][value="{original["item_id"]}"]').check()
    bind.get_by_label("Note").fill(NOTE)
    bind.get_by_role("button", name="Bind").click()
    expect(page.locator('[data-state="decided"]')).to_be_visible()
    expect(page.locator('section[data-section="binding"]')).to_contain_text("Manual binding")

    # Re-compare: the subject now matches, decided by the binding.
    page.get_by_role("button", name="Re-compare now").click()
    flash(page, "Compare queued")
    bound = latest_row(northwind)
    assert bound.pk != ambiguous.pk
    page.goto(f"{live_server.url}{result}?outcome=match")
    row = page.locator(f'tr[data-item="{bound.pk}"]')
    expect(row).to_have_attribute("data-outcome", "match")
    expect(row.get_by_role("link", name="binding")).to_be_visible()

    # Revoke the decision (confirmed, with a note) and re-compare: the ambiguity comes back.
    row.get_by_role("link", name="Resolve").click()
    page.get_by_role("link", name="Revoke…").click()
    page.get_by_label("Note").fill("Wrong ticket; decide again after the pilot.")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Revoke decision").click()
    flash(page, "Decision revoked")
    page.get_by_role("button", name="Re-compare now").click()
    flash(page, "Compare queued")
    again = latest_row(northwind)
    page.goto(f"{live_server.url}{result}?outcome=ambiguous_match")
    expect(page.locator(f'tr[data-item="{again.pk}"]')).to_have_attribute("data-outcome", "ambiguous_match")

    binding = ProviderResourceBinding.objects.get(environment=northwind, binding_status=BindingStatus.REVOKED)
    assert binding.operator_note == NOTE and binding.end_note.startswith("Wrong ticket")
    audit = AuditLog.objects.filter(environment=northwind, action__startswith="resource_binding.")
    assert set(audit.values_list("action", flat=True)) >= {"resource_binding.created", "resource_binding.revoked"}
    assert not any(NOTE in str(entry.metadata) for entry in audit), "the note's text never reaches the audit log"
