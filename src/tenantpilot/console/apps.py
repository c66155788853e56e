from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    name = "tenantpilot.console"
    label = "console"
    verbose_name = "Operator console"
