"""The API's drift reads and compare-all match the console's: compare all assigned environments in
one call (started / deduplicated / busy per environment), the drift overview, one subject across
environments, one compare row with what may be done with it, older results (history, rows and
export by ``?result=``), and the overdue reviews with the review-by date on binding reads.
Environments hidden from the caller are never named."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.roles import Role
from tenantpilot.baselines import exports
from tenantpilot.baselines import services_resolution as resolution
from tenantpilot.baselines.models import BaselineCompareItem, BaselineCompareResult, BindingReview
from tenantpilot.operations.choices import OperationType
from tenantpilot.operations.models import OperationRun
from tenantpilot.tenancy import services as tenancy_services
from tests.api.conftest import bearer, make_token
from tests.baselines import factories as bf
from tests.baselines.resolution_support import build_scenario
from tests.operations.helpers import queued_run

pytestmark = pytest.mark.django_db


def _url(name, world, **kwargs):
    return reverse(f"api-v1:{name}", kwargs={"workspace": world.a.slug, **kwargs})


def _post(client, url, text, body=None):
    data = json.dumps(body) if body is not None else ""
    return client.post(url, data=data, content_type="application/json", headers=bearer(text))


def _restricted_token(world):
    """An owner restricted to a2 (a1 must look missing to them)."""
    return make_token(world.restricted, world.a)[1]


def _result(environment, profile, snapshot, *, counts=None, age=dt.timedelta(0)):
    when = timezone.now() - age
    return BaselineCompareResult.objects.create(
        workspace_id=environment.workspace_id,
        environment=environment,
        profile=profile,
        snapshot=snapshot,
        evidence_at=when,
        counts=counts or {"match": 1},
        created_at=when,
    )


def _two_environment_profile(world):
    profile = bf.profile(world.a)
    bf.assign(profile, world.a1)
    bf.assign(profile, world.a2)
    return profile, bf.snapshot(profile)


# --------------------------------------------------------------------------------------------
# Compare all


def test_compare_all_starts_one_run_per_assigned_environment_then_deduplicates(client, world, owner_token):
    profile, _ = _two_environment_profile(world)
    url = _url("baseline-compare-all", world, profile_id=profile.pk)
    first = _post(client, url, owner_token[1])
    assert first.status_code == 202
    body = first.json()
    assert (body["started"], body["deduplicated"], body["busy"], body["refused"]) == (2, 0, 0, 0)
    by_env = {e["environment_id"]: e for e in body["environments"]}
    assert set(by_env) == {world.a1.pk, world.a2.pk}
    runs = OperationRun.objects.filter(type=OperationType.BASELINE_COMPARE)
    assert {r.pk for r in runs} == {e["run"]["id"] for e in body["environments"]}
    assert all(r.context["profile_id"] == profile.pk for r in runs)

    again = _post(client, url, owner_token[1])
    assert again.status_code == 200
    assert again.json()["deduplicated"] == 2 and again.json()["started"] == 0
    assert {e["run"]["id"] for e in again.json()["environments"]} == {r.pk for r in runs}
    assert runs.count() == 2
    assert AuditLog.objects.filter(action=AuditAction.OPERATION_STARTED).count() == 2


def test_compare_all_reports_a_busy_environment_and_still_starts_the_others(client, world, owner_token):
    profile, _ = _two_environment_profile(world)
    busy_run = queued_run(world.a1, kind=OperationType.INVENTORY_SYNC)
    response = _post(client, _url("baseline-compare-all", world, profile_id=profile.pk), owner_token[1])
    assert response.status_code == 202
    by_env = {e["environment_id"]: e for e in response.json()["environments"]}
    assert by_env[world.a1.pk]["status"] == "scope_busy"
    assert by_env[world.a1.pk]["run"]["id"] == busy_run.pk
    assert by_env[world.a1.pk]["error"]["code"] == "scope_busy"
    assert by_env[world.a2.pk]["status"] == "started"
    assert response.json()["busy"] == 1 and response.json()["started"] == 1


def test_compare_all_never_names_an_environment_hidden_from_the_caller(client, world):
    profile, _ = _two_environment_profile(world)
    response = _post(client, _url("baseline-compare-all", world, profile_id=profile.pk), _restricted_token(world))
    assert response.status_code == 202
    assert [e["environment_id"] for e in response.json()["environments"]] == [world.a2.pk]
    assert world.a1.display_name not in response.content.decode()
    assert not OperationRun.objects.filter(environment=world.a1).exists()


def test_compare_all_refuses_an_archived_environment_and_skips_nothing_else(client, world, owner_token):
    profile, _ = _two_environment_profile(world)
    tenancy_services.environment_set_archived(actor=world.owner, environment=world.a2, archived=True)
    response = _post(client, _url("baseline-compare-all", world, profile_id=profile.pk), owner_token[1])
    by_env = {e["environment_id"]: e for e in response.json()["environments"]}
    assert response.status_code == 202
    assert by_env[world.a2.pk]["status"] == "refused" and by_env[world.a2.pk]["run"] is None
    assert by_env[world.a1.pk]["status"] == "started"


def test_compare_all_without_a_snapshot_or_on_an_archived_profile_starts_nothing(client, world, owner_token):
    bare = bf.profile(world.a)
    bf.assign(bare, world.a1)
    no_snapshot = _post(client, _url("baseline-compare-all", world, profile_id=bare.pk), owner_token[1])
    assert no_snapshot.status_code == 400 and no_snapshot.json()["error"]["field"] == "profile"
    profile, _ = _two_environment_profile(world)
    _post(client, _url("baseline-profile-archive", world, profile_id=profile.pk), owner_token[1])
    archived = _post(client, _url("baseline-compare-all", world, profile_id=profile.pk), owner_token[1])
    assert archived.status_code == 409 and archived.json()["error"]["code"] == "conflict"
    assert not OperationRun.objects.filter(type=OperationType.BASELINE_COMPARE).exists()


# --------------------------------------------------------------------------------------------
# Drift overview and one subject across environments


def test_overview_has_one_row_per_visible_assigned_environment(client, world, owner_token):
    profile, snapshot = _two_environment_profile(world)
    _result(world.a1, profile, snapshot, counts={"drift": 2, "match": 5})
    url = _url("baseline-overview", world, profile_id=profile.pk)
    rows = {r["environment_id"]: r for r in client.get(url, headers=bearer(owner_token[1])).json()["items"]}
    assert rows[world.a1.pk]["state"] == "attention" and rows[world.a1.pk]["counts"]["drift"] == 2
    assert rows[world.a1.pk]["attention"] == 2
    assert rows[world.a2.pk]["state"] == "not_compared" and rows[world.a2.pk]["result_id"] is None
    restricted = client.get(url, headers=bearer(_restricted_token(world)))
    assert [r["environment_id"] for r in restricted.json()["items"]] == [world.a2.pk]
    assert restricted.json()["count"] == 1


def _subject_in_two_environments(world):
    """The drift row's subject of a1's scenario, also compared (as a match) in a2."""
    scenario = build_scenario(world.a1)
    bf.assign(scenario.profile, world.a2)
    in_a2 = _result(world.a2, scenario.profile, scenario.snapshot)
    BaselineCompareItem.objects.create(
        result=in_a2,
        policy_type=scenario.drift.policy_type,
        canonical_subject_key=scenario.drift.canonical_subject_key,
        snapshot_item=scenario.drift.snapshot_item,
        baseline_label=scenario.drift.baseline_label,
        outcome="match",
        reason="subject_key",
    )
    return scenario, in_a2


def test_subject_shows_its_outcome_in_every_visible_assigned_environment(client, world, owner_token):
    scenario, in_a2 = _subject_in_two_environments(world)
    key = scenario.drift.canonical_subject_key
    url = _url("baseline-subject", world, profile_id=scenario.profile.pk)
    body = client.get(url, {"subject_key": key}, headers=bearer(owner_token[1])).json()
    assert body["subject"]["canonical_subject_key"] == key
    assert body["subject"]["source_object_id"] == scenario.drift.snapshot_item.source_object_id
    rows = {r["environment_id"]: r for r in body["items"]}
    assert rows[world.a1.pk]["row"]["outcome"] == "drift"
    assert rows[world.a1.pk]["row"]["changes"] == [{"path": "passwordMinimumLength", "baseline": 12, "target": 8}]
    assert rows[world.a2.pk]["row"]["outcome"] == "match" and rows[world.a2.pk]["result_id"] == in_a2.pk

    restricted = client.get(url, {"subject_key": key}, headers=bearer(_restricted_token(world)))
    assert [r["environment_id"] for r in restricted.json()["items"]] == [world.a2.pk]
    assert world.a1.display_name not in restricted.content.decode()


def test_subject_needs_a_key_and_names_the_field(client, world, owner_token):
    profile = bf.profile(world.a)
    response = client.get(_url("baseline-subject", world, profile_id=profile.pk), headers=bearer(owner_token[1]))
    assert response.status_code == 400 and response.json()["error"]["field"] == "subject_key"


# --------------------------------------------------------------------------------------------
# One compare row


def _row_url(world, row, environment=None):
    return _url("drift-row", world, environment_id=(environment or world.a1).pk, row_id=row.pk)


def test_a_drift_row_shows_its_changes_why_and_the_actions_open_on_it(client, world, owner_token):
    scenario = build_scenario(world.a1)
    body = client.get(_row_url(world, scenario.drift), headers=bearer(owner_token[1])).json()
    assert body["row"]["outcome"] == "drift" and body["row"]["reason"] == "subject_key"
    assert body["row"]["changes"][0]["path"] == "passwordMinimumLength"
    assert body["row"]["target_item_id"] == scenario.drift.target_item_id
    assert body["profile_id"] == scenario.profile.pk and body["is_latest"] is True
    assert body["actions"] == ["accept"] and body["active_binding"] is None
    readonly = make_token(world.members[Role.READONLY], world.a)[1]
    assert client.get(_row_url(world, scenario.drift), headers=bearer(readonly)).json()["actions"] == []


def test_an_ambiguous_row_lists_every_candidate_with_its_presence(client, world, owner_token):
    scenario = build_scenario(world.a1)
    body = client.get(_row_url(world, scenario.ambiguous), headers=bearer(owner_token[1])).json()
    assert [c["item_id"] for c in body["candidates"]] == [c.pk for c in scenario.candidates]
    assert all(c["present"] for c in body["candidates"])
    assert body["actions"] == ["bind"]


def test_a_decided_row_shows_the_binding_in_force_with_its_review_date(client, world, owner_token):
    scenario = build_scenario(world.a1)
    review_by = timezone.localdate() + dt.timedelta(days=30)
    resolution.resolve_accept(
        actor=world.owner, environment=world.a1, compare_item=scenario.drift, note="n", review_by=review_by
    )
    body = client.get(_row_url(world, scenario.drift), headers=bearer(owner_token[1])).json()
    assert body["active_binding"]["resolution_mode"] == "accepted_limitation"
    assert body["active_binding"]["review_by"] == review_by.isoformat()
    assert sorted(body["actions"]) == ["revoke", "supersede"]


def test_a_row_read_through_another_environment_is_404(client, world, owner_token):
    scenario = build_scenario(world.a1)
    response = client.get(_row_url(world, scenario.drift, world.a2), headers=bearer(owner_token[1]))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    hidden = client.get(_row_url(world, scenario.drift), headers=bearer(_restricted_token(world)))
    assert hidden.status_code == 404


# --------------------------------------------------------------------------------------------
# Older results: history, rows, export by ``?result=``


def _old_and_new(world):
    scenario = build_scenario(world.a1)
    old = _result(world.a1, scenario.profile, scenario.snapshot, counts={"match": 7}, age=dt.timedelta(days=2))
    return scenario, old


def test_results_list_the_pairs_history_newest_first(client, world, owner_token):
    scenario, old = _old_and_new(world)
    url = _url("baseline-results", world, profile_id=scenario.profile.pk, environment_id=world.a1.pk)
    body = client.get(url, headers=bearer(owner_token[1])).json()
    assert [r["id"] for r in body["items"]] == [scenario.result.pk, old.pk]


def test_rows_filter_by_outcome_and_pick_an_older_result(client, world, owner_token):
    scenario, old = _old_and_new(world)
    url = _url("baseline-result-rows", world, profile_id=scenario.profile.pk, environment_id=world.a1.pk)
    headers = bearer(owner_token[1])
    latest = client.get(url, headers=headers).json()
    assert latest["count"] == 4
    drift = client.get(url, {"outcome": "drift"}, headers=headers).json()
    assert [r["id"] for r in drift["items"]] == [scenario.drift.pk]
    assert client.get(url, {"result": old.pk}, headers=headers).json()["count"] == 0
    bad = client.get(url, {"outcome": "sideways"}, headers=headers)
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "outcome"


def test_export_of_an_older_result_in_json_and_csv(client, world, owner_token):
    scenario, old = _old_and_new(world)
    kwargs = {"profile_id": scenario.profile.pk, "environment_id": world.a1.pk}
    headers = bearer(owner_token[1])
    as_json = client.get(_url("baseline-export", world, **kwargs), {"result": old.pk}, headers=headers).json()
    assert as_json["result"]["result_id"] == old.pk and as_json["result"]["counts"] == {"match": 7}
    latest = client.get(_url("baseline-export", world, **kwargs), headers=headers).json()
    assert latest["result"]["result_id"] == scenario.result.pk and len(latest["rows"]) == 4
    as_csv = client.get(_url("baseline-export-csv", world, **kwargs), {"result": old.pk}, headers=headers)
    assert as_csv.status_code == 200 and as_csv.content.decode() == exports.export_csv(old)
    assert f"-{old.pk}.csv" in as_csv["Content-Disposition"]
    header = client.get(_url("baseline-result", world, **kwargs), {"result": old.pk}, headers=headers).json()
    assert header["id"] == old.pk


def test_export_of_a_result_of_another_environment_or_workspace_is_404(client, world, owner_token):
    scenario = build_scenario(world.a1)
    other_env = build_scenario(world.a2)
    other_ws = build_scenario(world.b1)
    kwargs = {"profile_id": scenario.profile.pk, "environment_id": world.a1.pk}
    headers = bearer(owner_token[1])
    for name in ("baseline-export", "baseline-export-csv", "baseline-result", "baseline-result-rows"):
        for foreign in (other_env.result, other_ws.result):
            response = client.get(_url(name, world, **kwargs), {"result": foreign.pk}, headers=headers)
            assert response.status_code == 404, name
            assert response.json()["error"]["code"] == "not_found"


# --------------------------------------------------------------------------------------------
# Overdue reviews and review dates on binding reads


def _overdue_exclusion(world, days=3):
    scenario = build_scenario(world.a1)
    binding = resolution.resolve_exclude(
        actor=world.owner,
        environment=world.a1,
        compare_item=scenario.unexpected,
        note="n",
        review_by=timezone.localdate() + dt.timedelta(days=1),
    )
    # The service only takes future dates; time passes here by moving the stored date back.
    BindingReview.objects.filter(binding=binding).update(review_by=timezone.localdate() - dt.timedelta(days=days))
    return binding


def test_overdue_reviews_list_past_due_decisions_of_visible_environments(client, world, owner_token):
    binding = _overdue_exclusion(world, days=3)
    url = _url("reviews-overdue", world)
    body = client.get(url, headers=bearer(owner_token[1])).json()
    assert body["count"] == 1
    row = body["items"][0]
    assert row["binding"]["id"] == binding.pk and row["days_overdue"] == 3
    assert row["environment_id"] == world.a1.pk
    assert row["review_by"] == row["binding"]["review_by"]
    restricted = client.get(url, headers=bearer(_restricted_token(world)))
    assert restricted.json()["count"] == 0 and world.a1.display_name not in restricted.content.decode()


def test_a_revoked_decision_is_no_longer_overdue(client, world, owner_token):
    binding = _overdue_exclusion(world)
    revoke = _url("binding-revoke", world, environment_id=world.a1.pk, binding_id=binding.pk)
    assert _post(client, revoke, owner_token[1], {"note": "reviewed"}).status_code == 200
    assert client.get(_url("reviews-overdue", world), headers=bearer(owner_token[1])).json()["count"] == 0


def test_binding_reads_carry_the_review_date(client, world, owner_token):
    binding = _overdue_exclusion(world, days=1)
    due = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    headers = bearer(owner_token[1])
    one = client.get(_url("binding-detail", world, environment_id=world.a1.pk, binding_id=binding.pk), headers=headers)
    assert one.json()["review_by"] == due
    listed = client.get(_url("binding-list", world, environment_id=world.a1.pk), headers=headers).json()["items"]
    assert {b["id"]: b["review_by"] for b in listed}[binding.pk] == due


# --------------------------------------------------------------------------------------------
# One environment against every profile assigned to it


def test_environment_drift_lists_each_assigned_profile_with_its_state(client, world, owner_token):
    dirty, dirty_snapshot = _two_environment_profile(world)
    _result(world.a1, dirty, dirty_snapshot, counts={"missing": 1, "match": 3})
    clean = bf.profile(world.a)
    bf.assign(clean, world.a1)
    clean_snapshot = bf.snapshot(clean)
    _result(world.a1, clean, clean_snapshot, counts={"match": 4})
    url = _url("environment-drift", world, environment_id=world.a1.pk)
    body = client.get(url, headers=bearer(owner_token[1])).json()
    states = {r["profile_id"]: r["state"] for r in body["items"]}
    assert states == {dirty.pk: "attention", clean.pk: "clean"}
    hidden = client.get(url, headers=bearer(_restricted_token(world)))
    assert hidden.status_code == 404
