"""Project-level guarantees: migrations are complete, the CLI works, the demo seeds."""

from __future__ import annotations

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command

from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.roles import Role
from tenantpilot.demo import DEMO_WORKSPACE_SLUG, seed_demo
from tenantpilot.tenancy.models import Workspace


@pytest.mark.django_db
def test_models_and_migrations_agree():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.django_db
def test_demo_seed_is_idempotent_and_covers_every_role(client):
    logins = seed_demo()
    audit_rows = AuditLog.objects.count()
    again = seed_demo()
    assert [lg.username for lg in logins] == [lg.username for lg in again]
    assert AuditLog.objects.count() == audit_rows
    workspace = Workspace.objects.get(slug=DEMO_WORKSPACE_SLUG)
    assert set(workspace.memberships.values_list("role", flat=True)) == set(Role.values)
    assert workspace.environments.count() >= 5
    for environment in workspace.environments.all():
        assert environment.provider_connections.filter(is_default=True).count() == 1
    owner = next(lg for lg in logins if lg.username.startswith("owner"))
    assert client.login(username=owner.username, password=owner.password)


def test_cli_demo_no_serve_sets_up_a_fresh_embedded_database(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"} and not k.startswith("TENANTPILOT_")
    }
    env["TENANTPILOT_VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "tenantpilot.cli", "demo", "--no-serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "owner@demo.local" in result.stdout and "password:" in result.stdout
    assert (tmp_path / "tenantpilot.sqlite3").exists()
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_cli_graphsim_serves_the_simulator_until_terminated(tmp_path):
    import json
    import signal
    import ssl
    import time

    import httpx

    proc = subprocess.Popen(
        [sys.executable, "-m", "tenantpilot.cli", "graphsim", "--ca-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        state_file = tmp_path / "graphsim.json"
        deadline = time.monotonic() + 30
        while not state_file.exists() and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            time.sleep(0.05)
        state = json.loads(state_file.read_text())
        tenant = state["tenants"][0]["tenant_id"]
        url = f"{state['authority_base']}/{tenant}/v2.0/.well-known/openid-configuration"
        response = httpx.get(url, verify=ssl.create_default_context(cafile=state["ca_path"]))
        assert response.status_code == 200 and response.json()["token_endpoint"].startswith(state["authority_base"])
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


@pytest.mark.django_db
def test_demo_queues_one_system_health_check_per_environment():
    from tenantpilot.core.management.commands.demo import check_demo_connections
    from tenantpilot.operations.models import OperationRun

    seed_demo()
    assert check_demo_connections() == 5
    assert check_demo_connections() == 0, "a second start dedupes to the active runs"
    runs = OperationRun.objects.all()
    assert runs.count() == 5
    assert all(run.initiator_id is None and run.type == "provider.health_check" for run in runs)
