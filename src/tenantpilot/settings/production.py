"""Production settings: every secret from the environment, secure cookies, HTTPS only (HSTS),
PostgreSQL expected."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, _env_bool

if not os.environ.get("TENANTPILOT_SECRET_KEY"):
    raise ImproperlyConfigured("TENANTPILOT_SECRET_KEY must be set in production.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and not os.environ.get("TENANTPILOT_ALLOW_SQLITE"):
    raise ImproperlyConfigured("Production needs DATABASE_URL pointing at PostgreSQL.")

DEBUG = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# HTTPS only. Behind a TLS-terminating proxy, the proxy must set X-Forwarded-Proto (above).
# HSTS is sent on HTTPS answers only (browsers ignore it over HTTP); a year by default.
SECURE_SSL_REDIRECT = _env_bool("TENANTPILOT_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("TENANTPILOT_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("TENANTPILOT_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = False
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
