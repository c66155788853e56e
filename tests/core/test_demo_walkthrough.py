"""The README's "Make a drift yourself" walkthrough, replayed command by command against the demo
workspace and a running simulator with its control endpoint: change a policy in the simulated
tenant → sync → a new version → compare shows the drift. Also: the Woodgrove apps the README lists
fail their health checks the way it says.

Each ``.venv/bin/tenantpilot …`` line runs through the CLI's entry point; ``graphsim`` commands
reach the simulator over HTTP through the state file in ``$TENANTPILOT_VAR_DIR/graphsim``. The
fresh-clone ids the README shows (``--profile 1``, ``compare-export 2``) are mapped to this
database's ids.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from graphsim import fixtures_catalog as fx
from graphsim.control import STATE_FILE, ControlServer, tenant_resolver
from tenantpilot.authz.roles import Role
from tenantpilot.baselines.models import BaselineCompareResult
from tenantpilot.cli import main as tenantpilot_main
from tenantpilot.demo import DEMO_WORKSPACE_SLUG, demo_advance, demo_profile_id, seed_demo
from tenantpilot.inventory.models import InventoryItem
from tenantpilot.operations.choices import OperationType
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.services import operation_start
from tenantpilot.providers import services as provider_services
from tenantpilot.providers.choices import AuthType
from tenantpilot.tenancy.models import ManagedEnvironment

# Runs must execute when their start commits (the immediate backend, on_commit), as in a worker.
pytestmark = pytest.mark.django_db(transaction=True)

README = Path(__file__).resolve().parents[2] / "README.md"
PROGRAM = ".venv/bin/tenantpilot"
MAX_STEPS = 10


def readme_walkthrough() -> list[str]:
    """The lines of the shell block after "Make a drift yourself" in the README."""
    text = README.read_text(encoding="utf-8")
    start = text.index("Make a drift yourself")
    block = re.search(r"```sh\n(.*?)```", text[start:], re.DOTALL)
    assert block is not None, "the README's walkthrough block is missing"
    return [line for line in block.group(1).splitlines() if line.strip()]


@pytest.fixture
def running_simulator(graph_settings, tmp_path, monkeypatch):
    """The test simulator with its control endpoint, found where the demo's would be."""
    control = ControlServer(tenant_resolver(graph_settings)).start()
    state_dir = tmp_path / "graphsim"
    state_dir.mkdir()
    (state_dir / STATE_FILE).write_text(json.dumps({**graph_settings.state(), "control": control.state()}))
    monkeypatch.setenv("TENANTPILOT_VAR_DIR", str(tmp_path))
    yield graph_settings
    control.stop()


def _run(args: list[str], capsys) -> tuple[int, str]:
    assert args[0] == PROGRAM, args
    try:
        code = tenantpilot_main(args[1:])  # `tenantpilot graphsim …` included, as the README runs it
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_the_readme_walkthrough_makes_a_new_version_and_a_drift(running_simulator, capsys):
    seed_demo()
    for _ in range(MAX_STEPS):  # the demo's first start: sync, capture, compare
        if demo_advance().done:
            break
    fabrikam = ManagedEnvironment.objects.get(workspace__slug=DEMO_WORKSPACE_SLUG, tenant_id=fx.DRIFTED_TENANT_ID)
    before = BaselineCompareResult.objects.filter(environment=fabrikam).order_by("-pk").first()
    assert before is not None and before.items.get(baseline_label="IOS - Compliance").outcome == "match"
    fresh_clone_ids = {
        "--profile 1": f"--profile {demo_profile_id()}",
        "compare-export 2": f"compare-export {fabrikam.pk}",
    }

    outputs = []
    for line in readme_walkthrough():
        for literal, actual in fresh_clone_ids.items():
            line = line.replace(literal, actual)
        command, _, pipe = line.partition("|")
        code, output = _run(shlex.split(command), capsys)
        assert code == 0, (line, output)
        if pipe:
            program, pattern = shlex.split(pipe)
            assert program == "grep"
            output = "\n".join(row for row in output.splitlines() if pattern in row)
            assert output, (line, "grep found nothing")
        outputs.append(output)

    assert "IOS - Compliance" in outputs[0]  # list
    item = InventoryItem.objects.get(environment=fabrikam, display_name="IOS - Compliance")
    assert item.versions.count() == 2 and item.current_version.version_number == 2
    assert item.current_version.payload["passcodeMinimumLength"] == 4
    after = BaselineCompareResult.objects.filter(environment=fabrikam).order_by("-pk").first()
    assert after.pk != before.pk
    row = after.items.get(baseline_label="IOS - Compliance")
    assert row.outcome == "drift"
    assert ",drift," in outputs[-1] and "passcodeMinimumLength" in outputs[-1]


