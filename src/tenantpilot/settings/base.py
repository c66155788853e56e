"""Settings shared by every deployment, read from environment variables.

Embedded defaults (SQLite in ``var/``, a generated secret key file) make the product start on a
fresh machine with no configuration; ``DATABASE_URL`` switches to PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TENANTPILOT_VAR_DIR", Path.cwd() / "var")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _embedded_secret_key() -> str:
    """Return the embedded secret key, creating it owner-readable on first use."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = os.environ.get("TENANTPILOT_SECRET_KEY") or _embedded_secret_key()
DEBUG = _env_bool("TENANTPILOT_DEBUG", False)
ALLOWED_HOSTS = [h for h in os.environ.get("TENANTPILOT_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "tenantpilot.core.apps.SystemAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "tenantpilot.core",
    "tenantpilot.authz",
    "tenantpilot.tenancy",
    "tenantpilot.audit",
    "tenantpilot.providers",
    "tenantpilot.operations",
    "tenantpilot.inventory",
    "tenantpilot.resources",
    "tenantpilot.baselines",
    "tenantpilot.alerts",
    "tenantpilot.console",
    "tenantpilot.api",
]

MIDDLEWARE = [
    "tenantpilot.core.middleware.RequestIdMiddleware",
    "tenantpilot.core.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (collected, hashed and compressed in production) without a separate web server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tenantpilot.core.middleware.DomainErrorMiddleware",
]

ROOT_URLCONF = "tenantpilot.urls"
WSGI_APPLICATION = "tenantpilot.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenantpilot.console.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'tenantpilot.sqlite3'}",
        conn_max_age=int(os.environ.get("TENANTPILOT_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded database's directory exists before any command opens it (a fresh clone has no var/).
    if DATABASES["default"]["NAME"] not in ("", ":memory:"):
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL and a busy timeout let the embedded worker and the web server share one file.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# Password sign-in goes through the throttle (audit.signin): short, exponential, bounded locks per
# (account, client address) and per client address; never per account alone. Counted in the
# database, so every process agrees. Behind N reverse proxies of yours, set
# TENANTPILOT_TRUSTED_PROXY_HOPS=N so the client address comes from X-Forwarded-For.
AUTHENTICATION_BACKENDS = ["tenantpilot.audit.signin.ThrottledModelBackend"]
TENANTPILOT_SIGNIN_ACCOUNT_FREE_FAILURES = 5
TENANTPILOT_SIGNIN_ADDRESS_FREE_FAILURES = 20
TENANTPILOT_SIGNIN_FIRST_LOCK_SECONDS = 30
TENANTPILOT_SIGNIN_MAX_LOCK_SECONDS = 900
TENANTPILOT_SIGNIN_FORGET_SECONDS = 3600
TENANTPILOT_TRUSTED_PROXY_HOPS = int(os.environ.get("TENANTPILOT_TRUSTED_PROXY_HOPS", "0"))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:workspace-picker"
LOGOUT_REDIRECT_URL = "console:login"

# E-mail (invitations, password reset, alerts) through Django's mailers. With
# TENANTPILOT_EMAIL_HOST set, mail goes out over SMTP (STARTTLS on port 587, implicit TLS on 465);
# without it, mail is written to the server's standard output (the demo and development).
_EMAIL_HOST = os.environ.get("TENANTPILOT_EMAIL_HOST", "")
_EMAIL_PORT = int(os.environ.get("TENANTPILOT_EMAIL_PORT", "587"))
MAILERS = {
    "default": (
        {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _EMAIL_HOST,
                "port": _EMAIL_PORT,
                "username": os.environ.get("TENANTPILOT_EMAIL_USER", ""),
                "password": os.environ.get("TENANTPILOT_EMAIL_PASSWORD", ""),
                "use_tls": _env_bool("TENANTPILOT_EMAIL_USE_TLS", _EMAIL_PORT == 587),
                "use_ssl": _env_bool("TENANTPILOT_EMAIL_USE_SSL", _EMAIL_PORT == 465),
                "timeout": int(os.environ.get("TENANTPILOT_EMAIL_TIMEOUT", "10")),
            },
        }
        if _EMAIL_HOST
        else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    )
}
DEFAULT_FROM_EMAIL = os.environ.get("TENANTPILOT_DEFAULT_FROM_EMAIL", "TenantPilot <tenantpilot@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The console's public address (e.g. https://tenantpilot.example.com), for links made outside a
# request (`tenantpilot create-workspace`). Links in mail sent from a page use that page's host.
TENANTPILOT_BASE_URL = os.environ.get("TENANTPILOT_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("TENANTPILOT_STATIC_ROOT", VAR_DIR / "static")).resolve()

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy on every answer (every deployment, so the demo and the browser tests
# break exactly where production would): scripts and styles only from our own static files,
# an inline <style> only with the request's nonce (``{{ csp_nonce }}``), no plugins, no framing,
# forms post only to us. htmx comes from static (django-htmx) and is told not to inject styles.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
# Every powerful browser feature off: the console uses none (core.middleware.SecurityHeadersMiddleware).
TENANTPILOT_PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), fullscreen=(), "
    "geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), "
    "picture-in-picture=(), publickey-credentials-get=(), screen-wake-lock=(), usb=(), xr-spatial-tracking=()"
)

# Console pagination: rows per list page.
TENANTPILOT_PAGE_SIZE = int(os.environ.get("TENANTPILOT_PAGE_SIZE", "25"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "tenantpilot.core.logging.RequestIdFilter"}},
    "formatters": {"json": {"()": "tenantpilot.core.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("TENANTPILOT_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        # httpx logs every request's full URL at INFO: thousands of lines per sync, and a chat
        # webhook's URL is a secret. The Graph client logs its own requests (contract, status,
        # duration, request id) without query strings.
        "httpx": {"level": "WARNING"},
    },
}

# Microsoft endpoints. The defaults are Microsoft's; the demo and the tests point them at
# graphsim (with its throw-away CA). The same code path serves both.
TENANTPILOT_GRAPH_AUTHORITY_BASE = os.environ.get(
    "TENANTPILOT_GRAPH_AUTHORITY_BASE", "https://login.microsoftonline.com"
)
TENANTPILOT_GRAPH_BASE = os.environ.get("TENANTPILOT_GRAPH_BASE", "https://graph.microsoft.com")
TENANTPILOT_GRAPH_CA_BUNDLE = os.environ.get("TENANTPILOT_GRAPH_CA_BUNDLE") or None
# Fernet keys for provider credentials, newest first (comma-separated). Empty: var/credential_keys.
TENANTPILOT_CREDENTIAL_KEYS = os.environ.get("TENANTPILOT_CREDENTIAL_KEYS", "")
# Key of the operator-note HMACs in audit rows (never a credential key). Empty: derived from
# SECRET_KEY with HKDF and a domain-separation label (see tenantpilot.audit.redaction).
TENANTPILOT_AUDIT_HMAC_KEY = os.environ.get("TENANTPILOT_AUDIT_HMAC_KEY", "")

# Operation runs: a running run's worker writes a heartbeat every HEARTBEAT seconds; a run with no
# heartbeat for STALE seconds counts as lost and the reaper (in every worker, every REAPER_INTERVAL
# seconds, or `tenantpilot reap-runs`) fails it with reason worker_lost. Extra modules that
# register operation handlers (besides each app's `operation_handlers`): comma-separated.
TENANTPILOT_RUN_HEARTBEAT_SECONDS = float(os.environ.get("TENANTPILOT_RUN_HEARTBEAT_SECONDS", "10"))
TENANTPILOT_RUN_STALE_SECONDS = float(os.environ.get("TENANTPILOT_RUN_STALE_SECONDS", "120"))
TENANTPILOT_REAPER_INTERVAL_SECONDS = float(os.environ.get("TENANTPILOT_REAPER_INTERVAL_SECONDS", "30"))
# Retry budget of one run (seconds): every retry wait of the run's Graph and token calls, on all
# its threads, ends within it. A longer Retry-After is shortened to the time left, logged with the
# run id and counted on the run (retry_waits_capped). The health check has a shorter one.
TENANTPILOT_RUN_RETRY_BUDGET_SECONDS = float(os.environ.get("TENANTPILOT_RUN_RETRY_BUDGET_SECONDS", "3600"))
TENANTPILOT_HEALTH_CHECK_RETRY_BUDGET_SECONDS = float(
    os.environ.get("TENANTPILOT_HEALTH_CHECK_RETRY_BUDGET_SECONDS", "120")
)
TENANTPILOT_OPERATION_MODULES = [
    m.strip() for m in os.environ.get("TENANTPILOT_OPERATION_MODULES", "").split(",") if m.strip()
]

# Alerts (tenantpilot.alerts): deliveries are retried with exponential backoff (BASE, 2×BASE, …,
# at most MAX seconds apart, MAX_ATTEMPTS in all). A webhook must be https unless its host is in
# TENANTPILOT_ALERT_WEBHOOK_INSECURE_HOSTS (comma-separated; e.g. 127.0.0.1 for a local receiver),
# and it may not resolve to a private or reserved address unless listed there.
# Links in alert e-mails and webhooks start with TENANTPILOT_BASE_URL (above).
TENANTPILOT_ALERT_MAX_ATTEMPTS = int(os.environ.get("TENANTPILOT_ALERT_MAX_ATTEMPTS", "6"))
TENANTPILOT_ALERT_RETRY_BASE_SECONDS = float(os.environ.get("TENANTPILOT_ALERT_RETRY_BASE_SECONDS", "30"))
TENANTPILOT_ALERT_RETRY_MAX_SECONDS = float(os.environ.get("TENANTPILOT_ALERT_RETRY_MAX_SECONDS", "3600"))
TENANTPILOT_ALERT_DUE_GRACE_SECONDS = float(os.environ.get("TENANTPILOT_ALERT_DUE_GRACE_SECONDS", "60"))
TENANTPILOT_ALERT_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("TENANTPILOT_ALERT_WEBHOOK_TIMEOUT_SECONDS", "10"))
TENANTPILOT_ALERT_WEBHOOK_INSECURE_HOSTS = [
    h.strip() for h in os.environ.get("TENANTPILOT_ALERT_WEBHOOK_INSECURE_HOSTS", "").split(",") if h.strip()
]
