"""Fixtures of the API tests: tokens, and a client that sends one."""

from __future__ import annotations

import pytest

from tenantpilot.tenancy.authority import scope_for_workspace
from tenantpilot.tenancy.services_tokens import api_token_create


def make_token(user, workspace, **options):
    """A new token of ``user`` for ``workspace``: (the ``ApiToken`` row, its text)."""
    created = api_token_create(scope=scope_for_workspace(user, workspace), name="test", **options)
    return created.token, created.text


def bearer(text: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {text}"}


@pytest.fixture
def owner_token(world):
    return make_token(world.owner, world.a)
