from django.apps import AppConfig


class BaselinesConfig(AppConfig):
    name = "tenantpilot.baselines"
    label = "baselines"
    verbose_name = "Baselines"

    def ready(self) -> None:
        # Registers the scheduled baseline compare with the inventory scheduler.
        from . import schedules  # noqa: F401
