"""Several processes, one PostgreSQL: the production web server (``tenantpilot serve``, gunicorn)
and two ``tenantpilot worker`` processes share the database and the django-tasks-db queue.

Over HTTP only (like an operator's browser behind a TLS proxy): readiness waits for the worker
heartbeats, an owner signs in, starts a connection health check and an inventory sync, and polls
each run's status until a worker completed it against graphsim. Stopping the workers takes the
system out of readiness again. Every wait polls a condition under a generous deadline.
"""

from __future__ import annotations

import re

import pytest
from cryptography.fernet import Fernet
from django.db import connection as db_connection
from django.urls import reverse

from tenantpilot.inventory.models import InventoryItem
from tenantpilot.operations.models import OperationRun, WorkerHeartbeat
from tests.core.production_processes import Process, Session, production_env, run_cli, start_server, wait_for
from tests.providers.support import secret_connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PASSWORD = "multi-process-Passw0rd!"
RUN_TIMEOUT = 300.0


def _database_url() -> str:
    db = db_connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _run_id(response) -> int:
    assert response.status_code == 302, response.text[:500]
    match = re.search(r"/operations/(\d+)/", response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


def _poll_to_completion(session: Session, workspace: str, run_id: int, server: Process) -> None:
    status_url = reverse("console:operation-status", kwargs={"workspace": workspace, "run_id": run_id})

    def completed() -> bool:
        response = session.get(status_url)
        assert response.status_code == 200, response.text[:500]
        return 'data-run-status="completed"' in response.text

    wait_for(completed, timeout=RUN_TIMEOUT, what=f"run {run_id} completed", process=server)


def test_web_and_two_workers_share_one_database(world, settings, tmp_path, graph_settings):
    simulator = graph_settings
    key = Fernet.generate_key().decode()
    settings.TENANTPILOT_CREDENTIAL_KEYS = key  # the test seals the secret with the processes' key
    connection = secret_connection(world)
    environment = connection.environment
    # Hashed the way production verifies it (the test settings hash with MD5 for speed).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    world.owner.set_password(PASSWORD)
    world.owner.save(update_fields=["password"])

    env = production_env(
        tmp_path,
        _database_url(),
        TENANTPILOT_CREDENTIAL_KEYS=key,
        TENANTPILOT_GRAPH_AUTHORITY_BASE=simulator.authority_base,
        TENANTPILOT_GRAPH_BASE=simulator.graph_base,
        TENANTPILOT_GRAPH_CA_BUNDLE=str(simulator.ca_path),
        TENANTPILOT_LOG_LEVEL="WARNING",
    )
    run_cli(env, "collectstatic", "--noinput", "-v0")
    workers = [Process(env, "worker", "--no-startup-delay", "--interval", "0.2") for _ in range(2)]
    server = None
    session = None
    try:
        server, base_url = start_server(env)
        session = Session(base_url)
        assert session.get("/healthz").status_code == 200

        # Ready once both workers said they are alive.
        wait_for(
            lambda: WorkerHeartbeat.objects.count() == 2,
            timeout=240,
            what="two worker heartbeats",
            process=workers[0],
        )
        ready = wait_for(
            lambda: (r := session.get("/readyz")).status_code == 200 and r, timeout=120, what="/readyz 200"
        )
        assert ready.json() == {"status": "ready"}

        # Sign in like a browser.
        login = reverse("console:login")
        assert session.get(login).status_code == 200
        response = session.post_form(login, {"username": world.owner.username, "password": PASSWORD})
        assert response.status_code == 302, re.findall(r'<ul class="errorlist[^"]*">.*?</ul>', response.text)
        workspace = world.a.slug

        # A health check of the connection, run by one of the workers against graphsim.
        check_url = reverse(
            "console:connection-check",
            kwargs={"workspace": workspace, "environment_id": environment.pk, "connection_id": connection.pk},
        )
        check_id = _run_id(session.post_form(check_url, {}))
        _poll_to_completion(session, workspace, check_id, server)

        # An inventory sync of the environment.
        sync_url = reverse("console:inventory-sync", kwargs={"workspace": workspace, "environment_id": environment.pk})
        sync_id = _run_id(session.post_form(sync_url, {}))
        _poll_to_completion(session, workspace, sync_id, server)

        runs = {run.pk: run for run in OperationRun.objects.filter(pk__in=[check_id, sync_id])}
        assert [(runs[i].type, runs[i].outcome) for i in (check_id, sync_id)] == [
            ("provider.health_check", "succeeded"),
            ("inventory.sync", "succeeded"),
        ], [(r.reason_code, r.message) for r in runs.values()]
        heartbeat_ids = set(WorkerHeartbeat.objects.values_list("worker_id", flat=True))
        assert {runs[check_id].worker_id, runs[sync_id].worker_id} <= heartbeat_ids
        assert InventoryItem.objects.filter(environment=environment).exists()
        detail = session.get(reverse("console:operation-detail", kwargs={"workspace": workspace, "run_id": sync_id}))
        assert detail.status_code == 200 and "Succeeded" in detail.text

        # Workers stopping say goodbye: no live worker, not ready.
        for worker in workers:
            worker.stop()
        assert WorkerHeartbeat.objects.count() == 0, [w.output() for w in workers]
        response = session.get("/readyz")
        assert (response.status_code, response.json()) == (503, {"status": "unavailable", "failing": ["workers"]})
    finally:
        if session is not None:
            session.close()
        for process in [*workers, *([server] if server else [])]:
            process.stop()
