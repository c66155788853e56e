"""The pure compare core: resolution order, outcomes, field diffs — on hand-made and shipped tenants."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphsim
from graphsim.tenants import TenantState, load_tenant
from tenantpilot.baselines.compare import (
    ActiveBinding,
    BaselineSubject,
    CompareInput,
    FieldChange,
    Outcome,
    Reason,
    SubjectResult,
    TargetResource,
    compare,
    diff,
    match_key_for,
)
from tenantpilot.baselines.normalize import ReferenceNames, content_hash, normalize_for_compare
from tenantpilot.resources.adapters.microsoft import MicrosoftAdapter

FIXTURES = Path(graphsim.__file__).parent / "fixtures"
DC = "deviceConfigurations"
TAGS = "roleScopeTags"
GOVERNED = frozenset({DC, "deviceCompliancePolicies", TAGS})
_ids = itertools.count(1)


def guid(n: int) -> str:
    return f"{n:08x}-0000-4000-8000-000000000000"


def subject(
    name: str,
    content: dict[str, Any] | None = None,
    *,
    ptype: str = DC,
    source_id: str | None = None,
    canonical: str | None = None,
    match: bool = True,
) -> BaselineSubject:
    normalized = content if content is not None else {"passwordMinimumLength": 12}
    source_id = source_id or guid(next(_ids))
    return BaselineSubject(
        subject_id=next(_ids),
        policy_type=ptype,
        subject_class="policy",
        canonical_key=canonical or f"provider:microsoft:policy:{ptype}:{source_id}",
        match_key=match_key_for(name) if match else None,
        source_object_id=source_id,
        display_label=name,
        normalized=normalized,
        content_hash=content_hash(normalized),
    )


def resource(
    name: str,
    content: dict[str, Any] | None = None,
    *,
    ptype: str = DC,
    object_id: str | None = None,
    canonical: str | None = None,
    builtin: bool = False,
) -> TargetResource:
    normalized = content if content is not None else {"passwordMinimumLength": 12}
    object_id = object_id or guid(next(_ids))
    return TargetResource(
        item_id=next(_ids),
        policy_type=ptype,
        provider_object_id=object_id,
        canonical_key=canonical or f"provider:microsoft:policy:{ptype}:{object_id}",
        match_key=None if builtin else match_key_for(name),
        display_label=name,
        normalized=normalized,
        content_hash=content_hash(normalized),
        is_builtin=builtin,
    )


def binding(key: str, mode: str, resource_id: str | None = None, fingerprint: str | None = None) -> ActiveBinding:
    return ActiveBinding(
        binding_id=next(_ids),
        canonical_key=key,
        resolution_mode=mode,
        provider_resource_id=resource_id,
        accepted_fingerprint=fingerprint,
    )


def run(
    subjects: list[BaselineSubject],
    resources: list[TargetResource],
    bindings: list[ActiveBinding] = (),  # type: ignore[assignment]
    **kwargs: Any,
) -> list[SubjectResult]:
    return compare(
        CompareInput(
            subjects=subjects,
            resources=resources,
            bindings={b.canonical_key: b for b in bindings},
            governed_types=kwargs.pop("governed_types", GOVERNED),
            **kwargs,
        )
    )


def by_subject(results: list[SubjectResult], s: BaselineSubject) -> SubjectResult:
    (found,) = [r for r in results if r.subject is s]
    return found


def unexpected(results: list[SubjectResult]) -> list[str]:
    return [r.target.display_label for r in results if r.subject is None and r.target is not None]


# -- match_key_for ------------------------------------------------------------------------------


def test_match_key_casefolds_and_collapses_whitespace() -> None:
    assert match_key_for("  WIN -   Compliance\t") == match_key_for("win - compliance") == "win - compliance"
    assert match_key_for("Straße") == match_key_for("STRASSE")
    assert match_key_for("WIN - Compliance") != match_key_for("WIN - Compliance 2")


# -- diff ---------------------------------------------------------------------------------------


def test_diff_names_settings_and_assignments_by_their_labels() -> None:
    def policy(pua: str, group: str) -> dict[str, Any]:
        return {
            "settings": [
                {"settingInstance": {"settingDefinitionId": "defender_cloud", "value": "on"}},
                {"settingInstance": {"settingDefinitionId": "defender_pua", "value": pua}},
            ],
            "assignments": [{"target": {"groupId": group}, "intent": "apply"}],
        }

    changes = diff(policy("pua_1", "group:SG-Pilot"), policy("pua_0", "group:SG-Other"))
    assert changes == [
        FieldChange(
            "assignments[group:SG-Pilot include]", {"target": {"groupId": "group:SG-Pilot"}, "intent": "apply"}, None
        ),
        FieldChange(
            "assignments[group:SG-Other include]", None, {"target": {"groupId": "group:SG-Other"}, "intent": "apply"}
        ),
        FieldChange("settings[defender_pua].settingInstance.value", "pua_1", "pua_0"),
    ]


def test_diff_reports_a_missing_key_with_none_and_a_type_change_as_one_change() -> None:
    assert diff({"a": 1, "b": {"c": [1]}}, {"b": {"c": {"x": 1}}, "d": False}) == [
        FieldChange("a", 1, None),
        FieldChange("b.c", [1], {"x": 1}),
        FieldChange("d", None, False),
    ]


def test_diff_tells_bool_from_int_and_int_from_float_like_the_hash_does() -> None:
    assert diff({"v": True}, {"v": 1}) == [FieldChange("v", True, 1)]
    assert diff({"v": 1}, {"v": 1.0}) == [FieldChange("v", 1, 1.0)]
    assert diff({"v": 0.0}, {"v": -0.0}) == [FieldChange("v", 0.0, -0.0)]


def test_diff_of_unlabeled_lists_goes_by_index_and_reports_extra_items() -> None:
    assert diff({"l": [1, 2]}, {"l": [1, 3, 4]}) == [FieldChange("l[1]", 2, 3), FieldChange("l[2]", None, 4)]


def test_diff_of_repeated_labels_numbers_them() -> None:
    a = {
        "scheduledActionConfigurations": [
            {"actionType": "notification", "h": 1},
            {"actionType": "notification", "h": 2},
        ]
    }
    b = {
        "scheduledActionConfigurations": [
            {"actionType": "notification", "h": 1},
            {"actionType": "notification", "h": 3},
        ]
    }
    assert diff(a, b) == [FieldChange("scheduledActionConfigurations[notification#2].h", 2, 3)]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([0.0, -0.0, 1.0, 2.5])
    | st.sampled_from(["a", "b", "0"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "roleScopeTagIds",
                    "settings",
                    "actionType",
                    "scheduledActionConfigurations",
                    "settingDefinitionId",
                    "x",
                ]
            ),
            inner,
            max_size=3,
        )
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(json_values, json_values)
def test_diff_is_empty_exactly_when_the_content_hashes_are_equal(a: Any, b: Any) -> None:
    assert (diff(a, b) == []) == (content_hash(a) == content_hash(b))


# -- resolution rules ---------------------------------------------------------------------------


def test_exact_identity_in_the_same_tenant_wins_and_asks_to_be_recorded() -> None:
    s = subject("WIN - Restrictions")
    same_object = resource("WIN - Restrictions (renamed)", object_id=s.source_object_id)
    name_twin = resource("WIN - Restrictions")
    results = run([s], [name_twin, same_object], source_tenant_id="t1", target_tenant_id="t1")
    r = by_subject(results, s)
    assert (r.outcome, r.reason, r.target, r.record_identity, r.renamed) == (
        Outcome.MATCH,
        Reason.EXACT_IDENTITY,
        same_object,
        True,
        True,
    )
    assert unexpected(results) == ["WIN - Restrictions"]


def test_small_integer_ids_are_never_identity_across_tenants() -> None:
    # Scope tag "1" is EMEA in one tenant and APAC in another.
    emea = subject("EMEA", {"description": "EMEA"}, ptype=TAGS, source_id="1")
    apac = resource("APAC", {"description": "APAC"}, ptype=TAGS, object_id="1")
    emea_there = resource("EMEA", {"description": "EMEA"}, ptype=TAGS, object_id="2")
    for tenants in ({}, {"source_tenant_id": "a", "target_tenant_id": "b"}):
        results = run([emea], [apac, emea_there], **tenants)
        r = by_subject(results, emea)
        assert (r.outcome, r.reason, r.target) == (Outcome.MATCH, Reason.SUBJECT_KEY, emea_there)
        assert unexpected(results) == ["APAC"]
    same = by_subject(run([emea], [apac, emea_there], source_tenant_id="a", target_tenant_id="a"), emea)
    assert (same.reason, same.target, same.outcome) == (Reason.EXACT_IDENTITY, apac, Outcome.DRIFT)


def test_canonical_builtins_match_by_canonical_key_whatever_their_ids_and_labels() -> None:
    key = "provider:microsoft:builtin:deviceEnrollmentConfigurations/DefaultLimit"
    content = {"limit": 5, "priority": 0}
    s = subject(
        "All users and all devices",
        content,
        ptype="deviceEnrollmentConfigurations",
        source_id="aaaaaaaa-0000-4000-8000-000000000001_DefaultLimit",
        canonical=key,
        match=False,
    )
    builtin = resource(
        "All users and all devices",
        content,
        ptype="deviceEnrollmentConfigurations",
        object_id="bbbbbbbb-0000-4000-8000-000000000002_DefaultLimit",
        canonical=key,
        builtin=True,
    )
    custom_same_name = resource(
        "All users and all devices", {"limit": 3, "priority": 2}, ptype="deviceEnrollmentConfigurations"
    )
    results = run([s], [custom_same_name, builtin], governed_types=frozenset({"deviceEnrollmentConfigurations"}))
    r = by_subject(results, s)
    assert (r.outcome, r.reason, r.target, r.record_identity) == (Outcome.MATCH, Reason.CANONICAL_RULE, builtin, True)
    assert unexpected(results) == ["All users and all devices"]  # the custom one, never the built-in
    assert [x.target for x in results if x.subject is None] == [custom_same_name]


def test_a_builtin_not_in_the_baseline_is_never_unexpected() -> None:
    tag = resource(
        "Default", ptype=TAGS, object_id="0", canonical="provider:microsoft:builtin:roleScopeTags/0", builtin=True
    )
    assert run([], [tag]) == []


def test_a_builtin_that_changed_is_real_drift() -> None:
    key = "provider:microsoft:builtin:deviceEnrollmentConfigurations/DefaultLimit"
    s = subject("All users and all devices", {"limit": 5}, canonical=key, match=False)
    target = resource("All users and all devices", {"limit": 15}, canonical=key, builtin=True)
    r = by_subject(run([s], [target]), s)
    assert (r.outcome, r.changes) == (Outcome.DRIFT, (FieldChange("limit", 5, 15),))


def test_several_name_candidates_are_ambiguous_and_all_listed_never_guessed() -> None:
    s = subject("WIN - Compliance")
    one, two = resource("WIN - Compliance"), resource("win -  compliance")
    results = run([s], [two, one])
    r = by_subject(results, s)
    assert (r.outcome, r.reason, r.target) == (Outcome.AMBIGUOUS_MATCH, Reason.SEVERAL_CANDIDATES, None)
    assert set(r.candidates) == {one, two}
    assert unexpected(results) == []  # accounted for by the ambiguous row


def test_two_baseline_subjects_with_one_name_never_share_a_candidate() -> None:
    a, b = subject("Kiosk"), subject("Kiosk")
    only = resource("Kiosk")
    results = run([a, b], [only])
    assert [r.outcome for r in results] == [Outcome.AMBIGUOUS_MATCH, Outcome.AMBIGUOUS_MATCH]
    assert results[0].candidates == (only,)
    assert results[0].extra["competing_subject_ids"] == [a.subject_id, b.subject_id]


def test_a_resource_taken_by_identity_is_no_name_candidate_for_another_subject() -> None:
    by_id = subject("Old name")
    by_name = subject("Shared name")
    target = resource("Shared name", object_id=by_id.source_object_id)
    results = run([by_name, by_id], [target], source_tenant_id="t", target_tenant_id="t")
    assert by_subject(results, by_id).reason is Reason.EXACT_IDENTITY
    assert (by_subject(results, by_name).outcome, by_subject(results, by_name).reason) == (
        Outcome.MISSING,
        Reason.NO_CANDIDATE,
    )


def test_no_candidate_is_missing_and_a_subject_without_match_key_is_never_matched_by_name() -> None:
    s = subject("All devices", match=False)
    results = run([s], [resource("All devices")])
    assert (results[0].outcome, results[0].reason) == (Outcome.MISSING, Reason.NO_CANDIDATE)
    assert unexpected(results) == ["All devices"]


def test_match_and_drift_by_subject_key_with_field_changes() -> None:
    same, changed = subject("A", {"v": 1}), subject("B", {"v": 1, "w": "x"})
    results = run([same, changed], [resource("a", {"v": 1}), resource("b", {"v": 2, "w": "x"})])
    assert [(r.outcome, r.reason, r.renamed) for r in results] == [
        (Outcome.MATCH, Reason.SUBJECT_KEY, False),
        (Outcome.DRIFT, Reason.SUBJECT_KEY, False),
    ]
    assert results[1].changes == (FieldChange("v", 1, 2),)


# -- bindings -----------------------------------------------------------------------------------


def test_a_binding_takes_precedence_over_name_matching_and_follows_a_rename() -> None:
    s = subject("WIN - Device restrictions", {"v": 1})
    name_twin = resource("WIN - Device restrictions", {"v": 1})
    bound = resource("Windows - Device Restrictions (v2)", {"v": 2})
    b = binding(s.canonical_key, "manual_binding", bound.provider_object_id)
    results = run([s], [name_twin, bound], [b])
    r = by_subject(results, s)
    assert (r.outcome, r.reason, r.target, r.binding_id, r.binding_mode) == (
        Outcome.DRIFT,
        Reason.BINDING,
        bound,
        b.binding_id,
        "manual_binding",
    )
    assert r.renamed and not r.record_identity
    assert r.changes == (FieldChange("v", 1, 2),)
    assert unexpected(results) == ["WIN - Device restrictions"]
    # Without the binding (revoked), the earlier outcome comes back.
    again = by_subject(run([s], [name_twin, bound]), s)
    assert (again.outcome, again.reason, again.target) == (Outcome.MATCH, Reason.SUBJECT_KEY, name_twin)


def test_a_bound_resource_that_is_gone_is_missing_with_that_reason_or_unknown_on_incomplete_evidence() -> None:
    s = subject("A")
    b = binding(s.canonical_key, "exact_provider_identity", guid(999_999))
    r = by_subject(run([s], [resource("A")], [b]), s)
    assert (r.outcome, r.reason, r.binding_id) == (Outcome.MISSING, Reason.BOUND_RESOURCE_GONE, b.binding_id)
    r = by_subject(run([s], [], [b], incomplete_types=frozenset({DC})), s)
    assert (r.outcome, r.reason) == (Outcome.UNKNOWN, Reason.INCOMPLETE_EVIDENCE)


@pytest.mark.parametrize(
    ("mode", "outcome"),
    [
        ("excluded_non_governed", Outcome.EXCLUDED),
        ("unsupported_coverage", Outcome.UNSUPPORTED),
        ("missing_expected", Outcome.MISSING_EXPECTED),
    ],
)
def test_decision_bindings_decide_the_outcome(mode: str, outcome: Outcome) -> None:
    s = subject("A")
    target = resource("A")
    b = binding(s.canonical_key, mode, target.provider_object_id if mode != "missing_expected" else None)
    results = run([s], [target], [b])
    r = by_subject(results, s)
    assert (r.outcome, r.reason, r.binding_mode) == (outcome, Reason.BINDING, mode)
    if mode != "missing_expected":
        assert r.target == target and unexpected(results) == []


def test_accepted_limitation_holds_while_the_fingerprint_is_unchanged() -> None:
    s = subject("A", {"v": 1})
    target = resource("A", {"v": 2})
    accepted = binding(s.canonical_key, "accepted_limitation", target.provider_object_id, target.content_hash)
    r = by_subject(run([s], [target], [accepted]), s)
    assert (r.outcome, r.reason, r.changed_since_accepted, r.target) == (
        Outcome.ACCEPTED_LIMITATION,
        Reason.BINDING,
        False,
        target,
    )


def test_accepted_limitation_that_changed_afterwards_is_drift_again() -> None:
    s = subject("A", {"v": 1})
    accepted_state = {"v": 2}
    now = resource("A", {"v": 3})
    b = binding(s.canonical_key, "accepted_limitation", now.provider_object_id, content_hash(accepted_state))
    r = by_subject(run([s], [now], [b]), s)
    assert (r.outcome, r.changed_since_accepted, r.changes) == (Outcome.DRIFT, True, (FieldChange("v", 1, 3),))
    # Back in line with the baseline: a match, still flagged so the operator can retire the limitation.
    back = resource("A", {"v": 1}, object_id=now.provider_object_id)
    r = by_subject(run([s], [back], [b]), s)
    assert (r.outcome, r.changed_since_accepted) == (Outcome.MATCH, True)


def test_accepted_limitation_without_a_bound_resource_resolves_by_name_and_checks_the_fingerprint() -> None:
    s = subject("A", {"v": 1})
    target = resource("A", {"v": 2})
    ok = by_subject(run([s], [target], [binding(s.canonical_key, "accepted_limitation", None, target.content_hash)]), s)
    changed = by_subject(run([s], [target], [binding(s.canonical_key, "accepted_limitation", None, "0" * 64)]), s)
    absent = by_subject(run([s], [], [binding(s.canonical_key, "accepted_limitation")]), s)
    assert (ok.outcome, ok.target) == (Outcome.ACCEPTED_LIMITATION, target)
    assert (changed.outcome, changed.changed_since_accepted) == (Outcome.DRIFT, True)
    assert absent.outcome is Outcome.ACCEPTED_LIMITATION  # an accepted absence stays accepted
    assert not ok.record_identity and not changed.record_identity


def test_bindings_on_a_resources_own_key_exclude_or_accept_an_unexpected_resource() -> None:
    extra = resource("Legacy kiosk", {"v": 1})
    other = resource("Another", {"v": 1})
    accepted = resource("Accepted", {"v": 1})
    results = run(
        [],
        [extra, other, accepted],
        [
            binding(extra.canonical_key, "excluded_non_governed", extra.provider_object_id),
            binding(accepted.canonical_key, "accepted_limitation", accepted.provider_object_id, "f" * 64),
        ],
    )
    outcomes = {r.target.display_label: (r.outcome, r.changed_since_accepted) for r in results if r.target}
    assert outcomes == {
        "Legacy kiosk": (Outcome.EXCLUDED, False),
        "Another": (Outcome.UNEXPECTED, False),
        "Accepted": (Outcome.UNEXPECTED, True),  # the accepted fingerprint no longer holds
    }


# -- incomplete evidence ------------------------------------------------------------------------


def test_incomplete_types_give_unknown_never_missing_and_no_unexpected() -> None:
    gone = subject("Gone")
    by_name = subject("By name")
    by_id = subject("By id")
    complete = subject("Complete", ptype="deviceCompliancePolicies")
    targets = [resource("By name"), resource("Stray"), resource("By id", object_id=by_id.source_object_id)]
    results = run(
        [gone, by_name, by_id, complete],
        targets,
        incomplete_types=frozenset({DC}),
        source_tenant_id="t",
        target_tenant_id="t",
    )
    assert [(r.outcome, r.reason) for r in results] == [
        (Outcome.UNKNOWN, Reason.INCOMPLETE_EVIDENCE),
        (Outcome.UNKNOWN, Reason.INCOMPLETE_EVIDENCE),
        (Outcome.MATCH, Reason.EXACT_IDENTITY),
        (Outcome.MISSING, Reason.NO_CANDIDATE),
    ]


def test_types_outside_the_governed_set_are_never_unexpected() -> None:
    assert run([], [resource("Stray")], governed_types=frozenset({"deviceCompliancePolicies"})) == []


def test_results_keep_subject_order_then_unexpected_by_type_and_object_id() -> None:
    s1, s2 = subject("B"), subject("A")
    extras = [
        resource("z", ptype="deviceCompliancePolicies", object_id=guid(5)),
        resource("y", object_id=guid(9)),
        resource("x", object_id=guid(7)),
    ]
    results = run([s1, s2], extras)
    assert [r.subject for r in results[:2]] == [s1, s2]
    assert [r.target.provider_object_id for r in results[2:] if r.target] == [guid(5), guid(7), guid(9)]
    assert results == run([s1, s2], extras)


# -- the shipped simulator tenants, end to end through the pure core ----------------------------

ADAPTER = MicrosoftAdapter()
SHIPPED_TYPES = frozenset(
    {
        "deviceConfigurations",
        "deviceCompliancePolicies",
        "configurationPolicies",
        "groupPolicyConfigurations",
        "deviceEnrollmentConfigurations",
        "iosManagedAppProtections",
        "androidManagedAppProtections",
        "roleScopeTags",
        "assignmentFilters",
    }
)


def shipped(name: str) -> tuple[str, list[dict[str, Any]]]:
    """One shipped tenant's governed items, classified by the adapter and normalized with its own references."""
    state = TenantState(load_tenant(FIXTURES / name))
    c = state.collections
    refs = ReferenceNames(
        groups={g["id"]: g["displayName"] for g in c["groups"]},
        filters={f["id"]: f["displayName"] for f in c["deviceManagement/assignmentFilters"]},
        scope_tags={t["id"]: t["displayName"] for t in c["deviceManagement/roleScopeTags"]},
    )
    rows = []
    for key, items in c.items():
        ptype = key.rsplit("/", 1)[-1]
        if ptype not in SHIPPED_TYPES:
            continue
        for item in items:
            described = ADAPTER.describe(ptype, item)
            normalized = normalize_for_compare(ptype, item, refs)
            builtin = described.identity.is_builtin or described.identity.is_virtual
            rows.append(
                {
                    "ptype": ptype,
                    "id": item["id"],
                    "class": str(described.subject_class),
                    "key": str(described.canonical_key),
                    "label": described.display_label or "",
                    "match": None if builtin else match_key_for(described.display_label or ""),
                    "normalized": normalized,
                    "builtin": builtin,
                }
            )
    return state.tenant_id, rows


