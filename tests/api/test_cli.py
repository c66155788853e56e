"""The operator CLI (``tenantpilot runs|inventory|bindings``): the same services, selectors and
authority rules as the API, three output formats, and the exit codes scripts rely on
(0 ok, 1 run did not succeed, 2 usage, 3 not found / no access, 4 scope busy)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from graphsim import fixtures_catalog as fx
from tenantpilot.authz.roles import Role
from tenantpilot.cli import main
from tenantpilot.operations.models import OperationRun
from tests.api.support import seed_path_records
from tests.inventory.factories import make_item
from tests.operations.helpers import finished_run
from tests.providers.support import CANARY_SECRET, environment_for, secret_connection

OWNER = ["--as", "owner@alpha.test", "--workspace", "alpha"]

# The CLI runs like a real command (``run_from_argv``), which closes the database connections at
# its end: on PostgreSQL that would end a test transaction, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _runs_stay_queued(request, settings):
    """Committed starts would run at once under the immediate backend; queue them instead, as a
    real deployment does, except in the ``--wait`` tests, which need the run to execute."""
    if "graph_settings" not in request.fixturenames:
        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def cli(capsys):
    """Run ``tenantpilot ARGS`` in-process: (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def test_runs_start_is_a_new_run_then_the_same_run_then_scope_busy(cli, world):
    seed_path_records(world)  # a1 with a default connection and a finished run
    code, out, _ = cli("runs", "start", "inventory-sync", str(world.a1.pk), *OWNER, "--format", "json")
    assert code == 0
    run = json.loads(out)
    assert run["type"] == "inventory.sync" and run["status"] == "queued"
    assert OperationRun.objects.get(pk=run["id"]).initiator == world.owner

    code, out, _ = cli("runs", "start", "inventory-sync", world.a1.tenant_id, *OWNER, "--format", "json")
    assert code == 0 and json.loads(out)["id"] == run["id"]

    code, _, err = cli("runs", "start", "compliance-snapshot", str(world.a1.pk), *OWNER)
    assert code == 4
    assert f"#{run['id']}" in err
    assert OperationRun.objects.filter(type="compliance.snapshot").count() == 0


def test_runs_list_and_show_in_every_format(cli, world):
    run = finished_run(world.a1)
    finished_run(world.b1)  # another workspace: never listed

    code, out, _ = cli("runs", "list", *OWNER, "--format", "json")
    assert code == 0 and [r["id"] for r in json.loads(out)] == [run.pk]

    code, out, _ = cli("runs", "list", *OWNER, "--format", "csv", "--environment", str(world.a1.pk))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [(r["id"], r["outcome"]) for r in rows] == [(str(run.pk), "succeeded")]

    code, out, _ = cli("runs", "list", *OWNER, "--type", "baseline.compare")
    assert code == 0 and out.split() == [
        "ID",
        "TYPE",
        "STATUS",
        "OUTCOME",
        "ENVIRONMENT_ID",
        "REASON_CODE",
        "CREATED_AT",
        "FINISHED_AT",
    ]

    code, out, _ = cli("runs", "show", str(run.pk), *OWNER)
    assert code == 0 and out.splitlines()[1].split()[:4] == [str(run.pk), "inventory.sync", "completed", "succeeded"]


def test_not_found_and_no_access_exit_3_with_the_same_message(cli, world):
    hidden = finished_run(world.a1)
    other = finished_run(world.b1)
    answers = [
        cli("runs", "show", str(other.pk), *OWNER),  # another workspace's run
        cli("runs", "show", "999999", *OWNER),  # missing
        cli("runs", "show", str(hidden.pk), "--as", "restricted@alpha.test", "--workspace", "alpha"),
        cli("runs", "list", "--as", "outsider@example.test", "--workspace", "alpha"),
        cli("runs", "list", "--as", "nobody@example.test", "--workspace", "alpha"),
        cli("inventory", "list", str(world.b1.pk), *OWNER),
        cli("bindings", "list", str(world.a1.pk), "--as", "owner@alpha.test", "--workspace", "bravo"),
    ]
    assert [code for code, _, _ in answers] == [3] * len(answers)
    assert len({err for _, _, err in answers}) == 1


def test_a_member_without_the_capability_exits_3_and_starts_nothing(cli, world):
    seed_path_records(world)
    readonly = world.members[Role.READONLY].username
    code, _, err = cli("runs", "start", "inventory-sync", str(world.a1.pk), "--as", readonly, "--workspace", "alpha")
    assert code == 3 and "No access" in err
    assert not OperationRun.objects.filter(status="queued").exists()


def test_usage_errors_exit_2(cli, world):
    assert cli("runs", "list", *OWNER, "--format", "xml")[0] == 2
    assert cli("runs", "list", "--workspace", "alpha")[0] == 2  # no --as
    assert cli("runs", "show", "abc", *OWNER)[0] == 2
    assert cli("runs", "list", *OWNER, "--since", "yesterday")[0] == 2
    code, _, err = cli("runs", "start", "baseline-compare", str(world.a1.pk), *OWNER)
    assert code == 2 and "--profile" in err


def test_inventory_and_bindings_list_what_the_api_lists(cli, world):
    records = seed_path_records(world)
    make_item(world.a2, name="Hidden from a1's list")
    code, out, _ = cli("inventory", "list", str(world.a1.pk), *OWNER, "--format", "json")
    items = json.loads(out)
    assert code == 0 and records["item_id"] in [i["id"] for i in items]
    assert {i["display_name"] for i in items}.isdisjoint({"Hidden from a1's list"})

    code, out, _ = cli("bindings", "list", str(world.a1.pk), *OWNER, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [int(r["id"]) for r in rows] == [records["binding_id"]]
    assert rows[0]["binding_status"] == "active"


@pytest.mark.django_db(transaction=True)
def test_runs_start_wait_exits_0_when_the_run_succeeds(cli, world, graph_settings):
    environment = environment_for(world)
    secret_connection(world, environment)
    code, out, _ = cli("runs", "start", "health-check", str(environment.pk), *OWNER, "--wait", "--format", "json")
    assert code == 0
    assert json.loads(out)["outcome"] == "succeeded"


@pytest.mark.django_db(transaction=True)
def test_runs_start_wait_exits_1_when_the_run_fails_and_never_prints_the_secret(cli, world, graph_settings):
    environment = environment_for(world, tenant_id=fx.GOLDEN_TENANT_ID)
    secret_connection(world, environment, secret=CANARY_SECRET)
    code, out, err = cli("runs", "start", "health-check", str(environment.pk), *OWNER, "--wait", "--format", "json")
    assert code == 1
    run = json.loads(out)
    assert run["outcome"] == "failed" and run["reason_code"] == "auth_invalid_secret"
    assert f"#{run['id']}" in err
    assert CANARY_SECRET not in out + err
