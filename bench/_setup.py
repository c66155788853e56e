"""Shared set-up of the benchmarks: a throw-away var dir and database, Django, a simulator process.

Nothing here touches the developer's data: ``TENANTPILOT_VAR_DIR`` and ``DATABASE_URL`` point at a
temporary directory unless ``DATABASE_URL`` is given explicitly (e.g. by ``scripts/with-postgres``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def prepare_environment(prefix: str) -> Path:
    """Create the temp dir and export the variables Django reads; returns the dir."""
    tmp = Path(tempfile.mkdtemp(prefix=f"tenantpilot-bench-{prefix}-"))
    os.environ["TENANTPILOT_VAR_DIR"] = str(tmp / "var")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}")
    os.environ.setdefault("TENANTPILOT_SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
    # The product's default settings (what `tenantpilot worker` runs with), not the test settings.
    os.environ["DJANGO_SETTINGS_MODULE"] = os.environ.get("BENCH_SETTINGS", "tenantpilot.settings.base")
    return tmp


def django_setup() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def generate_fixtures(tmp: Path, tenants: list[tuple[str, int, int, int]]) -> dict[str, Any]:
    """Generate tenants (id, policies, devices, seed) into ``tmp/fixtures`` in a child process."""
    argv = [sys.executable, "-m", "bench._generate", str(tmp / "fixtures")]
    for tenant in tenants:
        argv += [str(v) for v in tenant]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    out = subprocess.run(argv, check=True, capture_output=True, env=env, cwd=ROOT)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def start_simulator(tmp: Path, *, latency_ms: int, throttling: bool) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """Run graphsim on ``tmp/fixtures`` in its own process (its memory is not ours); (process, state)."""
    fixtures = tmp / "fixtures"
    ca_dir = tmp / "ca"
    argv = [
        sys.executable,
        "-m",
        "graphsim",
        "--fixtures",
        str(fixtures),
        "--ca-dir",
        str(ca_dir),
        "--latency-ms",
        str(latency_ms),
    ]
    if throttling:
        argv.append("--throttling")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    state_file = ca_dir / "graphsim.json"
    deadline = time.monotonic() + 180
    while not state_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("graphsim did not start")
        time.sleep(0.2)
    return proc, json.loads(state_file.read_text())


def point_settings_at(state: dict[str, Any]) -> None:
    """Aim this process and every process it starts (the worker) at the simulator."""
    from django.conf import settings

    os.environ["TENANTPILOT_GRAPH_AUTHORITY_BASE"] = state["authority_base"]
    os.environ["TENANTPILOT_GRAPH_BASE"] = state["graph_base"]
    os.environ["TENANTPILOT_GRAPH_CA_BUNDLE"] = state["ca_path"]

    settings.TENANTPILOT_GRAPH_AUTHORITY_BASE = state["authority_base"]
    settings.TENANTPILOT_GRAPH_BASE = state["graph_base"]
    settings.TENANTPILOT_GRAPH_CA_BUNDLE = state["ca_path"]


def owner_and_workspace() -> tuple[Any, Any]:
    from django.contrib.auth import get_user_model

    from tenantpilot.tenancy.services import workspace_create

    user = get_user_model().objects.create_user(username="bench-owner", password="bench-owner-password")
    workspace = workspace_create(actor=user, name="Bench MSP", slug="bench", owner=user)
    return user, workspace


def environment_with_connection(
    user: Any, workspace: Any, *, tenant_id: str, client_id: str, secret: str, name: str
) -> Any:
    from tenantpilot.providers.services import connection_create
    from tenantpilot.tenancy.services import environment_create

    environment = environment_create(actor=user, workspace=workspace, display_name=name, tenant_id=tenant_id)
    connection_create(
        actor=user,
        environment=environment,
        display_name="Graph",
        entra_tenant_id=tenant_id,
        client_id=client_id,
        auth_type="client_secret",
        client_secret=secret,
    )
    return environment


def write_result(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    path = RESULTS / f"{name}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return path


def _peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_worker_until_idle(timeout_s: float = 3600) -> dict[str, Any]:
    """Run a real ``tenantpilot worker --batch`` process (default settings, its own interpreter)
    until the queue is empty; returns its wall time, exit code and peak RSS (VmHWM, polled)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    argv = [sys.executable, "-m", "tenantpilot.cli", "worker", "--batch", "--no-startup-delay"]
    log_path = Path(os.environ["TENANTPILOT_VAR_DIR"]) / "worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    peak = 0.0
    # The worker logs at INFO: into a file, never a pipe nobody drains until it exits (it would block).
    with log_path.open("ab") as log:
        proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        while proc.poll() is None:
            peak = max(peak, _peak_rss_mb(proc.pid) or 0.0)
            if time.monotonic() - started > timeout_s:
                proc.kill()
                raise RuntimeError("the worker did not finish in time")
            time.sleep(0.2)
    wall = time.monotonic() - started
    return {"wall_s": round(wall, 2), "exit_code": proc.returncode, "peak_rss_mb": round(peak, 1), "log": str(log_path)}


INTUNECD_VERSION = "2.6.0"


def intunecd_python() -> Path:
    """IntuneCD from PyPI in a throw-away venv under var/, keyed by version (tests/external shares it)."""
    venv = ROOT / "var" / f"intunecd-{INTUNECD_VERSION}"
    python = venv / "bin" / "python"
    if not (venv / ".installed").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", f"IntuneCD=={INTUNECD_VERSION}"], check=True)
        (venv / ".installed").touch()
    return python


def run_intunecd_backup(
    state: dict[str, Any], *, tenant_id: str, client_id: str, secret: str, out: Path
) -> dict[str, Any]:
    """IntuneCD's backup of ``tenant_id`` against the simulator (tests/external/intunecd_shim.py)."""
    python = intunecd_python()
    env = {
        **os.environ,
        "GRAPHSIM_LOGIN": state["authority_base"],
        "GRAPHSIM_GRAPH": state["graph_base"],
        "REQUESTS_CA_BUNDLE": state["ca_path"],
        "SSL_CERT_FILE": state["ca_path"],
        "TENANT_NAME": tenant_id,
        "CLIENT_ID": client_id,
        "CLIENT_SECRET": secret,
    }
    shim = ROOT / "tests" / "external" / "intunecd_shim.py"
    argv = [str(python), str(shim), "-m", "1", "-o", "json", "-p", str(out)]
    log_path = out.parent / "intunecd.log"
    started = time.monotonic()
    # Its log into a file (never a pipe nobody drains): a module that fails only logs and goes on.
    with log_path.open("wb") as log:
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        peak = 0.0
        while proc.poll() is None:
            peak = max(peak, _peak_rss_mb(proc.pid) or 0.0)
            time.sleep(0.2)
    by_folder: Counter[str] = Counter()
    if out.exists():
        for path in out.rglob("*.json"):
            by_folder[path.relative_to(out).parts[0]] += 1
    return {
        "wall_s": round(time.monotonic() - started, 2),
        "exit_code": proc.returncode,
        "peak_rss_mb": round(peak, 1),
        "files": sum(by_folder.values()),
        "files_by_folder": dict(sorted(by_folder.items())),
        "log": str(log_path),
    }
