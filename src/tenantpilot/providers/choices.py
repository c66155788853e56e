"""Enumerations of the providers domain."""

from __future__ import annotations

from django.db import models


class ProviderKey(models.TextChoices):
    MICROSOFT = "microsoft", "Microsoft"


class AuthType(models.TextChoices):
    CLIENT_SECRET = "client_secret", "Client secret"
    CERTIFICATE = "certificate", "Certificate"


class ConnectionStatus(models.TextChoices):
    """Whether operators allow the connection to be used."""

    ENABLED = "enabled", "Enabled"
    DISABLED = "disabled", "Disabled"


class ConnectionHealth(models.TextChoices):
    """What the last health check found."""

    UNKNOWN = "unknown", "Not checked"
    HEALTHY = "healthy", "Healthy"
    DEGRADED = "degraded", "Degraded"
    UNHEALTHY = "unhealthy", "Unhealthy"
