"""Production settings: every secret from the environment, secure cookies, PostgreSQL expected."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES

if not os.environ.get("TENANTPILOT_SECRET_KEY"):
    raise ImproperlyConfigured("TENANTPILOT_SECRET_KEY must be set in production.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and not os.environ.get("TENANTPILOT_ALLOW_SQLITE"):
    raise ImproperlyConfigured("Production needs DATABASE_URL pointing at PostgreSQL.")

DEBUG = False
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
