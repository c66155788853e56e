"""Twenty concurrent start requests through the API produce exactly one run (PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection as db_connection
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from tenantpilot.operations.models import OperationRun
from tests.api.conftest import bearer, make_token
from tests.api.support import connection
from tests.support.network import GuardedClient

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def test_twenty_concurrent_start_requests_make_one_run_and_answer_202_once(world, settings):
    settings.TASKS = DB_TASKS  # queued, not run inline: the race is about the start gate only
    connection(world)
    _, text = make_token(world.owner, world.a)
    url = reverse("api-v1:inventory-sync", kwargs={"workspace": world.a.slug, "environment_id": world.a1.pk})
    barrier = threading.Barrier(20)

    def start(_: int):
        barrier.wait(timeout=30)
        try:
            response = GuardedClient().post(url, headers=bearer(text))
            return response.status_code, response.json()
        finally:
            db_connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(start, range(20)))

    run = OperationRun.objects.get()
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * 19 + [202]
    assert {body["id"] for _, body in answers} == {run.pk}
    assert DBTaskResult.objects.count() == 1
