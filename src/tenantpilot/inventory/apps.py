from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "tenantpilot.inventory"
    label = "inventory"
    verbose_name = "Inventory, compliance and schedules"
