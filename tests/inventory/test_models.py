"""Versions are immutable (ORM everywhere, a trigger on PostgreSQL); identity is unique per type."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, InternalError, ProgrammingError, connection, transaction

from tenantpilot.inventory.models import ImmutableRecordError, InventoryItem, PolicyVersion
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
    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    version = make_item(world.a1).current_version
    with pytest.raises((InternalError, ProgrammingError)), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE policy_versions SET payload_hash = 'x' WHERE id = %s", [version.pk])


@pytest.mark.postgres
def test_postgres_refuses_an_item_whose_workspace_is_not_its_environments(world):
    if connection.vendor != "postgresql":
        pytest.skip("the composite foreign key exists on PostgreSQL only")
    item = make_item(world.a1)
    with pytest.raises(IntegrityError), transaction.atomic():
        InventoryItem.objects.filter(pk=item.pk).update(workspace=world.b)
        connection.check_constraints()
