from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "tenantpilot.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy"
