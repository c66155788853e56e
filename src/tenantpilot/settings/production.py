"""Production settings: every secret from the environment, secure cookies, HTTPS only (HSTS),
hashed and compressed static files served by whitenoise, PostgreSQL expected.

Fail closed: importing this module raises ``ImproperlyConfigured`` (the ``tenantpilot`` command
turns it into one clear line and exit status 2) unless ``TENANTPILOT_SECRET_KEY``,
``DATABASE_URL`` and ``TENANTPILOT_CREDENTIAL_KEYS`` are set. The checks run *before* the shared
settings are imported, so production never generates a secret key or credential key file on
disk. See docs/DEPLOY.md for every variable.
"""

from __future__ import annotations

import base64
import binascii
import os

from django.core.exceptions import ImproperlyConfigured

REQUIRED_VARIABLES = {
    "TENANTPILOT_SECRET_KEY": "a long random string (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(50))'`)",
    "DATABASE_URL": "the PostgreSQL database, e.g. postgres://tenantpilot:PASSWORD@db.example/tenantpilot",
    "TENANTPILOT_CREDENTIAL_KEYS": (
        "comma-separated Fernet keys, newest first "
        "(`python -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'`)"
    ),
}


def _is_fernet_key(key: str) -> bool:
    """A Fernet key is 32 bytes in URL-safe base64 (checked here without the credential manager,
    which is the only code that builds ciphers)."""
    try:
        return len(base64.urlsafe_b64decode(key.encode())) == 32
    except (binascii.Error, ValueError):
        return False


def _require_environment() -> None:
    """Refuse to configure production with a required variable missing or unusable."""
    missing = [name for name in REQUIRED_VARIABLES if not os.environ.get(name, "").strip()]
    if missing:
        details = "; ".join(f"{name}: {REQUIRED_VARIABLES[name]}" for name in missing)
        raise ImproperlyConfigured(
            f"Production settings refuse to start without {', '.join(missing)}. Set {details}. See docs/DEPLOY.md."
        )
    if len(os.environ["TENANTPILOT_SECRET_KEY"].strip()) < 50:
        raise ImproperlyConfigured("TENANTPILOT_SECRET_KEY is too short: use at least 50 random characters.")
    keys = [k.strip() for k in os.environ["TENANTPILOT_CREDENTIAL_KEYS"].split(",") if k.strip()]
    for position, key in enumerate(keys, start=1):
        if not _is_fernet_key(key):
            # Never echo the key itself.
            raise ImproperlyConfigured(f"TENANTPILOT_CREDENTIAL_KEYS: key number {position} is not a valid Fernet key.")
    if not keys:
        raise ImproperlyConfigured("TENANTPILOT_CREDENTIAL_KEYS holds no key.")
    url = os.environ["DATABASE_URL"].strip()
    if url.startswith("sqlite") and not os.environ.get("TENANTPILOT_ALLOW_SQLITE"):
        raise ImproperlyConfigured(
            "Production needs DATABASE_URL pointing at PostgreSQL "
            "(a single-machine install may set TENANTPILOT_ALLOW_SQLITE=1 to use SQLite)."
        )


_require_environment()

from .base import *  # noqa: E402, F403
from .base import MIDDLEWARE, _env_bool  # noqa: E402

DEBUG = False
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True

# Behind a TLS-terminating proxy that sets ``X-Forwarded-Proto``, set
# TENANTPILOT_PROXY_SSL_HEADER=X-Forwarded-Proto (the header name; the value must be "https").
# Unset (the default), no request header can claim HTTPS: only a TLS connection to us counts.
# Set it only when every request passes through that proxy, and the proxy overwrites the header.
_proxy_header = os.environ.get("TENANTPILOT_PROXY_SSL_HEADER", "").strip()
SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https") if _proxy_header else None

# HTTPS only. HSTS is sent on HTTPS answers only (browsers ignore it over HTTP); a year by default.
SECURE_SSL_REDIRECT = _env_bool("TENANTPILOT_SSL_REDIRECT", True)
# The health probes are called by load balancers and orchestrators over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("TENANTPILOT_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("TENANTPILOT_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = _env_bool("TENANTPILOT_HSTS_PRELOAD", False)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# includeSubDomains and preload bind every host under the domain, which TenantPilot cannot know
# about: they are the operator's decision (the variables above), not a deployment defect.
SILENCED_SYSTEM_CHECKS = ["security.W005", "security.W021"]

# E-mail: never to standard output in production (a password-reset link in a log is a credential).
# Without TENANTPILOT_EMAIL_HOST, mail goes to the local MTA on localhost:25, like NetBox's default.
if not os.environ.get("TENANTPILOT_EMAIL_HOST", "").strip():
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "localhost", "port": 25, "timeout": 10},
        }
    }

# Static files: `tenantpilot collectstatic` writes hashed, compressed copies to STATIC_ROOT
# (TENANTPILOT_STATIC_ROOT, default var/static); whitenoise serves them with far-future caching.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if "whitenoise.middleware.WhiteNoiseMiddleware" not in MIDDLEWARE:
    raise ImproperlyConfigured("Production serves static files through whitenoise's middleware.")
