"""The operator's first day in a real browser, against graphsim over real HTTPS.

Log in, add a customer environment and its connection (with a secret), check it (health goes
green), sync the inventory, change the simulated tenant with ``tenantpilot graphsim change`` (the
README's command, through the simulator's control endpoint), sync again and read the version diff;
then capture a baseline from the golden tenant, compare the drifted one and open the drift diff.
Runs execute when their start commits (the immediate task backend), as the other browser tests do.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from graphsim import fixtures_catalog as fx
from graphsim.control import STATE_FILE, ControlServer, tenant_resolver
from tenantpilot.baselines import services as baseline_services
from tenantpilot.inventory.models import InventoryItem
from tenantpilot.tenancy.models import ManagedEnvironment
from tests.baselines.support import contoso, synced
from tests.browser.support import flash, login, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPO = Path(__file__).resolve().parents[2]
TENANTPILOT = REPO / ".venv" / "bin" / "tenantpilot"
POLICY = "IOS - Compliance"


@pytest.fixture
def simulator_control(graph_settings, tmp_path):
    """The test simulator's control endpoint, with the state file ``graphsim change`` reads."""
    control = ControlServer(tenant_resolver(graph_settings)).start()
    (tmp_path / STATE_FILE).write_text(json.dumps({**graph_settings.state(), "control": control.state()}))
    yield tmp_path
    control.stop()


def graphsim(ca_dir: Path, *args: str) -> str:
    """Run ``tenantpilot graphsim …`` as a user would, in its own process; return its output."""
    program = [str(TENANTPILOT)] if TENANTPILOT.exists() else [sys.executable, "-m", "tenantpilot.cli"]
    done = subprocess.run(
        [*program, "graphsim", *args, "--ca-dir", str(ca_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def run_succeeded(page: Page) -> None:
    """The run page shows the run completed and succeeded."""
    expect(page.locator('#run-status[data-run-status="completed"]')).to_be_visible()
    expect(page.locator("#run-status")).to_contain_text("Succeeded")


def test_onboard_a_tenant_see_a_new_version_and_its_drift(live_server, page, world, simulator_control):
    base = live_server.url
    home = reverse("console:workspace-home", kwargs={"workspace": world.a.slug})
    login(page, base, world.owner, home)

    # Add the customer's environment ...
    page.get_by_role("link", name="Add environment").click()
    page.fill("input[name=display_name]", "Fabrikam")
    page.fill("input[name=tenant_id]", fx.DRIFTED_TENANT_ID)
    page.click("main button[type=submit]")
    flash(page, "Environment “Fabrikam” added.")
    fabrikam = ManagedEnvironment.objects.get(workspace=world.a, tenant_id=fx.DRIFTED_TENANT_ID)

    # ... and its connection, with the app registration's secret.
    page.goto(
        f"{base}{reverse('console:connection-create', kwargs={'workspace': world.a.slug, 'environment_id': fabrikam.pk})}"
    )
    page.fill("input[name=entra_tenant_id]", fx.DRIFTED_TENANT_ID)
    page.fill("input[name=client_id]", fx.DRIFTED_CLIENT_ID)
    page.fill("input[name=client_secret]", fx.DRIFTED_CLIENT_SECRET)
    page.click("main button[type=submit]")
    flash(page, "Check it to verify access")
    assert fx.DRIFTED_CLIENT_SECRET not in page.content()

    # Check it: the run succeeds and the connection's health goes green.
    expect(page.locator("main h1")).to_contain_text("Not checked")
    connection_page = page.url
    page.get_by_role("button", name="Check connection").click()
    run_succeeded(page)
    page.goto(connection_page)
    expect(page.locator("main h1 .badge.ok", has_text="Healthy")).to_be_visible()
    shot(page, "connection-healthy")

    # Sync the inventory.
    inventory = reverse("console:inventory", kwargs={"workspace": world.a.slug, "environment_id": fabrikam.pk})
    page.goto(f"{base}{inventory}")
    page.get_by_role("button", name="Sync inventory").click()
    run_succeeded(page)
    page.goto(f"{base}{inventory}")
    expect(page.get_by_role("link", name=POLICY)).to_be_visible()

    # Change the simulated tenant, as the README shows, and sync again.
    out = graphsim(
        simulator_control,
        "change",
        "--tenant",
        fx.DRIFTED_DOMAIN,
        "--policy",
        POLICY,
        "--set",
        "passcodeMinimumLength=4",
    )
    assert f"({POLICY})" in out
    page.get_by_role("button", name="Sync inventory").click()
    run_succeeded(page)

    # The item now has two versions; their diff shows the change.
    item = InventoryItem.objects.get(environment=fabrikam, display_name=POLICY)
    item_url = reverse(
        "console:inventory-item", kwargs={"workspace": world.a.slug, "environment_id": fabrikam.pk, "item_id": item.pk}
    )
    page.goto(f"{base}{item_url}?from=1&to=2")
    expect(page.get_by_text("v2 (current)")).to_be_visible()
    diff = page.locator("main").get_by_text("Changes from v1 to v2")
    expect(diff).to_be_visible()
    expect(page.locator(".diff-add", has_text="passcodeMinimumLength")).to_contain_text("4")
    expect(page.locator(".diff-del", has_text="passcodeMinimumLength")).to_contain_text("6")
    shot(page, "item-version-diff")

    # Capture a baseline from the golden tenant (synced beforehand) and compare Fabrikam with it.
    golden = synced(contoso(world))
    profile = baseline_services.profile_create(actor=world.owner, workspace=world.a, name="Contoso baseline")
    baseline_services.profile_assign(actor=world.owner, profile=profile, environment=fabrikam)
    overview = reverse("console:baseline-profile", kwargs={"workspace": world.a.slug, "profile_id": profile.pk})
    page.goto(f"{base}{overview}")
    page.get_by_role("link", name="Capture now").click()
    page.get_by_label("Source (golden) environment").select_option(str(golden.pk))
    page.click("main button:has-text('Capture now')")
    run_succeeded(page)
    page.goto(f"{base}{overview}")
    page.locator("tr", has_text="Fabrikam").get_by_role("button", name="Compare now").click()
    flash(page, "Fabrikam: compare queued")
    page.goto(f"{base}{overview}")
    drift_count = page.locator("tr", has_text="Fabrikam").locator('td[data-outcome="drift"]')
    expect(drift_count).not_to_have_text("0")
    shot(page, "baseline-overview")

    # The drifted policy's row, and its field diff: baseline 6, this environment 4.
    page.locator("tr", has_text="Fabrikam").get_by_role("link", name="Fabrikam").click()
    row = page.locator('tr[data-outcome="drift"]', has_text=POLICY)
    expect(row).to_be_visible()
    row.get_by_role("link", name="Resolve").click()
    change = page.locator("table.diff-table tr", has_text="passcodeMinimumLength")
    expect(change).to_be_visible()
    expect(change.locator("td").nth(1)).to_have_text("6")
    expect(change.locator("td").nth(2)).to_have_text("4")
    shot(page, "drift-diff")
