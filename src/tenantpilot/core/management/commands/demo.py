"""``tenantpilot demo``: migrate the embedded database, seed the demo, and serve the console with an
embedded worker and the Microsoft simulator (graphsim) beside it.

On the first start the worker also syncs every demo environment, captures the "Contoso baseline"
from the golden tenant and compares the other customers with it (``tenantpilot.demo_worker``), so
the first login already shows drift."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from tenantpilot.core.errors import Conflict
from tenantpilot.demo import DEMO_WORKSPACE_SLUG, seed_demo
from tenantpilot.operations.choices import OperationType
from tenantpilot.operations.services import operation_start
from tenantpilot.providers.models import ProviderConnection

DEMO_WORKER_MODULE = "tenantpilot.demo_worker"


class Command(BaseCommand):
    help = "Set up the demo data and serve the console on 127.0.0.1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="Set up and seed, then exit.")
        parser.add_argument(
            "--no-simulator",
            action="store_true",
            help="Do not start graphsim; use the configured Microsoft endpoints instead.",
        )

    def handle(self, *args: Any, port: int, no_serve: bool, no_simulator: bool, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        logins = seed_demo()
        url = f"http://127.0.0.1:{port}/"
        self.stdout.write(self.style.SUCCESS(f"TenantPilot demo is ready at {url}"))
        self.stdout.write("Logins (demo only):")
        for login in logins:
            self.stdout.write(f"  {login.role:<32} {login.username:<24} password: {login.password}")
        if no_serve:
            return
        children: list[subprocess.Popen[bytes]] = []
        # A SIGTERM to the demo must also stop its children: turn it into SystemExit so `finally` runs.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        try:
            if not no_simulator:
                simulator, state = start_simulator(Path(settings.VAR_DIR) / "graphsim")
                children.append(simulator)
                self.stdout.write(
                    f"Microsoft simulator (graphsim) at {state['authority_base']} and {state['graph_base']}."
                )
            worker = start_embedded_worker()
            children.append(worker)
            self.stdout.write(f"Background worker started (pid {worker.pid}).")
            queued = check_demo_connections()
            self.stdout.write(f"Queued {queued} connection checks; watch them under Operations.")
            self.stdout.write(
                "The worker then syncs the inventories, captures the Contoso baseline and compares the other "
                "customers (first start only): see Baselines in a minute or two."
            )
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, insecure_serving=True)
        finally:
            for child in reversed(children):
                stop_embedded_worker(child)


def start_simulator(ca_dir: Path, *, timeout: float = 30.0) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """Start ``tenantpilot graphsim`` and point this process and its children at it."""
    ca_dir.mkdir(parents=True, exist_ok=True)
    state_file = ca_dir / "graphsim.json"
    state_file.unlink(missing_ok=True)
    command = [sys.executable, "-m", "tenantpilot.cli", "graphsim", "--ca-dir", str(ca_dir)]
    process = subprocess.Popen(command)  # noqa: S603 - our own interpreter and module
    deadline = time.monotonic() + timeout
    while not state_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_embedded_worker(process)
            raise RuntimeError("graphsim did not start; see its output above")
        time.sleep(0.1)
    state: dict[str, Any] = json.loads(state_file.read_text())
    endpoints = {
        "TENANTPILOT_GRAPH_AUTHORITY_BASE": state["authority_base"],
        "TENANTPILOT_GRAPH_BASE": state["graph_base"],
        "TENANTPILOT_GRAPH_CA_BUNDLE": state["ca_path"],
    }
    for name, value in endpoints.items():
        os.environ[name] = value  # inherited by the worker
        setattr(settings, name, value)
    return process, state


def check_demo_connections() -> int:
    """Queue a health check (a system run) for every demo environment's default connection."""
    queued = 0
    connections = ProviderConnection.objects.filter(
        workspace__slug=DEMO_WORKSPACE_SLUG, is_default=True
    ).select_related("environment")
    for connection in connections:
        try:
            result = operation_start(
                actor=None,
                operation_type=OperationType.PROVIDER_HEALTH_CHECK,
                environment=connection.environment,
                connection=connection,
            )
        except Conflict:
            continue
        queued += 0 if result.deduped else 1
    return queued


def start_embedded_worker() -> subprocess.Popen[bytes]:
    """One ``tenantpilot worker`` process beside the web server, on the same settings and database,
    that also runs the demo's first-start chain (``tenantpilot.demo_worker``)."""
    modules = [m for m in os.environ.get("TENANTPILOT_OPERATION_MODULES", "").split(",") if m.strip()]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "tenantpilot.settings.base"),
        "TENANTPILOT_OPERATION_MODULES": ",".join([*modules, DEMO_WORKER_MODULE]),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "tenantpilot.cli", "worker", "--interval", "1", "--verbosity", "0"], env=env
    )


def stop_embedded_worker(worker: subprocess.Popen[bytes], *, timeout: float = 15.0) -> None:
    """Ask a child (worker, simulator) to stop (SIGTERM; a worker finishes its current run), then kill it."""
    if worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=timeout)
