"""Page-number pagination with a stable order and a maximum page size, for every list."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import QuerySet
from ninja import Schema
from pydantic import Field

MAX_PAGE_SIZE = 100


class PageParams(Schema):
    """``page`` (from 1) and ``page_size`` (1…100, default 25)."""

    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(25, ge=1, le=MAX_PAGE_SIZE)


def paginate(
    rows: QuerySet[Any] | list[Any], params: PageParams, transform: Callable[[Iterable[Any]], list[Any]] | None = None
) -> dict[str, Any]:
    """The page ``params`` names of ``rows`` (already in a stable order), as the ``Page`` envelope.

    ``transform`` maps the page's rows before they are serialized (e.g. a per-viewer redaction).
    """
    size = min(params.page_size, MAX_PAGE_SIZE)
    count = rows.count() if isinstance(rows, QuerySet) else len(rows)
    start = (params.page - 1) * size
    items = list(rows[start : start + size])
    if transform is not None:
        items = transform(items)
    return {
        "count": count,
        "page": params.page,
        "page_size": size,
        "next_page": params.page + 1 if start + size < count else None,
        "items": items,
    }
