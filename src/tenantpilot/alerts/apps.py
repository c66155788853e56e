from django.apps import AppConfig


class AlertsConfig(AppConfig):
    """Connects the alert receivers to the lower apps' signals when Django starts."""

    name = "tenantpilot.alerts"
    label = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        # Imported here, not at the top: Django loads ``apps.py`` before any model can be imported.
        from . import receivers

        receivers.connect()
