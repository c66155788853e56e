from django.apps import AppConfig


class BaselinesConfig(AppConfig):
    name = "tenantpilot.baselines"
    label = "baselines"
    verbose_name = "Baselines"
