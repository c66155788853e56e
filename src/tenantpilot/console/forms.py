"""Console forms: they validate shape; the services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms

from tenantpilot.audit.actions import AuditAction
from tenantpilot.authz.roles import Role
from tenantpilot.core.errors import ValidationFailed
from tenantpilot.providers.choices import AuthType
from tenantpilot.tenancy.models import DOMAIN_VALIDATOR, validate_tenant_guid


def form_status(form: forms.Form) -> int:
    """400 for a submitted form with errors, else 200: refused input is a client error, not a page."""
    return 400 if form.is_bound and form.errors else 200


class ServiceErrorsMixin:
    """Put a service's ``ValidationFailed`` on the field it names (or on the form)."""

    def add_service_error(self, error: ValidationFailed) -> None:
        field = error.field if error.field in self.fields else None  # type: ignore[attr-defined]
        self.add_error(field, error.message)  # type: ignore[attr-defined]


class EnvironmentForm(ServiceErrorsMixin, forms.Form):
    display_name = forms.CharField(max_length=120, strip=True)
    tenant_id = forms.CharField(
        label="Entra tenant id",
        max_length=36,
        strip=True,
        validators=[validate_tenant_guid],
        help_text="The customer's Microsoft Entra tenant id (a GUID).",
    )
    default_domain = forms.CharField(
        max_length=253,
        required=False,
        strip=True,
        validators=[DOMAIN_VALIDATOR],
        help_text="e.g. contoso.onmicrosoft.com",
    )

    def clean_tenant_id(self) -> str:
        return str(self.cleaned_data["tenant_id"]).lower()


class MemberAddForm(ServiceErrorsMixin, forms.Form):
    user = forms.CharField(label="Username or e-mail", max_length=254, strip=True)
    role = forms.ChoiceField(choices=())

    def __init__(self, *args: Any, roles: list[Role], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in roles]  # type: ignore[attr-defined]


class MemberRoleForm(ServiceErrorsMixin, forms.Form):
    role = forms.ChoiceField(choices=())

    def __init__(self, *args: Any, roles: list[Role], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in roles]  # type: ignore[attr-defined]


class MemberAccessForm(ServiceErrorsMixin, forms.Form):
    restricted = forms.BooleanField(required=False, label="Only the environments selected below")
    environments = forms.TypedMultipleChoiceField(
        choices=(), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, environment_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["environments"].choices = environment_choices  # type: ignore[attr-defined]


class AuditFilterForm(forms.Form):
    environment_id = forms.TypedChoiceField(
        choices=(), coerce=int, required=False, empty_value=None, label="Environment"
    )
    actor = forms.TypedChoiceField(choices=(), coerce=int, required=False, empty_value=None)
    action = forms.ChoiceField(choices=[("", "Any action"), *AuditAction.choices], required=False)
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(
        self,
        *args: Any,
        environment_choices: list[tuple[int, str]],
        actor_choices: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["environment_id"].choices = [("", "Any environment"), *environment_choices]  # type: ignore[attr-defined]
        self.fields["actor"].choices = [("", "Anyone"), *actor_choices]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The end date is before the start date.")
        return data


class CredentialFieldsMixin:
    """The write-only credential fields as the provider services take them."""

    def credential_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data  # type: ignore[attr-defined]
        upload = data.get("certificate")
        return {
            "auth_type": data["auth_type"],
            "client_secret": data.get("client_secret"),
            # Bounded read: the credential manager refuses anything over 64 KiB.
            "certificate": upload.read(64 * 1024 + 1) if upload else None,
            "certificate_password": data.get("certificate_password"),
        }


class ConnectionForm(CredentialFieldsMixin, ServiceErrorsMixin, forms.Form):
    """Create a connection. Secret fields never render their value back (write-only)."""

    display_name = forms.CharField(max_length=120, strip=True, initial="Microsoft Graph")
    entra_tenant_id = forms.CharField(
        label="Entra tenant id", max_length=36, strip=True, help_text="Must be the environment's tenant id."
    )
    client_id = forms.CharField(label="Application (client) id", max_length=36, strip=True)
    auth_type = forms.ChoiceField(
        label="Authentication", choices=AuthType.choices, widget=forms.RadioSelect, initial=AuthType.CLIENT_SECRET
    )
    client_secret = forms.CharField(
        label="Client secret value",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="The secret's value, not its id. It is stored encrypted and never shown again.",
    )
    certificate = forms.FileField(
        label="Certificate (PEM with private key)",
        required=False,
        help_text="One PEM file holding the certificate and its RSA private key.",
    )
    certificate_password = forms.CharField(
        label="Private key password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )


class ConnectionEditForm(ServiceErrorsMixin, forms.Form):
    display_name = forms.CharField(max_length=120, strip=True)
    client_id = forms.CharField(label="Application (client) id", max_length=36, strip=True)


class CredentialReplaceForm(CredentialFieldsMixin, ServiceErrorsMixin, forms.Form):
    auth_type = forms.ChoiceField(label="Authentication", choices=AuthType.choices, widget=forms.RadioSelect)
    client_secret = ConnectionForm.base_fields["client_secret"]
    certificate = ConnectionForm.base_fields["certificate"]
    certificate_password = ConnectionForm.base_fields["certificate_password"]
