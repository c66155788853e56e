"""Schemas shared by every API module: the one error shape and the page envelope."""

from __future__ import annotations

from typing import Generic, TypeVar

from ninja import Schema
from ninja.responses import codes_4xx
from pydantic import Field

T = TypeVar("T")


class ErrorBody(Schema):
    """What went wrong: a stable ``code``, a readable ``message`` and the offending ``field``."""

    code: str
    message: str
    field: str | None = None


class ErrorOut(Schema):
    """Every 4xx/5xx answer of the API: ``{"error": {"code", "message", "field"}}``."""

    error: ErrorBody


class Page(Schema, Generic[T]):  # noqa: UP046 - pydantic generics
    """One page of a list, in a stable order. ``next_page`` is ``null`` on the last page."""

    count: int = Field(description="Rows in the whole (filtered) list.")
    page: int
    page_size: int
    next_page: int | None = None
    items: list[T]


# Every operation documents every 4xx it may answer with the error shape.
ERRORS: dict[frozenset[int], type[ErrorOut]] = {frozenset(codes_4xx): ErrorOut}


def errors_except(*statuses: int) -> dict[frozenset[int], type[ErrorOut]]:
    """``ERRORS`` without ``statuses`` (an operation documents its own body for those)."""
    return {frozenset(codes_4xx) - frozenset(statuses): ErrorOut}
