"""Top-level routes: the console, the platform admin at /system/, the REST API at /api/v1/, and the
probes /healthz (liveness) and /readyz (readiness)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from tenantpilot.api.main import api
from tenantpilot.console.views.assets import favicon
from tenantpilot.health import healthz, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("favicon.ico", favicon, name="favicon"),
    path("system/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("tenantpilot.console.urls")),
]

handler404 = "tenantpilot.console.views.errors.not_found"
handler403 = "tenantpilot.console.views.errors.forbidden"
