"""Inventory rows carry the provider they were read from; groups, filters and scope tags are synced
as reference data and read back as id → name maps in one query."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from graphsim import fixtures_catalog as fx
from tenantpilot.baselines.normalize import ReferenceNames
from tenantpilot.inventory.choices import REFERENCE_TYPES, PolicyType
from tenantpilot.inventory.models import InventoryItem
from tenantpilot.inventory.selectors import inventory_reference_names
from tenantpilot.operations.choices import RunOutcome
from tenantpilot.providers.models import ProviderConnection
from tenantpilot.resources.selectors import inventory_item_descriptor
from tests.inventory.factories import make_item
from tests.inventory.support import golden_environment, item, run_now
from tests.providers.support import secret_connection

pytestmark = pytest.mark.django_db

DC = PolicyType.DEVICE_CONFIGURATIONS.value
GROUPS = PolicyType.GROUPS.value


def test_items_keep_the_provider_and_connection_that_synced_them(world, graph_settings):
    env = golden_environment(world)
    connection = ProviderConnection.objects.get(environment=env)
    run_now(env)
    rows = InventoryItem.objects.filter(environment=env)
    assert rows.exists()
    assert set(rows.values_list("provider_key", flat=True)) == {"microsoft"}
    assert set(rows.values_list("provider_connection_id", flat=True)) == {connection.pk}


def test_identity_survives_a_change_of_the_default_connection(world, graph_settings):
    env = golden_environment(world)
    first = ProviderConnection.objects.get(environment=env)
    run_now(env)
    synced = item(env, DC, fx.GOLDEN_DEVICE_RESTRICTIONS_ID)
    before = inventory_item_descriptor(synced)

    # Another connection becomes the default, of another provider: the item's identity stays.
    second = secret_connection(world, env, name="Second")
    ProviderConnection.objects.filter(pk=first.pk).update(is_default=False)
    ProviderConnection.objects.filter(pk=second.pk).update(is_default=True, provider_key="fake")

    reloaded = item(env, DC, fx.GOLDEN_DEVICE_RESTRICTIONS_ID)
    after = inventory_item_descriptor(reloaded)
    assert after.provider_key == before.provider_key == "microsoft"
    assert str(after.canonical_key) == str(before.canonical_key)
    assert reloaded.provider_connection_id == first.pk


def test_groups_are_synced_as_reference_data_with_their_kind(world, graph_settings):
    env = golden_environment(world)
    graph_settings.clear_requests()
    run = run_now(env)
    assert run.outcome == RunOutcome.SUCCEEDED, run.message
    listed = [r for r in graph_settings.requests if r.host == "graph" and r.path.endswith("/groups")]
    assert listed and all(r.query.get("$top") == "999" for r in listed)
    assert "securityEnabled" in listed[0].query.get("$select", "")
    groups = InventoryItem.objects.filter(environment=env, policy_type=GROUPS)
    assert groups.count() == run.summary_counts["items.groups"] > 0
    dynamic = [g for g in groups if "DynamicMembership" in g.metadata.get("groupTypes", [])]
    assert dynamic and all(g.metadata["securityEnabled"] is True for g in dynamic)
    assert PolicyType.GROUPS.label == "Groups"
    assert {GROUPS, PolicyType.ASSIGNMENT_FILTERS.value, PolicyType.ROLE_SCOPE_TAGS.value} == REFERENCE_TYPES


def test_reference_names_map_ids_to_names_in_one_query(world, graph_settings, django_assert_num_queries):
    env = golden_environment(world)
    run_now(env)
    group = InventoryItem.objects.filter(environment=env, policy_type=GROUPS).first()
    gone = InventoryItem.objects.filter(environment=env, policy_type=GROUPS).exclude(pk=group.pk).first()
    InventoryItem.objects.filter(pk=gone.pk).update(gone_at=gone.last_seen_at)
    with django_assert_num_queries(1):
        names = inventory_reference_names(environment_id=env.pk)
    assert isinstance(names, ReferenceNames)
    assert names.groups[group.provider_object_id] == group.display_name
    assert gone.provider_object_id not in names.groups, "gone items are not reference data"
    assert names.scope_tags["0"] == "Default"
    filters = InventoryItem.objects.filter(environment=env, policy_type=PolicyType.ASSIGNMENT_FILTERS.value)
    assert filters.exists()
    assert names.filters == {f.provider_object_id: f.display_name for f in filters}
    assert inventory_reference_names(environment_id=env.pk + 1000) == ReferenceNames()


def test_the_migration_gives_existing_rows_the_provider_of_the_connection_that_synced_them(world, graph_settings):
    migration = importlib.import_module("tenantpilot.inventory.migrations.0002_item_identity_full_length_and_provider")
    env = golden_environment(world)
    connection = ProviderConnection.objects.get(environment=env)
    run_now(env)
    ProviderConnection.objects.filter(pk=connection.pk).update(provider_key="fake")
    unsynced = make_item(env)  # written without a run: falls back to the default connection
    InventoryItem.objects.filter(environment=env).update(provider_key="microsoft", provider_connection=None)

    migration.fill_provider_identity(apps, None)

    rows = InventoryItem.objects.filter(environment=env)
    assert set(rows.values_list("provider_key", flat=True)) == {"fake"}
    assert set(rows.values_list("provider_connection_id", flat=True)) == {connection.pk}
    assert InventoryItem.objects.get(pk=unsynced.pk).provider_connection_id == connection.pk