def shipped_compare(target: str, bindings: list[ActiveBinding] = ()) -> list[SubjectResult]:  # type: ignore[assignment]
    golden_tenant, golden_rows = shipped("golden.json")
    target_tenant, target_rows = shipped(target)
    subjects = [
        BaselineSubject(
            i,
            r["ptype"],
            r["class"],
            r["key"],
            r["match"],
            r["id"],
            r["label"],
            r["normalized"],
            content_hash(r["normalized"]),
        )
        for i, r in enumerate(golden_rows, 1)
    ]
    resources = [
        TargetResource(
            i,
            r["ptype"],
            r["id"],
            r["key"],
            r["match"],
            r["label"],
            r["normalized"],
            content_hash(r["normalized"]),
            r["builtin"],
        )
        for i, r in enumerate(target_rows, 1)
    ]
    return compare(
        CompareInput(
            subjects,
            resources,
            {b.canonical_key: b for b in bindings},
            SHIPPED_TYPES,
            source_tenant_id=golden_tenant,
            target_tenant_id=target_tenant,
        )
    )


def summary(results: list[SubjectResult]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in results:
        if r.outcome is not Outcome.MATCH:
            label = r.subject.display_label if r.subject else r.target.display_label  # type: ignore[union-attr]
            out.setdefault(str(r.outcome), []).append(label)
    return out


def test_the_golden_tenant_against_itself_matches_everything_by_exact_identity() -> None:
    results = shipped_compare("golden.json")
    assert {r.outcome for r in results} == {Outcome.MATCH}
    assert {r.reason for r in results} == {Reason.EXACT_IDENTITY}


def test_the_drifted_tenant_shows_exactly_its_seeded_drifts() -> None:
    results = shipped_compare("drifted.json")
    assert summary(results) == {
        "drift": ["WIN - Device restrictions", "WIN - Compliance", "WIN - Defender antivirus"],
        "missing": ["IOS - Device restrictions"],
        "unexpected": ["WIN - Legacy kiosk restrictions"],
    }
    builtins = [r for r in results if r.subject and r.reason is Reason.CANONICAL_RULE]
    assert {r.subject.display_label for r in builtins} == {"All users and all devices", "Default"}  # type: ignore[union-attr]
    assert len(builtins) == 6 and {r.outcome for r in builtins} == {Outcome.MATCH}
    drifts = {r.subject.display_label: [c.path for c in r.changes] for r in results if r.outcome is Outcome.DRIFT}  # type: ignore[union-attr]
    assert drifts["WIN - Defender antivirus"] == [
        "settings[device_vendor_msft_policy_config_defender_puaprotection].settingInstance.choiceSettingValue.value"
    ]


def test_the_duplicates_tenant_is_ambiguous_until_bound_then_matches() -> None:
    results = shipped_compare("duplicates.json")
    ambiguous = [r for r in results if r.outcome is Outcome.AMBIGUOUS_MATCH]
    assert sorted(r.subject.display_label for r in ambiguous) == [  # type: ignore[union-attr]
        "WIN - Compliance",
        "WIN - Device restrictions",
        "WIN - Logon banner",
    ]
    assert all(len(r.candidates) == 2 for r in ambiguous)
    assert Outcome.MISSING not in {r.outcome for r in results}
    # The custom enrollment configuration named like the built-ins is unexpected, never a built-in match.
    assert summary(results).get("unexpected") == ["All users and all devices"]

    chosen = {r.subject.canonical_key: r.candidates[0] for r in ambiguous}  # type: ignore[union-attr]
    bound = shipped_compare(
        "duplicates.json", [binding(key, "manual_binding", c.provider_object_id) for key, c in chosen.items()]
    )
    rebound = [r for r in bound if r.subject and r.subject.canonical_key in chosen]
    assert {(r.outcome, r.reason) for r in rebound} <= {
        (Outcome.MATCH, Reason.BINDING),
        (Outcome.DRIFT, Reason.BINDING),
    }
    assert [r.target for r in rebound] == list(chosen.values())
    # The other twins are now simply not in the baseline.
    assert Counter(r.outcome for r in bound if r.subject is None)[Outcome.UNEXPECTED] == 4


def test_the_renamed_tenant_is_missing_plus_unexpected_until_bound_by_identity_then_a_renamed_match() -> None:
    results = shipped_compare("renamed")
    missing = [r for r in results if r.outcome is Outcome.MISSING]
    extra = [r for r in results if r.outcome is Outcome.UNEXPECTED]
    assert missing and len(missing) == len(extra)

    _, target_rows = shipped("renamed")
    by_label = {r["label"]: r for r in target_rows}
    renames = {
        m.subject.canonical_key: next(r for r in extra if r.target.normalized == m.subject.normalized).target  # type: ignore[union-attr]
        for m in missing
    }
    assert all(t.display_label in by_label for t in renames.values())
    bound = shipped_compare(
        "renamed", [binding(key, "exact_provider_identity", t.provider_object_id) for key, t in renames.items()]
    )
    followed = [r for r in bound if r.subject and r.subject.canonical_key in renames]
    assert {(r.outcome, r.reason, r.renamed) for r in followed} == {(Outcome.MATCH, Reason.BINDING, True)}
    assert not [r for r in bound if r.outcome in (Outcome.MISSING, Outcome.UNEXPECTED)]


def test_accepted_then_changed_on_the_drifted_tenant_shows_drift_again() -> None:
    first = shipped_compare("drifted.json")
    (drift,) = [r for r in first if r.subject and r.subject.display_label == "WIN - Compliance"]
    assert drift.target is not None and drift.subject is not None
    accept_now = binding(
        drift.subject.canonical_key, "accepted_limitation", drift.target.provider_object_id, drift.target.content_hash
    )
    (accepted,) = [
        r
        for r in shipped_compare("drifted.json", [accept_now])
        if r.subject is drift.subject or (r.subject and r.subject.canonical_key == drift.subject.canonical_key)
    ]
    assert accepted.outcome is Outcome.ACCEPTED_LIMITATION
    accepted_earlier = binding(
        drift.subject.canonical_key,
        "accepted_limitation",
        drift.target.provider_object_id,
        content_hash({"bitLockerEnabled": "some earlier state"}),
    )
    (again,) = [
        r
        for r in shipped_compare("drifted.json", [accepted_earlier])
        if r.subject and r.subject.canonical_key == drift.subject.canonical_key
    ]
    assert (again.outcome, again.changed_since_accepted) == (Outcome.DRIFT, True)
    assert [c.path for c in again.changes] == ["bitLockerEnabled"]


def test_exact_identity_applies_to_guid_ids_when_the_tenants_are_not_given() -> None:
    s = subject("A")
    same_object = resource("A renamed", object_id=s.source_object_id)
    r = by_subject(run([s], [same_object]), s)
    assert (r.reason, r.target, r.record_identity) == (Reason.EXACT_IDENTITY, same_object, True)
    across = by_subject(run([s], [same_object], source_tenant_id="a", target_tenant_id="b"), s)
    assert (across.outcome, across.reason) == (Outcome.MISSING, Reason.NO_CANDIDATE)


def test_an_accepted_state_that_disappeared_is_missing_and_flagged() -> None:
    s = subject("A", {"v": 1})
    b = binding(s.canonical_key, "accepted_limitation", guid(888_888), content_hash({"v": 2}))
    r = by_subject(run([s], [], [b]), s)
    assert (r.outcome, r.reason, r.changed_since_accepted, r.binding_id) == (
        Outcome.MISSING,
        Reason.BINDING,
        True,
        b.binding_id,
    )
    r = by_subject(run([s], [], [b], incomplete_types=frozenset({DC})), s)
    assert (r.outcome, r.reason) == (Outcome.UNKNOWN, Reason.INCOMPLETE_EVIDENCE)
