"""The drift resolution loop (seed 384): one compare row, the decisions that fit its outcome, re-compare.

One page per compare row shows the subject, its outcome, why, and the field diff, and offers only
the actions that make sense: ``ambiguous_match`` → bind one of the listed candidates; ``missing``
→ mark missing-expected, or bind a resource of the same type under another name (searchable);
``unexpected`` → exclude; ``drift`` → accept as a limitation (with an optional review-by date);
a subject with a decision in force → supersede or revoke it, each behind a confirmation page.
Every action needs an operator note and goes through ``baselines.services_resolution``; after
it, the page offers "Re-compare now", which starts a compare and returns to the result.

Also the workspace's overdue reviews: accepted limitations and exclusions past their review-by date.
DB-only: nothing here calls Microsoft.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tenantpilot.authz.capabilities import Capability
from tenantpilot.baselines import policies
from tenantpilot.baselines import selectors_resolution as rsel
from tenantpilot.baselines import services_resolution as resolution
from tenantpilot.baselines.choices import CompareOutcome, CompareReason
from tenantpilot.baselines.models import BaselineCompareItem
from tenantpilot.baselines.services import baseline_compare_start
from tenantpilot.console.decorators import workspace_view
from tenantpilot.console.forms_resolution import (
    BindForm,
    NoteForm,
    PickerSearchForm,
    ReviewedDecisionForm,
    RevokeForm,
    SupersedeForm,
)
from tenantpilot.console.pagination import paginate, query_without_page
from tenantpilot.core.errors import Conflict, ValidationFailed
from tenantpilot.inventory.models import InventoryItem
from tenantpilot.operations.services import ScopeBusy
from tenantpilot.resources.choices import ResolutionMode
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.models import ManagedEnvironment

PICKER_PAGE_SIZE = 10


def _value_text(value: Any) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _reason_words(item: BaselineCompareItem) -> str:
    words = CompareReason(item.reason).label if item.reason in CompareReason.values else item.reason
    if item.binding_mode:
        try:
            mode = ResolutionMode(item.binding_mode).label
        except ValueError:
            mode = item.binding_mode
        words = f"{words}: {mode}"
    return words


def _decorate(item: BaselineCompareItem) -> None:
    item.reason_words = _reason_words(item)  # type: ignore[attr-defined]
    item.outcome_label = CompareOutcome(item.outcome).label  # type: ignore[attr-defined]
    item.change_rows = [  # type: ignore[attr-defined]
        {
            "path": str(change.get("path", "")),
            "baseline": _value_text(change.get("baseline")),
            "target": _value_text(change.get("target")),
        }
        for change in (item.changes or [])
        if isinstance(change, dict)
    ]


def _urls(scope: Scope, environment: ManagedEnvironment, item: BaselineCompareItem) -> dict[str, str]:
    kwargs = {"workspace": scope.workspace.slug, "environment_id": environment.pk, "item_id": item.pk}
    names = {
        "page": "console:baseline-resolve",
        "bind": "console:baseline-resolve-bind",
        "missing_expected": "console:baseline-resolve-missing-expected",
        "exclude": "console:baseline-resolve-exclude",
        "accept": "console:baseline-resolve-accept",
        "supersede": "console:baseline-resolve-supersede",
        "revoke": "console:baseline-resolve-revoke",
        "recompare": "console:baseline-resolve-recompare",
    }
    urls = {key: reverse(name, kwargs=kwargs) for key, name in names.items()}
    urls["result"] = (
        reverse(
            "console:baseline-result",
            kwargs={
                "workspace": scope.workspace.slug,
                "profile_id": item.result.profile_id,
                "environment_id": environment.pk,
            },
        )
        + f"?result={item.result_id}"
    )
    return urls


def _to_page(scope: Scope, environment: ManagedEnvironment, item: BaselineCompareItem) -> HttpResponse:
    return redirect(_urls(scope, environment, item)["page"] + "?decided=1")


def _picker(request: HttpRequest, scope: Scope, environment: ManagedEnvironment, item: BaselineCompareItem) -> Any:
    search = PickerSearchForm(request.GET or None)
    query = search.cleaned_data["q"] if search.is_bound and search.is_valid() else ""
    resources = rsel.pickable_resources(scope=scope, environment=environment, policy_type=item.policy_type, query=query)
    return {
        "search": search,
        "resources": paginate(request, resources, per_page=PICKER_PAGE_SIZE),
        "query": query_without_page(request),
    }


def _candidates(scope: Scope, environment: ManagedEnvironment, item: BaselineCompareItem) -> list[dict[str, Any]]:
    """The row's candidates, each with whether it is still present in the inventory (one query)."""
    rows = [c for c in (item.candidates or []) if isinstance(c, dict)]
    ids: list[int] = [c["item_id"] for c in rows if isinstance(c.get("item_id"), int)]
    present = set(
        InventoryItem.objects.present()
        .filter(workspace=scope.workspace, environment=environment, pk__in=ids)
        .values_list("pk", flat=True)
    )
    return [{**c, "present": c.get("item_id") in present} for c in rows]


