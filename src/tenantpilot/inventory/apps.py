from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "tenantpilot.inventory"
    label = "inventory"
    verbose_name = "Inventory, compliance and schedules"

    def ready(self) -> None:
        """Make the connection health check probe the permissions of each environment's chosen types.

        Imports here, not at the top: Django loads ``apps.py`` before any model can be imported."""
        from tenantpilot.providers.health import register_probe_source

        from .services_types import chosen_type_probes

        register_probe_source(chosen_type_probes)
