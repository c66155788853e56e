"""Baseline mutations of the API match the console's: profile update and archive, unassign, the
compare result's CSV export (``text/csv``) and the drift resolution actions."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.baselines import exports
from tenantpilot.baselines import services as baseline_services
from tenantpilot.baselines.models import BaselineAssignment, BaselineProfile
from tenantpilot.resources.models import ProviderResourceBinding
from tests.api.conftest import bearer, make_token
from tests.api.support import compare_result
from tests.baselines import factories as bf
from tests.baselines.resolution_support import build_scenario

pytestmark = pytest.mark.django_db


def _url(name, world, **kwargs):
    return reverse(f"api-v1:{name}", kwargs={"workspace": world.a.slug, **kwargs})


def _send(client, method, url, text, body=None):
    data = json.dumps(body) if body is not None else ""
    return client.generic(method, url, data=data, content_type="application/json", headers=bearer(text))


def _profile(world, name="Golden"):
    return baseline_services.profile_create(actor=world.owner, workspace=world.a, name=name)


def test_profile_update_changes_only_the_given_fields_and_audits_them(client, world, owner_token):
    profile = _profile(world)
    url = _url("baseline-profile-update", world, profile_id=profile.pk)
    response = _send(client, "PATCH", url, owner_token[1], {"max_evidence_age_hours": 72})
    assert response.status_code == 200
    assert response.json()["max_evidence_age_hours"] == 72 and response.json()["name"] == "Golden"
    row = AuditLog.objects.get(action=AuditAction.BASELINE_PROFILE_UPDATED)
    assert row.metadata["changed"] == ["max_evidence_age_hours"]


def test_profile_update_names_the_bad_field(client, world, owner_token):
    profile = _profile(world)
    _profile(world, name="Taken")
    url = _url("baseline-profile-update", world, profile_id=profile.pk)
    duplicate = _send(client, "PATCH", url, owner_token[1], {"name": "Taken"})
    too_old = _send(client, "PATCH", url, owner_token[1], {"max_evidence_age_hours": 10**6})
    assert duplicate.status_code == 400 and duplicate.json()["error"]["field"] == "name"
    assert too_old.status_code == 400 and too_old.json()["error"]["field"] == "max_evidence_age_hours"
    assert BaselineProfile.objects.get(pk=profile.pk).name == "Golden"


def test_an_archived_profile_is_not_updated(client, world, owner_token):
    profile = _profile(world)
    archived = _send(client, "POST", _url("baseline-profile-archive", world, profile_id=profile.pk), owner_token[1])
    assert archived.status_code == 200 and archived.json()["archived_at"] is not None
    url = _url("baseline-profile-update", world, profile_id=profile.pk)
    response = _send(client, "PATCH", url, owner_token[1], {"description": "late"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


def test_unassign_removes_the_assignment_and_an_unassigned_pair_is_404(client, world, owner_token):
    profile = _profile(world)
    bf.assign(profile, world.a1)
    url = _url("baseline-unassign", world, profile_id=profile.pk, environment_id=world.a1.pk)
    assert _send(client, "DELETE", url, owner_token[1]).status_code == 204
    assert not BaselineAssignment.objects.filter(profile=profile).exists()
    assert _send(client, "DELETE", url, owner_token[1]).status_code == 404
    assert AuditLog.objects.filter(action=AuditAction.BASELINE_PROFILE_UNASSIGNED).count() == 1


def test_csv_export_serves_the_consoles_csv(client, world, owner_token):
    result = compare_result(world.a1)
    url = _url("baseline-export-csv", world, profile_id=result.profile_id, environment_id=world.a1.pk)
    response = client.get(url, headers=bearer(owner_token[1]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[0] == ",".join(exports.COLUMNS)
    assert response.content.decode() == exports.export_csv(result)
    assert f"compare-{result.profile_id}-{world.a1.pk}-{result.pk}.csv" in response["Content-Disposition"]


def test_csv_export_of_a_pair_never_compared_is_404_in_the_error_shape(client, world, owner_token):
    profile = _profile(world)
    url = _url("baseline-export-csv", world, profile_id=profile.pk, environment_id=world.a1.pk)
    response = client.get(url, headers=bearer(owner_token[1]))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def _drift_url(name, world, row):
    return _url(name, world, environment_id=world.a1.pk, row_id=row.pk)


def test_a_resolution_action_that_does_not_apply_to_the_row_names_the_action_field(client, world, owner_token):
    scenario = build_scenario(world.a1)
    response = _send(
        client, "POST", _drift_url("drift-accept", world, scenario.unexpected), owner_token[1], {"note": "n"}
    )
    assert response.status_code == 400 and response.json()["error"]["field"] == "action"
    assert not ProviderResourceBinding.objects.filter(environment=world.a1).exists()


def test_a_past_review_date_is_refused_and_leaves_no_binding(client, world, owner_token):
    scenario = build_scenario(world.a1)
    body = {"note": "n", "review_by": (timezone.localdate() - dt.timedelta(days=1)).isoformat()}
    response = _send(client, "POST", _drift_url("drift-accept", world, scenario.drift), owner_token[1], body)
    assert response.status_code == 400 and response.json()["error"]["field"] == "review_by"
    assert not ProviderResourceBinding.objects.filter(environment=world.a1).exists()


def test_accept_then_revoke_through_the_api_never_returns_the_note(client, world, owner_token):
    scenario = build_scenario(world.a1)
    note = "Customer keeps the legacy setting until March."
    accepted = _send(client, "POST", _drift_url("drift-accept", world, scenario.drift), owner_token[1], {"note": note})
    assert accepted.status_code == 201
    assert accepted.json()["resolution_mode"] == "accepted_limitation" and note not in accepted.content.decode()
    revoked = _send(client, "POST", _drift_url("drift-revoke", world, scenario.drift), owner_token[1], {"note": "done"})
    assert revoked.status_code == 200 and revoked.json()["binding_status"] == "revoked"


def test_a_snapshot_names_its_source_only_to_members_who_see_it(client, world, owner_token):
    snapshot = bf.snapshot(bf.profile(world.a), golden=world.a1)
    url = _url("baseline-snapshot", world, profile_id=snapshot.profile_id, snapshot_id=snapshot.pk)
    _, restricted_text = make_token(world.restricted, world.a)
    assert client.get(url, headers=bearer(owner_token[1])).json()["source_environment_id"] == world.a1.pk
    assert client.get(url, headers=bearer(restricted_text)).json()["source_environment_id"] is None


def test_snapshot_items_refuse_an_unknown_type_naming_the_field(client, world, owner_token):
    snapshot = bf.snapshot(bf.profile(world.a), golden=world.a1)
    url = _url("baseline-snapshot-items", world, profile_id=snapshot.profile_id, snapshot_id=snapshot.pk)
    assert client.get(url, headers=bearer(owner_token[1])).json()["count"] == 0
    response = client.get(url, {"type": "noSuchType"}, headers=bearer(owner_token[1]))
    assert response.status_code == 400 and response.json()["error"]["field"] == "type"