def _render(
    request: HttpRequest,
    scope: Scope,
    environment: ManagedEnvironment,
    item: BaselineCompareItem,
    *,
    failed: str = "",
    form: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    """The resolution page; ``failed`` names the action whose bound ``form`` carries errors."""
    state = rsel.resolution_state(item=item, environment=environment)
    _decorate(item)
    action_forms: dict[str, forms.Form] = {
        "bind": BindForm(auto_id="bind_%s"),
        "missing_expected": NoteForm(auto_id="missing_expected_%s"),
        "exclude": ReviewedDecisionForm(auto_id="exclude_%s"),
        "accept": ReviewedDecisionForm(auto_id="accept_%s"),
    }
    if failed and form is not None:
        action_forms[failed] = form
    can_manage = policies.can_manage_baselines(scope)
    actions = state.actions if can_manage else frozenset()
    context: dict[str, Any] = {
        "scope": scope,
        "environment": environment,
        "profile": item.result.profile,
        "item": item,
        "state": state,
        "actions": actions,
        "can_manage": can_manage,
        "can_compare": policies.can_run_compare(scope) and state.is_latest,
        "decided": request.GET.get("decided") == "1",
        "forms": action_forms,
        "failed": failed,
        "urls": _urls(scope, environment, item),
        "candidates": _candidates(scope, environment, item) if item.candidates else [],
        "binding": state.active_binding,
    }
    # A refused action that the page does not offer (any more) shows its errors at the top.
    context["orphan_errors"] = (
        [e for errors in form.errors.values() for e in errors]
        if failed and form is not None and failed not in actions
        else []
    )
    if rsel.BIND in actions and item.outcome == CompareOutcome.MISSING:
        context["picker"] = _picker(request, scope, environment, item)
    return render(request, "console/baselines/resolve_item.html", context, status=status)


@workspace_view(Capability.BASELINES_VIEW)
def resolve_item(request: HttpRequest, scope: Scope, environment: ManagedEnvironment, item_id: int) -> HttpResponse:
    """The resolution page of one compare row (GET ``q``/``page`` search the picker of a missing subject)."""
    item = rsel.resolution_item_get(scope=scope, environment=environment, item_id=item_id)
    return _render(request, scope, environment, item)


def _act(
    request: HttpRequest,
    scope: Scope,
    environment: ManagedEnvironment,
    item_id: int,
    *,
    action: str,
    form: forms.Form,
    call: Any,
    done: str,
) -> HttpResponse:
    """Validate ``form``, call the service with its data; success → the page with "Re-compare now"."""
    item = rsel.resolution_item_get(scope=scope, environment=environment, item_id=item_id)
    if form.is_valid():
        try:
            call(item, form.cleaned_data)
        except ValidationFailed as error:
            form.add_service_error(error)  # type: ignore[attr-defined]
        except Conflict as error:
            form.add_error(None, error.message)
            return _render(request, scope, environment, item, failed=action, form=form, status=409)
        else:
            messages.success(request, done)
            return _to_page(scope, environment, item)
    return _render(request, scope, environment, item, failed=action, form=form, status=400)


@require_POST
@workspace_view(Capability.BASELINES_MANAGE)
def resolve_bind(request: HttpRequest, scope: Scope, environment: ManagedEnvironment, item_id: int) -> HttpResponse:
    """Bind the subject to a candidate (ambiguous match) or a resource under another name (missing)."""
    return _act(
        request,
        scope,
        environment,
        item_id,
        action="bind",
        form=BindForm(request.POST, auto_id="bind_%s"),
        call=lambda item, data: resolution.resolve_bind(
            actor=request.user,
            environment=environment,
            compare_item=item,
            inventory_item_id=data["inventory_item"],
            note=data["note"],
        ),
        done="Bound. Re-compare to see the new outcome.",
    )


@require_POST
@workspace_view(Capability.BASELINES_MANAGE)
def resolve_missing_expected(
    request: HttpRequest, scope: Scope, environment: ManagedEnvironment, item_id: int
) -> HttpResponse:
    """Mark a missing subject as missing (expected) in this environment."""
    return _act(
        request,
        scope,
        environment,
        item_id,
        action="missing_expected",
        form=NoteForm(request.POST, auto_id="missing_expected_%s"),
        call=lambda item, data: resolution.resolve_mark_missing_expected(
            actor=request.user, environment=environment, compare_item=item, note=data["note"]
        ),
        done="Marked as missing (expected). Re-compare to see the new outcome.",
    )


@require_POST
@workspace_view(Capability.BASELINES_MANAGE)
def resolve_exclude(request: HttpRequest, scope: Scope, environment: ManagedEnvironment, item_id: int) -> HttpResponse:
    """Exclude an unexpected resource from governance here (optional review-by date)."""
    return _act(
        request,
        scope,
        environment,
        item_id,
        action="exclude",
        form=ReviewedDecisionForm(request.POST, auto_id="exclude_%s"),
        call=lambda item, data: resolution.resolve_exclude(
            actor=request.user,
            environment=environment,
            compare_item=item,
            note=data["note"],
            review_by=data.get("review_by"),
        ),
        done="Excluded. Re-compare to see the new outcome.",
    )


@require_POST
@workspace_view(Capability.BASELINES_MANAGE)
def resolve_accept(request: HttpRequest, scope: Scope, environment: ManagedEnvironment, item_id: int) -> HttpResponse:
    """Accept a drifted subject's current content as a limitation (watched: a change shows drift again)."""
    return _act(
        request,
        scope,
        environment,
        item_id,
        action="accept",
        form=ReviewedDecisionForm(request.POST, auto_id="accept_%s"),
        call=lambda item, data: resolution.resolve_accept(
            actor=request.user,
            environment=environment,
            compare_item=item,
            note=data["note"],
            review_by=data.get("review_by"),
        ),
        done="Accepted as a limitation. Re-compare to see the new outcome.",
    )


def _confirmable(
    request: HttpRequest,
    scope: Scope,
    environment: ManagedEnvironment,
    item_id: int,
    *,
    template: str,
    confirm_template: str,
    make_form: Any,
    call: Any,
    done: str,
) -> HttpResponse:
    """GET: the form. POST: the confirmation page. POST with ``confirm``: the service call."""
    item = rsel.resolution_item_get(scope=scope, environment=environment, item_id=item_id)
    state = rsel.resolution_state(item=item, environment=environment)
    _decorate(item)
    form = make_form(state, request.POST if request.method == "POST" else None)
    page = template
    status = 200
    if request.method == "POST":
        if form.is_valid():
            if form.cleaned_data.get("confirm"):
                try:
                    call(item, form.cleaned_data)
                except ValidationFailed as error:
                    form.add_service_error(error)
                except Conflict as error:
                    form.add_error(None, error.message)
                else:
                    messages.success(request, done)
                    return _to_page(scope, environment, item)
            else:
                page = confirm_template
        status = 400 if form.errors else 200
    picked = None
    if form.is_bound and not form.errors and form.cleaned_data.get("inventory_item"):
        picked = InventoryItem.objects.filter(
            workspace=scope.workspace, environment=environment, pk=form.cleaned_data["inventory_item"]
        ).first()
    context = {
        "scope": scope,
        "environment": environment,
        "profile": item.result.profile,
        "item": item,
        "state": state,
        "binding": state.active_binding,
        "form": form,
        "picked": picked,
        "urls": _urls(scope, environment, item),
        "hidden": [
            (name, form.data.get(name))
            for name in form.fields
            if name != "confirm" and form.is_bound and form.data.get(name) not in (None, "")
        ],
        "new_mode_label": (
            ResolutionMode(form.cleaned_data["resolution_mode"]).label
            if page == confirm_template and form.cleaned_data.get("resolution_mode")
            else ""
        ),
    }
    if page == template and rsel.SUPERSEDE in state.actions and template.endswith("supersede.html"):
        context["picker"] = _picker(request, scope, environment, item)
    return render(request, page, context, status=status)


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.BASELINES_MANAGE)
def resolve_supersede(
    request: HttpRequest, scope: Scope, environment: ManagedEnvironment, item_id: int
) -> HttpResponse:
    """Replace the decision in force for the row's subject, after a confirmation page."""
    return _confirmable(
        request,
        scope,
        environment,
        item_id,
        template="console/baselines/resolve_supersede.html",
        confirm_template="console/baselines/resolve_confirm.html",
        make_form=lambda state, data: SupersedeForm(data, modes=state.supersede_modes),
        call=lambda item, data: resolution.resolve_supersede(
            actor=request.user,
            environment=environment,
            compare_item=item,
            resolution_mode=data["resolution_mode"],
            note=data["note"],
            inventory_item_id=data.get("inventory_item"),
            review_by=data.get("review_by"),
        ),
        done="Decision superseded. Re-compare to see the new outcome.",
    )


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.BASELINES_MANAGE)
def resolve_revoke(request: HttpRequest, scope: Scope, environment: ManagedEnvironment, item_id: int) -> HttpResponse:
    """End the decision in force for the row's subject, after a confirmation page."""
    return _confirmable(
        request,
        scope,
        environment,
        item_id,
        template="console/baselines/resolve_revoke.html",
        confirm_template="console/baselines/resolve_confirm.html",
        make_form=lambda state, data: RevokeForm(data),
        call=lambda item, data: resolution.resolve_revoke(
            actor=request.user, environment=environment, compare_item=item, note=data["note"]
        ),
        done="Decision revoked. Re-compare to see the earlier outcome come back.",
    )


