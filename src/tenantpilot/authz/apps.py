from django.apps import AppConfig


class AuthzConfig(AppConfig):
    name = "tenantpilot.authz"
    label = "authz"
