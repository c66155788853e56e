from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "tenantpilot.operations"
    label = "operations"
    verbose_name = "Operations"

    def ready(self) -> None:
        # Handlers register themselves with ``@register_operation`` when their module is imported:
        # every installed app's ``operation_handlers`` module, plus any extra modules named in
        # ``TENANTPILOT_OPERATION_MODULES``. Workers and web processes then know the same handlers.
        # Imported here, not at the top: Django loads ``apps.py`` before any model can be imported.
        from .registry import autodiscover_handlers

        autodiscover_handlers()
