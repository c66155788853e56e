"""The API app: ``/api/v1/`` (no models) and the operator CLI commands (``runs``, ``inventory``, ``bindings``)."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    """Installed so Django finds the CLI's management commands; the API routes are mounted in ``urls.py``."""

    name = "tenantpilot.api"
    label = "api"
    verbose_name = "API and CLI"
