"""Request id propagation, the security headers every answer carries, and the console's mapping
of domain errors to HTTP answers."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

from .context import new_request_id, reset_request_id, set_request_id
from .errors import Conflict, Forbidden, NotFound

logger = logging.getLogger("tenantpilot.request")
_VALID_INCOMING_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


class RequestIdMiddleware:
    """Give every request an id (a sane incoming ``X-Request-ID`` is kept), echo it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_INCOMING_ID.match(incoming) else new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        token = set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response["X-Request-ID"] = request_id
        return response


SERVER_HEADER = "TenantPilot"


class SecurityHeadersMiddleware:
    """Headers Django's own security middlewares do not set, on every answer.

    - ``Permissions-Policy`` from ``TENANTPILOT_PERMISSIONS_POLICY`` (every powerful browser
      feature off: the console uses none), unless the view set its own.
    - ``Server: TenantPilot``: a fixed name with no version. The WSGI servers we ship through
      (Django's runserver / wsgiref) add ``Server: WSGIServer/0.2 CPython/3.x`` only when the
      answer has no ``Server`` header, so naming ours hides the Python version. Under
      ``tenantpilot serve`` gunicorn answers with its own ``Server: gunicorn`` (no version either).
    - ``Cache-Control: no-store`` (with ``private``, ``no-cache``, ``max-age=0``) on every answer
      to a signed-in user, so no browser or proxy cache keeps a page of tenant data; answers to
      anonymous requests (the login page, static files) keep their own caching.

    Content-Security-Policy comes from Django's ``ContentSecurityPolicyMiddleware`` and HSTS from
    ``SecurityMiddleware`` (``settings.production``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "TENANTPILOT_PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        response["Server"] = SERVER_HEADER
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response


class DomainErrorMiddleware:
    """Turn domain errors raised by console views into 404 / 403 / 409 pages.

    The 404 page is the same for "missing" and "not yours", so nothing reveals existence.
    The API maps the same errors to JSON in its own exception handlers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if request.path.startswith("/api/"):
            return None
        if isinstance(exception, NotFound):
            return render(request, "console/errors/404.html", status=404)
        if isinstance(exception, Forbidden):
            return render(request, "console/errors/403.html", {"message": exception.message}, status=403)
        if isinstance(exception, Conflict):
            return render(request, "console/errors/409.html", {"message": exception.message}, status=409)
        return None
