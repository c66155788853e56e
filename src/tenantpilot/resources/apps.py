from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "tenantpilot.resources"
    label = "resources"
    verbose_name = "Provider resource bindings"
