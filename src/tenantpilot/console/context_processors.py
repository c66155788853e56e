"""Navigation flags for the console shell, computed from the resolved scope (never from strings)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tenantpilot.authz.capabilities import Capability
from tenantpilot.operations.selectors import notification_unread_count


def navigation(request: HttpRequest) -> dict[str, Any]:
    scope = getattr(request, "scope", None)
    if scope is None:
        return {"nav": {}}
    return {
        "nav": {
            "audit": scope.can(Capability.AUDIT_VIEW),
            "baselines": scope.can(Capability.BASELINES_VIEW),
            "members": scope.can(Capability.WORKSPACE_VIEW),
            "operations": scope.can(Capability.OPERATIONS_VIEW),
            # Lazy and memoized: one COUNT query, only when a template shows it.
            "unread_notifications": _UnreadCount(scope),
        }
    }


class _UnreadCount:
    """The member's unread notification count, queried on first use and then remembered."""

    def __init__(self, scope: Any) -> None:
        self.scope = scope
        self._value: int | None = None

    def __call__(self) -> int:
        if self._value is None:
            self._value = notification_unread_count(scope=self.scope)
        return self._value
