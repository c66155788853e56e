"""Forms of onboarding: invitations, accepting one, and the platform's new-workspace page."""

from __future__ import annotations

from typing import Any

from django import forms

from tenantpilot.authz.roles import Role
from tenantpilot.console.forms import ServiceErrorsMixin
from tenantpilot.tenancy.services_invitations import DEFAULT_EXPIRY_DAYS, MAX_EXPIRY_DAYS

RESTRICTION_NOT_TICKED_MESSAGE = (
    "You selected environments but not “Only the environments selected below”. "
    "Tick it to limit the invitation to the selected environments, or clear the selection to allow all."
)


class InvitationForm(ServiceErrorsMixin, forms.Form):
    """Who to invite, with which role, to which environments, for how long."""

    email = forms.EmailField(label="E-mail address", max_length=254)
    role = forms.ChoiceField(choices=())
    restricted = forms.BooleanField(required=False, label="Only the environments selected below")
    environments = forms.TypedMultipleChoiceField(
        choices=(), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    expires_in_days = forms.IntegerField(
        label="Link valid for (days)", min_value=1, max_value=MAX_EXPIRY_DAYS, initial=DEFAULT_EXPIRY_DAYS
    )

    def __init__(
        self, *args: Any, roles: list[Role], environment_choices: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in roles]  # type: ignore[attr-defined]
        self.fields["environments"].choices = environment_choices  # type: ignore[attr-defined]
        # Least privilege: Read-only unless the inviter picks more.
        self.fields["role"].initial = Role.READONLY.value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("environments") and not data.get("restricted"):
            # Inviting to "all environments" after ticking some would grant something other than
            # what was chosen: refuse, naming the field, and keep the ticks.
            self.add_error("restricted", RESTRICTION_NOT_TICKED_MESSAGE)
        return data


class NewLoginForm(ServiceErrorsMixin, forms.Form):
    """The password of the login an invitation creates (checked by the password validators)."""

    new_password1 = forms.CharField(
        label="Choose a password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    new_password2 = forms.CharField(
        label="The password again", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password1") and data.get("new_password2") and data["new_password1"] != data["new_password2"]:
            self.add_error("new_password2", "The two passwords differ.")
        return data


class PlatformWorkspaceForm(ServiceErrorsMixin, forms.Form):
    """A new workspace and the e-mail address of its first owner."""

    name = forms.CharField(max_length=120, strip=True)
    slug = forms.CharField(
        max_length=64, required=False, strip=True, help_text="Its URL name; empty: made from the name."
    )
    owner = forms.EmailField(label="First owner's e-mail address", max_length=254)
