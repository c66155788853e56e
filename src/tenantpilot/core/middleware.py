"""Request id propagation and the console's mapping of domain errors to HTTP answers."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

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
