"""Binding console pages: list filters and history, detail trail, create from inventory, supersede, revoke."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.roles import Role
from tenantpilot.resources import services
from tenantpilot.resources.choices import BindingStatus, ResolutionMode
from tenantpilot.resources.models import NOTE_MAX_LENGTH, ProviderResourceBinding
from tenantpilot.resources.selectors import inventory_item_descriptor
from tests.baselines import factories as f

pytestmark = pytest.mark.django_db
NOTE = "Picked after checking the assignment groups with the customer."


def _url(world, name, **kwargs):
    return reverse(f"console:{name}", kwargs={"workspace": world.a.slug, "environment_id": world.a1.pk, **kwargs})


def _binding(world, environment=None, *, payload=None, note=NOTE):
    environment = environment or world.a1
    item = f.inventory_item(environment, payload)
    return services.binding_create_manual(
        actor=world.owner, environment=environment, descriptor=inventory_item_descriptor(item), note=note
    )


# -- list ---------------------------------------------------------------------------------------------------


def test_list_shows_the_environment_bindings_only(client, world):
    mine = _binding(world, payload=f.graph_policy("Alpha hardening"))
    _binding(world, world.a2, payload=f.graph_policy("Sibling policy"))
    client.force_login(world.members[Role.READONLY])
    response = client.get(_url(world, "bindings"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Alpha hardening" in body and mine.canonical_subject_key in body
    assert "Sibling policy" not in body
    assert "Record a decision" not in body  # read-only members see no mutation


def test_list_filters_by_status_mode_and_class(client, world):
    active = _binding(world, payload=f.graph_policy("Still active"))
    gone = _binding(world, payload=f.graph_policy("Was revoked"))
    services.binding_revoke(actor=world.owner, binding=gone, note="no")
    client.force_login(world.owner)
    body = client.get(_url(world, "bindings"), {"status": BindingStatus.REVOKED}).content.decode()
    assert "Was revoked" in body and "Still active" not in body
    body = client.get(_url(world, "bindings"), {"mode": ResolutionMode.EXCLUDED_NON_GOVERNED}).content.decode()
    assert "No binding matches" in body
    body = client.get(_url(world, "bindings"), {"subject_class": "policy", "status": "active"}).content.decode()
    assert "Still active" in body and "Was revoked" not in body
    assert active.subject_class == "policy"


def test_list_with_unknown_filter_values_answers_400_naming_the_filter(client, world):
    _binding(world)
    client.force_login(world.owner)
    response = client.get(_url(world, "bindings"), {"mode": "guessed", "subject_class": "gadget"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Resolution mode:" in body and "Subject class:" in body


def test_list_shows_the_history_of_one_subject_key(client, world):
    old = _binding(world, payload=f.graph_policy("Tracked policy"))
    services.binding_supersede(
        actor=world.owner, binding=old, resolution_mode=ResolutionMode.ACCEPTED_LIMITATION, note="x"
    )
    _binding(world, payload=f.graph_policy("Unrelated policy"))
    client.force_login(world.owner)
    response = client.get(_url(world, "bindings"), {"subject": old.canonical_subject_key})
    body = response.content.decode()
    assert body.count(old.canonical_subject_key) >= 2
    assert "Superseded" in body and "Accepted limitation" in body
    assert "Unrelated policy" not in body


def test_list_query_count_does_not_grow_with_rows(client, world, settings):
    settings.TENANTPILOT_PAGE_SIZE = 50
    client.force_login(world.owner)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(_url(world, "bindings"))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        _binding(world)
    small = count()
    for _ in range(20):
        _binding(world)
    large = count()
    assert large == small, f"{small} queries with 2 rows, {large} with 22"
    assert small <= 15


# -- detail -------------------------------------------------------------------------------------------------


def test_detail_shows_the_full_decision_trail_newest_first_with_notes(client, world):
    first = _binding(world, payload=f.graph_policy("Trail policy"), note="First decision note.")
    second = services.binding_supersede(
        actor=world.owner, binding=first, resolution_mode=ResolutionMode.EXCLUDED_NON_GOVERNED, note="Second note."
    )
    services.binding_revoke(actor=world.members[Role.MANAGER], binding=second, note="Revocation note.")
    client.force_login(world.members[Role.READONLY])
    response = client.get(_url(world, "binding-detail", binding_id=first.pk))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("Second note.") < body.index("First decision note.")  # newest first
    assert "Revocation note." in body
    assert world.members[Role.MANAGER].username in body and world.owner.username in body
    assert "Superseded" in body and "Revoked" in body
    assert ">Supersede<" not in body and ">Revoke<" not in body


def test_detail_of_a_binding_of_another_environment_is_not_found(client, world):
    sibling = _binding(world, world.a2)
    client.force_login(world.owner)
    assert client.get(_url(world, "binding-detail", binding_id=sibling.pk)).status_code == 404


# -- create -------------------------------------------------------------------------------------------------


def test_create_form_searches_the_inventory_and_paginates(client, world):
    for i in range(12):
        f.inventory_item(world.a1, f.graph_policy(f"Kiosk profile {i:02d}"))
    f.inventory_item(world.a1, f.graph_policy("Unrelated"))
    f.inventory_item(world.a2, f.graph_policy("Kiosk in sibling"))
    client.force_login(world.owner)
    body = client.get(_url(world, "binding-create"), {"q": "kiosk"}).content.decode()
    assert "Kiosk profile 00" in body and "Unrelated" not in body and "Kiosk in sibling" not in body
    assert "Kiosk profile 11" not in body and "Page 1 of 2" in body
    page2 = client.get(_url(world, "binding-create"), {"q": "kiosk", "page": 2}).content.decode()
    assert "Kiosk profile 11" in page2


def test_create_picks_an_item_and_builds_the_descriptor_through_the_adapter(client, world):
    item = f.inventory_item(world.a1, f.graph_policy("Picked policy"))
    client.force_login(world.owner)
    picked = client.get(_url(world, "binding-create"), {"item": item.pk}).content.decode()
    assert "<strong>Picked policy</strong>" in picked
    response = client.post(
        _url(world, "binding-create"),
        {"resolution_mode": ResolutionMode.MANUAL_BINDING, "inventory_item": item.pk, "note": NOTE},
    )
    binding = ProviderResourceBinding.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/bindings/{binding.pk}/")
    assert binding.canonical_subject_key == f"provider:microsoft:policy:deviceConfigurations:{item.provider_object_id}"
    assert binding.source_inventory_item_id == item.pk
    assert binding.source_policy_version_id == item.current_version_id
    assert binding.resource_descriptor["display_label"] == "Picked policy"


@pytest.mark.parametrize(
    ("note", "message"),
    [("", "Enter an operator note"), ("x" * (NOTE_MAX_LENGTH + 1), f"limited to {NOTE_MAX_LENGTH} characters")],
)
def test_create_without_a_note_or_with_a_long_one_is_refused(client, world, note, message):
    item = f.inventory_item(world.a1)
    client.force_login(world.owner)
    response = client.post(
        _url(world, "binding-create"),
        {"resolution_mode": ResolutionMode.ACCEPTED_LIMITATION, "inventory_item": item.pk, "note": note},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert ProviderResourceBinding.objects.count() == 0


def test_create_with_an_item_of_another_environment_or_workspace_is_refused(client, world):
    client.force_login(world.owner)
    for foreign in (f.inventory_item(world.a2), f.inventory_item(world.b1)):
        response = client.post(
            _url(world, "binding-create"),
            {"resolution_mode": ResolutionMode.MANUAL_BINDING, "inventory_item": foreign.pk, "note": NOTE},
        )
        assert response.status_code == 400
        assert "Pick a provider resource from this environment" in response.content.decode()
    assert ProviderResourceBinding.objects.count() == 0


def test_create_with_an_unknown_mode_is_refused(client, world):
    item = f.inventory_item(world.a1)
    client.force_login(world.owner)
    response = client.post(
        _url(world, "binding-create"), {"resolution_mode": "canonical_builtin", "inventory_item": item.pk, "note": NOTE}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert ProviderResourceBinding.objects.count() == 0


def test_second_active_decision_for_the_same_resource_is_refused_in_the_form(client, world):
    item = f.inventory_item(world.a1)
    client.force_login(world.owner)
    data = {"resolution_mode": ResolutionMode.MANUAL_BINDING, "inventory_item": item.pk, "note": NOTE}
    assert client.post(_url(world, "binding-create"), data).status_code == 302
    response = client.post(_url(world, "binding-create"), data)
    assert response.status_code == 400
    assert "already has an active binding" in response.content.decode()
    assert ProviderResourceBinding.objects.count() == 1


# -- supersede and revoke -----------------------------------------------------------------------------------


def test_supersede_shows_a_confirmation_naming_the_subject_before_writing(client, world):
    binding = _binding(world, payload=f.graph_policy("Confirm me"))
    client.force_login(world.owner)
    data = {"resolution_mode": ResolutionMode.ACCEPTED_LIMITATION, "note": "Known gap."}
    response = client.post(_url(world, "binding-supersede", binding_id=binding.pk), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Supersede the decision for “Confirm me”?" in body and binding.canonical_subject_key in body
    binding.refresh_from_db()
    assert binding.binding_status == BindingStatus.ACTIVE and ProviderResourceBinding.objects.count() == 1
    response = client.post(_url(world, "binding-supersede", binding_id=binding.pk), {**data, "confirm": "1"})
    assert response.status_code == 302
    binding.refresh_from_db()
    assert binding.binding_status == BindingStatus.SUPERSEDED
    assert ProviderResourceBinding.objects.active().get().resolution_mode == ResolutionMode.ACCEPTED_LIMITATION


def test_supersede_can_move_the_decision_to_another_picked_resource(client, world):
    binding = _binding(world)
    other = f.inventory_item(world.a1, f.graph_policy("The right one"))
    client.force_login(world.owner)
    data = {"resolution_mode": ResolutionMode.MANUAL_BINDING, "note": "Right one.", "inventory_item": other.pk}
    confirm = client.post(_url(world, "binding-supersede", binding_id=binding.pk), data).content.decode()
    assert "The right one" in confirm
    client.post(_url(world, "binding-supersede", binding_id=binding.pk), {**data, "confirm": "1"})
    successor = ProviderResourceBinding.objects.active().get()
    assert successor.provider_resource_id == other.provider_object_id
    assert successor.canonical_subject_key == binding.canonical_subject_key


def test_supersede_without_note_is_refused(client, world):
    binding = _binding(world)
    client.force_login(world.owner)
    response = client.post(
        _url(world, "binding-supersede", binding_id=binding.pk),
        {"resolution_mode": ResolutionMode.ACCEPTED_LIMITATION, "note": "", "confirm": "1"},
    )
    assert response.status_code == 400
    assert "Enter an operator note" in response.content.decode()
    assert ProviderResourceBinding.objects.count() == 1


def test_revoke_confirms_naming_the_subject_and_needs_a_note(client, world):
    binding = _binding(world, payload=f.graph_policy("Revoke me"))
    client.force_login(world.owner)
    page = client.get(_url(world, "binding-revoke", binding_id=binding.pk)).content.decode()
    assert "Revoke the decision for “Revoke me”?" in page and binding.canonical_subject_key in page
    response = client.post(_url(world, "binding-revoke", binding_id=binding.pk), {"note": ""})
    assert response.status_code == 400 and "Enter an operator note" in response.content.decode()
    binding.refresh_from_db()
    assert binding.binding_status == BindingStatus.ACTIVE
    response = client.post(_url(world, "binding-revoke", binding_id=binding.pk), {"note": "Not needed."})
    assert response.status_code == 302
    binding.refresh_from_db()
    assert binding.binding_status == BindingStatus.REVOKED


def test_revoke_of_a_non_active_binding_is_refused_without_error_page(client, world):
    binding = _binding(world)
    services.binding_revoke(actor=world.owner, binding=binding, note="gone")
    client.force_login(world.owner)
    audit_rows = AuditLog.objects.count()
    response = client.post(_url(world, "binding-revoke", binding_id=binding.pk), {"note": "again"}, follow=True)
    assert response.status_code == 200
    assert "only an active binding can change" in response.content.decode()
    assert AuditLog.objects.count() == audit_rows


def test_environment_page_links_to_bindings(client, world):
    client.force_login(world.members[Role.READONLY])
    body = client.get(
        reverse("console:environment-detail", kwargs={"workspace": world.a.slug, "environment_id": world.a1.pk})
    ).content.decode()
    assert _url(world, "bindings") in body
