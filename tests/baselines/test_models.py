"""Baseline profiles, snapshots and assignments keep to one workspace."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tenantpilot.baselines.models import BaselineAssignment, BaselineSnapshot, snapshot_applies_to_environment
from tests.baselines import factories as f

pytestmark = pytest.mark.django_db


def test_snapshot_applies_only_where_its_profile_is_assigned(world):
    profile = f.profile(world.a)
    snapshot = f.snapshot(profile, golden=world.a2)
    kwargs = {"snapshot_id": snapshot.pk, "workspace_id": world.a.pk}
    assert not snapshot_applies_to_environment(environment_id=world.a1.pk, **kwargs)
    f.assign(profile, world.a1)
    assert snapshot_applies_to_environment(environment_id=world.a1.pk, **kwargs)
    assert not snapshot_applies_to_environment(environment_id=world.a2.pk, **kwargs)
    assert not snapshot_applies_to_environment(
        snapshot_id=snapshot.pk, workspace_id=world.b.pk, environment_id=world.a1.pk
    )


def test_assignment_is_unique_per_profile_and_environment(world):
    profile = f.profile(world.a)
    f.assign(profile, world.a1)
    with pytest.raises(IntegrityError), transaction.atomic():
        f.assign(profile, world.a1)
    assert BaselineAssignment.objects.count() == 1


def test_profile_names_are_unique_per_workspace(world):
    f.profile(world.a, "Gold")
    f.profile(world.b, "Gold")
    with pytest.raises(IntegrityError), transaction.atomic():
        f.profile(world.a, "Gold")


def test_models_refuse_rows_that_cross_workspaces(world):
    profile = f.profile(world.a)
    assignment = BaselineAssignment(workspace=world.a, profile=profile, environment=world.b1)
    with pytest.raises(ValidationError) as exc:
        assignment.full_clean()
    assert "environment" in exc.value.message_dict
    snapshot = BaselineSnapshot(workspace=world.b, profile=profile, captured_at=timezone.now())
    with pytest.raises(ValidationError) as exc:
        snapshot.full_clean()
    assert "profile" in exc.value.message_dict


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_refuses_assignment_and_snapshot_across_workspaces(world):
    profile = f.profile(world.a)
    with pytest.raises(IntegrityError), transaction.atomic():
        BaselineAssignment.objects.create(workspace=world.a, profile=profile, environment=world.b1)
    with pytest.raises(IntegrityError), transaction.atomic():
        BaselineSnapshot.objects.create(workspace=world.b, profile=profile, captured_at=timezone.now())
    assert BaselineAssignment.objects.count() == 0 and BaselineSnapshot.objects.count() == 0
