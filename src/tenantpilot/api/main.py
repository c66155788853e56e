"""The ``NinjaAPI`` of ``/api/v1/``: token auth on every route, and the one mapping of errors to
``{"error": {"code", "message", "field"}}`` answers (domain errors, input errors, auth, rate
limits, and anything unexpected — a 500 that carries no trace)."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from tenantpilot.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from tenantpilot.tenancy.services_tokens import TokenRateLimited

from . import (
    audit,
    baselines,
    bindings,
    compare,
    connections,
    environments,
    inventory,
    members,
    notifications,
    resolution,
    runs,
    schedules,
    tokens,
    workspaces,
)
from .auth import TokenAuth

logger = logging.getLogger("tenantpilot.api")

api = NinjaAPI(
    title="TenantPilot API",
    version="1",
    description=(
        "Automation API of TenantPilot. Authenticate with a personal API token "
        "(`Authorization: Bearer tpat_…`, created in the console under *API tokens*). "
        'Errors always have the shape `{"error": {"code", "message", "field"}}`.'
    ),
    urls_namespace="api-v1",
    auth=TokenAuth(),
    docs_decorator=login_required,
)


def error_response(
    request: HttpRequest, status: int, code: str, message: str, field: str | None = None, **extra: Any
) -> HttpResponse:
    """One answer in the error shape (``extra`` adds top-level keys, e.g. the active ``run``)."""
    return api.create_response(
        request, {"error": {"code": code, "message": message, "field": field}, **extra}, status=status
    )


_DOMAIN_STATUS: list[tuple[type[DomainError], int, str]] = [
    (NotFound, 404, "not_found"),
    (Forbidden, 403, "forbidden"),
    (Conflict, 409, "conflict"),
    (ValidationFailed, 400, "invalid"),
]


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    for kind, status, code in _DOMAIN_STATUS:
        if isinstance(exc, kind):
            if kind is NotFound:
                # Missing and not-visible look the same: never the service's wording.
                return error_response(request, 404, code, NotFound.default_message)
            return error_response(request, status, code, exc.message, getattr(exc, "field", None))
    return error_response(request, 400, "invalid", exc.message)


_LOCATIONS = {"body", "query", "path", "header", "cookie", "form", "payload", "filters", "paging"}


def field_of(loc: Any) -> str | None:
    """The request field a pydantic error location names (``["body", "payload", "name"]`` → ``name``)."""
    parts = [str(part) for part in (loc or ()) if str(part) not in _LOCATIONS]
    return ".".join(parts) or None


@api.exception_handler(NinjaValidationError)
def _input_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    field = field_of(first.get("loc"))
    message = str(first.get("msg") or "The input is not valid.")
    return error_response(request, 400, "invalid", f"{field}: {message}" if field else message, field)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    presented = bool(request.headers.get("Authorization"))
    response = error_response(
        request, 401, "unauthenticated", "A valid API token is required (Authorization: Bearer tpat_…)."
    )
    challenge = 'Bearer realm="tenantpilot"'
    if presented:
        challenge += ', error="invalid_token"'
    response["WWW-Authenticate"] = challenge
    return response


@api.exception_handler(TokenRateLimited)
def _rate_limited(request: HttpRequest, exc: TokenRateLimited) -> HttpResponse:
    response = error_response(request, 429, "rate_limited", "Too many requests for this token. Retry later.")
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(Http404)
def _http404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", NotFound.default_message)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {400: "invalid", 401: "unauthenticated", 403: "forbidden", 404: "not_found", 429: "rate_limited"}
    return error_response(request, exc.status_code, code.get(exc.status_code, "error"), str(exc.message))


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # The trace goes to the log (with the request id), never into the answer.
    logger.error("unhandled API error", exc_info=(type(exc), exc, exc.__traceback__))
    return error_response(request, 500, "server_error", "Something went wrong. The request id is in X-Request-ID.")


api.add_router("/", workspaces.router)
api.add_router("/", members.router)
api.add_router("/", tokens.router)
api.add_router("/", environments.router)
api.add_router("/", connections.router)
api.add_router("/", runs.router)
api.add_router("/", inventory.router)
api.add_router("/", schedules.router)
api.add_router("/", bindings.router)
api.add_router("/", baselines.router)
api.add_router("/", compare.router)
api.add_router("/", resolution.router)
api.add_router("/", audit.router)
api.add_router("/", notifications.router)
