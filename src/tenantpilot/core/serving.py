"""The production web server: gunicorn, configured for TenantPilot (``tenantpilot serve``).

Guarantees: every gunicorn log line (errors and the access log) is one JSON object per line in
the same shape as the application's own log (``core.logging.JsonFormatter``), and each access
line carries the request id the application answered with (``X-Request-ID``), so one grep finds
a request in the access log and in the application log. The query string is never logged (it
may carry a filter a user typed).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connections
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from .logging import JsonFormatter

DEFAULT_BIND = "127.0.0.1:8000"
MAX_DEFAULT_WORKERS = 12


def default_workers(cpu_count: int | None = None) -> int:
    """``2 × CPUs + 1`` (gunicorn's advice), at most 12: each worker holds database connections."""
    cpus = cpu_count if cpu_count is not None else (os.cpu_count() or 1)
    return max(2, min(2 * cpus + 1, MAX_DEFAULT_WORKERS))


@dataclass
class ServeConfig:
    """What ``tenantpilot serve`` hands gunicorn; every field has a production-sane default."""

    bind: list[str] = field(default_factory=lambda: [DEFAULT_BIND])
    workers: int = field(default_factory=default_workers)
    threads: int = 4
    timeout: int = 60
    graceful_timeout: int = 30
    keepalive: int = 5
    max_requests: int = 1000
    max_requests_jitter: int = 100
    forwarded_allow_ips: str = "127.0.0.1,::1"
    access_log: bool = True
    log_level: str = "info"

    def gunicorn_settings(self) -> dict[str, Any]:
        """The gunicorn settings (names as in gunicorn's configuration file)."""
        settings: dict[str, Any] = {
            "bind": list(self.bind),
            "workers": self.workers,
            # Threads: a slow client or a long page blocks one thread, not a whole worker.
            "worker_class": "gthread",
            "threads": self.threads,
            "timeout": self.timeout,
            "graceful_timeout": self.graceful_timeout,
            "keepalive": self.keepalive,
            "max_requests": self.max_requests,
            "max_requests_jitter": self.max_requests_jitter,
            "forwarded_allow_ips": self.forwarded_allow_ips,
            "accesslog": "-" if self.access_log else None,
            "errorlog": "-",
            "loglevel": self.log_level,
            "logger_class": JsonGunicornLogger,
            "proc_name": "tenantpilot-web",
            # The application loads once in the master: a broken configuration fails at start,
            # not in every worker; workers fork with no database connection open.
            "preload_app": True,
            "control_socket_disable": True,
        }
        if os.path.isdir("/dev/shm"):  # noqa: S108 - gunicorn's advice: heartbeat files in memory
            settings["worker_tmp_dir"] = "/dev/shm"  # noqa: S108
        return settings

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly view (for ``tenantpilot serve --print-config``)."""
        return asdict(self)


class JsonGunicornLogger(Logger):
    """gunicorn's logger with JSON lines: ``JsonFormatter`` on its handlers, one record per request."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())

    def access(self, resp: Any, req: Any, environ: Mapping[str, Any], request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        headers = {str(k).lower(): v for k, v in (getattr(resp, "headers", None) or [])}
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        duration_ms = request_time.seconds * 1000 + request_time.microseconds / 1000
        extra = {
            "request_id": headers.get("x-request-id"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "status": int(status) if str(status).isdigit() else status,
            "duration_ms": round(duration_ms, 1),
            "bytes": getattr(resp, "sent", None),
            "remote_addr": environ.get("REMOTE_ADDR"),
            "user_agent": (environ.get("HTTP_USER_AGENT") or "")[:200],
        }
        try:
            self.access_log.info("request", extra=extra)
        except Exception:  # noqa: BLE001 - a log line must never fail a request
            self.error_log.exception("access log line failed")


class TenantPilotServer(BaseApplication):  # type: ignore[misc]
    """gunicorn serving ``application`` with ``config`` (no command line or config file of its own)."""

    def __init__(self, application_factory: Callable[[], Any], config: ServeConfig) -> None:
        self.application_factory = application_factory
        self.config = config
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.config.gunicorn_settings().items():
            if value is not None:
                self.cfg.set(name, value)
        if not self.config.access_log:
            self.cfg.set("accesslog", None)

    def load(self) -> Any:
        application = self.application_factory()
        connections.close_all()  # never share a connection across the fork
        return application
