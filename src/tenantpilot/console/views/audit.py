"""The read-only audit log of a workspace."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tenantpilot.audit.selectors import audit_list, audit_rows_for_viewer
from tenantpilot.authz.capabilities import Capability
from tenantpilot.console.audit_sentences import audit_sentence, metadata_json, target_label
from tenantpilot.console.decorators import workspace_view
from tenantpilot.console.forms import AuditFilterForm, form_status
from tenantpilot.console.pagination import paginate, query_without_page
from tenantpilot.console.selectors_audit import audit_context_for
from tenantpilot.tenancy.authority import Scope


@workspace_view(Capability.AUDIT_VIEW)
def audit_log(request: HttpRequest, scope: Scope) -> HttpResponse:
    environment_choices = [(e.pk, e.display_name) for e in scope.environments().order_by("display_name")]
    actor_choices = [
        (u.pk, u.get_username())
        for u in get_user_model().objects.filter(memberships__workspace=scope.workspace).order_by("username")
    ]
    form = AuditFilterForm(request.GET or None, environment_choices=environment_choices, actor_choices=actor_choices)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    rows = audit_list(
        scope=scope,
        environment_id=filters.get("environment_id"),
        actor_id=filters.get("actor"),
        action=filters.get("action") or "",
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    status = form_status(form)
    page = paginate(request, rows)
    page.object_list = audit_rows_for_viewer(scope=scope, rows=page.object_list)
    context = audit_context_for(scope=scope, rows=page.object_list)
    entries = [
        {
            "row": row,
            "sentence": audit_sentence(row, context),
            "target": target_label(row.target_type, row.target_id),
            "details": metadata_json(row.metadata),
        }
        for row in page.object_list
    ]
    return render(
        request,
        "console/audit/list.html",
        {"scope": scope, "form": form, "page": page, "entries": entries, "query": query_without_page(request)},
        status=status,
    )
