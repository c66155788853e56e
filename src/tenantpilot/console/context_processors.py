"""Navigation flags for the console shell, computed from the resolved scope (never from strings)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tenantpilot.authz.capabilities import Capability


def navigation(request: HttpRequest) -> dict[str, Any]:
    scope = getattr(request, "scope", None)
    if scope is None:
        return {"nav": {}}
    return {
        "nav": {
            "audit": scope.can(Capability.AUDIT_VIEW),
            "members": scope.can(Capability.WORKSPACE_VIEW),
        }
    }
