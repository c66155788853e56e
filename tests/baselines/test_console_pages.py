"""The baseline console pages: counts, diffs, candidates, evidence banners, bad input, exports,
restricted members, and query budgets at 10,000 subjects.

Rows are built directly (bulk_create) so the pages are tested on exactly known results; the
compare that produces such rows is tested in ``test_compare*.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.roles import Role
from tenantpilot.baselines.exports import COLUMNS, export_rows, rows_from_csv
from tenantpilot.baselines.models import (
    BaselineAssignment,
    BaselineCompareItem,
    BaselineCompareResult,
    BaselineProfile,
    BaselineSnapshot,
    BaselineSnapshotItem,
)
from tenantpilot.operations.choices import OperationType
from tenantpilot.operations.models import OperationRun
from tests.baselines import factories as f
from tests.factories import EnvironmentFactory, MembershipFactory, UserFactory, grant_environment

pytestmark = pytest.mark.django_db

TYPE = "deviceConfigurations"
DRIFT_PATH = "assignments[0].target.group"


@dataclass
class Built:
    profile: BaselineProfile
    snapshot: BaselineSnapshot
    results: dict[int, BaselineCompareResult]


def _outcome(i: int) -> str:
    return {0: "drift", 1: "ambiguous_match", 2: "missing"}.get(i, "match")


def build_profile(
    workspace: Any,
    golden: Any,
    targets: list[Any],
    *,
    subjects: int = 4,
    name: str | None = None,
    evidence_stale: bool = False,
    incomplete_types: list[str] | None = None,
    evidence_age: dt.timedelta = dt.timedelta(hours=1),
) -> Built:
    """A profile with one snapshot of ``subjects`` items, assigned to ``targets``, each with a result:
    subject 0 drifts (a group renamed by name), 1 is ambiguous (two candidates), 2 is missing, the
    rest match."""
    now = timezone.now()
    profile = BaselineProfile.objects.create(
        workspace=workspace, name=name or f"Profile {uuid.uuid4().hex[:8]}", policy_types=[TYPE]
    )
    snapshot = BaselineSnapshot.objects.create(
        workspace=workspace,
        profile=profile,
        environment=golden,
        captured_at=now,
        evidence_at=now,
        item_count=subjects,
        policy_types=[TYPE],
    )
    snap_items = BaselineSnapshotItem.objects.bulk_create(
        [
            BaselineSnapshotItem(
                workspace=workspace,
                snapshot=snapshot,
                policy_type=TYPE,
                subject_class="policy",
                canonical_subject_key=f"policy:{TYPE}:obj-{i}",
                match_key=f"policy {i}",
                source_object_id=f"obj-{i}",
                display_label=f"Policy {i}",
                normalized={"n": i},
                content_hash=f"h{i}",
            )
            for i in range(subjects)
        ],
        batch_size=2000,
    )
    results = {}
    for env in targets:
        BaselineAssignment.objects.create(workspace=workspace, profile=profile, environment=env)
        counts: dict[str, int] = {}
        rows = []
        for i, snap in enumerate(snap_items):
            outcome = _outcome(i)
            counts[outcome] = counts.get(outcome, 0) + 1
            rows.append(
                BaselineCompareItem(
                    policy_type=TYPE,
                    canonical_subject_key=snap.canonical_subject_key,
                    snapshot_item=snap,
                    target_object_id="" if outcome in ("missing", "ambiguous_match") else f"t-{i}",
                    baseline_label=snap.display_label,
                    target_label="Policy 0 (new name)" if i == 0 else snap.display_label,
                    outcome=outcome,
                    reason={"ambiguous_match": "several_candidates", "missing": "no_candidate"}.get(
                        outcome, "subject_key"
                    ),
                    renamed=i == 0,
                    changes=[{"path": DRIFT_PATH, "baseline": "All Staff", "target": "Contractors"}] if i == 0 else [],
                    candidates=[
                        {"item_id": None, "object_id": "cand-a", "label": "Duplicate A"},
                        {"item_id": None, "object_id": "cand-b", "label": "Duplicate B"},
                    ]
                    if i == 1
                    else [],
                )
            )
        result = BaselineCompareResult.objects.create(
            workspace=workspace,
            environment=env,
            profile=profile,
            snapshot=snapshot,
            evidence_at=now - evidence_age,
            evidence_stale=evidence_stale,
            incomplete_types=incomplete_types or [],
            counts=counts,
            created_at=now,
        )
        for row in rows:
            row.result = result
        BaselineCompareItem.objects.bulk_create(rows, batch_size=2000)
        results[env.pk] = result
    return Built(profile, snapshot, results)


def url(world: Any, name: str, **kwargs: Any) -> str:
    return reverse(f"console:{name}", kwargs={"workspace": world.a.slug, **kwargs})


def restricted_member(world: Any, role: Role = Role.OWNER) -> Any:
    user = UserFactory()
    grant_environment(MembershipFactory(workspace=world.a, user=user, role=role), world.a2)
    return user


# --------------------------------------------------------------------------------------------
# Drift overview


def test_overview_shows_counts_per_environment_and_compare_buttons(client, world):
    built = build_profile(world.a, world.a1, [world.a1, world.a2])
    client.force_login(world.members[Role.OPERATOR])
    response = client.get(url(world, "baseline-profile", profile_id=built.profile.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('data-outcome="drift"><a') == 2
    assert body.count('data-outcome="match"><a') == 2
    assert "Alpha One" in body and "Alpha Two" in body
    assert body.count(">Compare now</button>") == 2
    assert ">Compare all</button>" in body
    # An operator may compare but not manage the profile.
    assert "Capture now" not in body


def test_overview_never_names_an_environment_hidden_from_a_restricted_member(client, world):
    built = build_profile(world.a, world.a1, [world.a1, world.a2])
    client.force_login(restricted_member(world))
    body = client.get(url(world, "baseline-profile", profile_id=built.profile.pk)).content.decode()
    assert "Alpha Two" in body
    assert "Alpha One" not in body
    assert f"/environments/{world.a1.pk}/" not in body
    assert body.count("<tr data-environment=") == 1
    # The profile list counts only visible assignments.
    listing = client.get(url(world, "baseline-profiles")).content.decode()
    assert f"<td>{1}</td>" in listing


def test_overview_is_never_green_on_stale_or_incomplete_evidence(client, world):
    stale = build_profile(world.a, world.a1, [world.a1], subjects=4, evidence_stale=True)
    client.force_login(world.owner)
    body = client.get(url(world, "baseline-profile", profile_id=stale.profile.pk)).content.decode()
    assert 'data-flag="stale"' in body
    # All-match counts on incomplete evidence: "unverified", never "in line".
    clean_rows = BaselineCompareItem.objects.filter(result__profile=stale.profile).exclude(outcome="match")
    clean_rows.update(outcome="match", changes=[], candidates=[])
    BaselineCompareResult.objects.filter(profile=stale.profile).update(
        counts={"match": 4}, evidence_stale=False, incomplete_types=[TYPE]
    )
    body = client.get(url(world, "baseline-profile", profile_id=stale.profile.pk)).content.decode()
    assert 'data-state="unverified"' in body and 'data-state="clean"' not in body
    assert 'data-flag="incomplete"' in body
    # Fresh and complete: green.
    BaselineCompareResult.objects.filter(profile=stale.profile).update(incomplete_types=[])
    body = client.get(url(world, "baseline-profile", profile_id=stale.profile.pk)).content.decode()
    assert 'data-state="clean"' in body


def test_overview_marks_evidence_older_than_the_profile_allows(client, world):
    built = build_profile(world.a, world.a1, [world.a1], evidence_age=dt.timedelta(hours=30))
    client.force_login(world.owner)
    body = client.get(url(world, "baseline-profile", profile_id=built.profile.pk)).content.decode()
    assert 'data-flag="stale"' in body


# --------------------------------------------------------------------------------------------
# One environment's result


def test_result_page_shows_counts_diff_candidates_and_reasons(client, world):
    built = build_profile(world.a, world.a1, [world.a1], subjects=6)
    client.force_login(world.members[Role.READONLY])
    response = client.get(url(world, "baseline-result", profile_id=built.profile.pk, environment_id=world.a1.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-count="match">3<' in body and 'data-count="drift">1<' in body
    assert 'data-count="ambiguous_match">1<' in body and 'data-count="missing">1<' in body
    # The side-by-side diff with names, not ids.
    assert f"<code>{DRIFT_PATH}</code>" in body
    assert "<pre>All Staff</pre>" in body and "<pre>Contractors</pre>" in body
    # Ambiguous: every candidate listed.
    assert "Duplicate A" in body and "Duplicate B" in body and "cand-b" in body
    assert "Several candidates" in body and "Matched by subject key (name)" in body
    assert 'data-flag="renamed"' in body and "Policy 0 (new name)" in body
    assert 'data-item="' in body and 'class="evidence-banner' not in body


def test_result_filters_by_outcome_and_type(client, world):
    built = build_profile(world.a, world.a1, [world.a1], subjects=6)
    client.force_login(world.owner)
    target = url(world, "baseline-result", profile_id=built.profile.pk, environment_id=world.a1.pk)
    body = client.get(target, {"outcome": "drift"}).content.decode()
    assert body.count("<tr data-item=") == 1 and 'data-outcome="drift"' in body
    body = client.get(target, {"type": TYPE, "outcome": "match"}).content.decode()
    assert body.count("<tr data-item=") == 3
    body = client.get(target, {"type": "deviceCompliancePolicies"}).content.decode()
    assert body.count("<tr data-item=") == 0 and "No row matches" in body


@pytest.mark.parametrize(("params", "field"), [({"outcome": "green"}, "Outcome"), ({"type": "groups"}, "Policy type")])
def test_result_filter_garbage_is_a_400_naming_the_field(client, world, params, field):
    built = build_profile(world.a, world.a1, [world.a1])
    client.force_login(world.owner)
    response = client.get(
        url(world, "baseline-result", profile_id=built.profile.pk, environment_id=world.a1.pk), params
    )
    assert response.status_code == 400
    assert f'class="field-error" role="alert">{field}:' in response.content.decode()


def test_result_page_banner_on_incomplete_evidence(client, world):
    built = build_profile(world.a, world.a1, [world.a1], incomplete_types=[TYPE])
    client.force_login(world.owner)
    body = client.get(
        url(world, "baseline-result", profile_id=built.profile.pk, environment_id=world.a1.pk)
    ).content.decode()
    assert "evidence-banner" in body and "not proof of compliance" in body
    assert f"not synced completely: {TYPE}" in body


def test_result_of_another_pair_is_404(client, world):
    one = build_profile(world.a, world.a1, [world.a1])
    other = build_profile(world.a, world.a1, [world.a2])
    client.force_login(world.owner)
    response = client.get(
        url(world, "baseline-result", profile_id=one.profile.pk, environment_id=world.a1.pk),
        {"result": other.results[world.a2.pk].pk},
    )
    assert response.status_code == 404


def test_result_links_to_the_resolution_page_when_it_exists(client, world):
    from django.urls import NoReverseMatch

    built = build_profile(world.a, world.a1, [world.a1])
    client.force_login(world.owner)
    body = client.get(
        url(world, "baseline-result", profile_id=built.profile.pk, environment_id=world.a1.pk)
    ).content.decode()
    item = BaselineCompareItem.objects.filter(result=built.results[world.a1.pk]).first()
    try:
        resolve = url(world, "baseline-resolve", environment_id=world.a1.pk, item_id=item.pk)
    except NoReverseMatch:
        assert ">Resolve</a>" not in body  # the page renders without the route
    else:
        assert f'href="{resolve}"' in body


# --------------------------------------------------------------------------------------------
# One subject across environments


def test_subject_view_shows_the_outcome_in_every_visible_environment(client, world):
    built = build_profile(world.a, world.a1, [world.a1, world.a2])
    key = f"policy:{TYPE}:obj-0"
    client.force_login(world.owner)
    body = client.get(url(world, "baseline-subject", profile_id=built.profile.pk), {"key": key}).content.decode()
    assert body.count("<tr data-environment=") == 2
    assert body.count('data-outcome="drift"') == 2 and "<pre>Contractors</pre>" in body
    client.force_login(restricted_member(world, Role.READONLY))
    body = client.get(url(world, "baseline-subject", profile_id=built.profile.pk), {"key": key}).content.decode()
    assert body.count("<tr data-environment=") == 1 and "Alpha One" not in body


def test_subject_view_without_a_key_is_a_400_naming_the_field(client, world):
    built = build_profile(world.a, world.a1, [world.a1])
    client.force_login(world.owner)
    response = client.get(url(world, "baseline-subject", profile_id=built.profile.pk), {"key": "  "})
    assert response.status_code == 400
    assert "Subject key:" in response.content.decode()


# --------------------------------------------------------------------------------------------
# Profiles: create, edit, bad input


def test_profile_create_parses_types_and_ignored_fields_and_audits(client, world):
    client.force_login(world.members[Role.MANAGER])
    response = client.post(
        url(world, "baseline-profile-create"),
        {
            "name": "Workstations",
            "description": "Golden Windows",
            "policy_types": [TYPE, "deviceCompliancePolicies"],
            "ignored_fields": f"{TYPE}: passwordMinimumLength, roleScopeTagIds\n\n",
            "max_evidence_age_hours": "12",
        },
    )
    assert response.status_code == 302
    profile = BaselineProfile.objects.get(workspace=world.a, name="Workstations")
    assert profile.policy_types == [TYPE, "deviceCompliancePolicies"]
    assert profile.ignored_fields == {TYPE: ["passwordMinimumLength", "roleScopeTagIds"]}
    assert profile.max_evidence_age_hours == 12
    assert AuditLog.objects.filter(action=AuditAction.BASELINE_PROFILE_CREATED, target_id=str(profile.pk)).count() == 1
    # The edit form shows the ignored fields back in the same syntax.
    edit = client.get(url(world, "baseline-profile-edit", profile_id=profile.pk)).content.decode()
    assert f"{TYPE}: passwordMinimumLength, roleScopeTagIds" in edit


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"policy_types": []}, "Choose at least one governed policy type."),
        ({"policy_types": ["groups"]}, "Select a valid choice"),
        ({"ignored_fields": "notAType: a"}, "is not a governed policy type"),
        ({"ignored_fields": "deviceConfigurations passwordMinimumLength"}, "write “type: field, field”"),
        ({"max_evidence_age_hours": "0"}, "greater than or equal to 1"),
        ({"max_evidence_age_hours": "lots"}, "Enter a whole number"),
        ({"name": ""}, "This field is required"),
    ],
)
def test_profile_bad_input_is_a_400_with_a_field_error_and_nothing_written(client, world, data, message):
    client.force_login(world.owner)
    good = {"name": "Servers", "policy_types": [TYPE], "ignored_fields": "", "max_evidence_age_hours": "24"}
    before = AuditLog.objects.count()
    response = client.post(url(world, "baseline-profile-create"), {**good, **data})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'class="field-error"' in body and message in body
    assert not BaselineProfile.objects.filter(workspace=world.a).exists()
    assert AuditLog.objects.count() == before


def test_duplicate_profile_name_is_a_field_error(client, world):
    f.profile(world.a, name="Servers")
    client.force_login(world.owner)
    response = client.post(
        url(world, "baseline-profile-create"),
        {"name": "Servers", "policy_types": [TYPE], "max_evidence_age_hours": "24"},
    )
    assert response.status_code == 400
    assert "already exists" in response.content.decode()
    assert BaselineProfile.objects.filter(workspace=world.a).count() == 1


def test_archive_needs_a_confirming_post(client, world):
    profile = f.profile(world.a)
    client.force_login(world.owner)
    target = url(world, "baseline-profile-archive", profile_id=profile.pk)
    assert "Archive profile" in client.get(target).content.decode()
    profile.refresh_from_db()
    assert profile.archived_at is None
    assert client.post(target).status_code == 302
    profile.refresh_from_db()
    assert profile.archived_at is not None
    # An archived profile cannot be edited.
    assert client.get(url(world, "baseline-profile-edit", profile_id=profile.pk)).status_code == 409


# --------------------------------------------------------------------------------------------
# Capture


def _stale_sync(environment: Any) -> OperationRun:
    run = f.completed_run(environment)
    old = timezone.now() - dt.timedelta(hours=48)
    OperationRun.objects.filter(pk=run.pk).update(finished_at=old)
    return run


def test_capture_on_stale_evidence_is_refused_then_captured_anyway_with_a_note(client, world):
    profile = f.profile(world.a)
    _stale_sync(world.a1)
    client.force_login(world.owner)
    target = url(world, "baseline-capture", profile_id=profile.pk)
    response = client.post(target, {"source_environment": world.a1.pk})
    assert response.status_code == 400
    body = response.content.decode()
    assert "older than 24 hour(s)" in body and "Capture anyway" in body
    assert not OperationRun.objects.filter(type=OperationType.BASELINE_CAPTURE).exists()
    # Anyway, without a note: the note field is named, nothing started.
    response = client.post(target, {"source_environment": world.a1.pk, "force": "1", "note": " "})
    assert response.status_code == 400
    assert "needs a note" in response.content.decode()
    assert not OperationRun.objects.filter(type=OperationType.BASELINE_CAPTURE).exists()
    # Anyway, with a note: queued, audited as captured anyway.
    response = client.post(target, {"source_environment": world.a1.pk, "force": "1", "note": "Golden is frozen."})
    assert response.status_code == 302
    run = OperationRun.objects.get(type=OperationType.BASELINE_CAPTURE)
    assert run.context["force"] is True and run.environment_id == world.a1.pk
    audit = AuditLog.objects.get(action=AuditAction.BASELINE_CAPTURE_REQUESTED)
    assert audit.metadata["captured_anyway"] is True
    assert "Golden is frozen." not in json.dumps(audit.metadata)


def test_capture_without_any_inventory_offers_no_capture_anyway(client, world):
    profile = f.profile(world.a)
    client.force_login(world.owner)
    response = client.post(url(world, "baseline-capture", profile_id=profile.pk), {"source_environment": world.a1.pk})
    assert response.status_code == 400
    body = response.content.decode()
    assert "no inventory yet" in body and "Capture anyway" not in body


def test_capture_source_is_limited_to_visible_environments(client, world):
    profile = f.profile(world.a)
    f.completed_run(world.a1)
    client.force_login(restricted_member(world, Role.MANAGER))
    response = client.post(url(world, "baseline-capture", profile_id=profile.pk), {"source_environment": world.a1.pk})
    assert response.status_code == 400
    assert "Alpha One" not in response.content.decode()
    assert not OperationRun.objects.filter(type=OperationType.BASELINE_CAPTURE).exists()


# --------------------------------------------------------------------------------------------
# Assignments and compare


def test_assign_offers_only_visible_unassigned_environments(client, world):
    profile = f.profile(world.a)
    f.assign(profile, world.a2)
    extra = EnvironmentFactory(workspace=world.a, display_name="Alpha Three")
    client.force_login(world.owner)
    body = client.get(url(world, "baseline-assign", profile_id=profile.pk)).content.decode()
    assert f'value="{world.a1.pk}"' in body and f'value="{extra.pk}"' in body
    assert f'<option value="{world.a2.pk}"' not in body
    response = client.post(url(world, "baseline-assign", profile_id=profile.pk), {"environment": world.a2.pk})
    assert response.status_code == 400
    assert BaselineAssignment.objects.filter(profile=profile).count() == 1


def test_compare_all_starts_one_run_per_visible_assigned_environment(client, world):
    built = build_profile(world.a, world.a1, [world.a1, world.a2])
    client.force_login(restricted_member(world, Role.OPERATOR))
    response = client.post(url(world, "baseline-compare-all", profile_id=built.profile.pk))
    assert response.status_code == 302
    runs = OperationRun.objects.filter(type=OperationType.BASELINE_COMPARE)
    assert [r.environment_id for r in runs] == [world.a2.pk]
    # Again: deduped, no second run.
    client.post(url(world, "baseline-compare-all", profile_id=built.profile.pk))
    assert OperationRun.objects.filter(type=OperationType.BASELINE_COMPARE).count() == 1
    overview = client.get(url(world, "baseline-profile", profile_id=built.profile.pk)).content.decode()
    assert f"Comparing… (run #{runs[0].pk})" in overview


def test_compare_without_a_snapshot_says_why(client, world):
    profile = f.profile(world.a)
    f.assign(profile, world.a1)
    client.force_login(world.owner)
    response = client.post(
        url(world, "baseline-compare", profile_id=profile.pk, environment_id=world.a1.pk), follow=True
    )
    assert "no snapshot yet" in response.content.decode()
    assert not OperationRun.objects.filter(type=OperationType.BASELINE_COMPARE).exists()


def test_compare_is_post_only(client, world):
    built = build_profile(world.a, world.a1, [world.a1])
    client.force_login(world.owner)
    response = client.get(url(world, "baseline-compare", profile_id=built.profile.pk, environment_id=world.a1.pk))
    assert response.status_code == 405


# --------------------------------------------------------------------------------------------
# Snapshots


def test_snapshot_detail_lists_items_and_hides_a_source_the_member_cannot_see(client, world):
    built = build_profile(world.a, world.a1, [world.a2], subjects=5)
    client.force_login(world.owner)
    target = url(world, "baseline-snapshot", profile_id=built.profile.pk, snapshot_id=built.snapshot.pk)
    body = client.get(target).content.decode()
    assert body.count("<code>obj-") == 5 and "Alpha One" in body
    client.force_login(restricted_member(world, Role.READONLY))
    body = client.get(target).content.decode()
    assert body.count("<code>obj-") == 5 and "Alpha One" not in body
    assert f"/environments/{world.a1.pk}/" not in body
    assert client.get(target, {"type": "nonsense"}).status_code == 400


# --------------------------------------------------------------------------------------------
# Export


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_download_round_trips(client, world, fmt):
    built = build_profile(world.a, world.a1, [world.a1], subjects=6)
    result = built.results[world.a1.pk]
    client.force_login(world.members[Role.READONLY])
    response = client.get(
        url(world, "baseline-export", profile_id=built.profile.pk, environment_id=world.a1.pk), {"format": fmt}
    )
    assert response.status_code == 200
    assert f"compare-{built.profile.pk}-{world.a1.pk}-{result.pk}.{fmt}" in response["Content-Disposition"]
    text = response.content.decode()
    rows = rows_from_csv(text) if fmt == "csv" else json.loads(text)["rows"]
    assert rows == export_rows(result)
    assert len(rows) == 6 and list(rows[0]) == list(COLUMNS)
    drift = next(r for r in rows if r["outcome"] == "drift")
    assert drift["changes"] == [{"path": DRIFT_PATH, "baseline": "All Staff", "target": "Contractors"}]


def test_export_bad_format_is_a_400_naming_the_field(client, world):
    built = build_profile(world.a, world.a1, [world.a1])
    client.force_login(world.owner)
    response = client.get(
        url(world, "baseline-export", profile_id=built.profile.pk, environment_id=world.a1.pk), {"format": "xml"}
    )
    assert response.status_code == 400 and response.content.decode().startswith("format:")


# --------------------------------------------------------------------------------------------
# Navigation and the environment page


def test_navigation_and_environment_page_link_to_baselines(client, world):
    built = build_profile(world.a, world.a1, [world.a1])
    client.force_login(world.members[Role.READONLY])
    body = client.get(url(world, "environment-detail", environment_id=world.a1.pk)).content.decode()
    assert url(world, "baseline-profiles") in body
    assert "Baseline drift" in body and built.profile.name in body
    assert url(world, "baseline-result", profile_id=built.profile.pk, environment_id=world.a1.pk) in body
    assert 'data-state="attention"' in body


# --------------------------------------------------------------------------------------------
# Query budgets at 10,000 subjects


def _count(client: Any, target: str, params: dict[str, str] | None = None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(target, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_overview_and_result_pages_run_a_constant_number_of_queries(client, world, settings):
    settings.TENANTPILOT_PAGE_SIZE = 50
    client.force_login(world.owner)
    small = build_profile(world.a, world.a1, [world.a1, world.a2], subjects=4)
    extra = [EnvironmentFactory(workspace=world.a) for _ in range(4)]
    large = build_profile(world.a, world.a1, [world.a1, world.a2, *extra], subjects=10_000)
    assert BaselineCompareItem.objects.filter(result__profile=large.profile).count() == 60_000

    def overview(b: Built) -> int:
        return _count(client, url(world, "baseline-profile", profile_id=b.profile.pk))

    def result(b: Built, params: dict[str, str] | None = None) -> int:
        return _count(
            client, url(world, "baseline-result", profile_id=b.profile.pk, environment_id=world.a1.pk), params
        )

    def subject(b: Built) -> int:
        return _count(client, url(world, "baseline-subject", profile_id=b.profile.pk), {"key": f"policy:{TYPE}:obj-0"})

    assert overview(small) == overview(large) <= 15
    assert result(small) == result(large) <= 20
    assert result(small, {"outcome": "match"}) == result(large, {"outcome": "match"})
    assert subject(small) == subject(large) <= 15


# --------------------------------------------------------------------------------------------
# On a real compare of the simulator's drifted tenant


def test_result_page_of_a_real_compare_shows_every_drift_by_name(client, world, graph_settings, settings):
    from tests.baselines.support import captured_profile, compared, contoso, fabrikam, synced

    settings.TENANTPILOT_PAGE_SIZE = 500
    golden, drifted = synced(contoso(world)), synced(fabrikam(world))
    profile = captured_profile(world, golden)
    _run, result = compared(world, profile, drifted)
    client.force_login(world.owner)
    target = url(world, "baseline-result", profile_id=profile.pk, environment_id=drifted.pk)
    body = client.get(target, {"outcome": "drift"}).content.decode()
    drifts = list(BaselineCompareItem.objects.filter(result=result, outcome="drift"))
    assert drifts and body.count("<tr data-item=") == len(drifts)
    for item in drifts:
        for change in item.changes:
            assert f"<code>{change['path']}</code>" in body
            for side in ("baseline", "target"):
                shown = change[side] if isinstance(change[side], str) else json.dumps(change[side], sort_keys=True)
                assert f"<pre>{shown}</pre>" in body
    overview = client.get(url(world, "baseline-profile", profile_id=profile.pk)).content.decode()
    assert f'data-outcome="drift"><a href="{target}?outcome=drift">{len(drifts)}</a>' in overview
