"""Bearer authentication with personal API tokens, and the scope every route acts in.

A request authenticates with ``Authorization: Bearer tpat_…`` only (no session cookie: the API
takes no CSRF risk). The token must belong to the workspace the path names (another
workspace's path: 404, as for a non-member); a read-only token is refused every mutation (403).
The member's role and environment restrictions are read *now*, on every request.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from tenantpilot.audit.signin import client_address
from tenantpilot.core.errors import Forbidden, NotFound
from tenantpilot.tenancy.authority import Scope, resolve_workspace
from tenantpilot.tenancy.models_tokens import ApiToken
from tenantpilot.tenancy.services_tokens import TokenRefused, api_token_authenticate

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    """Who calls: the token and its owner (``request.auth``)."""

    token: ApiToken
    user: Any


class TokenAuth(HttpBearer):
    """``Authorization: Bearer tpat_…``; anything else (or nothing) is 401."""

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        try:
            api_token = api_token_authenticate(text=token.strip(), ip=_stored_address(request))
        except TokenRefused:
            return None
        match = request.resolver_match
        slug = match.kwargs.get("workspace") if match is not None else None
        if slug is not None and slug != api_token.workspace.slug:
            raise NotFound()
        if api_token.read_only and request.method not in SAFE_METHODS:
            raise Forbidden("This token is read-only.")
        request.user = api_token.user
        return Principal(token=api_token, user=api_token.user)


def _stored_address(request: HttpRequest) -> str | None:
    """The client address as the token's last-used IP (an IPv6 client as its /64's first address)."""
    address = client_address(request).split("/", 1)[0]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def principal(request: HttpRequest) -> Principal:
    """The authenticated caller of ``request``."""
    auth = getattr(request, "auth", None)
    if not isinstance(auth, Principal):  # pragma: no cover - every route requires the token auth
        raise NotFound()
    return auth


def scope_for(request: HttpRequest, workspace: str) -> Scope:
    """The caller's scope in the workspace the path names (404 when not a member *now*)."""
    return resolve_workspace(principal(request).user, workspace)


def actor(request: HttpRequest) -> Any:
    """The user the services authorize (the token's owner)."""
    return principal(request).user
