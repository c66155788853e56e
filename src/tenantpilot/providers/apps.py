from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "tenantpilot.providers"
    label = "providers"
    verbose_name = "Provider connections"
