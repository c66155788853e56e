from django.apps import AppConfig


class BaselinesConfig(AppConfig):
    name = "tenantpilot.baselines"
    label = "baselines"
    verbose_name = "Baselines"

    def ready(self) -> None:
        """Register the scheduled baseline compare with the inventory scheduler, the check that a
        binding's source snapshot applies to its environment with ``resources``, and the assigned
        profiles as consumers of an environment's reference data with ``inventory`` (both below
        baselines).

        Imports here, not at the top: Django loads ``apps.py`` before any model can be imported."""
        from tenantpilot.inventory.services_types import register_reference_consumer
        from tenantpilot.resources.services import register_snapshot_source_check

        from . import schedules  # noqa: F401
        from .models import snapshot_applies_to_environment
        from .selectors import assigned_profile_names

        register_snapshot_source_check(snapshot_applies_to_environment)
        register_reference_consumer(assigned_profile_names)
