"""Console forms of provider resource bindings: they validate shape; the binding services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms

from tenantpilot.console.forms import ServiceErrorsMixin
from tenantpilot.core.errors import ValidationFailed
from tenantpilot.resources.choices import BindingStatus, ResolutionMode, SubjectClass
from tenantpilot.resources.models import NOTE_MAX_LENGTH

#: The decisions an operator records in the console (automatic modes are recorded by system code).
OPERATOR_MODES = [
    (mode.value, mode.label)
    for mode in (
        ResolutionMode.MANUAL_BINDING,
        ResolutionMode.EXCLUDED_NON_GOVERNED,
        ResolutionMode.ACCEPTED_LIMITATION,
        ResolutionMode.UNSUPPORTED_COVERAGE,
        ResolutionMode.MISSING_EXPECTED,
    )
]

NOTE_REQUIRED = "Enter an operator note explaining this decision; it is required."

# Service fields → the form field that shows their error.
_FIELD_MAP = {
    "descriptor": "inventory_item",
    "canonical_subject_key": "inventory_item",
    "subject_class": "inventory_item",
    "subject_type": "inventory_item",
    "source_inventory_item_id": "inventory_item",
    "source_policy_version_id": "inventory_item",
    "operator_note": "note",
    "binding_status": None,
}


def _note_field() -> forms.CharField:
    return forms.CharField(
        label="Operator note",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"Why this decision is right (required, up to {NOTE_MAX_LENGTH} characters). "
        "Shown to everyone who may view bindings; the audit log keeps only its fingerprint.",
        error_messages={
            "required": NOTE_REQUIRED,
            "max_length": f"The operator note is limited to {NOTE_MAX_LENGTH} characters.",
        },
    )


class BindingServiceErrorsMixin(ServiceErrorsMixin):
    def add_service_error(self, error: ValidationFailed) -> None:
        field = _FIELD_MAP.get(error.field or "", error.field)
        self.add_error(field if field in self.fields else None, error.message)  # type: ignore[attr-defined]


class BindingFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *BindingStatus.choices()], required=False)
    mode = forms.ChoiceField(
        label="Resolution mode", choices=[("", "Any mode"), *ResolutionMode.choices()], required=False
    )
    subject_class = forms.ChoiceField(choices=[("", "Any class"), *SubjectClass.choices()], required=False)
    subject = forms.CharField(label="Subject key", max_length=1024, required=False, widget=forms.HiddenInput)
    connection = forms.IntegerField(label="Connection", min_value=1, required=False, widget=forms.HiddenInput)


class InventorySearchForm(forms.Form):
    q = forms.CharField(label="Search inventory", max_length=200, required=False, help_text="Name, type or provider id")
    policy_type = forms.ChoiceField(label="Type", choices=(), required=False)

    def __init__(self, *args: Any, type_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["policy_type"].choices = [("", "Any type"), *type_choices]  # type: ignore[attr-defined]


class BindingCreateForm(BindingServiceErrorsMixin, forms.Form):
    resolution_mode = forms.ChoiceField(label="Decision", choices=OPERATOR_MODES)
    inventory_item = forms.IntegerField(
        label="Provider resource",
        widget=forms.HiddenInput,
        min_value=1,
        error_messages={"required": "Pick the provider resource from this environment's inventory."},
    )
    provider_connection = forms.TypedChoiceField(
        label="Provider connection", choices=(), coerce=int, required=False, empty_value=None
    )
    legacy_subject_key = forms.CharField(
        label="Legacy subject key",
        max_length=512,
        required=False,
        help_text="Optional: the display-name-derived key earlier compares used for this subject.",
    )
    note = _note_field()

    def __init__(self, *args: Any, connection_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider_connection"].choices = [("", "None"), *connection_choices]  # type: ignore[attr-defined]


class BindingSupersedeForm(BindingServiceErrorsMixin, forms.Form):
    resolution_mode = forms.ChoiceField(label="New decision", choices=OPERATOR_MODES)
    inventory_item = forms.IntegerField(
        label="Provider resource", widget=forms.HiddenInput, min_value=1, required=False
    )
    note = _note_field()
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class BindingRevokeForm(BindingServiceErrorsMixin, forms.Form):
    note = _note_field()
