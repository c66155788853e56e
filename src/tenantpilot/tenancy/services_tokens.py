"""Personal API tokens: create (shown once), revoke, and authenticate a presented token.

The token text is ``tpat_`` + 43 url-safe characters (256 bits), so a fast keyed hash is enough:
the table stores HMAC-SHA256(key, token) under a key derived from ``SECRET_KEY`` with its own
label, and a lookup by that digest finds the row. Nothing here ever logs, audits or raises with
the token text. Create, revoke and every presentation of a revoked token write an audit row.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.crypto import salted_hmac

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.services import audit_record
from tenantpilot.authz.capabilities import Capability
from tenantpilot.core.errors import NotFound, ValidationFailed
from tenantpilot.tenancy.authority import Scope

from .models import WorkspaceMembership
from .models_tokens import ApiToken

TOKEN_PREFIX = "tpat_"  # noqa: S105 - the public prefix secret scanners look for, not a secret
DEFAULT_EXPIRY_DAYS = 90
MAX_EXPIRY_DAYS = 365
_KEY_SALT = "tenantpilot.api_token.v1"
_HINT_LENGTH = 10  # "tpat_" + 5 random characters: recognisable, useless to an attacker


def token_digest(token: str) -> str:
    """The stored form of ``token``: HMAC-SHA256 under the API token key (hex)."""
    return salted_hmac(_KEY_SALT, token, algorithm="sha256").hexdigest()


def can_manage_workspace_tokens(scope: Scope) -> bool:
    """True when the member may list and revoke every token of the workspace (not only their own)."""
    return scope.can(Capability.WORKSPACE_MANAGE_MEMBERS) and not scope.is_restricted


@dataclass(frozen=True)
class CreatedToken:
    """A new token and its text: the only moment the text exists outside the caller's hands."""

    token: ApiToken
    text: str


def api_token_create(
    *, scope: Scope, name: str, expires_in_days: object = DEFAULT_EXPIRY_DAYS, read_only: bool = False
) -> CreatedToken:
    """Create a token for the scope's member in the scope's workspace (audited, never the text).

    ``expires_in_days`` is 1…365 (default 90); ``ValidationFailed`` naming the field otherwise.
    """
    scope.require(Capability.WORKSPACE_VIEW)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Enter a name for the token.", field="name")
    if len(name) > 80:
        raise ValidationFailed("Keep the name under 80 characters.", field="name")
    try:
        days = int(str(expires_in_days).strip())
    except (TypeError, ValueError):
        raise ValidationFailed("Enter the number of days the token lives.", field="expires_in_days") from None
    if not 1 <= days <= MAX_EXPIRY_DAYS:
        raise ValidationFailed(f"A token lives 1 to {MAX_EXPIRY_DAYS} days.", field="expires_in_days")
    text = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken(
        workspace=scope.workspace,
        user=scope.user,
        name=name,
        digest=token_digest(text),
        hint=text[:_HINT_LENGTH],
        read_only=bool(read_only),
        expires_at=now + dt.timedelta(days=days),
    )
    with transaction.atomic():
        token.save()
        audit_record(
            actor=scope.user,
            action=AuditAction.API_TOKEN_CREATED,
            workspace=scope.workspace,
            target=token,
            metadata={"token_id": token.pk, "read_only": token.read_only, "expires_in_days": days},
        )
    return CreatedToken(token=token, text=text)


def api_token_list(*, scope: Scope, everyone: bool = False) -> Any:
    """The member's own tokens in the workspace; with ``everyone`` (owners) every member's."""
    scope.require(Capability.WORKSPACE_VIEW)
    qs = ApiToken.objects.for_workspace(scope.workspace).select_related("user", "revoked_by")
    if not (everyone and can_manage_workspace_tokens(scope)):
        qs = qs.filter(user=scope.user)
    return qs.order_by("-created_at", "-id")


def api_token_revoke(*, scope: Scope, token_id: object) -> ApiToken:
    """Revoke one token: the member's own, or any of the workspace for who may manage them.

    ``NotFound`` for a token the member may not touch. Revoking twice is a no-op (audited once).
    """
    scope.require(Capability.WORKSPACE_VIEW)
    pk = str(token_id)
    if not pk.isdigit():
        raise NotFound()
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(workspace=scope.workspace, pk=int(pk)).first()
        if token is None or (token.user_id != scope.user.pk and not can_manage_workspace_tokens(scope)):
            raise NotFound()
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.revoked_by = scope.user
            token.save(update_fields=["revoked_at", "revoked_by"])
            audit_record(
                actor=scope.user,
                action=AuditAction.API_TOKEN_REVOKED,
                workspace=scope.workspace,
                target=token,
                metadata={"token_id": token.pk, "owner_id": token.user_id},
            )
    return token


class TokenRefused(Exception):
    """The presented token does not authenticate (missing, malformed, revoked, expired, or its
    owner is no longer an active member). Carries no detail: the API answers 401 alike."""


class TokenRateLimited(Exception):
    """The token used up its requests of the current window; ``retry_after`` seconds remain."""

    def __init__(self, retry_after: int) -> None:
        super().__init__("Too many requests.")
        self.retry_after = retry_after


def api_token_authenticate(*, text: str, ip: str | None, now: dt.datetime | None = None) -> ApiToken:
    """The usable token ``text`` names, with its owner loaded; records its use and counts it.

    Raises ``TokenRefused`` unless the token exists, is neither revoked nor expired, and its
    owner is an active member of its workspace *now* (removal ends the token's power at once).
    A revoked token presented again writes an ``api_token.used_after_revoke`` audit row.
    Raises ``TokenRateLimited`` past ``TENANTPILOT_API_RATE_LIMIT`` requests per window.
    """
    if not isinstance(text, str) or not text.startswith(TOKEN_PREFIX) or len(text) > 200:
        raise TokenRefused()
    digest = token_digest(text)
    token = ApiToken.objects.select_related("user", "workspace").filter(digest=digest).first()
    if token is None or not hmac.compare_digest(token.digest, digest):
        raise TokenRefused()
    now = now or timezone.now()
    if token.revoked_at is not None:
        with transaction.atomic():
            audit_record(
                actor=None,
                action=AuditAction.API_TOKEN_USED_AFTER_REVOKE,
                workspace=token.workspace,
                target=token,
                metadata={"token_id": token.pk, "owner_id": token.user_id, "ip": ip or ""},
            )
        raise TokenRefused()
    if token.expires_at <= now or not token.user.is_active:
        raise TokenRefused()
    if not WorkspaceMembership.objects.filter(workspace_id=token.workspace_id, user_id=token.user_id).exists():
        raise TokenRefused()
    _count_use(token, ip=ip, now=now)
    return token


def _count_use(token: ApiToken, *, ip: str | None, now: dt.datetime) -> None:
    """Record the use and count it in the current fixed window, in one UPDATE (race-safe)."""
    window_seconds = int(getattr(settings, "TENANTPILOT_API_RATE_WINDOW_SECONDS", 60))
    limit = int(getattr(settings, "TENANTPILOT_API_RATE_LIMIT", 600))
    window = int(now.timestamp()) // window_seconds
    ApiToken.objects.filter(pk=token.pk).update(
        window_count=Case(When(window_start=window, then=F("window_count") + 1), default=Value(1)),
        window_start=window,
        last_used_at=now,
        last_used_ip=ip,
    )
    count = ApiToken.objects.filter(pk=token.pk).values_list("window_count", flat=True).first() or 0
    if count > limit:
        retry_after = max(1, (window + 1) * window_seconds - int(now.timestamp()))
        raise TokenRateLimited(retry_after)
