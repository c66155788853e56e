"""Test settings: fast hashing, tasks inline, quiet logs; the database still follows DATABASE_URL."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("TENANTPILOT_VAR_DIR", tempfile.mkdtemp(prefix="tenantpilot-test-"))
os.environ.setdefault("TENANTPILOT_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")

from .base import *  # noqa: F403
from .base import DATABASES, LOGGING

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# Tests talk to graphsim (the `graph_settings` fixture). A test that forgets it must fail fast on
# loopback, never reach Microsoft: port 9 (discard) refuses the connection.
TENANTPILOT_GRAPH_AUTHORITY_BASE = "https://127.0.0.1:9"
TENANTPILOT_GRAPH_BASE = "https://127.0.0.1:9"
