"""``binding_record_identities``: the bulk twin of the automatic binding services keeps their
guarantees (idempotent, operator decisions untouched, one audit row per created binding, scope
and archive checks) in a constant number of queries per chunk."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.core.errors import Conflict, ValidationFailed
from tenantpilot.resources import services
from tenantpilot.resources.adapters import get_adapter
from tenantpilot.resources.choices import BindingStatus, ResolutionMode
from tenantpilot.resources.models import ProviderResourceBinding
from tenantpilot.resources.selectors import inventory_item_descriptor
from tenantpilot.tenancy.models import ManagedEnvironment
from tests.baselines import factories as f

pytestmark = pytest.mark.django_db

NOTE = "Confirmed with the customer: this policy is the hardened profile (ticket 4711)."


def _policies(n):
    adapter = get_adapter("microsoft")
    return [
        adapter.describe(
            "deviceConfigurations",
            {
                "id": str(uuid.uuid4()),
                "@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
                "displayName": f"P{i}",
            },
        )
        for i in range(n)
    ]


def _all_devices():
    return get_adapter("microsoft").describe(
        "assignmentTargets", {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}
    )


def _created_audits(environment):
    return AuditLog.objects.filter(action=AuditAction.RESOURCE_BINDING_CREATED, environment=environment)


def test_records_every_identity_with_its_mode_source_and_audit_row(world):
    run = f.completed_run(world.a1)
    item = f.inventory_item(world.a1)
    descriptors = [*_policies(3), _all_devices(), inventory_item_descriptor(item)]
    done = services.binding_record_identities(
        environment=world.a1, descriptors=descriptors, source_operation_run_id=run.pk
    )
    assert (len(done.created), done.unchanged, done.refused) == (5, 0, 0)
    rows = {r.canonical_subject_key: r for r in ProviderResourceBinding.objects.filter(environment=world.a1)}
    assert set(rows) == {str(d.canonical_key) for d in descriptors}
    assert rows[str(descriptors[3].canonical_key)].resolution_mode == ResolutionMode.CANONICAL_VIRTUAL_TARGET
    from_item = rows[str(descriptors[4].canonical_key)]
    assert from_item.resolution_mode == ResolutionMode.EXACT_PROVIDER_IDENTITY
    assert (from_item.source_inventory_item_id, from_item.source_operation_run_id) == (item.pk, run.pk)
    assert all(r.binding_status == BindingStatus.ACTIVE and r.decided_by_label == "system" for r in rows.values())
    audits = list(_created_audits(world.a1))
    assert sorted(int(a.target_id) for a in audits) == sorted(r.pk for r in rows.values())
    audit = next(a for a in audits if a.target_id == str(from_item.pk))
    assert audit.actor is None and audit.actor_label == "system" and audit.workspace_id == world.a.pk
    assert audit.metadata["automatic"] is True and audit.metadata["note"] is None
    assert audit.metadata["binding_id"] == from_item.pk
    assert audit.metadata["resolution_mode"] == "exact_provider_identity"
    assert audit.metadata["source_inventory_item_id"] == item.pk


def test_audit_metadata_has_the_single_row_services_shape(world):
    run = f.completed_run(world.a1)
    single, bulk = _policies(2)
    services.binding_record_exact_identity(environment=world.a1, descriptor=single, source_operation_run_id=run.pk)
    services.binding_record_identities(environment=world.a1, descriptors=[bulk], source_operation_run_id=run.pk)
    one, other = _created_audits(world.a1).order_by("id")
    assert set(one.metadata) == set(other.metadata)
    assert (one.target_type, one.action) == (other.target_type, other.action)


def test_a_second_call_is_idempotent(world):
    run = f.completed_run(world.a1)
    descriptors = [*_policies(20), _all_devices()]
    services.binding_record_identities(environment=world.a1, descriptors=descriptors, source_operation_run_id=run.pk)
    again = services.binding_record_identities(
        environment=world.a1, descriptors=descriptors, source_operation_run_id=run.pk
    )
    assert (again.created, again.unchanged, again.refused) == ([], 21, 0)
    assert ProviderResourceBinding.objects.filter(environment=world.a1).count() == 21
    assert _created_audits(world.a1).count() == 21


def test_duplicates_inside_one_call_give_one_row(world):
    run = f.completed_run(world.a1)
    (descriptor,) = _policies(1)
    done = services.binding_record_identities(
        environment=world.a1, descriptors=[descriptor, descriptor], source_operation_run_id=run.pk
    )
    assert len(done.created) == 1 and done.unchanged == 1
    assert ProviderResourceBinding.objects.filter(environment=world.a1).count() == 1


def test_operator_decisions_are_never_overwritten(world):
    run = f.completed_run(world.a1)
    item = f.inventory_item(world.a1)
    descriptor = inventory_item_descriptor(item)
    manual = services.binding_create_manual(actor=world.owner, environment=world.a1, descriptor=descriptor, note=NOTE)
    excluded_key = _policies(1)[0]
    exclusion = services.binding_create_exclusion(
        actor=world.owner,
        environment=world.a1,
        note=NOTE,
        canonical_subject_key=str(excluded_key.canonical_key),
        subject_class="policy",
    )
    fresh = _policies(1)
    done = services.binding_record_identities(
        environment=world.a1, descriptors=[descriptor, excluded_key, *fresh], source_operation_run_id=run.pk
    )
    assert (len(done.created), done.unchanged, done.refused) == (1, 0, 2)
    manual.refresh_from_db()
    exclusion.refresh_from_db()
    assert manual.binding_status == BindingStatus.ACTIVE and manual.resolution_mode == ResolutionMode.MANUAL_BINDING
    assert exclusion.binding_status == BindingStatus.ACTIVE
    assert exclusion.resolution_mode == ResolutionMode.EXCLUDED_NON_GOVERNED
    assert ProviderResourceBinding.objects.filter(environment=world.a1).count() == 3


def test_sources_outside_the_environment_are_refused(world):
    other_run = f.completed_run(world.a2)
    with pytest.raises(ValidationFailed) as exc:
        services.binding_record_identities(
            environment=world.a1, descriptors=_policies(2), source_operation_run_id=other_run.pk
        )
    assert exc.value.field == "source_operation_run_id"
    run = f.completed_run(world.a1)
    foreign_item = inventory_item_descriptor(f.inventory_item(world.a2))
    done = services.binding_record_identities(
        environment=world.a1, descriptors=[foreign_item, *_policies(1)], source_operation_run_id=run.pk
    )
    assert (len(done.created), done.refused) == (1, 1)
    assert not ProviderResourceBinding.objects.filter(source_inventory_item_id=foreign_item.source_inventory_item_id)


def test_a_system_record_without_any_source_is_refused(world):
    done = services.binding_record_identities(environment=world.a1, descriptors=_policies(2))
    assert (done.created, done.refused) == ([], 2)
    assert not ProviderResourceBinding.objects.exists()


def test_an_archived_environment_is_refused(world):
    run = f.completed_run(world.a1)
    ManagedEnvironment.objects.filter(pk=world.a1.pk).update(archived_at=run.finished_at)
    world.a1.refresh_from_db()
    with pytest.raises(Conflict):
        services.binding_record_identities(
            environment=world.a1, descriptors=_policies(2), source_operation_run_id=run.pk
        )
    assert not ProviderResourceBinding.objects.exists()
    assert not _created_audits(world.a1).exists()


def _queries(environment, n):
    run = f.completed_run(environment)
    descriptors = _policies(n)
    with CaptureQueriesContext(connection) as ctx:
        done = services.binding_record_identities(
            environment=environment, descriptors=descriptors, source_operation_run_id=run.pk
        )
    assert len(done.created) == n
    assert _created_audits(environment).count() == n
    return len(ctx.captured_queries)


def test_query_count_is_constant_per_chunk(world):
    assert services.IDENTITY_CHUNK >= 500
    small = _queries(world.a1, 10)
    large = _queries(world.a2, services.IDENTITY_CHUNK)
    assert small == large, (small, large)
    # A second chunk costs the same again, not one per record.
    two_chunks = _queries(world.b1, services.IDENTITY_CHUNK * 2)
    assert two_chunks <= 2 * small, (small, two_chunks)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_bulk_records_of_the_same_keys_leave_one_active_row_each(world):
    run = f.completed_run(world.a1)
    descriptors = [*_policies(60), _all_devices()]
    barrier = threading.Barrier(4)

    def record(i):
        barrier.wait(timeout=30)
        try:
            return services.binding_record_identities(
                environment=world.a1,
                descriptors=descriptors[i % 2 :] + descriptors[: i % 2],
                source_operation_run_id=run.pk,
            )
        except Exception as exc:  # collected and asserted on below
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(record, range(4)))
    assert all(isinstance(r, services.IdentityRecording) for r in results), results
    assert sum(len(r.created) for r in results) == len(descriptors)
    assert all(r.refused == 0 for r in results)
    assert sum(r.unchanged for r in results) == 3 * len(descriptors)
    active = ProviderResourceBinding.objects.filter(environment=world.a1, binding_status=BindingStatus.ACTIVE)
    assert active.count() == len(descriptors)
    assert active.values("canonical_subject_key").distinct().count() == len(descriptors)
    assert _created_audits(world.a1).count() == len(descriptors)
