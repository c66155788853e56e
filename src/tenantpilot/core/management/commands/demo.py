"""``tenantpilot demo``: migrate the embedded database, seed the demo, serve the console."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from tenantpilot.demo import seed_demo


class Command(BaseCommand):
    help = "Set up the demo data and serve the console on 127.0.0.1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="Set up and seed, then exit.")

    def handle(self, *args: Any, port: int, no_serve: bool, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        logins = seed_demo()
        url = f"http://127.0.0.1:{port}/"
        self.stdout.write(self.style.SUCCESS(f"TenantPilot demo is ready at {url}"))
        self.stdout.write("Logins (demo only):")
        for login in logins:
            self.stdout.write(f"  {login.role:<32} {login.username:<24} password: {login.password}")
        if no_serve:
            return
        worker = start_embedded_worker()
        self.stdout.write(f"Background worker started (pid {worker.pid}).")
        # A SIGTERM to the demo must also stop the worker: turn it into SystemExit so `finally` runs.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        try:
            call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, insecure_serving=True)
        finally:
            stop_embedded_worker(worker)


def start_embedded_worker() -> subprocess.Popen[bytes]:
    """One ``tenantpilot worker`` process beside the web server, on the same settings and database."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "tenantpilot.settings.base")}
    return subprocess.Popen(
        [sys.executable, "-m", "tenantpilot.cli", "worker", "--interval", "1", "--verbosity", "0"], env=env
    )


def stop_embedded_worker(worker: subprocess.Popen[bytes], *, timeout: float = 15.0) -> None:
    """Ask the worker to finish its current run (SIGTERM), then kill it if it does not."""
    if worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=timeout)