def test_graphsim_commands_name_the_argument_to_fix(running_simulator, capsys):
    code, output = _run(
        [PROGRAM, "graphsim", "change", "--tenant", "nowhere.example", "--policy", "x", "--set", "a=1"], capsys
    )
    assert code == 1 and "--tenant" in output
    args = ["--tenant", fx.GOLDEN_DOMAIN, "--policy", fx.GOLDEN_DEVICE_RESTRICTIONS_ID]
    code, output = _run([PROGRAM, "graphsim", "change", *args, "--set", "id=other"], capsys)
    assert code == 1 and "id cannot be changed" in output
    code, output = _run([PROGRAM, "graphsim", "change", *args, "--set", "nested.key=1"], capsys)
    assert code == 1 and "nested" in output
    code, output = _run([PROGRAM, "graphsim", "rename", *args, "--name", "WIN - Renamed"], capsys)
    assert code == 0
    live = running_simulator.tenant(fx.GOLDEN_TENANT_ID).get_item(
        "deviceManagement/deviceConfigurations", fx.GOLDEN_DEVICE_RESTRICTIONS_ID
    )
    assert live["displayName"] == "WIN - Renamed"
    code, output = _run([PROGRAM, "graphsim", "delete", *args], capsys)
    assert code == 0
    assert (
        running_simulator.tenant(fx.GOLDEN_TENANT_ID).get_item(
            "deviceManagement/deviceConfigurations", fx.GOLDEN_DEVICE_RESTRICTIONS_ID
        )
        is None
    )


def test_a_wrong_control_token_is_refused(running_simulator, tmp_path, capsys):
    state_file = tmp_path / "graphsim" / STATE_FILE
    state = json.loads(state_file.read_text())
    state["control"]["token"] = "wrong"
    state_file.write_text(json.dumps(state))
    code, output = _run([PROGRAM, "graphsim", "list", "--tenant", fx.GOLDEN_DOMAIN], capsys)
    assert code == 1 and "token" in output


@pytest.mark.parametrize(
    ("client_id", "secret", "reason"),
    [
        (fx.BROKEN_EXPIRED_CLIENT_ID, fx.BROKEN_EXPIRED_CLIENT_SECRET, "auth_secret_expired"),
        (fx.BROKEN_NO_CONSENT_CLIENT_ID, fx.BROKEN_NO_CONSENT_CLIENT_SECRET, "consent_missing"),
        (fx.BROKEN_NO_SP_CLIENT_ID, fx.BROKEN_NO_SP_CLIENT_SECRET, "auth_service_principal_missing"),
        (fx.BROKEN_PARTIAL_CLIENT_ID, fx.BROKEN_PARTIAL_CLIENT_SECRET, "permission_missing"),
    ],
)
def test_the_woodgrove_apps_fail_as_the_readme_says(client_id, secret, reason, graph_settings):
    seed_demo()
    woodgrove = ManagedEnvironment.objects.get(workspace__slug=DEMO_WORKSPACE_SLUG, tenant_id=fx.BROKEN_TENANT_ID)
    owner = woodgrove.workspace.memberships.get(role=Role.OWNER).user
    connection = provider_services.connection_create(
        actor=owner,
        environment=woodgrove,
        display_name=f"app {client_id[-2:]}",
        entra_tenant_id=fx.BROKEN_TENANT_ID,
        client_id=client_id,
        auth_type=AuthType.CLIENT_SECRET,
        client_secret=secret,
    )
    started = operation_start(
        actor=None, operation_type=OperationType.PROVIDER_HEALTH_CHECK, environment=woodgrove, connection=connection
    )
    run = OperationRun.objects.get(pk=started.run.pk)
    connection.refresh_from_db()
    assert reason in (run.reason_code, connection.last_reason_code), (run.reason_code, run.message)
