"""The platform's own console pages (``/platform/…``): superusers only.

Anonymous: the login redirect. A signed-in login that is not an active superuser gets the same
404 as any missing page: the platform plane does not exist for it.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_http_methods

from tenantpilot.console.forms import form_status
from tenantpilot.console.forms_invitations import PlatformWorkspaceForm
from tenantpilot.core.errors import NotFound, ValidationFailed
from tenantpilot.tenancy.services_invitations import OnboardedWorkspace, password_set_path, workspace_onboard

logger = logging.getLogger(__name__)
View = Callable[..., HttpResponse]


def platform_view(view: View) -> View:
    """Require a signed-in, active superuser (login redirect for anonymous, 404 for everyone else)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (user.is_active and user.is_superuser):
            raise NotFound()
        return view(request, *args, **kwargs)

    wrapped.platform_only = True  # type: ignore[attr-defined]
    return wrapped


def send_welcome_email(request: HttpRequest, result: OnboardedWorkspace) -> bool:
    """E-mail a new owner the one-time link to choose a password; ``False`` when sending failed."""
    context = {
        "user": result.owner,
        "workspace": result.workspace,
        "link": request.build_absolute_uri(password_set_path(result.owner)),
        "hours": int(settings.PASSWORD_RESET_TIMEOUT) // 3600,
    }
    subject = " ".join(render_to_string("console/invitations/welcome_email_subject.txt", context).split())
    body = render_to_string("console/invitations/welcome_email_body.txt", context)
    try:
        send_mail(subject, body, None, [result.owner.email])
    except (smtplib.SMTPException, OSError) as error:
        logger.warning("welcome e-mail not sent: user=%s error=%s", result.owner.pk, type(error).__name__)
        return False
    return True


@require_http_methods(["GET", "POST"])
@platform_view
def workspace_create(request: HttpRequest) -> HttpResponse:
    """Create a workspace with its first owner; a new owner login gets its password link by e-mail."""
    form = PlatformWorkspaceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            result = workspace_onboard(
                actor=request.user,
                name=form.cleaned_data["name"],
                slug=form.cleaned_data["slug"],
                owner_email=form.cleaned_data["owner"],
            )
        except ValidationFailed as error:
            form.add_service_error(error)
        else:
            owner = result.owner.get_username()
            note = f"Workspace {result.workspace.name} ({result.workspace.slug}) created with {owner} as owner."
            if not result.login_created:
                messages.success(request, f"{note} They sign in with their existing login.")
            elif send_welcome_email(request, result):
                messages.success(request, f"{note} We e-mailed them a link to choose a password.")
            else:
                messages.error(
                    request,
                    f"{note} The e-mail with their password link could not be sent: check the e-mail settings, "
                    "then let them use 'Forgot your password?' on the sign-in page.",
                )
            return redirect("console:platform-workspace-create")
    return render(request, "console/platform/workspace_create.html", {"form": form}, status=form_status(form))
