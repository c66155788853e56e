"""Baseline profiles and drift: profiles (create, edit, archive, capture, assign), snapshots, the
drift overview of a profile, one environment's compare result, one subject across environments,
and the result's export.

DB-only: "Capture now" and "Compare now" only enqueue runs. Every read goes through
``baselines.selectors`` (scoped; environments only through ``visible_to``), every write through
``baselines.services`` (authorized and audited there).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tenantpilot.authz.capabilities import Capability
from tenantpilot.baselines import exports, policies, selectors, services
from tenantpilot.baselines.choices import CompareOutcome, CompareReason
from tenantpilot.baselines.models import BaselineCompareItem, BaselineProfile
from tenantpilot.console.decorators import workspace_view
from tenantpilot.console.forms import form_status
from tenantpilot.console.forms_baselines import (
    POLICY_TYPE_CHOICES,
    AssignForm,
    CaptureForm,
    ExportForm,
    ProfileForm,
    ResultFilterForm,
    SnapshotItemFilterForm,
    SubjectForm,
    format_ignored_fields,
)
from tenantpilot.console.pagination import paginate, query_without_page
from tenantpilot.console.views.connections import run_url
from tenantpilot.core.errors import Conflict, NotFound, ValidationFailed
from tenantpilot.operations.services import ScopeBusy
from tenantpilot.resources.choices import ResolutionMode
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.models import ManagedEnvironment

_TYPE_LABELS = dict(POLICY_TYPE_CHOICES)


def _context(scope: Scope, profile: BaselineProfile | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "scope": scope,
        "profile": profile,
        "can_manage": policies.can_manage_baselines(scope),
        "can_compare": policies.can_run_compare(scope),
        "type_labels": _TYPE_LABELS,
        **extra,
    }


def _to_overview(scope: Scope, profile: BaselineProfile) -> HttpResponse:
    return redirect("console:baseline-profile", workspace=scope.workspace.slug, profile_id=profile.pk)


def _environment_choices(environments: Any) -> list[tuple[int, str]]:
    return [(env.pk, env.display_name) for env in environments]


# --------------------------------------------------------------------------------------------
# Profiles


@workspace_view(Capability.BASELINES_VIEW)
def profile_list_view(request: HttpRequest, scope: Scope) -> HttpResponse:
    """The workspace's baseline profiles (``?archived=1`` includes archived ones)."""
    include_archived = request.GET.get("archived") == "1"
    page = paginate(request, selectors.profile_list(scope=scope, include_archived=include_archived))
    return render(
        request,
        "console/baselines/profile_list.html",
        _context(scope, page=page, include_archived=include_archived, query=query_without_page(request)),
    )


def _profile_kwargs(form: ProfileForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "description": data["description"],
        "policy_types": data["policy_types"],
        "ignored_fields": data["ignored_fields"],
        "max_evidence_age_hours": data["max_evidence_age_hours"],
    }


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.BASELINES_MANAGE)
def profile_create(request: HttpRequest, scope: Scope) -> HttpResponse:
    form = ProfileForm(request.POST or None, initial={"policy_types": [v for v, _ in POLICY_TYPE_CHOICES]})
    if request.method == "POST" and form.is_valid():
        try:
            profile = services.profile_create(actor=request.user, workspace=scope.workspace, **_profile_kwargs(form))
        except ValidationFailed as error:
            form.add_service_error(error)
        else:
            messages.success(request, f"Baseline profile “{profile.name}” created. Capture a snapshot next.")
            return _to_overview(scope, profile)
    return render(request, "console/baselines/profile_form.html", _context(scope, form=form), status=form_status(form))


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.BASELINES_MANAGE)
def profile_edit(request: HttpRequest, scope: Scope, profile_id: int) -> HttpResponse:
    profile = selectors.profile_get(scope=scope, profile_id=profile_id)
    if profile.is_archived:
        raise Conflict("The profile is archived.")
    initial = {
        "name": profile.name,
        "description": profile.description,
        "policy_types": list(profile.policy_types),
        "ignored_fields": format_ignored_fields(profile.ignored_fields),
        "max_evidence_age_hours": profile.max_evidence_age_hours,
    }
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_update(actor=request.user, profile=profile, **_profile_kwargs(form))
        except ValidationFailed as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Baseline profile saved. The next capture and compare use it.")
            return _to_overview(scope, profile)
    return render(
        request, "console/baselines/profile_form.html", _context(scope, profile, form=form), status=form_status(form)
    )


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.BASELINES_MANAGE)
def profile_archive(request: HttpRequest, scope: Scope, profile_id: int) -> HttpResponse:
    """GET asks for confirmation; POST archives (snapshots and results stay readable)."""
    profile = selectors.profile_get(scope=scope, profile_id=profile_id)
    if request.method == "POST":
        services.profile_archive(actor=request.user, profile=profile)
        messages.success(request, f"Baseline profile “{profile.name}” archived.")
        return _to_overview(scope, profile)
    return render(request, "console/baselines/archive_confirm.html", _context(scope, profile))


