"""The console's one way into a workspace: login, membership (404), capability (403)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from tenantpilot.authz.capabilities import Capability
from tenantpilot.tenancy.authority import resolve_workspace

View = Callable[..., HttpResponse]


def workspace_view(capability: Capability) -> Callable[[View], View]:
    """Resolve the workspace from the URL's ``workspace`` slug and require ``capability``.

    When the URL also carries ``environment_id``, the environment is resolved from it (and only
    from it) *before* the capability check, so an environment the member cannot see is a 404
    whatever their role. The view receives ``scope`` (and ``environment``) as arguments.
    The route's required capability is kept on the view as ``required_capability`` so the
    route meta-test can read it.
    """

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, workspace: str, *args: Any, **kwargs: Any) -> HttpResponse:
            scope = resolve_workspace(request.user, workspace)
            if "environment_id" in kwargs:
                kwargs["environment"] = scope.environment(kwargs.pop("environment_id"))
            scope.require(capability)
            request.scope = scope  # type: ignore[attr-defined]
            return view(request, scope, *args, **kwargs)

        wrapped.required_capability = capability  # type: ignore[attr-defined]
        return wrapped

    return decorator
