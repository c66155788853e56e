"""The resolution loop's pages: the actions each outcome offers, notes, field errors, confirmation, audit."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.roles import Role
from tenantpilot.baselines import services_resolution as resolution
from tenantpilot.baselines.models import BaselineCompareItem, BaselineCompareResult, BindingReview
from tenantpilot.core.errors import Forbidden, NotFound, ValidationFailed
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.runner import run_operation
from tenantpilot.resources import services as binding_services
from tenantpilot.resources.choices import BindingStatus, ResolutionMode
from tenantpilot.resources.models import ProviderResourceBinding
from tenantpilot.resources.services import ACCEPTED_CONTENT_REASON
from tests.baselines import factories as f
from tests.baselines.resolution_support import build_scenario
from tests.baselines.support import captured_profile, compared, contoso, synced
from tests.baselines.test_drift_truth import tailspin

pytestmark = pytest.mark.django_db

NOTE = "Checked with the customer on the call."


def url(world, name: str, item, environment=None) -> str:
    environment = environment or world.a1
    return reverse(
        f"console:{name}", kwargs={"workspace": world.a.slug, "environment_id": environment.pk, "item_id": item.pk}
    )


def bindings(environment):
    return ProviderResourceBinding.objects.filter(environment=environment)


@pytest.fixture
def scenario(world):
    return build_scenario(world.a1)


@pytest.fixture
def owner_client(client, world):
    client.force_login(world.owner)
    return client


# -- what each outcome offers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "offered", "not_offered"),
    [
        ("ambiguous", ['data-section="bind"'], ['data-section="missing_expected"', 'data-section="accept"']),
        ("missing", ['data-section="bind"', 'data-section="missing_expected"'], ['data-section="exclude"']),
        ("unexpected", ['data-section="exclude"'], ['data-section="bind"', 'data-section="accept"']),
        ("drift", ['data-section="accept"'], ['data-section="bind"', 'data-section="exclude"']),
    ],
)
def test_the_page_offers_exactly_the_actions_of_the_outcome(owner_client, world, scenario, row, offered, not_offered):
    item = getattr(scenario, row)
    response = owner_client.get(url(world, "baseline-resolve", item))
    body = response.content.decode()
    assert response.status_code == 200
    for marker in offered:
        assert marker in body
    for marker in not_offered:
        assert marker not in body
    assert item.label in body


def test_the_page_shows_subject_reason_and_diff_and_lists_candidates(owner_client, world, scenario):
    body = owner_client.get(url(world, "baseline-resolve", scenario.drift)).content.decode()
    assert "passwordMinimumLength" in body and "Matched by subject key" in body
    body = owner_client.get(url(world, "baseline-resolve", scenario.ambiguous)).content.decode()
    for candidate in scenario.candidates:
        assert f'value="{candidate.pk}"' in body and candidate.provider_object_id in body


def test_a_read_only_member_sees_the_row_but_no_action(client, world, scenario):
    client.force_login(world.members[Role.READONLY])
    response = client.get(url(world, "baseline-resolve", scenario.drift))
    assert response.status_code == 200
    assert 'data-section="accept"' not in response.content.decode()
    assert "Re-compare now" not in response.content.decode()


def test_the_missing_picker_searches_resources_of_the_same_type(owner_client, world, scenario):
    other_type = f.inventory_item(world.a1, f.graph_policy("Renamed restrictions elsewhere"), policy_type="groups")
    response = owner_client.get(url(world, "baseline-resolve", scenario.missing), {"q": "Renamed restrictions"})
    body = response.content.decode()
    assert f'value="{scenario.other.pk}"' in body
    assert f'value="{other_type.pk}"' not in body
    assert f'value="{scenario.candidates[0].pk}"' not in body  # does not match the search


# -- actions: write through the services, audit, then offer re-compare ----------------------------------


def test_binding_a_candidate_records_a_manual_binding_and_offers_recompare(owner_client, world, scenario):
    picked = scenario.candidates[1]
    response = owner_client.post(
        url(world, "baseline-resolve-bind", scenario.ambiguous), {"inventory_item": picked.pk, "note": NOTE}
    )
    assert response.status_code == 302 and "decided=1" in response["Location"]
    binding = bindings(world.a1).get()
    assert binding.resolution_mode == ResolutionMode.MANUAL_BINDING
    assert binding.canonical_subject_key == scenario.ambiguous.canonical_subject_key
    assert binding.provider_resource_id == picked.provider_object_id
    assert binding.source_baseline_snapshot_id == scenario.snapshot.pk
    audit = AuditLog.objects.get(action=AuditAction.RESOURCE_BINDING_CREATED, actor=world.owner)
    assert NOTE not in str(audit.metadata) and audit.environment_id == world.a1.pk
    page = owner_client.get(response["Location"]).content.decode()
    assert "Re-compare now" in page and 'data-state="decided"' in page and 'data-section="binding"' in page


def test_binding_something_that_is_not_a_candidate_is_a_field_error_and_writes_nothing(owner_client, world, scenario):
    response = owner_client.post(
        url(world, "baseline-resolve-bind", scenario.ambiguous), {"inventory_item": scenario.other.pk, "note": NOTE}
    )
    assert response.status_code == 400
    assert "Pick one of the listed candidates." in response.content.decode()
    assert not bindings(world.a1).exists() and not AuditLog.objects.filter(actor=world.owner).exists()


@pytest.mark.parametrize("note", ["", "   "])
def test_every_action_needs_a_note(owner_client, world, scenario, note):
    for name, item, data in (
        ("baseline-resolve-bind", scenario.ambiguous, {"inventory_item": scenario.candidates[0].pk}),
        ("baseline-resolve-missing-expected", scenario.missing, {}),
        ("baseline-resolve-exclude", scenario.unexpected, {}),
        ("baseline-resolve-accept", scenario.drift, {}),
    ):
        response = owner_client.post(url(world, name, item), {**data, "note": note})
        assert response.status_code == 400, name
        assert "operator note" in response.content.decode(), name
    assert not bindings(world.a1).exists()


def test_a_missing_subject_binds_to_a_resource_under_another_name(owner_client, world, scenario):
    response = owner_client.post(
        url(world, "baseline-resolve-bind", scenario.missing), {"inventory_item": scenario.other.pk, "note": NOTE}
    )
    assert response.status_code == 302
    binding = bindings(world.a1).get()
    assert (binding.canonical_subject_key, binding.provider_resource_id) == (
        scenario.missing.canonical_subject_key,
        scenario.other.provider_object_id,
    )


def test_binding_a_resource_of_another_environment_is_a_field_error(owner_client, world, scenario):
    elsewhere = f.inventory_item(world.a2, f.graph_policy("Renamed restrictions in a2"))
    response = owner_client.post(
        url(world, "baseline-resolve-bind", scenario.missing), {"inventory_item": elsewhere.pk, "note": NOTE}
    )
    assert response.status_code == 400 and "Pick a present" in response.content.decode()
    assert not ProviderResourceBinding.objects.exists()


def test_mark_missing_expected_needs_no_resource(owner_client, world, scenario):
    response = owner_client.post(url(world, "baseline-resolve-missing-expected", scenario.missing), {"note": NOTE})
    assert response.status_code == 302
    binding = bindings(world.a1).get()
    assert binding.resolution_mode == ResolutionMode.MISSING_EXPECTED and binding.provider_resource_id == ""
    assert AuditLog.objects.filter(action=AuditAction.RESOURCE_BINDING_CREATED, actor=world.owner).count() == 1


def test_exclude_keys_the_resource_itself_and_sets_a_review_date(owner_client, world, scenario):
    review_by = timezone.localdate() + dt.timedelta(days=30)
    response = owner_client.post(
        url(world, "baseline-resolve-exclude", scenario.unexpected), {"note": NOTE, "review_by": review_by.isoformat()}
    )
    assert response.status_code == 302
    binding = bindings(world.a1).get()
    assert binding.resolution_mode == ResolutionMode.EXCLUDED_NON_GOVERNED
    assert binding.canonical_subject_key == scenario.unexpected.canonical_subject_key
    assert BindingReview.objects.get(binding=binding).review_by == review_by
    assert AuditLog.objects.filter(action=AuditAction.BASELINE_REVIEW_SET, actor=world.owner).count() == 1


def test_a_review_date_in_the_past_is_a_field_error_and_leaves_no_binding(owner_client, world, scenario):
    response = owner_client.post(
        url(world, "baseline-resolve-exclude", scenario.unexpected), {"note": NOTE, "review_by": "2001-01-01"}
    )
    assert response.status_code == 400 and "today or later" in response.content.decode()
    assert not bindings(world.a1).exists() and not BindingReview.objects.exists()


def test_accept_stores_the_targets_content_hash_as_accepted_fingerprint(owner_client, world, scenario):
    response = owner_client.post(url(world, "baseline-resolve-accept", scenario.drift), {"note": NOTE})
    assert response.status_code == 302
    binding = bindings(world.a1).get()
    assert binding.resolution_mode == ResolutionMode.ACCEPTED_LIMITATION
    assert binding.resolution_reason == ACCEPTED_CONTENT_REASON
    assert binding.provider_resource_fingerprint == scenario.drift.target_content_hash
    assert binding.provider_resource_id == scenario.drift.target_object_id


def test_an_action_that_does_not_fit_the_outcome_is_refused(owner_client, world, scenario):
    response = owner_client.post(url(world, "baseline-resolve-accept", scenario.missing), {"note": NOTE})
    html = response.content.decode()
    assert response.status_code == 400
    # Shown as an alert of its own below the page head, never inside another element's tag.
    assert re.search(r'</div>\n<div class="errors" role="alert"><p>[^<]*does not apply', html)
    assert '<button type="submit"<' not in html
    assert not bindings(world.a1).exists()


def test_a_row_of_an_earlier_compare_offers_nothing(owner_client, world, scenario):
    newer = type(scenario.result).objects.create(
        workspace=world.a,
        environment=world.a1,
        profile=scenario.profile,
        snapshot=scenario.snapshot,
        created_at=timezone.now() + dt.timedelta(seconds=1),
    )
    assert newer.pk
    body = owner_client.get(url(world, "baseline-resolve", scenario.drift)).content.decode()
    assert 'data-state="earlier"' in body and 'data-section="accept"' not in body
    response = owner_client.post(url(world, "baseline-resolve-accept", scenario.drift), {"note": NOTE})
    assert response.status_code == 400 and not bindings(world.a1).exists()


def test_a_row_of_another_environment_is_404(owner_client, world, scenario):
    assert owner_client.get(url(world, "baseline-resolve", scenario.drift, environment=world.a2)).status_code == 404
    response = owner_client.post(
        url(world, "baseline-resolve-accept", scenario.drift, environment=world.a2), {"note": NOTE}
    )
    assert response.status_code == 404 and not ProviderResourceBinding.objects.exists()
    with pytest.raises(NotFound):
        resolution.resolve_accept(actor=world.owner, environment=world.a2, compare_item=scenario.drift, note=NOTE)


def test_services_refuse_a_member_without_manage(world, scenario):
    with pytest.raises(Forbidden):
        resolution.resolve_accept(
            actor=world.members[Role.OPERATOR], environment=world.a1, compare_item=scenario.drift, note=NOTE
        )
    with pytest.raises(ValidationFailed) as error:
        resolution.resolve_bind_candidate(
            actor=world.owner,
            environment=world.a1,
            compare_item=scenario.ambiguous,
            inventory_item_id="x",
            note=NOTE,
        )
    assert error.value.field == "inventory_item"
    assert not ProviderResourceBinding.objects.exists()


# -- supersede and revoke: behind a confirmation page -------------------------------------------------


def _accepted(world, scenario):
    return resolution.resolve_accept(actor=world.owner, environment=world.a1, compare_item=scenario.drift, note=NOTE)


def test_a_decided_row_offers_supersede_and_revoke_only(owner_client, world, scenario):
    _accepted(world, scenario)
    body = owner_client.get(url(world, "baseline-resolve", scenario.drift)).content.decode()
    assert 'data-section="binding"' in body and "Supersede…" in body and "Revoke…" in body
    assert 'data-section="accept"' not in body


def test_revoke_needs_the_confirmation_step(owner_client, world, scenario):
    binding = _accepted(world, scenario)
    before = AuditLog.objects.count()
    page = owner_client.get(url(world, "baseline-resolve-revoke", scenario.drift))
    assert page.status_code == 200 and "Continue" in page.content.decode()
    confirm = owner_client.post(url(world, "baseline-resolve-revoke", scenario.drift), {"note": NOTE})
    assert confirm.status_code == 200 and 'data-state="confirm"' in confirm.content.decode()
    assert 'name="confirm" value="1"' in confirm.content.decode()
    binding.refresh_from_db()
    assert binding.binding_status == BindingStatus.ACTIVE and AuditLog.objects.count() == before
    done = owner_client.post(url(world, "baseline-resolve-revoke", scenario.drift), {"note": NOTE, "confirm": "1"})
    assert done.status_code == 302
    binding.refresh_from_db()
    assert binding.binding_status == BindingStatus.REVOKED
    assert AuditLog.objects.filter(action=AuditAction.RESOURCE_BINDING_REVOKED, actor=world.owner).count() == 1


def test_supersede_needs_the_confirmation_step_and_keeps_the_subject(owner_client, world, scenario):
    binding = _accepted(world, scenario)
    data = {"resolution_mode": ResolutionMode.MANUAL_BINDING.value, "inventory_item": scenario.other.pk, "note": NOTE}
    confirm = owner_client.post(url(world, "baseline-resolve-supersede", scenario.drift), data)
    body = confirm.content.decode()
    assert confirm.status_code == 200 and 'data-state="confirm"' in body and "Manual binding" in body
    binding.refresh_from_db()
    assert binding.binding_status == BindingStatus.ACTIVE
    done = owner_client.post(url(world, "baseline-resolve-supersede", scenario.drift), {**data, "confirm": "1"})
    assert done.status_code == 302
    binding.refresh_from_db()
    successor = ProviderResourceBinding.objects.get(environment=world.a1, binding_status=BindingStatus.ACTIVE)
    assert binding.binding_status == BindingStatus.SUPERSEDED and binding.superseded_by_id == successor.pk
    assert successor.canonical_subject_key == scenario.drift.canonical_subject_key
    assert successor.provider_resource_id == scenario.other.provider_object_id
    assert AuditLog.objects.filter(action=AuditAction.RESOURCE_BINDING_SUPERSEDED, actor=world.owner).count() == 1


def test_supersede_to_a_manual_binding_without_a_resource_is_a_field_error(owner_client, world, scenario):
    _accepted(world, scenario)
    response = owner_client.post(
        url(world, "baseline-resolve-supersede", scenario.drift),
        {"resolution_mode": ResolutionMode.MANUAL_BINDING.value, "note": NOTE, "confirm": "1"},
    )
    assert response.status_code == 400 and "Pick the provider resource" in response.content.decode()
    assert ProviderResourceBinding.objects.filter(binding_status=BindingStatus.SUPERSEDED).count() == 0


def test_supersede_and_revoke_on_an_undecided_row_change_nothing(owner_client, world, scenario):
    for name in ("baseline-resolve-supersede", "baseline-resolve-revoke"):
        response = owner_client.post(
            url(world, name, scenario.missing),
            {"resolution_mode": ResolutionMode.MISSING_EXPECTED.value, "note": NOTE, "confirm": "1"},
        )
        assert response.status_code == 400, name
    assert not ProviderResourceBinding.objects.exists()


# -- re-compare and the overdue list ----------------------------------------------------------------


def test_recompare_starts_a_compare_and_returns_to_the_result(client, world, scenario):
    client.force_login(world.members[Role.OPERATOR])
    response = client.post(url(world, "baseline-resolve-recompare", scenario.drift))
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "console:baseline-result",
        kwargs={"workspace": world.a.slug, "profile_id": scenario.profile.pk, "environment_id": world.a1.pk},
    )
    run = OperationRun.objects.get(environment=world.a1, type="baseline.compare")
    assert run.context["profile_id"] == scenario.profile.pk


def test_overdue_reviews_list_only_visible_active_past_due_decisions(client, world):
    here, hidden = build_scenario(world.a2), build_scenario(world.a1)
    due = []
    for s in (here, hidden):
        binding = resolution.resolve_exclude(
            actor=world.owner, environment=s.environment, compare_item=s.unexpected, note=NOTE
        )
        BindingReview.objects.create(
            workspace=world.a,
            environment=s.environment,
            binding=binding,
            review_by=timezone.localdate() - dt.timedelta(days=3),
        )
        due.append(binding)
    not_yet = resolution.resolve_accept(
        actor=world.owner,
        environment=world.a2,
        compare_item=here.drift,
        note=NOTE,
        review_by=timezone.localdate() + dt.timedelta(days=3),
    )
    client.force_login(world.restricted)  # owner restricted to a2
    response = client.get(reverse("console:baseline-reviews-overdue", kwargs={"workspace": world.a.slug}))
    body = response.content.decode()
    assert response.status_code == 200
    assert f'data-binding="{due[0].pk}"' in body and "3 days" in body
    assert f'data-binding="{due[1].pk}"' not in body and world.a1.display_name not in body
    assert f'data-binding="{not_yet.pk}"' not in body
    # A revoked decision is never overdue: the binding's status is the truth.
    client.force_login(world.owner)
    resolution_item = here.unexpected
    resolution.resolve_revoke(actor=world.owner, environment=world.a2, compare_item=resolution_item, note=NOTE)
    body = client.get(reverse("console:baseline-reviews-overdue", kwargs={"workspace": world.a.slug})).content.decode()
    assert f'data-binding="{due[0].pk}"' not in body and f'data-binding="{due[1].pk}"' in body


def test_binding_and_supersede_refuse_an_accepted_fingerprint_of_another_mode(world, scenario):
    binding = _accepted(world, scenario)
    with pytest.raises(ValidationFailed) as error:
        binding_services.binding_supersede(
            actor=world.owner,
            binding=binding,
            resolution_mode=ResolutionMode.MISSING_EXPECTED.value,
            note=NOTE,
            descriptor=None,
            accepted_fingerprint="c" * 64,
        )
    assert error.value.field == "resolution_mode"
    binding.refresh_from_db()
    assert binding.binding_status == BindingStatus.ACTIVE


# -- the whole loop through the console, on the simulator ------------------------------------------


def test_the_operator_loop_on_tailspin_binds_recompares_revokes_and_gets_the_earlier_outcome_back(
    client, world, graph_settings
):
    golden, renamed = synced(contoso(world)), synced(tailspin(world))
    profile = captured_profile(world, golden)
    _run, before = compared(world, profile, renamed)
    missing = BaselineCompareItem.objects.get(
        result=before, outcome="missing", baseline_label="WIN - Device restrictions"
    )
    target = BaselineCompareItem.objects.get(
        result=before, outcome="unexpected", target_label="Windows - Device Restrictions (v2)"
    )
    client.force_login(world.members[Role.MANAGER])

    def recompare_from(item) -> BaselineCompareItem:
        response = client.post(url(world, "baseline-resolve-recompare", item, environment=renamed))
        assert response.status_code == 302
        run = OperationRun.objects.filter(environment=renamed, type="baseline.compare").latest("pk")
        run_operation(run.pk)
        result = BaselineCompareResult.objects.get(operation_run=run)
        page = client.get(response["Location"])
        assert page.status_code == 200
        return BaselineCompareItem.objects.get(
            result=result, canonical_subject_key=missing.canonical_subject_key, snapshot_item__isnull=False
        )

    page = client.get(url(world, "baseline-resolve", missing, environment=renamed), {"q": "(v2)"})
    assert f'value="{target.target_item_id}"' in page.content.decode()
    response = client.post(
        url(world, "baseline-resolve-bind", missing, environment=renamed),
        {"inventory_item": target.target_item_id, "note": NOTE},
    )
    assert response.status_code == 302
    bound = recompare_from(missing)
    assert (bound.outcome, bound.renamed, bound.reason) == ("match", True, "binding")

    revoke = url(world, "baseline-resolve-revoke", bound, environment=renamed)
    assert 'data-state="confirm"' in client.post(revoke, {"note": NOTE}).content.decode()
    assert client.post(revoke, {"note": NOTE, "confirm": "1"}).status_code == 302
    back = recompare_from(bound)
    assert (back.outcome, back.reason) == ("missing", "no_candidate")
