"""Bindings stay consistent with what they name: connections, stored descriptors, archived environments."""

from __future__ import annotations

import copy
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.core.errors import Conflict, ValidationFailed
from tenantpilot.providers import services as provider_services
from tenantpilot.providers.models import ProviderConnection
from tenantpilot.resources import descriptors, services
from tenantpilot.resources.choices import BindingStatus, ResolutionMode
from tenantpilot.resources.descriptors import DescriptorSchemaError, ProviderResourceDescriptor
from tenantpilot.resources.models import ProviderResourceBinding
from tenantpilot.resources.selectors import inventory_item_descriptor
from tests.baselines import factories as f

pytestmark = pytest.mark.django_db

NOTE = "Confirmed with the customer (ticket 4711)."


def _connection(world, environment=None):
    environment = environment or world.a1
    return provider_services.connection_create(
        actor=world.owner,
        environment=environment,
        display_name=f"Graph {uuid.uuid4().hex[:6]}",
        entra_tenant_id=environment.tenant_id,
        client_id=str(uuid.uuid4()),
        auth_type="client_secret",
        client_secret="binding-integrity-secret",
    )


def _binding(world, environment=None, **options):
    environment = environment or world.a1
    item = f.inventory_item(environment)
    return services.binding_create_manual(
        actor=world.owner, environment=environment, descriptor=inventory_item_descriptor(item), note=NOTE, **options
    )


def _archive(environment):
    environment.archived_at = timezone.now()
    environment.save(update_fields=["archived_at"])


# -- 17: a connection with active bindings is not deleted ----------------------------------------------------


def test_connection_delete_is_refused_while_active_bindings_use_it(world):
    connection = _connection(world)
    first = _binding(world, provider_connection_id=connection.pk)
    _binding(world, provider_connection_id=connection.pk)
    with pytest.raises(provider_services.ConnectionInUse) as exc:
        provider_services.connection_delete(actor=world.owner, connection=connection)
    assert "2 active resource bindings" in exc.value.message
    assert ProviderConnection.objects.filter(pk=connection.pk).exists()
    assert not AuditLog.objects.filter(action=AuditAction.CONNECTION_DELETED).exists()
    assert ProviderResourceBinding.objects.get(pk=first.pk).provider_connection_id == connection.pk


def test_connection_delete_goes_ahead_once_its_bindings_are_revoked_with_audit(world):
    connection = _connection(world)
    bindings = [_binding(world, provider_connection_id=connection.pk) for _ in range(2)]
    for binding in bindings:
        services.binding_revoke(actor=world.owner, binding=binding, note="Connection retired")
    provider_services.connection_delete(actor=world.owner, connection=connection)
    assert not ProviderConnection.objects.filter(pk=connection.pk).exists()
    revoked = AuditLog.objects.filter(action=AuditAction.RESOURCE_BINDING_REVOKED)
    assert sorted(int(r.target_id) for r in revoked) == sorted(b.pk for b in bindings)
    assert AuditLog.objects.filter(action=AuditAction.CONNECTION_DELETED, target_id=str(connection.pk)).exists()


def test_delete_page_names_the_bindings_and_links_to_them(client, world):
    connection = _connection(world)
    binding = _binding(world, provider_connection_id=connection.pk)
    _binding(world)  # an active binding without this connection: not listed
    kwargs = {"workspace": world.a.slug, "environment_id": world.a1.pk, "connection_id": connection.pk}
    url = reverse("console:connection-delete", kwargs=kwargs)
    client.force_login(world.owner)
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "1 active resource binding" in html and "Delete connection</button>" not in html
    link = reverse("console:bindings", kwargs={"workspace": world.a.slug, "environment_id": world.a1.pk})
    listing = client.get(f"{link}?status=active&connection={connection.pk}")
    assert f"{link}?status=active&amp;connection={connection.pk}" in html
    assert list(listing.context["page"].object_list) == [binding]
    refused = client.post(url, follow=True)
    assert "still used by 1 active resource binding" in refused.content.decode()
    assert ProviderConnection.objects.filter(pk=connection.pk).exists()


# -- 18: stored descriptors of another schema version --------------------------------------------------------


def _store_descriptor(binding, data):
    ProviderResourceBinding.objects.filter(pk=binding.pk).update(resource_descriptor=data)


