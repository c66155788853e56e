"""Top-level routes: the console, the platform admin at /system/, and /healthz."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from tenantpilot.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("system/", admin.site.urls),
    path("", include("tenantpilot.console.urls")),
]

handler404 = "tenantpilot.console.views.errors.not_found"
handler403 = "tenantpilot.console.views.errors.forbidden"
