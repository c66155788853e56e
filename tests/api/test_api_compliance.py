"""Compliance snapshots through the API: a page at a time, newest first, in a stable order, and
only for an environment the caller may see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tenantpilot.inventory.models import ComplianceSnapshot
from tests.api.conftest import bearer, make_token
from tests.inventory.factories import make_snapshot

pytestmark = pytest.mark.django_db


def _url(world, environment):
    return reverse("api-v1:compliance-list", kwargs={"workspace": world.a.slug, "environment_id": environment.pk})


def test_compliance_snapshots_come_a_page_at_a_time_newest_first(client, world):
    _row, text = make_token(world.owner, world.a)
    moment = timezone.now()
    # Two snapshots share a moment (ties go by id, newest first); the rest are a minute apart.
    moments = [moment, moment] + [moment + dt.timedelta(minutes=i) for i in (1, 2, 3)]
    for total, captured_at in enumerate(moments):
        ComplianceSnapshot.objects.create(
            workspace=world.a, environment=world.a1, captured_at=captured_at, device_total=total
        )

    first = client.get(_url(world, world.a1), {"page_size": 3}, headers=bearer(text)).json()
    second = client.get(_url(world, world.a1), {"page_size": 3, "page": 2}, headers=bearer(text)).json()

    assert first["count"] == 5 and first["next_page"] == 2 and second["next_page"] is None
    totals = [row["device_total"] for row in first["items"] + second["items"]]
    assert totals == [4, 3, 2, 1, 0]


def test_compliance_page_size_is_bounded_and_named_when_wrong(client, world):
    _row, text = make_token(world.owner, world.a)
    answer = client.get(_url(world, world.a1), {"page_size": 101}, headers=bearer(text))
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == "page_size"


def test_a_hidden_environment_s_snapshots_are_not_found(client, world):
    make_snapshot(world.a1, device_total=7)
    _row, text = make_token(world.restricted, world.a)  # restricted to a2
    assert client.get(_url(world, world.a1), headers=bearer(text)).status_code == 404