# --------------------------------------------------------------------------------------------
# Capture


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.BASELINES_MANAGE)
def profile_capture(request: HttpRequest, scope: Scope, profile_id: int) -> HttpResponse:
    """Capture now: pick the source environment. Stale or partial evidence is refused with the
    reason and an offer to capture anyway with a required note (a second, confirming POST)."""
    profile = selectors.profile_get(scope=scope, profile_id=profile_id)
    if profile.is_archived:
        raise Conflict("The profile is archived.")
    choices = _environment_choices(selectors.visible_environments(scope).active().order_by("display_name", "pk"))
    form = CaptureForm(request.POST or None, environment_choices=choices)
    refusal = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        environment = selectors.visible_environments(scope).get(pk=data["source_environment"])
        try:
            started = services.baseline_capture_start(
                actor=request.user,
                profile=profile,
                source_environment=environment,
                force=bool(data["force"]),
                note=data["note"],
            )
        except ScopeBusy as busy:
            messages.error(request, busy.message)
            return redirect(run_url(scope, busy.active_run))
        except ValidationFailed as error:
            evidence = selectors.source_evidence(scope=scope, environment=environment)
            forceable = evidence.run is not None
            if error.field == "source_environment" and forceable:
                # Refused as stale/partial: say why and offer "capture anyway" with a note.
                refusal = error.message
                form.add_error(None, error.message)
            else:
                form.add_service_error(error)
                if forceable:
                    refusal = evidence.refusal(profile.max_evidence_age_hours, timezone.now()) or ""
        else:
            if started.deduped:
                messages.info(request, "A capture is already queued or running for this environment; showing it.")
            else:
                messages.success(request, f"Capture of “{profile.name}” queued.")
            return redirect(run_url(scope, started.run))
    forcing = bool(refusal)
    return render(
        request,
        "console/baselines/capture.html",
        _context(scope, profile, form=form, refusal=refusal, forcing=forcing),
        status=form_status(form),
    )


# --------------------------------------------------------------------------------------------
# Assignments


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.BASELINES_MANAGE)
def profile_assign(request: HttpRequest, scope: Scope, profile_id: int) -> HttpResponse:
    """The profile's (visible) assignments and a form to add one more visible environment."""
    profile = selectors.profile_get(scope=scope, profile_id=profile_id)
    choices = _environment_choices(selectors.assignable_environments(scope=scope, profile=profile))
    form = AssignForm(request.POST or None, environment_choices=choices)
    if request.method == "POST" and form.is_valid():
        environment = scope.environment(form.cleaned_data["environment"])
        try:
            services.profile_assign(actor=request.user, profile=profile, environment=environment)
        except ValidationFailed as error:
            form.add_service_error(error)
        else:
            messages.success(request, f"“{profile.name}” assigned to {environment.display_name}.")
            return redirect("console:baseline-assign", workspace=scope.workspace.slug, profile_id=profile.pk)
    return render(
        request,
        "console/baselines/assignments.html",
        _context(scope, profile, form=form, assignments=list(selectors.assignment_list(scope=scope, profile=profile))),
        status=form_status(form),
    )


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.BASELINES_MANAGE)
def profile_unassign(
    request: HttpRequest, scope: Scope, profile_id: int, environment: ManagedEnvironment
) -> HttpResponse:
    """GET asks for confirmation; POST removes the assignment (results stay readable)."""
    profile = selectors.profile_get(scope=scope, profile_id=profile_id)
    if not selectors.assigned_environment(scope=scope, profile=profile, environment=environment):
        raise NotFound()
    if request.method == "POST":
        services.profile_unassign(actor=request.user, profile=profile, environment=environment)
        messages.success(request, f"“{profile.name}” no longer applies to {environment.display_name}.")
        return redirect("console:baseline-assign", workspace=scope.workspace.slug, profile_id=profile.pk)
    return render(request, "console/baselines/unassign_confirm.html", _context(scope, profile, environment=environment))


# --------------------------------------------------------------------------------------------
# Snapshots


