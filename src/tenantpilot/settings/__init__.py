"""Settings: ``base`` (shared, embedded defaults), ``test`` and ``production``.

``DJANGO_SETTINGS_MODULE`` picks one; the CLI defaults to ``tenantpilot.settings.base``.
"""
