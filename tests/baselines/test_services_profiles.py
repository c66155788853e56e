"""Baseline profile services: validation naming the field, capabilities, visibility, audit rows."""

from __future__ import annotations

import datetime as dt

import pytest

from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.roles import Role
from tenantpilot.baselines import services
from tenantpilot.baselines.models import BaselineAssignment, BindingReview
from tenantpilot.core.errors import Forbidden, NotFound, ValidationFailed
from tenantpilot.resources import services as binding_services

pytestmark = pytest.mark.django_db


def test_profile_lifecycle_is_audited(world):
    profile = services.profile_create(
        actor=world.owner,
        workspace=world.a,
        name="Gold",
        policy_types=["deviceConfigurations"],
        ignored_fields={"deviceConfigurations": ["description"]},
    )
    assert profile.governed_types() == ("deviceConfigurations",)
    services.profile_update(actor=world.owner, profile=profile, max_evidence_age_hours=48)
    services.profile_assign(actor=world.owner, profile=profile, environment=world.a1)
    assert services.profile_unassign(actor=world.owner, profile=profile, environment=world.a1)
    services.profile_archive(actor=world.owner, profile=profile)
    actions = list(AuditLog.objects.filter(workspace=world.a).order_by("pk").values_list("action", flat=True))
    assert actions[-5:] == [
        "baseline_profile.created",
        "baseline_profile.updated",
        "baseline_profile.assigned",
        "baseline_profile.unassigned",
        "baseline_profile.archived",
    ]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": " "}, "name"),
        ({"policy_types": ["roleScopeTags"]}, "policy_types"),
        ({"policy_types": []}, "policy_types"),
        ({"ignored_fields": {"nope": ["x"]}}, "ignored_fields"),
        ({"max_evidence_age_hours": 0}, "max_evidence_age_hours"),
    ],
)
def test_bad_profile_input_names_the_field(world, fields, field):
    values = {"name": "Gold", **fields}
    with pytest.raises(ValidationFailed) as exc:
        services.profile_create(actor=world.owner, workspace=world.a, **values)
    assert exc.value.field == field
    assert not AuditLog.objects.filter(action="baseline_profile.created").exists()


def test_only_managers_manage_and_only_visible_environments_are_assigned(world):
    with pytest.raises(Forbidden):
        services.profile_create(actor=world.members[Role.OPERATOR], workspace=world.a, name="X")
    profile = services.profile_create(actor=world.owner, workspace=world.a, name="Gold")
    with pytest.raises(NotFound):
        services.profile_assign(actor=world.restricted, profile=profile, environment=world.a1)
    with pytest.raises(NotFound):
        services.profile_assign(actor=world.owner, profile=profile, environment=world.b1)
    with pytest.raises(NotFound):
        services.profile_create(actor=world.other, workspace=world.a, name="Y")
    assert not BaselineAssignment.objects.exists()


def test_review_date_on_an_accepted_limitation_is_audited(world):
    binding = binding_services.binding_create_accepted_limitation(
        actor=world.owner,
        environment=world.a1,
        note="Known gap",
        canonical_subject_key="provider:microsoft:policy:deviceConfigurations:abc",
        subject_class="policy",
        subject_type="deviceConfigurations",
        accepted_fingerprint="a" * 64,
    )
    assert binding.provider_resource_fingerprint == "a" * 64
    review = services.binding_review_set(actor=world.owner, binding=binding, review_by=dt.date(2026, 1, 1))
    assert BindingReview.objects.get(binding=binding).review_by == review.review_by
    assert AuditLog.objects.filter(action="baseline.review_set", target_id=str(binding.pk)).count() == 1
    with pytest.raises(ValidationFailed) as exc:
        binding_services.binding_create_accepted_limitation(
            actor=world.owner,
            environment=world.a2,
            note="n",
            accepted_fingerprint="nope",
            canonical_subject_key="provider:microsoft:policy:deviceConfigurations:abd",
        )
    assert exc.value.field == "accepted_fingerprint"