@workspace_view(Capability.BASELINES_VIEW)
def snapshot_list_view(request: HttpRequest, scope: Scope, profile_id: int) -> HttpResponse:
    profile = selectors.profile_get(scope=scope, profile_id=profile_id)
    page = paginate(request, selectors.snapshot_list(scope=scope, profile=profile))
    return render(
        request,
        "console/baselines/snapshot_list.html",
        _context(scope, profile, page=page, query=query_without_page(request)),
    )


@workspace_view(Capability.BASELINES_VIEW)
def snapshot_detail(request: HttpRequest, scope: Scope, profile_id: int, snapshot_id: int) -> HttpResponse:
    """A snapshot's evidence (source, inventory time, captured anyway) and its items, filtered."""
    profile = selectors.profile_get(scope=scope, profile_id=profile_id)
    snapshot = selectors.snapshot_get(scope=scope, profile=profile, snapshot_id=snapshot_id)
    filters = SnapshotItemFilterForm(request.GET or None)
    page = None
    if not filters.is_bound or filters.is_valid():
        data = filters.cleaned_data if filters.is_bound else {}
        items = selectors.snapshot_items(
            scope=scope, snapshot=snapshot, policy_type=data.get("type") or "", search=data.get("q") or ""
        )
        page = paginate(request, items)
    return render(
        request,
        "console/baselines/snapshot_detail.html",
        _context(scope, profile, snapshot=snapshot, filters=filters, page=page, query=query_without_page(request)),
        status=form_status(filters),
    )


# --------------------------------------------------------------------------------------------
# Drift overview and compare


@workspace_view(Capability.BASELINES_VIEW)
def profile_overview(request: HttpRequest, scope: Scope, profile_id: int) -> HttpResponse:
    """The drift overview: one row per assigned environment the member may see."""
    profile = selectors.profile_get(scope=scope, profile_id=profile_id)
    rows = selectors.drift_overview(scope=scope, profile=profile)
    latest = selectors.latest_snapshot(scope=scope, profile=profile)
    outcomes = [(o, CompareOutcome(o).label) for o in selectors.OUTCOME_ORDER]
    return render(
        request,
        "console/baselines/overview.html",
        _context(scope, profile, rows=rows, latest_snapshot=latest, outcomes=outcomes),
    )


def _start_compare(request: HttpRequest, profile: BaselineProfile, environment: ManagedEnvironment) -> str:
    """Start one compare; returns the message level (``success``/``info``/``error``) it reported."""
    try:
        started = services.baseline_compare_start(actor=request.user, profile=profile, environment=environment)
    except ScopeBusy as busy:
        messages.error(request, f"{environment.display_name}: {busy.message}")
        return "error"
    except (Conflict, ValidationFailed) as error:
        messages.error(request, f"{environment.display_name}: {error.message}")
        return "error"
    if started.deduped:
        messages.info(
            request, f"{environment.display_name}: a compare is already queued or running (run #{started.run.pk})."
        )
        return "info"
    messages.success(request, f"{environment.display_name}: compare queued (run #{started.run.pk}).")
    return "success"


@require_POST
@workspace_view(Capability.PROVIDER_RUN)
def compare_environment(
    request: HttpRequest, scope: Scope, profile_id: int, environment: ManagedEnvironment
) -> HttpResponse:
    """Compare now: enqueue a compare of the profile's newest snapshot against this environment."""
    profile = selectors.profile_get(scope=scope, profile_id=profile_id)
    _start_compare(request, profile, environment)
    return _to_overview(scope, profile)


@require_POST
@workspace_view(Capability.PROVIDER_RUN)
def compare_all(request: HttpRequest, scope: Scope, profile_id: int) -> HttpResponse:
    """Compare all: one compare run per assigned, active environment the member may see."""
    profile = selectors.profile_get(scope=scope, profile_id=profile_id)
    environments = [a.environment for a in selectors.assignment_list(scope=scope, profile=profile)]
    environments = [env for env in environments if not env.is_archived]
    if not environments:
        messages.info(request, "No assigned environment to compare. Assign environments first.")
    for environment in environments:
        _start_compare(request, profile, environment)
    return _to_overview(scope, profile)


# --------------------------------------------------------------------------------------------
# One environment's result


def _value_text(value: Any) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def reason_text(item: BaselineCompareItem) -> str:
    """Which binding or rule decided the row, in words."""
    words = CompareReason(item.reason).label if item.reason in CompareReason.values else item.reason
    if item.binding_mode:
        try:
            mode = ResolutionMode(item.binding_mode).label
        except ValueError:
            mode = item.binding_mode
        words = f"{words}: {mode}" + (f" (binding #{item.binding_id})" if item.binding_id else "")
    return words


