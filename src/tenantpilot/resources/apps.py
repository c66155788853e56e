from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    name = "tenantpilot.resources"
    label = "resources"
    verbose_name = "Provider resource bindings"

    def ready(self) -> None:
        """Keep a connection with active bindings from being deleted (see ``connection_delete``).

        Imports here, not at the top: Django loads ``apps.py`` before any model can be imported."""
        from tenantpilot.providers.services import register_connection_use_check

        from .services import active_bindings_using_connection

        register_connection_use_check(active_bindings_using_connection)
