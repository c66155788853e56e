"""The binding table's own guarantees (both databases): one active row per subject, consistent scope."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tenantpilot.resources.choices import BindingStatus, ResolutionMode, SubjectClass
from tenantpilot.resources.models import ProviderResourceBinding

pytestmark = pytest.mark.django_db
KEY = "provider:microsoft:policy:deviceConfigurations:5f1e0000-0000-4000-8000-000000000001"


def _row(environment, *, workspace=None, status=BindingStatus.ACTIVE, key=KEY, provider="microsoft", **extra):
    ended = None if status == BindingStatus.ACTIVE else timezone.now()
    values = {
        "workspace_id": (workspace or environment.workspace).pk,
        "environment": environment,
        "provider_key": provider,
        "subject_domain": "baseline",
        "subject_class": SubjectClass.POLICY,
        "subject_type": "deviceConfigurations",
        "canonical_subject_key": key,
        "binding_status": status,
        "resolution_mode": ResolutionMode.UNSUPPORTED_COVERAGE,
        "decided_by_label": "system",
        "decided_at": timezone.now(),
        "ended_at": ended,
        **extra,
    }
    return ProviderResourceBinding(**values)


def test_database_refuses_a_second_active_row_for_the_same_scoped_key(world):
    _row(world.a1).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(world.a1).save()
    assert ProviderResourceBinding.objects.count() == 1


def test_uniqueness_is_per_workspace_environment_provider_and_key(world):
    _row(world.a1).save()
    _row(world.a2).save()  # another environment
    _row(world.b1).save()  # another workspace
    _row(world.a1, provider="fake", key=KEY.replace("microsoft", "fake", 1)).save()  # another provider
    _row(world.a1, key=KEY + "0").save()  # another key
    _row(world.a1, status=BindingStatus.SUPERSEDED).save()  # ended rows never collide
    _row(world.a1, status=BindingStatus.REVOKED).save()
    assert ProviderResourceBinding.objects.filter(environment=world.a1, canonical_subject_key=KEY).count() == 3
    assert ProviderResourceBinding.objects.active().count() == 5


def test_model_refuses_a_workspace_that_is_not_the_environments(world):
    row = _row(world.a1, workspace=world.b)
    with pytest.raises(ValidationError) as exc:
        row.full_clean()
    assert "environment" in exc.value.message_dict


def test_database_refuses_an_ended_active_row_and_a_noteless_manual_row(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(world.a1, ended_at=timezone.now()).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(world.a1, resolution_mode=ResolutionMode.MANUAL_BINDING, operator_note="").save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(world.a1, resolution_mode="guessed").save()
    assert ProviderResourceBinding.objects.count() == 0


def test_binding_status_is_the_only_active_truth(world):
    field_names = {f.name for f in ProviderResourceBinding._meta.get_fields()}
    assert "is_active" not in field_names and "valid_from" not in field_names and "valid_until" not in field_names
    row = _row(world.a1)
    row.save()
    assert row.is_in_force
    assert list(ProviderResourceBinding.objects.active()) == [row]
