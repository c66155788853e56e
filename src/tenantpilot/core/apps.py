from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    default = True
    name = "tenantpilot.core"
    label = "core"


class SystemAdminConfig(admin_apps.AdminConfig):
    """The Django admin, with the superuser-only site (see ``core.admin.SystemAdminSite``)."""

    default = False
    default_site = "tenantpilot.core.admin.SystemAdminSite"
