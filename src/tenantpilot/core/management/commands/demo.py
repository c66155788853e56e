"""``tenantpilot demo``: migrate the embedded database, seed the demo, and serve the console with an
embedded worker and the Microsoft simulator (graphsim) beside it.

On the first start the worker also syncs every demo environment, captures the "Contoso baseline"
from the golden tenant and compares the other customers with it (``tenantpilot.demo_worker``), so
the first login already shows drift.

One demo per var dir: the command holds an exclusive ``flock`` on ``var/demo.lock`` for its whole
life (the OS releases it when the process ends, however it ends). A second start finds the lock
taken, prints where the running demo is (URL, pid) and exits 0 without touching anything. Ctrl-C
(or SIGTERM) stops the web server, then the simulator and the worker, and exits 0 without a
traceback; the children run in their own session (the terminal's Ctrl-C reaches only the demo,
which stops each child exactly once) and, on Linux, die with the demo if it is killed.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import errno
import fcntl
import json
import logging.config
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import IO, Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenantpilot.core.errors import Conflict
from tenantpilot.core.logging import human_logging_config
from tenantpilot.demo import (
    DEMO_LOUD_LOGGERS,
    DEMO_PROFILE_NAME,
    DEMO_QUIET_LOGGERS,
    DEMO_WORKSPACE_SLUG,
    HUMAN_LOGS_ENV,
    demo_profile_id,
    seed_demo,
)
from tenantpilot.operations.choices import OperationType
from tenantpilot.operations.services import operation_start
from tenantpilot.providers.models import ProviderConnection

DEMO_WORKER_MODULE = "tenantpilot.demo_worker"
LOCK_FILE = "demo.lock"
SIMULATOR_DIR = "graphsim"
SIMULATOR_LOG = "graphsim.log"
SIMULATOR_START_TIMEOUT = 120.0  # trustme and the fixtures take seconds on a loaded machine
_PR_SET_PDEATHSIG = 1


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 1–65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1-65535, not {port}")
    return port


class DemoInstanceLock:
    """One running demo per var dir: an exclusive, non-blocking ``flock`` on ``<var>/demo.lock``.

    Guarantees: at most one process holds it; the OS releases it when the holder exits (even on
    SIGKILL), so a crashed demo never blocks the next one; the file holds the holder's JSON
    description (pid, URL, port, var dir) for the next start to print. The descriptor is not
    inherited by children, so a leftover child never keeps the lock.
    """

    def __init__(self, var_dir: Path) -> None:
        self.var_dir = var_dir
        self.path = var_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> bool:
        """Take the lock without waiting; False when another process holds it."""
        self.var_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            raise
        self._fd = fd
        return True

    def describe(self, **info: Any) -> None:
        """Record who holds the lock (what a second start prints)."""
        if self._fd is None:
            raise RuntimeError("describe() needs the lock")
        data = json.dumps({"pid": os.getpid(), "var_dir": str(self.var_dir), **info}).encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)

    def holder(self) -> dict[str, Any]:
        """What the holder recorded (empty while it is still starting, or if unreadable)."""
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def release(self) -> None:
        """Give the lock up (also done by the OS when the process ends)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def reserve_port(port: int) -> socket.socket:
    """Listen on 127.0.0.1:``port`` until the web server takes over, so that nothing started
    meanwhile (the simulator's free ports) can get it. CommandError naming the fix when it is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(1)
    except OSError as exc:
        sock.close()
        reason = "is already in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc.strerror})"
        raise CommandError(
            f"Port {port} on 127.0.0.1 {reason}. Choose another one: "
            f"`make demo PORT={port + 1 if port < 65535 else 8000}` "
            f"or `.venv/bin/tenantpilot demo --port {port + 1 if port < 65535 else 8000}`."
        ) from None
    return sock


class Command(BaseCommand):
    help = "Set up the demo data and serve the console on 127.0.0.1 (one demo per var dir)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=port_number, default=8000, help="console port (default: 8000)")
        parser.add_argument("--no-serve", action="store_true", help="Set up and seed, then exit.")
        parser.add_argument(
            "--no-simulator",
            action="store_true",
            help="Do not start graphsim; use the configured Microsoft endpoints instead.",
        )

    def handle(self, *args: Any, port: int, no_serve: bool, no_simulator: bool, **options: Any) -> None:
        var_dir = Path(settings.VAR_DIR)
        lock = DemoInstanceLock(var_dir)
        if not lock.acquire():
            self._report_running(lock.holder(), var_dir)
            return
        try:
            lock.describe(port=port, url=f"http://127.0.0.1:{port}/", state="starting")
            self._run(lock, port=port, no_serve=no_serve, no_simulator=no_simulator)
        except KeyboardInterrupt:
            self.stdout.write("Demo stopped.")
        finally:
            lock.release()

    def _report_running(self, holder: dict[str, Any], var_dir: Path) -> None:
        url = holder.get("url") or "(still starting)"
        pid = holder.get("pid") or "?"
        self.stdout.write(
            f"A TenantPilot demo is already running for {var_dir}: {url} (pid {pid}).\n"
            "Nothing was started or changed. Stop it with Ctrl-C in its terminal (or `kill "
            f"{pid}`); a second, separate demo needs its own var dir and port, e.g. "
            "`TENANTPILOT_VAR_DIR=var2 make demo PORT=8001`."
        )

    def _run(self, lock: DemoInstanceLock, *, port: int, no_serve: bool, no_simulator: bool) -> None:
        reservation = None if no_serve else reserve_port(port)
        try:
            call_command("migrate", interactive=False, verbosity=0)
            logins = seed_demo()
            url = f"http://127.0.0.1:{port}/"
            self.stdout.write(self.style.SUCCESS(f"TenantPilot demo is ready at {url}"))
            self.stdout.write("Logins (demo only):")
            for login in logins:
                self.stdout.write(f"  {login.role:<32} {login.username:<24} password: {login.password}")
            if reservation is None:
                return
            self._serve(lock, reservation, port=port, no_simulator=no_simulator)
        finally:
            if reservation is not None:
                reservation.close()

    def _serve(self, lock: DemoInstanceLock, reservation: socket.socket, *, port: int, no_simulator: bool) -> None:
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # no "No directory at" warning
        logging.config.dictConfig(
            human_logging_config(settings.LOGGING, loud_loggers=DEMO_LOUD_LOGGERS, quiet_loggers=DEMO_QUIET_LOGGERS)
        )
        children: list[subprocess.Popen[bytes]] = []
        # SIGTERM stops the demo like Ctrl-C does (the web server turns it into a clean exit).
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            simulator_line = "Microsoft endpoints: as configured (--no-simulator)."
            if not no_simulator:
                simulator, state = start_simulator(Path(settings.VAR_DIR) / SIMULATOR_DIR)
                children.append(simulator)
                simulator_line = (
                    f"Microsoft simulator (graphsim, pid {simulator.pid}) at {state['authority_base']} and "
                    f"{state['graph_base']}; its log: {Path(settings.VAR_DIR) / SIMULATOR_DIR / SIMULATOR_LOG}."
                )
            self.stdout.write(simulator_line)
            worker = start_embedded_worker()
            children.append(worker)
            self.stdout.write(f"Background worker started (pid {worker.pid}).")
            queued = check_demo_connections()
            self.stdout.write(f"Queued {queued} connection checks; watch them under Operations.")
            self.stdout.write(
                "The worker then syncs the inventories, captures the Contoso baseline and compares the other "
                "customers (first start only): see Baselines in a minute or two."
            )
            profile_id = demo_profile_id()
            if profile_id is not None:
                self.stdout.write(f'Baseline profile "{DEMO_PROFILE_NAME}": id {profile_id}.')
            if not no_simulator:
                self.stdout.write(
                    "Change a simulated tenant while the demo runs: "
                    ".venv/bin/tenantpilot graphsim change --help (see the README)."
                )
            self.stdout.write("Stop the demo with Ctrl-C.")
            lock.describe(port=port, url=f"http://127.0.0.1:{port}/", state="serving")
            reservation.close()
            try:
                call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, insecure_serving=True)
            except SystemExit as exc:  # runserver's own answer to Ctrl-C
                if exc.code not in (0, None):
                    raise
        finally:
            stop_children(children)
        self.stdout.write("Demo stopped.")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: SIGTERM this child when the demo dies (even by SIGKILL), so no child outlives it."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn_child(
    command: list[str], *, env: dict[str, str] | None = None, stdout: IO[bytes] | int | None = None
) -> subprocess.Popen[bytes]:
    """A child of the demo in its own session (the terminal's Ctrl-C reaches only the demo, which
    then stops each child once: no double signal, no traceback), that dies with the demo."""
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        command,
        env=env,
        stdout=stdout,
        start_new_session=True,
        preexec_fn=_die_with_parent,  # the demo has no other threads yet; prctl is async-signal-safe
    )


def start_simulator(
    ca_dir: Path, *, timeout: float = SIMULATOR_START_TIMEOUT
) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """Start ``tenantpilot graphsim`` (its output in ``graphsim.log``) and point this process and
    its children at it. Only the lock holder calls it, so no other demo's CA or state is replaced."""
    ca_dir.mkdir(parents=True, exist_ok=True)
    state_file = ca_dir / "graphsim.json"
    state_file.unlink(missing_ok=True)
    command = [sys.executable, "-m", "tenantpilot.cli", "graphsim", "--ca-dir", str(ca_dir)]
    with open(ca_dir / SIMULATOR_LOG, "wb") as log:
        process = spawn_child(command, stdout=log)
    deadline = time.monotonic() + timeout
    while not state_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_embedded_worker(process)
            raise CommandError(f"graphsim did not start; see {ca_dir / SIMULATOR_LOG}")
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
    that also runs the demo's first-start chain and logs in short human lines (``tenantpilot.demo_worker``)."""
    modules = [m for m in os.environ.get("TENANTPILOT_OPERATION_MODULES", "").split(",") if m.strip()]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "tenantpilot.settings.base"),
        "TENANTPILOT_OPERATION_MODULES": ",".join([*modules, DEMO_WORKER_MODULE]),
        HUMAN_LOGS_ENV: "1",
    }
    return spawn_child(
        [sys.executable, "-m", "tenantpilot.cli", "worker", "--interval", "1", "--verbosity", "0"], env=env
    )


def stop_children(children: list[subprocess.Popen[bytes]]) -> None:
    """Stop the demo's children, newest first. A Ctrl-C meanwhile kills what is left at once
    instead of raising (no traceback while shutting down)."""

    def hurry(signum: int, frame: FrameType | None) -> None:
        for child in children:
            if child.poll() is None:
                child.kill()

    previous = {sig: signal.signal(sig, hurry) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for child in reversed(children):
            stop_embedded_worker(child)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


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
