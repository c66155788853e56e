"""Baseline capture as an operation run: immutable snapshots, evidence refused or captured anyway."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tenantpilot.audit.models import AuditLog
from tenantpilot.baselines import services
from tenantpilot.baselines.models import BaselineSnapshot, BaselineSnapshotItem, ImmutableSnapshotError
from tenantpilot.core.errors import ValidationFailed
from tenantpilot.operations.models import OperationRun
from tests.baselines.support import contoso, execute, synced

pytestmark = pytest.mark.django_db


def _profile(world, **fields):
    return services.profile_create(actor=world.owner, workspace=world.a, name="Gold", **fields)


def test_capture_stores_an_immutable_snapshot_keyed_by_provider_identity(world, graph_settings):
    golden = synced(contoso(world))
    profile = _profile(world)
    run = execute(services.baseline_capture_start(actor=world.owner, profile=profile, source_environment=golden))
    assert run.outcome == "succeeded", run.message
    snapshot = BaselineSnapshot.objects.get(profile=profile)
    assert snapshot.status == "complete" and not snapshot.captured_anyway
    assert snapshot.item_count == BaselineSnapshotItem.objects.filter(snapshot=snapshot).count() > 10
    assert run.summary_counts["subjects"] == snapshot.item_count
    assert snapshot.source_inventory_run.type == "inventory.sync"
    keys = set(BaselineSnapshotItem.objects.filter(snapshot=snapshot).values_list("canonical_subject_key", flat=True))
    assert all(key.startswith("provider:microsoft:") for key in keys)
    builtin = BaselineSnapshotItem.objects.filter(snapshot=snapshot, canonical_subject_key__contains=":builtin:")
    assert builtin.exists() and all(i.match_key == i.canonical_subject_key for i in builtin)
    assert not BaselineSnapshotItem.objects.filter(snapshot=snapshot, policy_type="roleScopeTags").exists()
    snapshot.captured_anyway = True
    with pytest.raises(ImmutableSnapshotError):
        snapshot.save()
    assert AuditLog.objects.filter(action="baseline.snapshot_captured", target_id=str(snapshot.pk)).count() == 1
    assert AuditLog.objects.filter(action="baseline.capture_requested", target_id=str(run.pk)).count() == 1


def test_capture_refuses_stale_evidence_unless_forced_with_a_note(world, graph_settings):
    golden = synced(contoso(world))
    profile = _profile(world, max_evidence_age_hours=2)
    OperationRun.objects.filter(environment=golden, type="inventory.sync").update(
        finished_at=timezone.now() - dt.timedelta(hours=5)
    )
    with pytest.raises(ValidationFailed) as exc:
        services.baseline_capture_start(actor=world.owner, profile=profile, source_environment=golden)
    assert exc.value.field == "source_environment"
    with pytest.raises(ValidationFailed) as exc:
        services.baseline_capture_start(actor=world.owner, profile=profile, source_environment=golden, force=True)
    assert exc.value.field == "note"
    note = "Golden tenant frozen for the audit window"
    started = services.baseline_capture_start(
        actor=world.owner, profile=profile, source_environment=golden, force=True, note=note
    )
    run = execute(started)
    assert run.outcome == "succeeded"
    assert BaselineSnapshot.objects.get(profile=profile).captured_anyway
    row = AuditLog.objects.get(action="baseline.capture_requested", target_id=str(run.pk))
    assert row.metadata["captured_anyway"] is True
    assert note not in str(row.metadata) and row.metadata["note"]["length"] == len(note)


def test_capture_refuses_an_environment_without_inventory(world, graph_settings):
    profile = _profile(world)
    with pytest.raises(ValidationFailed) as exc:
        services.baseline_capture_start(
            actor=world.owner, profile=profile, source_environment=contoso(world), force=True, note="n"
        )
    assert exc.value.field == "source_environment"


def test_capture_dedupes_to_the_active_run(world, graph_settings):
    golden = synced(contoso(world))
    profile = _profile(world)
    first = services.baseline_capture_start(actor=world.owner, profile=profile, source_environment=golden)
    second = services.baseline_capture_start(actor=world.owner, profile=profile, source_environment=golden)
    assert second.deduped and second.run.pk == first.run.pk
    assert AuditLog.objects.filter(action="baseline.capture_requested").count() == 1
