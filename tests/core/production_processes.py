"""Real production processes for tests: ``tenantpilot serve`` and ``tenantpilot worker`` as
subprocesses on production settings, and a tiny HTTP session that keeps cookies by hand.

Everything waits by polling a condition with a generous deadline (the CI box is loaded); nothing
sleeps to synchronize. Output of each process is collected line by line in a background thread,
so a failing test shows what the process said.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "multiprocess-test-secret-key-0123456789-0123456789-0123456789"
START_TIMEOUT = 240.0


def production_env(var_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a production process: the three required variables and a private var dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTPILOT_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tenantpilot.settings.production",
            "DATABASE_URL": database_url,
            "TENANTPILOT_SECRET_KEY": SECRET_KEY,
            "TENANTPILOT_CREDENTIAL_KEYS": Fernet.generate_key().decode(),
            "TENANTPILOT_VAR_DIR": str(var_dir),
            "TENANTPILOT_STATIC_ROOT": str(var_dir / "static"),
            # Behind "a proxy" that sets X-Forwarded-Proto: the test client plays it.
            "TENANTPILOT_PROXY_SSL_HEADER": "X-Forwarded-Proto",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def run_cli(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run one ``tenantpilot`` command to its end; fail loudly with its output."""
    result = subprocess.run(
        [sys.executable, "-m", "tenantpilot.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"tenantpilot {' '.join(args)}: {result.stdout}\n{result.stderr}"
    return result


class Process:
    """A running ``tenantpilot`` subprocess whose stdout and stderr lines are collected."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.args = args
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "tenantpilot.cli", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._readers = [
            threading.Thread(target=self._collect, args=(self.popen.stdout, self.stdout), daemon=True),
            threading.Thread(target=self._collect, args=(self.popen.stderr, self.stderr), daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _collect(stream: Any, lines: list[str]) -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))

    def output(self) -> str:
        """Everything the process said so far (for assertion messages)."""
        return f"$ tenantpilot {' '.join(self.args)}\n" + "\n".join([*self.stdout, *self.stderr])

    def json_lines(self, stream: str = "stdout") -> list[dict[str, Any]]:
        """The lines of ``stream`` that are JSON objects."""
        records = []
        for line in list(getattr(self, stream)):
            if line.startswith("{"):
                try:
                    records.append(json.loads(line))
                except ValueError:
                    continue
        return records

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM (graceful), then SIGKILL after ``timeout``; returns the exit status."""
        if self.alive():
            self.popen.terminate()
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=30)
        for reader in self._readers:
            reader.join(timeout=10)
        return self.popen.returncode


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str, process: Process | None = None) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds
    (or as soon as ``process`` died) naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if process is not None and not process.alive():
            raise AssertionError(f"{what}: the process exited ({process.popen.returncode})\n{process.output()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s" + (f"\n{process.output()}" if process else ""))
        time.sleep(0.2)


_LISTENING = re.compile(r"Listening at: (http://\S+) ")


def start_server(env: dict[str, str], *extra: str) -> tuple[Process, str]:
    """``tenantpilot serve`` on a free loopback port; returns it and its base URL once it listens."""
    # gunicorn names its port in an INFO line.
    server = Process(
        {**env, "TENANTPILOT_LOG_LEVEL": "INFO"}, "serve", "--bind", "127.0.0.1:0", "--workers", "2", *extra
    )

    def listening() -> str | None:
        for record in server.json_lines("stderr"):
            match = _LISTENING.search(str(record.get("message", "")) + " ")
            if match:
                return match.group(1)
        return None

    base_url = wait_for(listening, timeout=START_TIMEOUT, what="gunicorn listening", process=server)
    return server, base_url


class Session:
    """HTTP through "the proxy": every request says ``X-Forwarded-Proto: https`` (so Django sees
    HTTPS and sets Secure cookies), and cookies are kept by hand (httpx would not send Secure
    cookies back over plain HTTP)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies: dict[str, str] = {}
        self.client = httpx.Client(base_url=base_url, timeout=60, follow_redirects=False, trust_env=False)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"X-Forwarded-Proto": "https", **kwargs.pop("headers", {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.client.request(method, path, headers=headers, **kwargs)
        for header in response.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post_form(self, path: str, data: dict[str, str]) -> httpx.Response:
        """POST a form the way a browser does: the CSRF token from the cookie, a same-origin Referer."""
        host = self.base_url.split("://", 1)[1]
        return self.request(
            "POST",
            path,
            data={"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **data},
            headers={"Referer": f"https://{host}{path}"},
        )

    def close(self) -> None:
        self.client.close()
