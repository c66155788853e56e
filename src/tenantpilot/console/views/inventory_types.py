"""Which policy types an environment's inventory sync reads: the page and its one POST.

The page groups the registered types the way an MSP thinks about a tenant, shows the Graph
application permission each type needs (so the operator knows what to grant before the next
health check), and saves through :func:`tenantpilot.inventory.services_types.inventory_types_update`.

Groups, assignment filters and scope tags are reference data: baseline compare turns the ids in
assignments into portable names with them. While an active baseline profile is assigned to the
environment, a selection without them is *refused* (400 naming ``policy_types``, nothing
written) rather than merely warned about: a warning would be easy to click through, and the
result, every assignment compared as an unresolvable id, shows up later as false drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from tenantpilot.authz.capabilities import Capability
from tenantpilot.baselines.selectors import assigned_profile_names
from tenantpilot.console.decorators import workspace_view
from tenantpilot.core.errors import ValidationFailed
from tenantpilot.inventory import policies
from tenantpilot.inventory.choices import REFERENCE_TYPES, PolicyType
from tenantpilot.inventory.coverage import ALL_TYPES, contracts_for
from tenantpilot.inventory.services_types import inventory_types_update, selected_types
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.models import ManagedEnvironment

#: The page's sections, in the order an MSP reads a tenant. Every registered type belongs to
#: exactly one (a test holds this); a type added later without a section lands in "Other".
TYPE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Configuration",
        (
            PolicyType.DEVICE_CONFIGURATIONS,
            PolicyType.CONFIGURATION_POLICIES,
            PolicyType.GROUP_POLICY_CONFIGURATIONS,
            PolicyType.REUSABLE_POLICY_SETTINGS,
        ),
    ),
    (
        "Compliance",
        (
            PolicyType.DEVICE_COMPLIANCE_POLICIES,
            PolicyType.COMPLIANCE_POLICIES,
            PolicyType.DEVICE_COMPLIANCE_SCRIPTS,
        ),
    ),
    ("Endpoint security", (PolicyType.INTENTS,)),
    (
        "Updates",
        (
            PolicyType.WINDOWS_FEATURE_UPDATE_PROFILES,
            PolicyType.WINDOWS_QUALITY_UPDATE_PROFILES,
            PolicyType.WINDOWS_DRIVER_UPDATE_PROFILES,
        ),
    ),
    (
        "Scripts & remediations",
        (
            PolicyType.DEVICE_MANAGEMENT_SCRIPTS,
            PolicyType.DEVICE_SHELL_SCRIPTS,
            PolicyType.DEVICE_HEALTH_SCRIPTS,
            PolicyType.DEVICE_CUSTOM_ATTRIBUTE_SHELL_SCRIPTS,
        ),
    ),
    (
        "Apps",
        (
            PolicyType.MOBILE_APPS,
            PolicyType.MOBILE_APP_CONFIGURATIONS,
            PolicyType.TARGETED_MANAGED_APP_CONFIGURATIONS,
            PolicyType.IOS_MANAGED_APP_PROTECTIONS,
            PolicyType.ANDROID_MANAGED_APP_PROTECTIONS,
        ),
    ),
    (
        "Enrollment & Autopilot",
        (
            PolicyType.DEVICE_ENROLLMENT_CONFIGURATIONS,
            PolicyType.WINDOWS_AUTOPILOT_DEPLOYMENT_PROFILES,
            PolicyType.DEP_ONBOARDING_SETTINGS,
        ),
    ),
    (
        "Tenant administration",
        (
            PolicyType.ROLE_SCOPE_TAGS,
            PolicyType.ASSIGNMENT_FILTERS,
            PolicyType.ROLE_DEFINITIONS,
            PolicyType.DEVICE_CATEGORIES,
            PolicyType.NOTIFICATION_MESSAGE_TEMPLATES,
            PolicyType.DEVICE_MANAGEMENT_SETTINGS,
        ),
    ),
    ("Entra", (PolicyType.GROUPS, PolicyType.CONDITIONAL_ACCESS_POLICIES)),
)


@dataclass(frozen=True)
class TypeRow:
    """One checkbox: the type, its label, the permissions it needs, and whether it is reference data."""

    value: str
    label: str
    permissions: tuple[str, ...]
    reference: bool
    checked: bool


@dataclass(frozen=True)
class TypeSection:
    """One titled group of checkboxes."""

    title: str
    rows: tuple[TypeRow, ...]


class InventoryTypesForm(forms.Form):
    """The chosen types: registered values only, at least one (errors name ``policy_types``)."""

    policy_types = forms.MultipleChoiceField(
        choices=[(t, PolicyType(t).label) for t in ALL_TYPES],
        required=True,
        error_messages={"required": "Choose at least one policy type."},
    )


def _permissions(policy_type: str) -> tuple[str, ...]:
    return tuple(sorted({c.required_permission for c in contracts_for([policy_type])}))


def _sections(chosen: set[str]) -> list[TypeSection]:
    grouped = [(title, tuple(str(t) for t in types)) for title, types in TYPE_GROUPS]
    placed = {t for _title, types in grouped for t in types}
    other = tuple(t for t in ALL_TYPES if t not in placed)
    if other:
        grouped.append(("Other", other))
    return [
        TypeSection(
            title,
            tuple(
                TypeRow(t, PolicyType(t).label, _permissions(t), t in REFERENCE_TYPES, t in chosen)
                for t in types
                if t in ALL_TYPES
            ),
        )
        for title, types in grouped
    ]


def _assigned_profile_names(environment: ManagedEnvironment) -> list[str]:
    """Names of the active baseline profiles assigned to ``environment`` (its own workspace's)."""
    return assigned_profile_names(environment)


def _missing_reference(chosen: set[str]) -> list[str]:
    return [PolicyType(t).label for t in ALL_TYPES if t in REFERENCE_TYPES and t not in chosen]


def _render(
    request: HttpRequest,
    scope: Scope,
    environment: ManagedEnvironment,
    *,
    chosen: set[str],
    form: InventoryTypesForm,
    status: int = 200,
) -> HttpResponse:
    profiles = _assigned_profile_names(environment)
    context: dict[str, Any] = {
        "scope": scope,
        "environment": environment,
        "can_manage": policies.can_manage_schedules(scope) and not environment.is_archived,
        "sections": _sections(chosen),
        "selected_count": len(chosen & set(ALL_TYPES)),
        "total_count": len(ALL_TYPES),
        "permissions": sorted({p for t in chosen if t in ALL_TYPES for p in _permissions(t)}),
        "assigned_profiles": profiles,
        "missing_reference": _missing_reference(chosen) if profiles else [],
        "form": form,
    }
    return render(request, "console/inventory/types.html", context, status=status)


@workspace_view(Capability.PROVIDER_VIEW)
def inventory_types_view(request: HttpRequest, scope: Scope, environment: ManagedEnvironment) -> HttpResponse:
    """The environment's type selection, grouped, with each type's permission (DB-only)."""
    return _render(request, scope, environment, chosen=set(selected_types(environment)), form=InventoryTypesForm())


@require_POST
@workspace_view(policies.MANAGE_SCHEDULES)
def inventory_types_edit(request: HttpRequest, scope: Scope, environment: ManagedEnvironment) -> HttpResponse:
    """Save the selection (audited). Bad input, or dropping reference data that an assigned
    baseline profile needs, re-renders with a 400 naming ``policy_types``; nothing is written."""
    data = request.POST.copy()
    if data.get("select_all"):  # the "Select all" button: no script needed (CSP allows none inline)
        data.setlist("policy_types", list(ALL_TYPES))
    form = InventoryTypesForm(data)
    submitted = {str(v) for v in data.getlist("policy_types")}
    if form.is_valid():
        chosen = set(form.cleaned_data["policy_types"])
        try:
            inventory_types_update(actor=request.user, environment=environment, policy_types=sorted(chosen))
        except ValidationFailed as error:
            form.add_error("policy_types" if error.field == "policy_types" else None, error.message)
        else:
            messages.success(request, f"Inventory types saved: {len(chosen)} of {len(ALL_TYPES)} selected.")
            return redirect("console:inventory-types", workspace=scope.workspace.slug, environment_id=environment.pk)
    return _render(request, scope, environment, chosen=submitted & set(ALL_TYPES), form=form, status=400)
