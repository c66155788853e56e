"""PostgreSQL guarantees of the binding table under concurrency: the partial unique index and the
composite (environment, workspace) foreign key hold whatever the Python code does."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.core.errors import ValidationFailed
from tenantpilot.resources import services
from tenantpilot.resources.choices import BindingStatus, ResolutionMode, SubjectClass
from tenantpilot.resources.models import ProviderResourceBinding
from tenantpilot.resources.selectors import inventory_item_descriptor
from tests.baselines import factories as f

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
KEY = "provider:microsoft:policy:deviceConfigurations:9a9a0000-0000-4000-8000-000000000001"


def _race(n, fn):
    barrier = threading.Barrier(n)

    def worker(i):
        barrier.wait(timeout=10)
        try:
            return fn(i)
        except Exception as exc:  # collected and asserted on by the caller
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(worker, range(n)))


def _raw_row(environment, workspace_id=None):
    return ProviderResourceBinding(
        workspace_id=workspace_id or environment.workspace_id,
        environment_id=environment.pk,
        provider_key="microsoft",
        subject_domain="baseline",
        subject_class=SubjectClass.POLICY,
        subject_type="deviceConfigurations",
        canonical_subject_key=KEY,
        binding_status=BindingStatus.ACTIVE,
        resolution_mode=ResolutionMode.UNSUPPORTED_COVERAGE,
        decided_by_label="system",
        decided_at=timezone.now(),
    )


def test_concurrent_raw_inserts_leave_exactly_one_active_row(world):
    def insert(i):
        with transaction.atomic():
            _raw_row(world.a1).save()
        return "ok"

    results = _race(12, insert)
    assert results.count("ok") == 1
    assert all(isinstance(r, IntegrityError) for r in results if r != "ok")
    assert ProviderResourceBinding.objects.filter(canonical_subject_key=KEY).count() == 1


def test_concurrent_service_creates_give_one_binding_and_clear_errors(world):
    item = f.inventory_item(world.a1)
    descriptor = inventory_item_descriptor(item)

    def create(i):
        return services.binding_create_manual(
            actor=world.owner, environment=world.a1, descriptor=descriptor, note=f"Decision {i}"
        )

    results = _race(10, create)
    created = [r for r in results if isinstance(r, ProviderResourceBinding)]
    refused = [r for r in results if not isinstance(r, ProviderResourceBinding)]
    assert len(created) == 1
    assert all(isinstance(r, services.DuplicateActiveBinding) and r.field == "canonical_subject_key" for r in refused)
    assert ProviderResourceBinding.objects.count() == 1
    assert AuditLog.objects.filter(action=AuditAction.RESOURCE_BINDING_CREATED).count() == 1


def test_concurrent_supersedes_of_one_binding_supersede_it_once(world):
    item = f.inventory_item(world.a1)
    old = services.binding_create_manual(
        actor=world.owner, environment=world.a1, descriptor=inventory_item_descriptor(item), note="first"
    )
    modes = [ResolutionMode.ACCEPTED_LIMITATION, ResolutionMode.EXCLUDED_NON_GOVERNED]

    def supersede(i):
        return services.binding_supersede(actor=world.owner, binding=old, resolution_mode=modes[i % 2], note=f"n{i}")

    results = _race(8, supersede)
    winners = [r for r in results if isinstance(r, ProviderResourceBinding)]
    assert len(winners) == 1
    assert all(isinstance(r, ValidationFailed) and r.field == "binding_status" for r in results if r not in winners)
    assert ProviderResourceBinding.objects.active().count() == 1
    assert ProviderResourceBinding.objects.get(pk=old.pk).superseded_by_id == winners[0].pk
    assert AuditLog.objects.filter(action=AuditAction.RESOURCE_BINDING_SUPERSEDED).count() == 1


def test_composite_foreign_key_refuses_a_workspace_other_than_the_environments(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_row(world.a1, workspace_id=world.b.pk).save()  # bypasses the model's clean()
    assert ProviderResourceBinding.objects.count() == 0


def test_composite_foreign_key_holds_under_concurrent_inserts(world):
    def insert(i):
        workspace_id = world.a.pk if i % 2 == 0 else world.b.pk
        row = _raw_row(world.a1, workspace_id=workspace_id)
        row.canonical_subject_key = f"{KEY}{i}"
        with transaction.atomic():
            row.save()
        return "ok"

    results = _race(8, insert)
    assert results.count("ok") == 4
    assert all(isinstance(r, IntegrityError) for r in results if r != "ok")
    assert set(ProviderResourceBinding.objects.values_list("workspace_id", flat=True)) == {world.a.pk}
