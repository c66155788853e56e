"""Personal API tokens in the console: list one's own (owners and managers: everyone's), create
(the token is shown once, on the answer to the POST), revoke."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from tenantpilot.authz.capabilities import Capability
from tenantpilot.console.decorators import workspace_view
from tenantpilot.core.errors import ValidationFailed
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.services_tokens import (
    DEFAULT_EXPIRY_DAYS,
    MAX_EXPIRY_DAYS,
    api_token_create,
    api_token_list,
    api_token_revoke,
    can_manage_workspace_tokens,
)


class TokenForm(forms.Form):
    """A new token: a name, its lifetime in days and whether it may only read."""

    name = forms.CharField(max_length=80)
    expires_in_days = forms.IntegerField(min_value=1, max_value=MAX_EXPIRY_DAYS, initial=DEFAULT_EXPIRY_DAYS)
    read_only = forms.BooleanField(required=False, label="Read-only (refused every change)")


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.WORKSPACE_VIEW)
def token_list(request: HttpRequest, scope: Scope) -> HttpResponse:
    """GET lists tokens; POST creates one and shows its text this once (never stored, never again)."""
    form = TokenForm(request.POST or None)
    created_text = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created = api_token_create(scope=scope, **form.cleaned_data)
            except ValidationFailed as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
                status = 400
            else:
                created_text = created.text
                form = TokenForm()
        else:
            status = 400
    tokens = api_token_list(scope=scope, everyone=True)
    return render(
        request,
        "console/tokens/list.html",
        {
            "scope": scope,
            "form": form,
            "tokens": tokens,
            "created_text": created_text,
            "sees_everyone": can_manage_workspace_tokens(scope),
        },
        status=status,
    )


@require_POST
@workspace_view(Capability.WORKSPACE_VIEW)
def token_revoke(request: HttpRequest, scope: Scope, token_id: int) -> HttpResponse:
    token = api_token_revoke(scope=scope, token_id=token_id)
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("console:api-tokens", workspace=scope.workspace.slug)
