"""axe-core in a real browser: no serious or critical violation on the console's main pages."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import expect

from graphsim import fixtures_catalog as fx
from graphsim.control import apply_change
from tenantpilot.baselines.models import BaselineCompareItem
from tenantpilot.inventory.models import InventoryItem
from tests.baselines.support import captured_profile, compared, contoso, fabrikam, synced
from tests.browser.support import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLOCKING = {"serious", "critical"}
CHANGED = "IOS - Compliance"


def _pages(world, profile, environment) -> dict[str, str]:
    ws = world.a.slug
    env = {"workspace": ws, "environment_id": environment.pk}
    item = InventoryItem.objects.filter(environment=environment, display_name="WIN - Compliance").get()
    changed = InventoryItem.objects.filter(environment=environment, display_name=CHANGED).get()
    drift = BaselineCompareItem.objects.filter(result__environment=environment, outcome="drift").first()
    assert drift is not None
    return {
        "workspace home": reverse("console:workspace-home", kwargs={"workspace": ws}),
        "add environment": reverse("console:environment-create", kwargs={"workspace": ws}),
        "environment detail": reverse("console:environment-detail", kwargs=env),
        "connections": reverse("console:connections", kwargs=env),
        "inventory list": reverse("console:inventory", kwargs=env),
        "item page": reverse("console:inventory-item", kwargs={**env, "item_id": item.pk}),
        "item version diff": reverse("console:inventory-item", kwargs={**env, "item_id": changed.pk}) + "?from=1&to=2",
        "operations": reverse("console:operations", kwargs={"workspace": ws}),
        "baselines": reverse("console:baseline-profiles", kwargs={"workspace": ws}),
        "baseline overview": reverse("console:baseline-profile", kwargs={"workspace": ws, "profile_id": profile.pk}),
        "compare result": reverse("console:baseline-result", kwargs={**env, "profile_id": profile.pk}),
        "drift resolution": reverse("console:baseline-resolve", kwargs={**env, "item_id": drift.pk}),
        "bindings": reverse("console:bindings", kwargs=env),
        "search": reverse("console:search", kwargs={"workspace": ws}) + "?q=Compliance",
        "members": reverse("console:members", kwargs={"workspace": ws}),
        "audit": reverse("console:audit", kwargs={"workspace": ws}),
    }


def _blocking(results) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in results.response["violations"]
        if v.get("impact") in BLOCKING
    ]


def test_main_pages_have_no_serious_or_critical_axe_violations(live_server, page, world, graph_settings):
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    apply_change(
        graph_settings.tenant(fx.DRIFTED_TENANT_ID),
        {"action": "set", "policy": CHANGED, "set": ["passcodeMinimumLength=4"]},
    )
    synced(drifted)  # a second version of CHANGED, so its page shows a diff
    profile = captured_profile(world, golden)
    compared(world, profile, drifted)
    pages = _pages(world, profile, drifted)
    axe = Axe()

    login(page, live_server.url, world.owner, pages["workspace home"])
    found: dict[str, list[str]] = {}
    for name, path in pages.items():
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("main h1").first).to_be_visible()
        # Both colour schemes: the dark one must keep its contrast too (axe's color-contrast rule).
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            if problems := _blocking(axe.run(page)):
                found[f"{name} ({scheme})"] = problems
        page.emulate_media(color_scheme="light")
    # The login page, logged out.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/login/")
    expect(page.locator("input[name=username]")).to_be_visible()
    if problems := _blocking(axe.run(page)):
        found["login"] = problems
    assert found == {}, "\n".join(f"{name}: {p}" for name, ps in found.items() for p in ps)


def test_favicon_is_served_on_both_paths(live_server, page):
    answer = page.request.get(f"{live_server.url}/favicon.ico")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in answer.body()
    page.goto(f"{live_server.url}/login/")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon and icon.endswith(".svg")
    assert page.request.get(f"{live_server.url}{icon}").status == 200
