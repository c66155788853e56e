"""Personal API tokens through the API, on the console's token services: list one's own (owners
and unrestricted managers: with ``everyone=true``, every member's), create (the token text is in
that one answer and never again), revoke. Nothing here returns, logs or audits a token's text or
digest — only its ``hint`` (its first characters)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from tenantpilot.core.errors import Forbidden
from tenantpilot.tenancy.models_tokens import ApiToken
from tenantpilot.tenancy.services_tokens import (
    DEFAULT_EXPIRY_DAYS,
    MAX_EXPIRY_DAYS,
    api_token_create,
    api_token_list,
    api_token_revoke,
    can_manage_workspace_tokens,
)

from .auth import scope_for
from .ids import Id
from .pagination import PageParams, paginate
from .schemas import ERRORS, Page

router = Router(tags=["tokens"])

EVERYONE_MESSAGE = "Only owners and managers who see every environment list every member's tokens."


class TokenOut(Schema):
    """A token as a list shows it: never its text, only its first characters (``hint``)."""

    id: int
    name: str
    hint: str
    username: str
    read_only: bool
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    last_used_ip: str | None
    usable: bool

    @staticmethod
    def resolve_username(obj: ApiToken) -> str:
        return str(obj.user.get_username())

    @staticmethod
    def resolve_usable(obj: ApiToken) -> bool:
        return obj.is_usable


class TokenCreateIn(Schema):
    """A new token of the caller for this workspace."""

    name: str = Field(min_length=1, max_length=80)
    expires_in_days: int = Field(DEFAULT_EXPIRY_DAYS, ge=1, le=MAX_EXPIRY_DAYS)
    read_only: bool = False


class TokenCreatedOut(Schema):
    """The new token and its text (``secret``): shown this once, stored only as a keyed hash."""

    token: TokenOut
    secret: str


class TokenListParams(PageParams):
    """``everyone=true``: every member's tokens (owners and unrestricted managers only, else 403)."""

    everyone: bool = False


_P = "/w/{workspace}/tokens"


@router.get(_P, response={200: Page[TokenOut], **ERRORS}, url_name="token-list")
def token_list(request: HttpRequest, workspace: str, params: Query[TokenListParams]) -> Any:
    """The caller's tokens in this workspace, newest first; ``everyone=true`` for every member's."""
    scope = scope_for(request, workspace)
    if params.everyone and not can_manage_workspace_tokens(scope):
        raise Forbidden(EVERYONE_MESSAGE)
    return paginate(api_token_list(scope=scope, everyone=params.everyone), params)


@router.post(_P, response={201: TokenCreatedOut, **ERRORS}, url_name="token-create")
def token_create(request: HttpRequest, workspace: str, payload: TokenCreateIn) -> Any:
    """Create a token of the caller (audited without its text); the answer is the only place it appears."""
    scope = scope_for(request, workspace)
    created = api_token_create(
        scope=scope, name=payload.name, expires_in_days=payload.expires_in_days, read_only=payload.read_only
    )
    return Status(201, {"token": created.token, "secret": created.text})


@router.post(_P + "/{token_id}/revoke", response={200: TokenOut, **ERRORS}, url_name="token-revoke")
def token_revoke(request: HttpRequest, workspace: str, token_id: Id) -> Any:
    """Revoke one's own token (owners and unrestricted managers: any of the workspace); twice is a no-op."""
    scope = scope_for(request, workspace)
    return api_token_revoke(scope=scope, token_id=token_id)