def test_supersede_with_an_unreadable_stored_descriptor_is_a_field_error(world):
    binding = _binding(world)
    future = {**binding.resource_descriptor, "schema_version": 99}
    _store_descriptor(binding, future)
    with pytest.raises(ValidationFailed) as exc:
        services.binding_supersede(
            actor=world.owner, binding=binding, resolution_mode=ResolutionMode.MANUAL_BINDING, note=NOTE
        )
    assert exc.value.field == "descriptor" and "schema 99" in exc.value.message
    assert ProviderResourceBinding.objects.get(pk=binding.pk).binding_status == BindingStatus.ACTIVE
    assert not AuditLog.objects.filter(action=AuditAction.RESOURCE_BINDING_SUPERSEDED).exists()


def _as_schema_zero(data):
    """A hypothetical older layout: no canonical key stored, the label under another name."""
    old = copy.deepcopy(data)
    old["schema_version"] = 0
    old["label"] = old.pop("display_label")
    del old["canonical_subject_key"]
    return old


def _zero_to_one(data):
    new = dict(data)
    new["display_label"] = new.pop("label")
    identity = ProviderResourceDescriptor(
        identity=descriptors.ResourceIdentity(**new["identity"]), subject_class=new["subject_class"]
    )
    new["canonical_subject_key"] = str(identity.canonical_key)
    new["schema_version"] = 1
    return new


def test_from_dict_upgrades_an_old_row_through_the_registry(world, monkeypatch):
    binding = _binding(world)
    current = binding.resource_descriptor
    old = _as_schema_zero(current)
    with pytest.raises(DescriptorSchemaError):
        ProviderResourceDescriptor.from_dict(old)  # no upgrade registered: refused, clearly
    monkeypatch.setitem(descriptors.UPGRADES, 0, _zero_to_one)
    assert ProviderResourceDescriptor.from_dict(old).to_dict() == current
    assert old["schema_version"] == 0, "the stored dict is not changed in place"
    _store_descriptor(binding, old)
    successor = services.binding_supersede(
        actor=world.owner, binding=binding, resolution_mode=ResolutionMode.MANUAL_BINDING, note=NOTE
    )
    assert successor.resource_descriptor == current, "the successor stores the current schema"


def test_an_upgrade_that_does_not_reach_the_next_version_is_refused(monkeypatch):
    monkeypatch.setitem(descriptors.UPGRADES, 0, lambda data: dict(data))
    with pytest.raises(ValueError, match="did not produce schema 1"):
        descriptors.upgrade_descriptor_dict({"schema_version": 0})


# -- 19: revoke in an archived environment; validation under locks -----------------------------------------


def test_revoke_is_refused_in_an_archived_environment_like_create_and_supersede(world):
    binding = _binding(world)
    _archive(world.a1)
    with pytest.raises(Conflict, match="archived"):
        services.binding_revoke(actor=world.owner, binding=binding, note=NOTE)
    with pytest.raises(Conflict, match="archived"):
        services.binding_supersede(
            actor=world.owner, binding=binding, resolution_mode=ResolutionMode.EXCLUDED_NON_GOVERNED, note=NOTE
        )
    assert ProviderResourceBinding.objects.get(pk=binding.pk).binding_status == BindingStatus.ACTIVE
    assert not AuditLog.objects.filter(action=AuditAction.RESOURCE_BINDING_REVOKED).exists()


def test_binding_create_rechecks_archival_inside_its_transaction(world):
    item = f.inventory_item(world.a1)
    stale = type(world.a1).objects.get(pk=world.a1.pk)
    _archive(world.a1)
    with pytest.raises(Conflict, match="archived"):
        services.binding_create_manual(
            actor=world.owner, environment=stale, descriptor=inventory_item_descriptor(item), note=NOTE
        )
    assert not ProviderResourceBinding.objects.exists()


def test_console_revoke_in_an_archived_environment_is_a_clear_conflict(client, world):
    binding = _binding(world)
    _archive(world.a1)
    kwargs = {"workspace": world.a.slug, "environment_id": world.a1.pk, "binding_id": binding.pk}
    client.force_login(world.owner)
    detail = client.get(reverse("console:binding-detail", kwargs=kwargs)).content.decode()
    revoke_url = reverse("console:binding-revoke", kwargs=kwargs)
    assert revoke_url not in detail, "no revoke action offered in an archived environment"
    answer = client.post(revoke_url, {"note": NOTE})
    assert answer.status_code == 409
    assert "Restore it before recording binding decisions" in answer.content.decode()
    assert ProviderResourceBinding.objects.get(pk=binding.pk).binding_status == BindingStatus.ACTIVE
