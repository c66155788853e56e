"""How every start route answers: 202 with a new run, 200 with the same active run when the
request is a duplicate, 409 with the active run when another operation keeps the scope busy."""

from __future__ import annotations

from django.urls import reverse

from tenantpilot.operations.models import OperationRun
from tests.api.conftest import bearer, make_token
from tests.api.support import connection


def start_url(world, name):
    return reverse(f"api-v1:{name}", kwargs={"workspace": world.a.slug, "environment_id": world.a1.pk})


def test_start_is_202_then_200_with_the_same_run_then_409_with_the_active_run(client, world):
    connection(world)
    _, text = make_token(world.owner, world.a)
    headers = bearer(text)

    first = client.post(start_url(world, "inventory-sync"), headers=headers)
    assert first.status_code == 202
    run = first.json()
    assert run["type"] == "inventory.sync" and run["status"] == "queued" and run["environment_id"] == world.a1.pk

    again = client.post(start_url(world, "inventory-sync"), headers=headers)
    assert again.status_code == 200
    assert again.json()["id"] == run["id"]

    busy = client.post(start_url(world, "compliance-snapshot"), headers=headers)
    assert busy.status_code == 409
    body = busy.json()
    assert body["error"]["code"] == "scope_busy"
    assert body["run"]["id"] == run["id"]
    assert f"#{run['id']}" in body["error"]["message"]
    assert OperationRun.objects.count() == 1


def test_start_without_a_connection_is_a_clear_4xx_and_starts_nothing(client, world):
    _, text = make_token(world.owner, world.a)
    response = client.post(start_url(world, "inventory-sync"), headers=bearer(text))
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["message"]
    assert OperationRun.objects.count() == 0
