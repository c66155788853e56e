"""Every baseline console route passes the authorization matrix (tests/support/matrix.py).

The profile of each case is assigned to both a1 and a2 and captured from a1, so the restricted
rows (members who see only a2) prove that the overview, the subject view, the snapshot pages and
the profile list neither name nor link the hidden a1.
"""

from __future__ import annotations

import uuid

import pytest

from tenantpilot.audit.actions import AuditAction
from tenantpilot.authz.capabilities import Capability as C
from tests.baselines import factories as f
from tests.baselines.test_console_pages import TYPE, build_profile
from tests.support.matrix import RouteCase, run_matrix


def _built(world):
    return build_profile(world.a, world.a1, [world.a1, world.a2])


def profile(world):
    return {"profile_id": _built(world).profile.pk}


def bare_profile(world):
    return {"profile_id": f.profile(world.a).pk}


def profile_env(world):
    return {"profile_id": _built(world).profile.pk, "environment_id": world.a1.pk}


def snapshot(world):
    built = _built(world)
    return {"profile_id": built.profile.pk, "snapshot_id": built.snapshot.pk}


def capturable(world):
    """A profile and a fresh, complete inventory sync of a1 (capture is accepted)."""
    f.completed_run(world.a1)
    return {"profile_id": f.profile(world.a).pk}


def assign_only_a1(world):
    """A captured profile assigned to a1 only (compare all starts exactly one run)."""
    built = build_profile(world.a, world.a1, [world.a1])
    return {"profile_id": built.profile.pk}


def new_profile(world):
    return {"name": f"Matrix {uuid.uuid4().hex[:8]}", "policy_types": [TYPE], "max_evidence_age_hours": "24"}


ENV = {"environment_scoped": True}
CASES = [
    RouteCase("console:baseline-profiles", C.BASELINES_VIEW),
    RouteCase("console:baseline-profile-create", C.BASELINES_MANAGE),
    RouteCase(
        "console:baseline-profile-create",
        C.BASELINES_MANAGE,
        "POST",
        data=new_profile,
        audit_action=AuditAction.BASELINE_PROFILE_CREATED,
        ok_status=(302,),
    ),
    RouteCase(
        "console:baseline-profile-create",
        C.BASELINES_MANAGE,
        "POST",
        data=lambda w: {"name": "Bad", "policy_types": [], "max_evidence_age_hours": "24"},
        ok_status=(400,),
        unaudited_reason="always refused: no governed type",
    ),
    RouteCase("console:baseline-profile", C.BASELINES_VIEW, kwargs=profile),
    RouteCase("console:baseline-profile-edit", C.BASELINES_MANAGE, kwargs=profile),
    RouteCase(
        "console:baseline-profile-edit",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=profile,
        data=new_profile,
        audit_action=AuditAction.BASELINE_PROFILE_UPDATED,
        ok_status=(302,),
    ),
    RouteCase("console:baseline-profile-archive", C.BASELINES_MANAGE, kwargs=profile),
    RouteCase(
        "console:baseline-profile-archive",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=profile,
        data=lambda w: {},
        audit_action=AuditAction.BASELINE_PROFILE_ARCHIVED,
        ok_status=(302,),
    ),
    RouteCase("console:baseline-capture", C.BASELINES_MANAGE, kwargs=bare_profile),
    RouteCase(
        "console:baseline-capture",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=capturable,
        data=lambda w: {"source_environment": w.a1.pk},
        audit_action=AuditAction.BASELINE_CAPTURE_REQUESTED,
        ok_status=(302,),
        # a1 is not a choice for who cannot see it: a field error.
        restricted_status=(400,),
    ),
    RouteCase("console:baseline-assign", C.BASELINES_MANAGE, kwargs=bare_profile),
    RouteCase(
        "console:baseline-assign",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=bare_profile,
        data=lambda w: {"environment": w.a1.pk},
        audit_action=AuditAction.BASELINE_PROFILE_ASSIGNED,
        ok_status=(302,),
        restricted_status=(400,),
    ),
    RouteCase("console:baseline-unassign", C.BASELINES_MANAGE, kwargs=profile_env, **ENV),
    RouteCase(
        "console:baseline-unassign",
        C.BASELINES_MANAGE,
        "POST",
        kwargs=profile_env,
        data=lambda w: {},
        audit_action=AuditAction.BASELINE_PROFILE_UNASSIGNED,
        ok_status=(302,),
        **ENV,
    ),
    RouteCase("console:baseline-snapshots", C.BASELINES_VIEW, kwargs=profile),
    RouteCase("console:baseline-snapshot", C.BASELINES_VIEW, kwargs=snapshot),
    RouteCase(
        "console:baseline-compare-all",
        C.PROVIDER_RUN,
        "POST",
        kwargs=assign_only_a1,
        data=lambda w: {},
        audit_action=AuditAction.OPERATION_STARTED,
        ok_status=(302,),
    ),
    RouteCase(
        "console:baseline-compare",
        C.PROVIDER_RUN,
        "POST",
        kwargs=profile_env,
        data=lambda w: {},
        audit_action=AuditAction.OPERATION_STARTED,
        ok_status=(302,),
        **ENV,
    ),
    RouteCase("console:baseline-result", C.BASELINES_VIEW, kwargs=profile_env, **ENV),
    RouteCase(
        "console:baseline-result",
        C.BASELINES_VIEW,
        kwargs=profile_env,
        data=lambda w: {"outcome": "drift", "type": TYPE},
        **ENV,
    ),
    RouteCase("console:baseline-export", C.BASELINES_VIEW, kwargs=profile_env, data=lambda w: {"format": "csv"}, **ENV),
    RouteCase(
        "console:baseline-export", C.BASELINES_VIEW, kwargs=profile_env, data=lambda w: {"format": "json"}, **ENV
    ),
    RouteCase(
        "console:baseline-subject",
        C.BASELINES_VIEW,
        kwargs=profile,
        data=lambda w: {"key": f"policy:{TYPE}:obj-0"},
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("case", CASES, ids=str)
def test_baseline_route_passes_authorization_matrix(client, world, case):
    result = run_matrix(client, world, case)
    assert len(result.rows) >= 5