@require_POST
@workspace_view(Capability.PROVIDER_RUN)
def resolve_recompare(
    request: HttpRequest, scope: Scope, environment: ManagedEnvironment, item_id: int
) -> HttpResponse:
    """Re-compare now: start a compare of the row's profile in this environment and return to the result."""
    item = rsel.resolution_item_get(scope=scope, environment=environment, item_id=item_id)
    try:
        started = baseline_compare_start(actor=request.user, profile=item.result.profile, environment=environment)
    except (ScopeBusy, Conflict, ValidationFailed) as error:
        messages.error(request, f"Could not start the compare: {error.message}")
    else:
        if started.deduped:
            messages.info(request, f"A compare is already queued or running (run #{started.run.pk}).")
        else:
            messages.success(request, f"Compare queued (run #{started.run.pk}); the result updates when it finishes.")
    return redirect(
        reverse(
            "console:baseline-result",
            kwargs={
                "workspace": scope.workspace.slug,
                "profile_id": item.result.profile_id,
                "environment_id": environment.pk,
            },
        )
    )


@workspace_view(Capability.BASELINES_VIEW)
def reviews_overdue(request: HttpRequest, scope: Scope) -> HttpResponse:
    """Accepted limitations and exclusions of visible environments whose review-by date has passed."""
    rows = rsel.overdue_reviews(scope=scope, today=timezone.localdate())
    return render(request, "console/baselines/reviews_overdue.html", {"scope": scope, "rows": rows})
