"""``tenantpilot demo`` as a newcomer runs it: one instance per var dir, a port that is checked
before anything starts, and a Ctrl-C that stops everything cleanly.

The demo runs in a real subprocess (its own var dir, a free port); readiness is polled (the lock
file says "serving" and the console answers), never slept for.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tenantpilot.core.management.commands.demo import LOCK_FILE, DemoInstanceLock

READY_TIMEOUT = 300.0  # migrate + seed + simulator + worker on a loaded CI box
STOP_TIMEOUT = 120.0


def _env(var_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"} and not k.startswith("TENANTPILOT_")
    }
    env["TENANTPILOT_VAR_DIR"] = str(var_dir)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _demo(var_dir: Path, port: int, **kwargs) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tenantpilot.cli", "demo", "--port", str(port)],
        env=_env(var_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _wait_until_serving(proc: subprocess.Popen[str], var_dir: Path, port: int) -> dict:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the demo exited early: {proc.communicate()}"
        holder = DemoInstanceLock(var_dir).holder()
        if holder.get("state") == "serving":
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
                    if answer.status < 500:
                        return holder
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    return holder
            except OSError:
                pass
        time.sleep(0.2)  # polling interval, not synchronization: the loop checks the condition
    raise AssertionError("the demo did not become ready")


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_lock_admits_one_holder_and_says_who_it_is(tmp_path):
    first, second = DemoInstanceLock(tmp_path), DemoInstanceLock(tmp_path)
    assert first.acquire()
    first.describe(url="http://127.0.0.1:8123/", port=8123)
    assert not second.acquire()
    assert second.holder()["url"] == "http://127.0.0.1:8123/"
    assert second.holder()["pid"] == os.getpid()
    first.release()
    assert second.acquire()
    second.release()


def test_a_port_in_use_is_refused_before_anything_starts(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "tenantpilot.cli", "demo", "--port", str(port)],
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=STOP_TIMEOUT,
            check=False,
        )
    assert result.returncode == 1
    assert f"Port {port}" in result.stderr and "PORT=" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "graphsim").exists(), "no simulator may start"
    assert DemoInstanceLock(tmp_path).acquire(), "the lock is released"


def test_a_bad_port_is_a_usage_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tenantpilot.cli", "demo", "--port", "70000"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=STOP_TIMEOUT,
        check=False,
    )
    assert result.returncode != 0 and "--port" in result.stderr and "65535" in result.stderr


def test_second_start_reports_the_first_and_ctrl_c_stops_everything_cleanly(tmp_path):
    port = _free_port()
    first = _demo(tmp_path, port)
    try:
        holder = _wait_until_serving(first, tmp_path, port)
        assert holder["pid"] == first.pid and holder["url"] == f"http://127.0.0.1:{port}/"
        state_file = tmp_path / "graphsim" / "graphsim.json"
        ca_file = tmp_path / "graphsim" / "graphsim-ca.pem"
        state_before, ca_before = state_file.read_bytes(), ca_file.read_bytes()
        simulator_pid = json.loads(state_before)["pid"]

        # A second start, even on another port, finds the first and touches nothing.
        second = subprocess.run(
            [sys.executable, "-m", "tenantpilot.cli", "demo", "--port", str(_free_port())],
            env=_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=STOP_TIMEOUT,
            check=False,
        )
        assert second.returncode == 0, second.stderr
        assert "already running" in second.stdout
        assert f"http://127.0.0.1:{port}/" in second.stdout and f"pid {first.pid}" in second.stdout
        assert state_file.read_bytes() == state_before and ca_file.read_bytes() == ca_before
        assert first.poll() is None

        # Ctrl-C: the terminal sends SIGINT to the demo (its children run in their own session).
        first.send_signal(signal.SIGINT)
        out, err = first.communicate(timeout=STOP_TIMEOUT)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == 0, err
    assert "Traceback" not in err, err
    assert "Exception ignored" not in err and "SystemExit" not in err, err
    assert "Demo stopped." in out
    worker_pid = int(out.split("Background worker started (pid ")[1].split(")")[0])
    assert _gone(simulator_pid) and _gone(worker_pid)
    assert not state_file.exists(), "the simulator removed its state file on a clean stop"
    assert (tmp_path / LOCK_FILE).exists() and DemoInstanceLock(tmp_path).acquire()
    # Human demo logs: one line per run, no JSON lines.
    assert not any(line.startswith("{") for line in err.splitlines()), err
