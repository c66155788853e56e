"""The REST API (django-ninja) under ``/api/v1/``: one module per domain, on the same services
and selectors as the console, authenticated with personal API tokens."""
