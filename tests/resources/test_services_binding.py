"""Binding services (seeds 380/381): isolation, notes, uniqueness, lifecycle, audit, automatic records."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.audit.redaction import note_matches
from tenantpilot.authz.roles import Role
from tenantpilot.core.errors import Forbidden, NotFound, ValidationFailed
from tenantpilot.providers import services as provider_services
from tenantpilot.resources import services
from tenantpilot.resources.adapters import get_adapter, use_adapter
from tenantpilot.resources.adapters.fake import FakeAdapter
from tenantpilot.resources.choices import BindingStatus, ResolutionMode, SubjectClass
from tenantpilot.resources.models import NOTE_MAX_LENGTH, ProviderResourceBinding
from tenantpilot.resources.selectors import active_binding_for, inventory_item_descriptor
from tests.baselines import factories as f
from tests.resources.samples import GOLDEN_TENANT, _enrollment_default

pytestmark = pytest.mark.django_db

NOTE = "Confirmed with the customer: this is the hardened Windows profile (ticket 4711)."


def _descriptor(environment, payload=None, policy_type="deviceConfigurations"):
    item = f.inventory_item(environment, payload, policy_type=policy_type)
    return item, inventory_item_descriptor(item)


def _manual(world, environment=None, *, note=NOTE, **options):
    environment = environment or world.a1
    _, descriptor = _descriptor(environment)
    return services.binding_create_manual(
        actor=world.owner, environment=environment, descriptor=descriptor, note=note, **options
    )


def _nothing_written():
    assert ProviderResourceBinding.objects.count() == 0
    assert not AuditLog.objects.filter(action__startswith="resource_binding.").exists()


def _microsoft_connection(world, environment):
    return provider_services.connection_create(
        actor=world.owner,
        environment=environment,
        display_name=f"Graph {uuid.uuid4().hex[:6]}",
        entra_tenant_id=environment.tenant_id,
        client_id=str(uuid.uuid4()),
        auth_type="client_secret",
        client_secret="binding-test-secret",
    )


# -- creating ----------------------------------------------------------------------------------------


def test_manual_binding_is_active_with_subject_resource_and_decider(world):
    item, descriptor = _descriptor(world.a1)
    binding = services.binding_create_manual(actor=world.owner, environment=world.a1, descriptor=descriptor, note=NOTE)
    binding.refresh_from_db()
    assert binding.binding_status == BindingStatus.ACTIVE
    assert binding.resolution_mode == ResolutionMode.MANUAL_BINDING
    assert binding.canonical_subject_key == f"provider:microsoft:policy:deviceConfigurations:{item.provider_object_id}"
    assert binding.subject_class == SubjectClass.POLICY
    assert binding.provider_resource_id == item.provider_object_id
    assert binding.provider_resource_label == item.display_name
    assert binding.source_inventory_item_id == item.pk
    assert binding.source_policy_version_id == item.current_version_id
    assert binding.operator_note == NOTE  # the text lives on the row, for viewers
    assert binding.decided_by == world.owner and binding.decided_at is not None and binding.ended_at is None
    assert binding.workspace_id == world.a.pk and binding.environment_id == world.a1.pk


@pytest.mark.parametrize(
    "create",
    [services.binding_create_manual, services.binding_create_exclusion, services.binding_create_accepted_limitation],
    ids=["manual", "exclusion", "accepted_limitation"],
)
@pytest.mark.parametrize("note", ["", "   ", None])
def test_operator_note_is_required_for_manual_exclusion_and_accepted_limitation(world, create, note):
    _, descriptor = _descriptor(world.a1)
    with pytest.raises(ValidationFailed) as exc:
        create(actor=world.owner, environment=world.a1, descriptor=descriptor, note=note)
    assert exc.value.field == "operator_note"
    assert "required" in exc.value.message
    _nothing_written()


def test_operator_marks_of_unsupported_and_missing_need_a_note_too(world):
    _, descriptor = _descriptor(world.a1)
    for mark in (services.binding_mark_unsupported_coverage, services.binding_mark_missing_expected):
        with pytest.raises(ValidationFailed) as exc:
            mark(actor=world.owner, environment=world.a1, descriptor=descriptor, note="")
        assert exc.value.field == "operator_note"
    _nothing_written()


def test_note_longer_than_the_limit_is_refused_and_the_limit_is_named(world):
    _, descriptor = _descriptor(world.a1)
    with pytest.raises(ValidationFailed) as exc:
        services.binding_create_manual(
            actor=world.owner, environment=world.a1, descriptor=descriptor, note="x" * (NOTE_MAX_LENGTH + 1)
        )
    assert exc.value.field == "operator_note"
    assert str(NOTE_MAX_LENGTH) in exc.value.message
    _nothing_written()
    binding = services.binding_create_manual(
        actor=world.owner, environment=world.a1, descriptor=descriptor, note="x" * NOTE_MAX_LENGTH
    )
    assert len(binding.operator_note) == NOTE_MAX_LENGTH


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"resolution_mode": "guessed"}, "resolution_mode"),
        ({"resolution_mode": ResolutionMode.ACCEPTED_LIMITATION, "subject_class": "gadget"}, "subject_class"),
        (
            {"resolution_mode": ResolutionMode.ACCEPTED_LIMITATION, "subject_class": SubjectClass.PROVIDER_BUILTIN},
            "subject_class",
        ),
        (
            {"resolution_mode": ResolutionMode.ACCEPTED_LIMITATION, "canonical_subject_key": "Windows baseline"},
            "canonical_subject_key",
        ),
        ({"resolution_mode": ResolutionMode.ACCEPTED_LIMITATION, "subject_domain": "Not A Slug"}, "subject_domain"),
        ({"resolution_mode": ResolutionMode.ACCEPTED_LIMITATION, "resolution_reason": "x" * 65}, "resolution_reason"),
    ],
)
def test_unknown_mode_class_or_malformed_subject_is_refused_naming_the_field(world, options, field):
    _, descriptor = _descriptor(world.a1)
    with pytest.raises(ValidationFailed) as exc:
        services.binding_create(actor=world.owner, environment=world.a1, descriptor=descriptor, note=NOTE, **options)
    assert exc.value.field == field
    _nothing_written()


def test_subject_without_resource_needs_a_parseable_key_and_a_class(world):
    key = "provider:microsoft:policy:deviceConfigurations:4a0c1b0e-aaaa-4bbb-8ccc-000000000001"
    with pytest.raises(ValidationFailed) as exc:
        services.binding_mark_missing_expected(
            actor=world.owner, environment=world.a1, note=NOTE, canonical_subject_key=key
        )
    assert exc.value.field == "subject_class"
    binding = services.binding_mark_missing_expected(
        actor=world.owner, environment=world.a1, note=NOTE, canonical_subject_key=key, subject_class=SubjectClass.POLICY
    )
    assert binding.subject_type == "deviceConfigurations"
    assert binding.provider_resource_id == "" and binding.resource_descriptor is None


def test_manual_binding_needs_a_provider_resource(world):
    with pytest.raises(ValidationFailed) as exc:
        services.binding_create(
            actor=world.owner,
            environment=world.a1,
            resolution_mode=ResolutionMode.MANUAL_BINDING,
            note=NOTE,
            canonical_subject_key="provider:microsoft:policy:deviceConfigurations:abc",
            subject_class=SubjectClass.POLICY,
        )
    assert exc.value.field == "descriptor"
    _nothing_written()


def test_manual_binding_may_bind_another_subject_key_to_the_picked_resource(world):
    golden_key = "provider:microsoft:policy:deviceConfigurations:11111111-0000-4000-8000-00000000aaaa"
    binding = _manual(
        world, canonical_subject_key=golden_key, legacy_subject_key="deviceconfigurations|windows baseline"
    )
    assert binding.canonical_subject_key == golden_key
    assert binding.provider_resource_id != golden_key.rsplit(":", 1)[1]
    assert binding.legacy_subject_key == "deviceconfigurations|windows baseline"


# -- isolation ------------------------------------------------------------------------------------------


def test_binding_cannot_cross_the_workspace_boundary(world):
    _, descriptor = _descriptor(world.b1)
    with pytest.raises(NotFound):
        services.binding_create_manual(actor=world.owner, environment=world.b1, descriptor=descriptor, note=NOTE)
    with pytest.raises(NotFound):
        services.binding_create_manual(actor=world.other, environment=world.a1, descriptor=descriptor, note=NOTE)
    _nothing_written()


def test_member_restricted_away_from_the_environment_gets_not_found(world):
    _, descriptor = _descriptor(world.a1)
    with pytest.raises(NotFound):
        services.binding_create_manual(actor=world.restricted, environment=world.a1, descriptor=descriptor, note=NOTE)
    _nothing_written()


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.READONLY])
def test_member_without_baselines_manage_is_forbidden(world, role):
    _, descriptor = _descriptor(world.a1)
    with pytest.raises(Forbidden):
        services.binding_create_manual(
            actor=world.members[role], environment=world.a1, descriptor=descriptor, note=NOTE
        )
    _nothing_written()


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER])
def test_owner_and_manager_may_decide(world, role):
    _, descriptor = _descriptor(world.a1)
    binding = services.binding_create_manual(
        actor=world.members[role], environment=world.a1, descriptor=descriptor, note=NOTE
    )
    assert binding.decided_by == world.members[role]


def test_same_subject_may_be_bound_independently_in_each_environment_and_workspace(world):
    payload = f.graph_policy(object_id="0a0a0a0a-1111-4222-8333-444444444444")
    bindings = []
    for env, actor in ((world.a1, world.owner), (world.a2, world.owner), (world.b1, world.other)):
        _, descriptor = _descriptor(env, dict(payload))
        bindings.append(services.binding_create_manual(actor=actor, environment=env, descriptor=descriptor, note=NOTE))
    assert len({b.canonical_subject_key for b in bindings}) == 1
    assert ProviderResourceBinding.objects.active().count() == 3
    assert (
        active_binding_for(
            environment=world.a2, provider_key="microsoft", canonical_subject_key=bindings[0].canonical_subject_key
        )
        == bindings[1]
    )


def test_connection_of_another_environment_or_workspace_is_refused(world):
    sibling = _microsoft_connection(world, world.a2)
    foreign = provider_services.connection_create(
        actor=world.other,
        environment=world.b1,
        display_name="Bravo graph",
        entra_tenant_id=world.b1.tenant_id,
        client_id=str(uuid.uuid4()),
        auth_type="client_secret",
        client_secret="bravo-secret",
    )
    for conn in (sibling, foreign):
        with pytest.raises(ValidationFailed) as exc:
            _manual(world, provider_connection_id=conn.pk)
        assert exc.value.field == "provider_connection"
    _nothing_written()


def test_connection_of_the_environment_is_kept(world):
    conn = _microsoft_connection(world, world.a1)
    binding = _manual(world, provider_connection_id=conn.pk)
    assert binding.provider_connection_id == conn.pk


def test_sources_of_another_environment_or_workspace_are_refused(world):
    other_item = f.inventory_item(world.a2)
    foreign_item = f.inventory_item(world.b1)
    cases = [
        ({"source_operation_run_id": f.completed_run(world.a2).pk}, "source_operation_run_id"),
        ({"source_operation_run_id": f.completed_run(world.b1).pk}, "source_operation_run_id"),
        ({"source_inventory_item_id": other_item.pk}, "source_inventory_item_id"),
        ({"source_inventory_item_id": foreign_item.pk}, "source_inventory_item_id"),
        ({"source_policy_version_id": foreign_item.current_version_id}, "source_policy_version_id"),
        ({"source_baseline_snapshot_id": f.assigned_snapshot(world.a2).pk}, "source_baseline_snapshot_id"),
        ({"source_baseline_snapshot_id": f.assigned_snapshot(world.b1).pk}, "source_baseline_snapshot_id"),
        (
            {"source_baseline_snapshot_id": f.snapshot(f.profile(world.a), golden=world.a1).pk},
            "source_baseline_snapshot_id",
        ),
        ({"source_operation_run_id": 987654321}, "source_operation_run_id"),
    ]
    key = "provider:microsoft:policy:deviceConfigurations:feedface-0000-4000-8000-000000000000"
    for options, field in cases:
        with pytest.raises(ValidationFailed) as exc:
            services.binding_create_accepted_limitation(
                actor=world.owner,
                environment=world.a1,
                note=NOTE,
                canonical_subject_key=key,
                subject_class=SubjectClass.POLICY,
                **options,
            )
        assert exc.value.field == field, options
    _nothing_written()


def test_sources_of_the_environment_are_kept(world):
    run = f.completed_run(world.a1)
    snapshot = f.assigned_snapshot(world.a1)
    binding = _manual(world, source_operation_run_id=run.pk, source_baseline_snapshot_id=snapshot.pk)
    assert binding.source_operation_run_id == run.pk
    assert binding.source_baseline_snapshot_id == snapshot.pk


def test_policy_version_of_another_item_is_refused(world):
    _item, descriptor = _descriptor(world.a1)
    other = f.inventory_item(world.a1)
    with pytest.raises(ValidationFailed) as exc:
        services.binding_create_manual(
            actor=world.owner,
            environment=world.a1,
            descriptor=descriptor,
            note=NOTE,
            source_policy_version_id=other.current_version_id,
        )
    assert exc.value.field == "source_policy_version_id"
    _nothing_written()


# -- one active binding per subject ----------------------------------------------------------------------


def test_second_active_binding_for_the_same_key_is_refused(world):
    first = _manual(world)
    with pytest.raises(services.DuplicateActiveBinding) as exc:
        services.binding_create_exclusion(
            actor=world.owner,
            environment=world.a1,
            note=NOTE,
            canonical_subject_key=first.canonical_subject_key,
            subject_class=first.subject_class,
        )
    assert exc.value.field == "canonical_subject_key"
    assert str(first.pk) in exc.value.message
    assert ProviderResourceBinding.objects.count() == 1
    assert AuditLog.objects.filter(action=AuditAction.RESOURCE_BINDING_CREATED).count() == 1


# -- revoke -----------------------------------------------------------------------------------------------


def test_revoked_binding_is_no_longer_active_and_the_subject_can_be_decided_again(world):
    binding = _manual(world)
    revoked = services.binding_revoke(actor=world.owner, binding=binding, note="Wrong resource picked.")
    assert revoked.binding_status == BindingStatus.REVOKED
    assert revoked.ended_at is not None and revoked.ended_by == world.owner
    assert revoked.end_note == "Wrong resource picked."
    assert not ProviderResourceBinding.objects.active().filter(pk=binding.pk).exists()
    assert (
        active_binding_for(
            environment=world.a1, provider_key="microsoft", canonical_subject_key=binding.canonical_subject_key
        )
        is None
    )
    again = services.binding_create_exclusion(
        actor=world.owner,
        environment=world.a1,
        note=NOTE,
        canonical_subject_key=binding.canonical_subject_key,
        subject_class=binding.subject_class,
    )
    assert again.binding_status == BindingStatus.ACTIVE


def test_revoke_needs_a_note_and_an_active_binding(world):
    binding = _manual(world)
    with pytest.raises(ValidationFailed) as exc:
        services.binding_revoke(actor=world.owner, binding=binding, note=" ")
    assert exc.value.field == "operator_note"
    binding.refresh_from_db()
    assert binding.binding_status == BindingStatus.ACTIVE
    services.binding_revoke(actor=world.owner, binding=binding, note="No longer relevant.")
    audit_rows = AuditLog.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.binding_revoke(actor=world.owner, binding=binding, note="Again.")
    assert exc.value.field == "binding_status"
    assert "revoked" in exc.value.message
    assert AuditLog.objects.count() == audit_rows


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.READONLY])
def test_revoke_without_manage_is_forbidden(world, role):
    binding = _manual(world)
    with pytest.raises(Forbidden):
        services.binding_revoke(actor=world.members[role], binding=binding, note="nope")
    with pytest.raises(NotFound):
        services.binding_revoke(actor=world.other, binding=binding, note="nope")
    binding.refresh_from_db()
    assert binding.binding_status == BindingStatus.ACTIVE


# -- supersede --------------------------------------------------------------------------------------------


def test_supersede_ends_the_old_row_and_creates_the_new_one(world):
    old = _manual(world)
    new = services.binding_supersede(
        actor=world.owner, binding=old, resolution_mode=ResolutionMode.ACCEPTED_LIMITATION, note="Known gap."
    )
    old.refresh_from_db()
    assert old.binding_status == BindingStatus.SUPERSEDED and old.ended_at is not None
    assert old.superseded_by_id == new.pk
    assert new.binding_status == BindingStatus.ACTIVE
    assert new.canonical_subject_key == old.canonical_subject_key
    assert new.provider_resource_id == old.provider_resource_id  # the resource carries over
    assert new.operator_note == "Known gap."
    row = AuditLog.objects.get(action=AuditAction.RESOURCE_BINDING_SUPERSEDED)
    assert row.metadata["previous_binding_id"] == old.pk
    assert row.metadata["binding_id"] == new.pk
    assert row.metadata["previous_resolution_mode"] == ResolutionMode.MANUAL_BINDING


def test_supersede_to_another_resource(world):
    old = _manual(world)
    item, descriptor = _descriptor(world.a1)
    new = services.binding_supersede(
        actor=world.owner,
        binding=old,
        resolution_mode=ResolutionMode.MANUAL_BINDING,
        note="The other one.",
        descriptor=descriptor,
    )
    assert new.provider_resource_id == item.provider_object_id
    assert new.source_inventory_item_id == item.pk
    assert new.canonical_subject_key == old.canonical_subject_key


def test_failure_mid_supersede_leaves_the_old_row_active(world):
    old = _manual(world)
    foreign_run = f.completed_run(world.b1)
    with CaptureQueriesContext(connection) as ctx, pytest.raises(ValidationFailed) as exc:
        services.binding_supersede(
            actor=world.owner,
            binding=old,
            resolution_mode=ResolutionMode.ACCEPTED_LIMITATION,
            note="Known gap.",
            source_operation_run_id=foreign_run.pk,
        )
    assert exc.value.field == "source_operation_run_id"
    # The old row had already been ended inside the transaction when the failure came …
    assert any(q["sql"].startswith("UPDATE") and "provider_resource_bindings" in q["sql"] for q in ctx.captured_queries)
    # … and the rollback restored it.
    old.refresh_from_db()
    assert old.binding_status == BindingStatus.ACTIVE and old.ended_at is None and old.superseded_by_id is None
    assert ProviderResourceBinding.objects.count() == 1
    assert not AuditLog.objects.filter(action=AuditAction.RESOURCE_BINDING_SUPERSEDED).exists()


def test_supersede_needs_a_note_a_known_mode_and_an_active_row(world):
    old = _manual(world)
    with pytest.raises(ValidationFailed) as exc:
        services.binding_supersede(
            actor=world.owner, binding=old, resolution_mode=ResolutionMode.MANUAL_BINDING, note=""
        )
    assert exc.value.field == "operator_note"
    with pytest.raises(ValidationFailed) as exc:
        services.binding_supersede(actor=world.owner, binding=old, resolution_mode="whatever", note="x")
    assert exc.value.field == "resolution_mode"
    services.binding_revoke(actor=world.owner, binding=old, note="gone")
    with pytest.raises(ValidationFailed) as exc:
        services.binding_supersede(
            actor=world.owner, binding=old, resolution_mode=ResolutionMode.MANUAL_BINDING, note="x"
        )
    assert exc.value.field == "binding_status"
    assert ProviderResourceBinding.objects.count() == 1


# -- audit ------------------------------------------------------------------------------------------------


def test_every_mutation_is_audited_with_safe_metadata_only(world):
    secret_note = "Customer said: do not touch; contact jane.doe@contoso.example, phone +49 171 000000."
    binding = _manual(world, note=secret_note)
    services.binding_supersede(
        actor=world.owner,
        binding=binding,
        resolution_mode=ResolutionMode.EXCLUDED_NON_GOVERNED,
        note=secret_note + " (2)",
    )
    successor = ProviderResourceBinding.objects.active().get()
    services.binding_revoke(actor=world.owner, binding=successor, note=secret_note + " (3)")
    rows = list(AuditLog.objects.filter(action__startswith="resource_binding.").order_by("id"))
    assert [r.action for r in rows] == [
        AuditAction.RESOURCE_BINDING_CREATED,
        AuditAction.RESOURCE_BINDING_SUPERSEDED,
        AuditAction.RESOURCE_BINDING_REVOKED,
    ]
    for row, text in zip(rows, [secret_note, secret_note + " (2)", secret_note + " (3)"], strict=True):
        dumped = json.dumps(row.metadata)
        assert "jane.doe" not in dumped and "do not touch" not in dumped
        assert set(row.metadata["note"]) == {"hmac_sha256", "length"}
        assert row.metadata["note"]["hmac_sha256"] != hashlib.sha256(text.encode()).hexdigest(), "keyed, not plain"
        assert note_matches(row.metadata["note"], text) and not note_matches(row.metadata["note"], text + "x")
        assert row.metadata["provider_key"] == "microsoft"
        assert row.metadata["canonical_subject_key"] == binding.canonical_subject_key
        assert row.workspace_id == world.a.pk and row.environment_id == world.a1.pk
        assert row.actor == world.owner
    assert rows[0].metadata["resolution_mode"] == ResolutionMode.MANUAL_BINDING
    assert rows[0].metadata["source_inventory_item_id"] == binding.source_inventory_item_id
    assert rows[2].metadata["binding_status"] == BindingStatus.REVOKED


# -- automatic (system) bindings --------------------------------------------------------------------------


def test_exact_identity_is_recorded_by_the_system_without_note_and_traceable(world):
    item, descriptor = _descriptor(world.a1)
    run = f.completed_run(world.a1)
    binding = services.binding_record_exact_identity(
        environment=world.a1, descriptor=descriptor, source_operation_run_id=run.pk
    )
    assert binding.resolution_mode == ResolutionMode.EXACT_PROVIDER_IDENTITY
    assert binding.decided_by is None and binding.decided_by_label == "system"
    assert binding.operator_note == ""
    assert (binding.source_inventory_item_id, binding.source_operation_run_id) == (item.pk, run.pk)
    row = AuditLog.objects.get(action=AuditAction.RESOURCE_BINDING_CREATED)
    assert row.actor is None and row.actor_label == "system"
    assert row.metadata["automatic"] is True and row.metadata["note"] is None
    # idempotent: recording the same decision again writes nothing
    assert services.binding_record_exact_identity(environment=world.a1, descriptor=descriptor) == binding
    assert (
        ProviderResourceBinding.objects.count() == 1
        and AuditLog.objects.filter(action__startswith="resource_binding.").count() == 1
    )


def test_automatic_binding_without_any_source_is_refused(world):
    descriptor = get_adapter("microsoft").describe("deviceConfigurations", f.graph_policy())
    with pytest.raises(ValidationFailed) as exc:
        services.binding_record_exact_identity(environment=world.a1, descriptor=descriptor)
    assert exc.value.field == "source_operation_run_id"
    _nothing_written()


def test_canonical_builtin_has_the_same_key_in_every_environment(world):
    keys = []
    for env in (world.a1, world.a2):
        payload = _enrollment_default(env.tenant_id, "DefaultLimit", "deviceEnrollmentLimitConfiguration", "limit")
        _, descriptor = _descriptor(env, payload, "deviceEnrollmentConfigurations")
        binding = services.binding_record_canonical(environment=env, descriptor=descriptor)
        assert binding.resolution_mode == ResolutionMode.CANONICAL_BUILTIN
        assert binding.subject_class == SubjectClass.PROVIDER_DEFAULT
        keys.append(binding.canonical_subject_key)
    assert keys == ["provider:microsoft:builtin:deviceEnrollmentConfigurations/DefaultLimit"] * 2


def test_canonical_virtual_target(world):
    run = f.completed_run(world.a1)
    descriptor = get_adapter("microsoft").describe(
        "assignmentTargets", {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}
    )
    binding = services.binding_record_canonical(
        environment=world.a1, descriptor=descriptor, source_operation_run_id=run.pk
    )
    assert binding.resolution_mode == ResolutionMode.CANONICAL_VIRTUAL_TARGET
    assert binding.canonical_subject_key == "provider:microsoft:virtual-target:assignmentTargets/allDevices"


def test_canonical_record_refuses_a_tenant_owned_resource_and_exact_refuses_a_builtin(world):
    _, tenant_owned = _descriptor(world.a1)
    with pytest.raises(ValidationFailed) as exc:
        services.binding_record_canonical(environment=world.a1, descriptor=tenant_owned)
    assert exc.value.field == "descriptor"
    builtin_payload = _enrollment_default(GOLDEN_TENANT, "DefaultLimit", "deviceEnrollmentLimitConfiguration", "limit")
    _, builtin = _descriptor(world.a1, builtin_payload, "deviceEnrollmentConfigurations")
    with pytest.raises(ValidationFailed) as exc:
        services.binding_record_exact_identity(environment=world.a1, descriptor=builtin)
    assert exc.value.field == "descriptor"
    _nothing_written()


def test_automatic_record_never_overrides_an_operator_decision(world):
    _item, descriptor = _descriptor(world.a1)
    manual = services.binding_create_manual(actor=world.owner, environment=world.a1, descriptor=descriptor, note=NOTE)
    with pytest.raises(services.DuplicateActiveBinding):
        services.binding_record_exact_identity(environment=world.a1, descriptor=descriptor)
    manual.refresh_from_db()
    assert manual.binding_status == BindingStatus.ACTIVE and manual.resolution_mode == ResolutionMode.MANUAL_BINDING


def test_system_may_mark_missing_expected_from_a_baseline_snapshot(world):
    snapshot = f.assigned_snapshot(world.a1)
    binding = services.binding_mark_missing_expected(
        actor=None,
        environment=world.a1,
        canonical_subject_key="provider:microsoft:policy:deviceCompliancePolicies:c0ffee00-0000-4000-8000-000000000001",
        subject_class=SubjectClass.POLICY,
        source_baseline_snapshot_id=snapshot.pk,
    )
    assert binding.resolution_mode == ResolutionMode.MISSING_EXPECTED
    assert binding.source_baseline_snapshot_id == snapshot.pk and binding.decided_by is None


def test_operator_only_modes_cannot_be_recorded_by_the_system(world):
    _, descriptor = _descriptor(world.a1)
    with pytest.raises(ValueError, match="operator decision"):
        services.binding_create_manual(actor=None, environment=world.a1, descriptor=descriptor, note=NOTE)
    _nothing_written()


def test_archived_environment_takes_no_new_decisions(world):
    from django.utils import timezone

    from tenantpilot.core.errors import Conflict

    _, descriptor = _descriptor(world.a1)
    world.a1.archived_at = timezone.now()
    world.a1.save()
    with pytest.raises(Conflict):
        services.binding_create_manual(actor=world.owner, environment=world.a1, descriptor=descriptor, note=NOTE)
    _nothing_written()


# -- the fake provider: the core assumes no provider ---------------------------------------------------------


@pytest.fixture
def fake_adapter():
    with use_adapter(FakeAdapter()) as adapter:
        yield adapter


def test_fake_provider_descriptors_bind_supersede_and_revoke(world, fake_adapter):
    widget = fake_adapter.describe("widgets", {"ref": "acct-1::w-42", "title": "Fake widget", "revision": 3})
    manual = services.binding_create_manual(actor=world.owner, environment=world.a1, descriptor=widget, note=NOTE)
    assert manual.provider_key == "fake"
    assert manual.canonical_subject_key == "provider:fake:policy:widgets:acct-1%3A%3Aw-42"
    assert manual.provider_resource_id == "acct-1::w-42"

    system = fake_adapter.describe(
        "gizmos", {"ref": "acct-1::g-1", "origin": "system", "slot": "root", "fallback": True}
    )
    run = f.completed_run(world.a1)
    builtin = services.binding_record_canonical(environment=world.a1, descriptor=system, source_operation_run_id=run.pk)
    assert builtin.canonical_subject_key == "provider:fake:builtin:gizmos/root"
    assert builtin.subject_class == SubjectClass.PROVIDER_DEFAULT

    everyone = fake_adapter.describe("audiences", {"kind": "everyone"})
    virtual = services.binding_record_canonical(
        environment=world.a1, descriptor=everyone, source_operation_run_id=run.pk
    )
    assert virtual.resolution_mode == ResolutionMode.CANONICAL_VIRTUAL_TARGET

    successor = services.binding_supersede(
        actor=world.owner, binding=manual, resolution_mode=ResolutionMode.EXCLUDED_NON_GOVERNED, note="Not governed."
    )
    services.binding_revoke(actor=world.owner, binding=successor, note="Undo.")
    assert ProviderResourceBinding.objects.filter(provider_key="fake").active().count() == 2
    assert AuditLog.objects.filter(action__startswith="resource_binding.").count() == 5


def test_fake_binding_refuses_a_microsoft_connection(world, fake_adapter):
    conn = _microsoft_connection(world, world.a1)
    widget = fake_adapter.describe("widgets", {"ref": "acct-1::w-1", "title": "W"})
    with pytest.raises(ValidationFailed) as exc:
        services.binding_create_manual(
            actor=world.owner, environment=world.a1, descriptor=widget, note=NOTE, provider_connection_id=conn.pk
        )
    assert exc.value.field == "provider_connection"
    assert "fake" in exc.value.message
    _nothing_written()


def test_resource_of_one_provider_cannot_bind_a_subject_of_another(world, fake_adapter):
    widget = fake_adapter.describe("widgets", {"ref": "acct-1::w-1", "title": "W"})
    with pytest.raises(ValidationFailed) as exc:
        services.binding_create_manual(
            actor=world.owner,
            environment=world.a1,
            descriptor=widget,
            note=NOTE,
            canonical_subject_key="provider:microsoft:policy:deviceConfigurations:abc",
        )
    assert exc.value.field == "descriptor"
    _nothing_written()