def _decorate(items: list[BaselineCompareItem]) -> None:
    for item in items:
        item.reason_words = reason_text(item)  # type: ignore[attr-defined]
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


@workspace_view(Capability.BASELINES_VIEW)
def result_view(request: HttpRequest, scope: Scope, profile_id: int, environment: ManagedEnvironment) -> HttpResponse:
    """The latest (or ``?result=``) compare of the profile in this environment, filtered, paginated."""
    profile = selectors.profile_get(scope=scope, profile_id=profile_id)
    filters = ResultFilterForm(request.GET or None)
    valid = not filters.is_bound or filters.is_valid()
    data = filters.cleaned_data if filters.is_bound and valid else {}
    result = selectors.result_get(scope=scope, profile=profile, environment=environment, result_id=data.get("result"))
    assigned = selectors.assigned_environment(scope=scope, profile=profile, environment=environment)
    if result is None and not assigned:
        raise NotFound()
    page = None
    type_counts: dict[str, int] = {}
    row = None
    if result is not None:
        latest = selectors.latest_snapshot(scope=scope, profile=profile)
        row = selectors.DriftRow(
            environment=environment,
            profile=profile,
            result=result,
            latest_snapshot_id=latest.pk if latest is not None else None,
        )
        type_counts = selectors.result_type_counts(scope=scope, result=result)
        if valid:
            items = selectors.result_items(
                scope=scope, result=result, outcome=data.get("outcome") or "", policy_type=data.get("type") or ""
            )
            page = paginate(request, items)
            _decorate(list(page.object_list))
    return render(
        request,
        "console/baselines/result.html",
        _context(
            scope,
            profile,
            environment=environment,
            result=result,
            row=row,
            assigned=assigned,
            filters=filters,
            page=page,
            type_counts=sorted(type_counts.items()),
            history=selectors.result_history(scope=scope, profile=profile, environment=environment),
            query=query_without_page(request),
        ),
        status=form_status(filters),
    )


@workspace_view(Capability.BASELINES_VIEW)
def result_export(request: HttpRequest, scope: Scope, profile_id: int, environment: ManagedEnvironment) -> HttpResponse:
    """Download the latest (or ``?result=``) compare result as JSON or CSV (``?format=``)."""
    profile = selectors.profile_get(scope=scope, profile_id=profile_id)
    form = ExportForm(request.GET or None)
    if not form.is_valid():
        errors = "; ".join(f"{name}: {' '.join(str(e) for e in errs)}" for name, errs in form.errors.items())
        return HttpResponse(
            errors or "format: choose json or csv.", status=400, content_type="text/plain; charset=utf-8"
        )
    result = selectors.result_get(
        scope=scope, profile=profile, environment=environment, result_id=form.cleaned_data.get("result")
    )
    if result is None:
        raise NotFound()
    fmt = form.cleaned_data["format"]
    if fmt == "csv":
        body, content_type = exports.export_csv(result), "text/csv; charset=utf-8"
    else:
        body, content_type = exports.export_json(result), "application/json"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="compare-{profile.pk}-{environment.pk}-{result.pk}.{fmt}"'
    return response


# --------------------------------------------------------------------------------------------
# One subject across environments


@workspace_view(Capability.BASELINES_VIEW)
def subject_view(request: HttpRequest, scope: Scope, profile_id: int) -> HttpResponse:
    """One baseline subject (``?key=`` canonical subject key) in every visible assigned environment."""
    profile = selectors.profile_get(scope=scope, profile_id=profile_id)
    form = SubjectForm(request.GET or None)
    subject, rows = None, None
    if form.is_bound and form.is_valid():
        subject, rows = selectors.subject_across_environments(
            scope=scope, profile=profile, canonical_subject_key=form.cleaned_data["key"]
        )
        _decorate([row.item for row in rows if row.item is not None])
    return render(
        request,
        "console/baselines/subject.html",
        _context(scope, profile, form=form, subject=subject, rows=rows),
        status=form_status(form),
    )


def result_url(scope: Scope, profile_id: int, environment_id: int) -> str:
    """Where one environment's latest result of a profile is shown."""
    return reverse(
        "console:baseline-result",
        kwargs={"workspace": scope.workspace.slug, "profile_id": profile_id, "environment_id": environment_id},
    )
