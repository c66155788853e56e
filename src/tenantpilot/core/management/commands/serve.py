"""``tenantpilot serve``: the production web server (gunicorn on ``tenantpilot.wsgi``).

Defaults come from the environment, then from ``core.serving.ServeConfig``: ``--bind``
(``TENANTPILOT_BIND``, default 127.0.0.1:8000; repeatable), ``--workers`` (``TENANTPILOT_WEB_WORKERS``,
default 2 × CPUs + 1, at most 12), ``--threads`` (``TENANTPILOT_WEB_THREADS``, 4), ``--timeout``
(``TENANTPILOT_WEB_TIMEOUT``, 60 s), ``--forwarded-allow-ips`` (``TENANTPILOT_FORWARDED_ALLOW_IPS``,
loopback). Logs (access log included) are JSON lines on stdout/stderr.

It refuses to start (non-zero exit, one clear line) when the static files were not collected
for a manifest storage (``tenantpilot collectstatic --noinput`` first), so no page ever fails
on a missing stylesheet.
"""

from __future__ import annotations

import json
import os
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage, staticfiles_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.wsgi import get_wsgi_application

from tenantpilot.core.serving import ServeConfig, TenantPilotServer, default_workers


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise CommandError(f"{name} must be a whole number (got {raw!r}).") from None


def _positive(value: int, option: str) -> int:
    if value < 1:
        raise CommandError(f"{option} must be 1 or more.")
    return value


class Command(BaseCommand):
    help = "Serve TenantPilot in production with gunicorn (JSON access log, static files via whitenoise)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind",
            action="append",
            default=None,
            metavar="ADDRESS",
            help="HOST:PORT or unix:PATH to listen on; repeatable (default: TENANTPILOT_BIND or 127.0.0.1:8000).",
        )
        parser.add_argument("--workers", type=int, default=None, help="Worker processes (default: 2 × CPUs + 1).")
        parser.add_argument("--threads", type=int, default=None, help="Threads per worker (default: 4).")
        parser.add_argument("--timeout", type=int, default=None, help="Seconds before a silent worker is restarted.")
        parser.add_argument(
            "--forwarded-allow-ips",
            default=None,
            help="Proxy addresses whose X-Forwarded-* headers gunicorn trusts (default: loopback).",
        )
        parser.add_argument("--no-access-log", action="store_true", help="Do not write the access log.")
        parser.add_argument(
            "--print-config", action="store_true", help="Print the effective configuration as JSON and exit."
        )

    def config(self, options: dict[str, Any]) -> ServeConfig:
        """The effective configuration: options, then environment variables, then defaults."""
        bind = options.get("bind") or [
            b.strip() for b in os.environ.get("TENANTPILOT_BIND", "").split(",") if b.strip()
        ]
        config = ServeConfig(
            workers=_positive(
                options.get("workers") or _env_int("TENANTPILOT_WEB_WORKERS", default_workers()), "--workers"
            ),
            threads=_positive(options.get("threads") or _env_int("TENANTPILOT_WEB_THREADS", 4), "--threads"),
            timeout=_positive(options.get("timeout") or _env_int("TENANTPILOT_WEB_TIMEOUT", 60), "--timeout"),
            forwarded_allow_ips=options.get("forwarded_allow_ips")
            or os.environ.get("TENANTPILOT_FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
            access_log=not options.get("no_access_log"),
            log_level=os.environ.get("TENANTPILOT_LOG_LEVEL", "info").lower(),
        )
        if bind:
            config.bind = bind
        return config

    def handle(self, *args: Any, print_config: bool, **options: Any) -> None:
        config = self.config(options)
        if print_config:
            self.stdout.write(json.dumps(config.as_dict(), sort_keys=True))
            return
        self.check_static_files()
        if settings.DEBUG:
            self.stderr.write("Warning: DEBUG is on; use --settings=tenantpilot.settings.production in production.")
        TenantPilotServer(get_wsgi_application, config).run()

    def check_static_files(self) -> None:
        """Refuse to serve pages whose stylesheet or script would be missing from the manifest."""
        if isinstance(staticfiles_storage, ManifestStaticFilesStorage) and staticfiles_storage.read_manifest() is None:
            raise CommandError(
                f"The static files were not collected into {settings.STATIC_ROOT}: "
                "run `tenantpilot collectstatic --noinput` first (again after every upgrade)."
            )
