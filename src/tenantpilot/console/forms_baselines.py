"""Forms of the baseline pages: they validate shape; ``baselines.services`` decides and writes."""

from __future__ import annotations

from typing import Any

from django import forms

from tenantpilot.baselines.choices import GOVERNED_POLICY_TYPES, CompareOutcome
from tenantpilot.baselines.models import MAX_EVIDENCE_AGE_HOURS_LIMIT, SUBJECT_KEY_MAX_LENGTH
from tenantpilot.console.forms import ServiceErrorsMixin
from tenantpilot.inventory.choices import PolicyType
from tenantpilot.resources.models import NOTE_MAX_LENGTH

_TYPE_LABELS = dict(PolicyType.choices)
#: The governed types as form choices (value, human label), in registry order.
POLICY_TYPE_CHOICES: list[tuple[str, str]] = [(t, _TYPE_LABELS.get(t, t)) for t in GOVERNED_POLICY_TYPES]


def parse_ignored_fields(text: str) -> dict[str, list[str]]:
    """Parse lines of ``type: field, field`` into ``{type: [field, …]}``.

    Blank lines are skipped; a type listed twice merges its fields. Raises
    ``forms.ValidationError`` naming the line for an unknown type or a line without a colon.
    """
    result: dict[str, list[str]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        policy_type, sep, rest = line.partition(":")
        policy_type = policy_type.strip()
        if not sep:
            raise forms.ValidationError(f"Line {number}: write “type: field, field”.")
        if policy_type not in GOVERNED_POLICY_TYPES:
            raise forms.ValidationError(f"Line {number}: {policy_type!r} is not a governed policy type.")
        names = [name.strip() for name in rest.split(",") if name.strip()]
        if not names:
            raise forms.ValidationError(f"Line {number}: name at least one field after the colon.")
        too_long = [name for name in names if len(name) > 200]
        if too_long:
            raise forms.ValidationError(f"Line {number}: a field name may hold at most 200 characters.")
        bucket = result.setdefault(policy_type, [])
        bucket.extend(name for name in names if name not in bucket)
    return result


def format_ignored_fields(value: dict[str, list[str]] | None) -> str:
    """The inverse of :func:`parse_ignored_fields` (for the edit form's initial text)."""
    return "\n".join(f"{policy_type}: {', '.join(names)}" for policy_type, names in (value or {}).items())


class ProfileForm(ServiceErrorsMixin, forms.Form):
    """Create or edit a baseline profile."""

    name = forms.CharField(max_length=120, strip=True)
    description = forms.CharField(max_length=500, required=False, strip=True, widget=forms.Textarea(attrs={"rows": 2}))
    policy_types = forms.MultipleChoiceField(
        label="Governed policy types",
        choices=POLICY_TYPE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one governed policy type."},
    )
    ignored_fields = forms.CharField(
        label="Ignored fields",
        required=False,
        strip=True,
        max_length=10_000,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": "deviceConfigurations: passwordMinimumLength, roleScopeTagIds"}
        ),
        help_text="One line per policy type: “type: field, field”. These fields are never compared.",
    )
    max_evidence_age_hours = forms.IntegerField(
        label="Maximum evidence age (hours)",
        min_value=1,
        max_value=MAX_EVIDENCE_AGE_HOURS_LIMIT,
        initial=24,
        help_text="Inventory older than this is stale: capture refuses it, compare flags it.",
    )

    def clean_ignored_fields(self) -> dict[str, list[str]]:
        return parse_ignored_fields(self.cleaned_data.get("ignored_fields") or "")


class CaptureForm(ServiceErrorsMixin, forms.Form):
    """Capture a snapshot from one visible environment; ``force`` + ``note`` capture stale evidence anyway."""

    source_environment = forms.TypedChoiceField(
        label="Source (golden) environment", choices=(), coerce=int, empty_value=None
    )
    force = forms.BooleanField(required=False, widget=forms.HiddenInput)
    note = forms.CharField(
        required=False,
        strip=True,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required to capture anyway: why this evidence is good enough.",
    )

    def __init__(self, *args: Any, environment_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source_environment"].choices = [("", "Choose an environment"), *environment_choices]  # type: ignore[attr-defined]


class AssignForm(ServiceErrorsMixin, forms.Form):
    """Assign the profile to one more visible environment."""

    environment = forms.TypedChoiceField(choices=(), coerce=int, empty_value=None)

    def __init__(self, *args: Any, environment_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["environment"].choices = [("", "Choose an environment"), *environment_choices]  # type: ignore[attr-defined]


class ResultFilterForm(forms.Form):
    """The result page's filters (GET). Unknown values are errors that name the field."""

    outcome = forms.ChoiceField(choices=[("", "Any outcome"), *CompareOutcome.choices], required=False)
    type = forms.ChoiceField(choices=[("", "All types"), *POLICY_TYPE_CHOICES], required=False, label="Policy type")
    result = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class SnapshotItemFilterForm(forms.Form):
    """The snapshot page's filters (GET)."""

    type = forms.ChoiceField(choices=[("", "All types"), *POLICY_TYPE_CHOICES], required=False, label="Policy type")
    q = forms.CharField(max_length=200, required=False, strip=True, label="Label or key")


class ExportForm(forms.Form):
    """Which format to download, and optionally which result (default: the latest)."""

    format = forms.ChoiceField(choices=[("json", "JSON"), ("csv", "CSV")])
    result = forms.IntegerField(required=False, min_value=1)


class SubjectForm(forms.Form):
    """One baseline subject, by canonical subject key (GET ``key``)."""

    key = forms.CharField(max_length=SUBJECT_KEY_MAX_LENGTH, strip=True, label="Subject key")
