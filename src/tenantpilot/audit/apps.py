from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tenantpilot.audit"
    label = "audit"
    verbose_name = "Audit"
