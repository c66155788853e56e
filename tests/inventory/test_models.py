"""Versions are immutable (ORM everywhere, a trigger on PostgreSQL); identity is unique per type,
with provider ids stored whole up to their bound on both databases."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction

from tenantpilot.inventory.models import (
    MAX_PROVIDER_OBJECT_ID_BYTES,
    ImmutableRecordError,
    InventoryItem,
    PolicyVersion,
)
from tests.inventory.factories import make_item

pytestmark = pytest.mark.django_db


def test_policy_versions_refuse_update_and_delete_through_the_orm(world):
    version = make_item(world.a1).current_version
    with pytest.raises(ImmutableRecordError):
        version.save()
    with pytest.raises(ImmutableRecordError):
        PolicyVersion.objects.filter(pk=version.pk).update(payload_hash="x")
    with pytest.raises(ImmutableRecordError):
        version.delete()


def test_provider_object_id_is_unique_per_environment_and_type(world):
    item = make_item(world.a1)
    with pytest.raises(IntegrityError), transaction.atomic():
        InventoryItem.objects.create(
            workspace=world.a,
            environment=world.a1,
            policy_type=item.policy_type,
            provider_object_id=item.provider_object_id,
            payload_hash="",
            first_seen_at=item.first_seen_at,
            last_seen_at=item.last_seen_at,
        )


@pytest.mark.postgres
def test_postgres_refuses_raw_update_of_a_version(world):
    version = make_item(world.a1).current_version
    with pytest.raises((InternalError, ProgrammingError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE policy_versions SET payload_hash = 'x' WHERE id = %s", [version.pk])


@pytest.mark.postgres
def test_postgres_refuses_an_item_whose_workspace_is_not_its_environments(world):
    item = make_item(world.a1)
    with pytest.raises(IntegrityError), transaction.atomic():
        InventoryItem.objects.filter(pk=item.pk).update(workspace=world.b)
        connection.check_constraints()


def _raw_item(environment, object_id, *, policy_type="deviceConfigurations"):
    now = make_item(environment).first_seen_at
    return InventoryItem.objects.create(
        workspace=environment.workspace,
        environment=environment,
        policy_type=policy_type,
        provider_object_id=object_id,
        payload_hash="",
        first_seen_at=now,
        last_seen_at=now,
    )


def _bounded_ids():
    # The longest ASCII id and the longest id of 4-byte characters (the byte bound's worst case).
    return ["g" * MAX_PROVIDER_OBJECT_ID_BYTES, "\U0001f600" * (MAX_PROVIDER_OBJECT_ID_BYTES // 4)]


def _check_ids_at_the_bound_are_stored_whole_and_unique(world):
    for object_id in _bounded_ids():
        stored = _raw_item(world.a1, object_id)
        assert InventoryItem.objects.get(pk=stored.pk).provider_object_id == object_id
        with pytest.raises(IntegrityError), transaction.atomic():
            _raw_item(world.a1, object_id)
    # Ids equal in their first 200 (or 1023) characters are different identities.
    _raw_item(world.a1, "g" * (MAX_PROVIDER_OBJECT_ID_BYTES - 1) + "h")
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_item(world.a1, "g" * (MAX_PROVIDER_OBJECT_ID_BYTES + 1))


def test_ids_at_the_bound_are_stored_whole_and_unique(world):
    _check_ids_at_the_bound_are_stored_whole_and_unique(world)


@pytest.mark.postgres
def test_postgres_unique_index_holds_ids_at_the_bound(world):
    assert connection.vendor == "postgresql"
    _check_ids_at_the_bound_are_stored_whole_and_unique(world)
