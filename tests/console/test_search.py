"""Workspace search: finds each kind, stays inside the member's scope, pages, and refuses bad input clearly."""

from __future__ import annotations

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tenantpilot.authz.roles import Role
from tenantpilot.resources import services as binding_services
from tenantpilot.resources.selectors import inventory_item_descriptor
from tests.baselines import factories as f
from tests.inventory.factories import make_item
from tests.operations.helpers import finished_run
from tests.support.matrix import hidden_environment_leaks, restricted_identities

pytestmark = pytest.mark.django_db

NOTE = "Confirmed with the customer: the hardened Windows profile (ticket 4711)."


def search(client, world, user, **params):
    client.force_login(user)
    return client.get(reverse("console:search", kwargs={"workspace": world.a.slug}), params)


def group(body: str, kind: str) -> str:
    """The HTML of one result group."""
    start = body.index(f'id="g-{kind}"')
    end = body.find('<section class="search-group"', start)
    return body[start : end if end != -1 else len(body)]


def bound(world, environment, name):
    item = f.inventory_item(environment, f.graph_policy(name))
    return binding_services.binding_create_manual(
        actor=world.owner, environment=environment, descriptor=inventory_item_descriptor(item), note=NOTE
    )


def test_finds_environments_items_runs_and_bindings(client, world):
    item = make_item(world.a1, name="Hardened Windows")
    run = finished_run(world.a2)
    binding = bound(world, world.a2, "Edge settings")
    user = world.members[Role.READONLY]

    body = search(client, world, user, q="alpha t").content.decode()
    assert "Alpha Two" in group(body, "environments") and "Alpha One" not in group(body, "environments")

    body = search(client, world, user, q="hardened").content.decode()
    item_url = reverse(
        "console:inventory-item", kwargs={"workspace": "alpha", "environment_id": world.a1.pk, "item_id": item.pk}
    )
    assert item_url in group(body, "items")

    body = search(client, world, user, q=item.provider_object_id.upper()).content.decode()
    assert item_url in group(body, "items"), "an object id matches whatever its case"

    body = search(client, world, user, q=f"#{run.pk}").content.decode()
    assert reverse("console:operation-detail", kwargs={"workspace": "alpha", "run_id": run.pk}) in group(body, "runs")

    binding_url = reverse(
        "console:binding-detail",
        kwargs={"workspace": "alpha", "environment_id": world.a2.pk, "binding_id": binding.pk},
    )
    for q in (binding.canonical_subject_key, binding.provider_resource_id):
        body = search(client, world, user, q=q).content.decode()
        assert binding_url in group(body, "bindings"), q


def test_restricted_member_never_sees_a_hidden_environments_rows(client, world):
    user = restricted_identities(world)[Role.OWNER]
    hidden_item = make_item(world.a1, name="Shared policy name")
    visible_item = make_item(world.a2, name="Shared policy name")
    hidden_run = finished_run(world.a1)
    hidden_binding = bound(world, world.a1, "Hidden binding subject")

    body = search(client, world, user, q="Shared policy").content.decode()
    items = group(body, "items")
    assert f"/inventory/{visible_item.pk}/" in items and f"/inventory/{hidden_item.pk}/" not in items
    assert "Inventory items <small>(1)</small>" in items, "the hidden item is not even counted"
    assert hidden_environment_leaks(body, world) == []

    for q in (hidden_item.provider_object_id, str(hidden_run.pk), hidden_binding.canonical_subject_key, "Alpha"):
        for kind in ("", "items", "runs", "bindings", "environments"):
            response = search(client, world, user, q=q, kind=kind)
            body = response.content.decode()
            assert response.status_code == 200
            assert hidden_environment_leaks(body, world) == [], (q, kind)
            assert f"/operations/{hidden_run.pk}/" not in body
            assert f"/bindings/{hidden_binding.pk}/" not in body
            assert f"/inventory/{hidden_item.pk}/" not in body

    # The unrestricted owner does find them: the rows exist, the scope hid them.
    body = search(client, world, world.owner, q=hidden_item.provider_object_id).content.decode()
    assert f"/inventory/{hidden_item.pk}/" in body


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"q": ""}, 400, "Enter a name or an id to search for."),
        ({"q": "   "}, 400, "Enter a name or an id to search for."),
        ({"q": "x" * 101}, 400, "Search for at most 100 characters (this has 101)."),
        ({"q": "a\x00b"}, 400, "control characters"),
        ({"q": "alpha", "kind": "secrets"}, 400, "Kind: Unknown kind"),
        ({}, 200, "Only what you may see is searched."),
    ],
)
def test_bad_input_gets_a_clear_message_naming_the_field(client, world, params, status, message):
    response = search(client, world, world.owner, **params)
    assert response.status_code == status
    assert message in response.content.decode()


def test_results_are_grouped_and_one_kind_pages(client, world, settings):
    settings.TENANTPILOT_PAGE_SIZE = 4
    for i in range(7):
        make_item(world.a2, name=f"Paged policy {i}")
    body = search(client, world, world.owner, q="paged policy").content.decode()
    items = group(body, "items")
    assert items.count("/inventory/") == 5
    assert "Show all 7 inventory items" in items and "kind=items" in items
    assert "No environments match." in group(body, "environments")

    page2 = search(client, world, world.owner, q="paged policy", kind="items", page="2").content.decode()
    assert "Page 2 of 2" in page2 and page2.count("/inventory/") == 3
    assert 'id="g-environments"' not in page2


def test_every_workspace_page_has_the_search_box(client, world):
    client.force_login(world.members[Role.READONLY])
    action = reverse("console:search", kwargs={"workspace": world.a.slug})
    for url in (
        reverse("console:workspace-home", kwargs={"workspace": world.a.slug}),
        reverse("console:environment-detail", kwargs={"workspace": world.a.slug, "environment_id": world.a2.pk}),
        reverse("console:operations", kwargs={"workspace": world.a.slug}),
    ):
        body = client.get(url).content.decode()
        assert f'role="search" method="get" action="{action}"' in body, url
        assert '<label for="topsearch-q"' in body


def test_search_query_count_does_not_grow_with_matches(client, world):
    client.force_login(world.owner)
    url = reverse("console:search", kwargs={"workspace": world.a.slug})

    def count() -> int:
        with CaptureQueriesContext(db_connection) as ctx:
            assert client.get(url, {"q": "many"}).status_code == 200
        return len(ctx.captured_queries)

    make_item(world.a1, name="many 0")
    bound(world, world.a1, "many binding 0")
    small = count()
    for i in range(1, 12):
        make_item(world.a1 if i % 2 else world.a2, name=f"many {i}")
        bound(world, world.a2, f"many binding {i}")
    assert count() == small
