"""``/healthz`` (liveness, no database) and ``/readyz`` (database, migrations, a live worker):
right status, tiny bodies with no version or internals, never cached, anonymous."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.urls import reverse
from django.utils import timezone

from tenantpilot import health
from tenantpilot.operations.heartbeats import worker_heartbeat_forget, worker_heartbeat_record, workers_alive
from tenantpilot.operations.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def _body_is_minimal(response) -> dict:
    body = response.json()
    assert set(body) <= {"status", "failing"}
    text = response.content.decode().lower()
    for leak in ("version", "django", "python", "postgres", "sqlite", "traceback", "worker-"):
        assert leak not in text
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    return body


def test_healthz_is_alive_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert _body_is_minimal(response) == {"status": "ok"}


def test_readyz_is_unavailable_without_a_worker_heartbeat(client):
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert _body_is_minimal(response) == {"status": "unavailable", "failing": ["workers"]}


def test_readyz_is_ready_with_a_fresh_worker_heartbeat(client):
    worker_heartbeat_record("host-1-abcdefgh")
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    assert _body_is_minimal(response) == {"status": "ready"}


def test_a_heartbeat_older_than_a_minute_does_not_count(client):
    worker_heartbeat_record("host-1-abcdefgh")
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - dt.timedelta(seconds=61))
    assert client.get(reverse("readyz")).status_code == 503
    worker_heartbeat_record("host-1-abcdefgh")  # the next beat of the same worker
    assert client.get(reverse("readyz")).status_code == 200


def test_readyz_reports_unapplied_migrations(client, monkeypatch):
    worker_heartbeat_record("host-1-abcdefgh")
    monkeypatch.setattr(health, "_migrations_applied", False)
    MigrationRecorder(connection).migration_qs.filter(app="operations", name="0003_worker_heartbeat").delete()
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert _body_is_minimal(response) == {"status": "unavailable", "failing": ["migrations"]}


def test_readyz_reports_an_unreachable_database(client, monkeypatch):
    monkeypatch.setattr(health, "_database_ok", lambda: False)
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert _body_is_minimal(response) == {"status": "unavailable", "failing": ["database"]}


def test_probes_answer_only_safe_methods(client):
    assert client.post(reverse("healthz")).status_code == 405
    assert client.post(reverse("readyz")).status_code == 405
    assert client.head(reverse("healthz")).status_code == 200


def test_a_stopping_worker_forgets_its_heartbeat_and_old_rows_are_pruned():
    worker_heartbeat_record("old-worker-1")
    WorkerHeartbeat.objects.filter(worker_id="old-worker-1").update(seen_at=timezone.now() - dt.timedelta(days=2))
    first = worker_heartbeat_record("host-1-abcdefgh")
    again = worker_heartbeat_record("host-1-abcdefgh")
    assert first.pk == again.pk and again.seen_at >= first.seen_at and again.started_at == first.started_at
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["host-1-abcdefgh"]
    assert workers_alive() == 1
    worker_heartbeat_forget("host-1-abcdefgh")
    assert workers_alive() == 0


def test_platform_admins_see_the_live_workers(client, django_user_model):
    worker_heartbeat_record("host-7-abcdefgh")
    admin = django_user_model.objects.create_superuser("root@example.test", "root@example.test", "x-Passw0rd-x")
    client.force_login(admin)
    response = client.get(reverse("admin:operations_workerheartbeat_changelist"))
    assert response.status_code == 200
    assert "host-7-abcdefgh" in response.content.decode()
