"""Search across the workspace: one box in every page's header, results grouped by kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenantpilot.authz.capabilities import Capability
from tenantpilot.console.decorators import workspace_view
from tenantpilot.console.pagination import paginate, query_without_page
from tenantpilot.console.selectors_search import SearchKind, clean_query, search, search_kinds
from tenantpilot.core.errors import ValidationFailed
from tenantpilot.tenancy.authority import Scope

#: Rows per group on the all-kinds page; "Show all" pages through one kind.
GROUP_SIZE = 5


@dataclass
class ResultGroup:
    """One kind's results: its first rows (or the requested page when only this kind is shown)."""

    kind: SearchKind
    page: Page[Any]

    @property
    def label(self) -> str:
        return str(self.kind.label)


@workspace_view(Capability.WORKSPACE_VIEW)
def workspace_search(request: HttpRequest, scope: Scope) -> HttpResponse:
    """Find environments, inventory items, runs and bindings the member may see.

    ``q`` (required, at most 100 characters) and ``kind`` (optional: one kind, paginated) come
    from the query string; bad input is a 400 page with a message naming the field, never a 500.
    """
    kinds = search_kinds(scope)
    raw = request.GET.get("q")
    raw_kind = request.GET.get("kind", "")
    context: dict[str, Any] = {"scope": scope, "q": (raw or "")[:200], "kinds": kinds, "kind": None, "groups": []}
    if raw is None:
        context["hint"] = True
        return render(request, "console/search/results.html", context)
    try:
        query = clean_query(raw)
        kind = _kind(raw_kind, kinds)
    except ValidationFailed as error:
        context["error"] = error
        return render(request, "console/search/results.html", context, status=400)
    context["q"] = query
    if kind is not None:
        context["kind"] = kind
        context["groups"] = [ResultGroup(kind, paginate(request, search(scope=scope, kind=kind, query=query)))]
        context["query"] = query_without_page(request)
    else:
        context["groups"] = [
            ResultGroup(k, Paginator(search(scope=scope, kind=k, query=query), GROUP_SIZE).page(1)) for k in kinds
        ]
    context["total"] = sum(g.page.paginator.count for g in context["groups"])
    return render(request, "console/search/results.html", context)


def _kind(raw: str, allowed: list[SearchKind]) -> SearchKind | None:
    """The one kind asked for, else ``None`` (all); an unknown or unavailable kind names the field."""
    if not raw:
        return None
    for kind in allowed:
        if kind.value == raw:
            return kind
    raise ValidationFailed(
        f"Unknown kind {raw[:40]!r}: choose one of " + ", ".join(k.value for k in allowed) + ".", field="kind"
    )
