"""Roles, isolation and the phone layout in a real browser.

A read-only member sees no mutation button on the pages an operator acts from, and a POST forged
from their own logged-in page (with a valid CSRF token) is a 403 that changes nothing. A member of
another workspace who pastes a URL gets a 404 that names nothing. At 390 px every page fits the
screen: the navigation wraps, wide tables scroll inside themselves.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tenantpilot.authz.roles import Role
from tenantpilot.operations.models import OperationRun
from tenantpilot.resources.models import ProviderResourceBinding
from tenantpilot.tenancy.models import ManagedEnvironment
from tests.baselines.resolution_support import build_scenario
from tests.browser.support import PHONE, login, no_horizontal_overflow, shot
from tests.providers.support import secret_connection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MUTATION_LABELS = (
    "Add environment",
    "Add connection",
    "Check connection",
    "Sync inventory",
    "Capture now",
    "Compare now",
    "Compare all",
    "Re-compare now",
    "Bind",
    "Archive",
    "Edit",
    "Delete",
)

FORGE_POST = """async ([url, body]) => {
  const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
  const answer = await fetch(url, {method: "POST", headers: {"X-CSRFToken": token,
    "Content-Type": "application/x-www-form-urlencoded"}, body: new URLSearchParams(body)});
  return [answer.status, await answer.text()];
}"""


def _pages(world, scenario, connection) -> dict[str, str]:
    ws, env = world.a.slug, scenario.environment
    in_env = {"workspace": ws, "environment_id": env.pk}
    profile = {"workspace": ws, "profile_id": scenario.profile.pk}
    return {
        "home": reverse("console:workspace-home", kwargs={"workspace": ws}),
        "environment": reverse("console:environment-detail", kwargs=in_env),
        "connections": reverse("console:connections", kwargs=in_env),
        "connection": reverse("console:connection-detail", kwargs={**in_env, "connection_id": connection.pk}),
        "inventory": reverse("console:inventory", kwargs=in_env),
        "item": reverse("console:inventory-item", kwargs={**in_env, "item_id": scenario.other.pk}),
        "baselines": reverse("console:baseline-profiles", kwargs={"workspace": ws}),
        "overview": reverse("console:baseline-profile", kwargs=profile),
        "result": reverse("console:baseline-result", kwargs={**profile, "environment_id": env.pk}),
        "resolve": reverse("console:baseline-resolve", kwargs={**in_env, "item_id": scenario.ambiguous.pk}),
        "operations": reverse("console:operations", kwargs={"workspace": ws}),
    }


@pytest.fixture
def scene(world):
    connection = secret_connection(world, world.a1)
    scenario = build_scenario(world.a1, label="roles")
    return scenario, _pages(world, scenario, connection)


def _forge(page: Page, url: str, body: dict[str, str]) -> tuple[int, str]:
    status, text = page.evaluate(FORGE_POST, [url, body])
    return status, text


def test_read_only_member_sees_no_mutation_buttons_and_a_forged_post_is_403(live_server, page, world, scene):
    scenario, pages = scene
    login(page, live_server.url, world.members[Role.READONLY], pages["home"])
    for name, path in pages.items():
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("main h1").first).to_be_visible()
        assert page.locator("main form[method=post]").count() == 0, f"{name}: a POST form for a read-only member"
        for label in MUTATION_LABELS:
            buttons = page.locator("main").get_by_role("button", name=label, exact=True)
            links = page.locator("main").get_by_role("link", name=label, exact=True)
            assert buttons.count() + links.count() == 0, f"{name}: “{label}” shown to a read-only member"

    env = {"workspace": world.a.slug, "environment_id": world.a1.pk}
    runs, bindings = OperationRun.objects.count(), ProviderResourceBinding.objects.count()
    forged = {
        reverse("console:inventory-sync", kwargs=env): {},
        reverse("console:environment-archive", kwargs=env): {"confirm": "1"},
        reverse("console:baseline-resolve-bind", kwargs={**env, "item_id": scenario.ambiguous.pk}): {
            "inventory_item": str(scenario.candidates[0].pk),
            "note": "forged",
        },
    }
    for url, body in forged.items():
        status, text = _forge(page, url, body)
        assert status == 403, (url, status)
        assert "Ask an owner or manager" in text and "CSRF verification failed" not in text, url
    assert OperationRun.objects.count() == runs and ProviderResourceBinding.objects.count() == bindings
    assert not ManagedEnvironment.objects.get(pk=world.a1.pk).is_archived


def test_member_of_another_workspace_gets_404_on_a_pasted_url(live_server, page, world, scene):
    _scenario, pages = scene
    login(page, live_server.url, world.other, reverse("console:workspace-home", kwargs={"workspace": world.b.slug}))
    for name, path in pages.items():
        answer = page.goto(f"{live_server.url}{path}")
        assert answer is not None and answer.status == 404, (name, answer and answer.status)
        text = page.locator("body").inner_text()
        assert world.a1.display_name not in text and world.a.name not in text, name
    # The workspace's own pages still work for them.
    page.goto(f"{live_server.url}{reverse('console:workspace-home', kwargs={'workspace': world.b.slug})}")
    expect(page.get_by_text(world.b1.display_name)).to_be_visible()


def test_phone_layout_fits_390_px(live_server, browser, world, scene):
    _scenario, pages = scene
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        login(page, live_server.url, world.owner, pages["home"])
        for name, path in pages.items():
            page.goto(f"{live_server.url}{path}")
            expect(page.locator("main h1").first).to_be_visible()
            no_horizontal_overflow(page)
            # Every navigation link is on screen and readable (wrapped, not cut off or squeezed).
            for link in page.locator(".ws-nav a").all():
                box = link.bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (name, box)
                assert box["height"] < 60, f"{name}: a navigation link wraps inside itself"
            # Tables stay inside the screen; what does not fit scrolls inside the table.
            for table in page.locator("main table.list").all():
                box = table.bounding_box()
                if box is None or box["width"] == 0:  # inside a closed disclosure
                    continue
                assert box["x"] + box["width"] <= PHONE["width"] + 1, (name, box)
                assert table.evaluate("t => getComputedStyle(t).overflowX") == "auto", name
            if name == "result":
                shot(page, "phone-result")

        # Dark mode follows the system setting through the CSS variables.
        light = page.evaluate("getComputedStyle(document.body).backgroundColor")
        page.emulate_media(color_scheme="dark")
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") != light
        # Keyboard focus is visible.
        page.keyboard.press("Tab")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("", "none"), outline
    finally:
        context.close()
