"""Provider connections (environment-scoped) and their credentials (a table of their own)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from tenantpilot.core.db import check_environment_workspace
from tenantpilot.tenancy.models import validate_tenant_guid

from .choices import AuthType, ConnectionHealth, ConnectionStatus, ProviderKey


class ProviderConnectionQuerySet(models.QuerySet["ProviderConnection"]):
    def for_environment(self, environment: object) -> ProviderConnectionQuerySet:
        return self.filter(environment=environment)

    def enabled(self) -> ProviderConnectionQuerySet:
        return self.filter(status=ConnectionStatus.ENABLED)


class ProviderConnection(models.Model):
    """How TenantPilot reaches one customer tenant: an app registration's client credentials.

    Several per environment; exactly one is the default while any exist (at most one by a
    partial unique index, at least one by ``providers.services``). The credential itself lives
    in ``ProviderCredential`` and is never part of this row.
    """

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    environment = models.ForeignKey(
        "tenancy.ManagedEnvironment", on_delete=models.PROTECT, related_name="provider_connections"
    )
    provider_key = models.CharField(max_length=32, choices=ProviderKey.choices, default=ProviderKey.MICROSOFT)
    display_name = models.CharField(max_length=120)
    entra_tenant_id = models.CharField("Entra tenant id", max_length=36, validators=[validate_tenant_guid])
    client_id = models.CharField("Application (client) id", max_length=36, validators=[validate_tenant_guid])
    auth_type = models.CharField(max_length=16, choices=AuthType.choices)
    status = models.CharField(max_length=16, choices=ConnectionStatus.choices, default=ConnectionStatus.ENABLED)
    is_default = models.BooleanField(default=False)
    health = models.CharField(max_length=16, choices=ConnectionHealth.choices, default=ConnectionHealth.UNKNOWN)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_reason_code = models.CharField(max_length=64, blank=True)
    last_message = models.CharField(max_length=300, blank=True)
    permission_report = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProviderConnectionQuerySet.as_manager()

    class Meta:
        db_table = "provider_connections"
        ordering = ["-is_default", "display_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["environment"], condition=Q(is_default=True), name="provider_connection_one_default"
            ),
            models.UniqueConstraint(fields=["environment", "display_name"], name="provider_connection_unique_name"),
            models.CheckConstraint(condition=~Q(display_name=""), name="provider_connection_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_enabled(self) -> bool:
        return self.status == ConnectionStatus.ENABLED

    def clean(self) -> None:
        check_environment_workspace(self)


class ProviderCredential(models.Model):
    """The encrypted secret or certificate of one connection. Only ``providers.credentials`` reads it.

    ``ciphertext`` is a Fernet token over a JSON document; the key ring lives outside the
    database. Safe, non-secret facts (certificate thumbprint and expiry) sit beside it so the
    console can show them without decrypting anything.
    """

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    environment = models.ForeignKey("tenancy.ManagedEnvironment", on_delete=models.PROTECT, related_name="+")
    connection = models.OneToOneField(ProviderConnection, on_delete=models.CASCADE, related_name="credential")
    kind = models.CharField(max_length=16, choices=AuthType.choices)
    ciphertext = models.TextField()
    certificate_thumbprint = models.CharField(max_length=64, blank=True)
    certificate_expires_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "provider_credentials"

    def __str__(self) -> str:
        return f"credential of connection {self.connection_id}"

    def __repr__(self) -> str:
        return f"<ProviderCredential connection={self.connection_id} kind={self.kind}>"

    def clean(self) -> None:
        check_environment_workspace(self)
