"""Console forms of the drift resolution loop: they validate shape; ``baselines.services_resolution`` decides."""

from __future__ import annotations

from typing import Any

from django import forms

from tenantpilot.console.forms_bindings import BindingServiceErrorsMixin, _note_field
from tenantpilot.core.errors import ValidationFailed
from tenantpilot.resources.choices import ResolutionMode

# Service fields → the form field that shows their error (``action`` refusals go on the form).
_FIELD_MAP = {
    "action": None,
    "accepted_fingerprint": None,
    "source_baseline_snapshot_id": None,
    "review_by": "review_by",
}


class ResolutionErrorsMixin(BindingServiceErrorsMixin):
    def add_service_error(self, error: ValidationFailed) -> None:
        if error.field in _FIELD_MAP:
            field = _FIELD_MAP[error.field]
            self.add_error(field if field in self.fields else None, error.message)  # type: ignore[attr-defined]
            return
        super().add_service_error(error)


def _review_field() -> forms.DateField:
    return forms.DateField(
        label="Review by",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional: the decision appears on the overdue list after this date.",
        error_messages={"invalid": "Enter the review date as YYYY-MM-DD."},
    )


class NoteForm(ResolutionErrorsMixin, forms.Form):
    """Mark missing-expected: only the operator note."""

    note = _note_field()


class BindForm(ResolutionErrorsMixin, forms.Form):
    """Bind the subject to a picked resource (a listed candidate, or any resource of the type)."""

    inventory_item = forms.IntegerField(
        label="Provider resource",
        min_value=1,
        error_messages={"required": "Pick the provider resource to bind.", "invalid": "Pick a resource from the list."},
    )
    note = _note_field()


class ReviewedDecisionForm(ResolutionErrorsMixin, forms.Form):
    """Exclude or accept: the note and an optional review-by date."""

    note = _note_field()
    review_by = _review_field()


class SupersedeForm(ResolutionErrorsMixin, forms.Form):
    """The new decision for a subject decided by an active binding; ``confirm`` is set by the confirmation page."""

    resolution_mode = forms.ChoiceField(label="New decision", choices=())
    inventory_item = forms.IntegerField(label="Provider resource (for a manual binding)", min_value=1, required=False)
    note = _note_field()
    review_by = _review_field()
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, modes: tuple[ResolutionMode, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resolution_mode"].choices = [(m.value, m.label) for m in modes]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("resolution_mode") == ResolutionMode.MANUAL_BINDING.value and not data.get("inventory_item"):
            self.add_error("inventory_item", "Pick the provider resource to bind.")
        return data


class RevokeForm(ResolutionErrorsMixin, forms.Form):
    """Revoke the decision in force; ``confirm`` is set by the confirmation page."""

    note = _note_field()
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class PickerSearchForm(forms.Form):
    q = forms.CharField(label="Search this type", max_length=200, required=False, help_text="Name or provider id")
