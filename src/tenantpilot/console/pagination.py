"""List pages paginate with one page size and forgiving page numbers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import HttpRequest


def paginate(request: HttpRequest, queryset: Any, *, per_page: int | None = None) -> Page[Any]:
    """The requested page (``?page=``); garbage or out-of-range numbers give the nearest page."""
    paginator = Paginator(queryset, per_page or settings.TENANTPILOT_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    """The current filters as a query string without ``page``, for pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
