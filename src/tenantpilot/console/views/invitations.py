"""Invitations: invite by e-mail and revoke (members page), and the invitee's link.

The link is ``/invitations/<workspace>/<token>/``: outside the workspace routes because the
invitee is not a member yet. A token of another workspace, or none, is a 404; an expired, used or
revoked invitation gets a page that says so (410) and writes nothing.
"""

from __future__ import annotations

import logging
import smtplib

from django.contrib import messages
from django.contrib.auth import login
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from tenantpilot.authz.capabilities import Capability
from tenantpilot.authz.roles import Role, grantable_roles
from tenantpilot.console.decorators import workspace_view
from tenantpilot.console.forms import form_status
from tenantpilot.console.forms_invitations import InvitationForm, NewLoginForm
from tenantpilot.core.errors import Conflict, Forbidden, ValidationFailed
from tenantpilot.tenancy import services_invitations as invitations
from tenantpilot.tenancy.authority import Scope
from tenantpilot.tenancy.models_invitations import Invitation, InvitationStatus
from tenantpilot.tenancy.selectors import grantable_environment_choices
from tenantpilot.tenancy.selectors_invitations import invitation_get

logger = logging.getLogger(__name__)


def _to_members(scope: Scope) -> HttpResponse:
    return redirect("console:members", workspace=scope.workspace.slug)


def send_invitation_email(request: HttpRequest, created: invitations.CreatedInvitation) -> bool:
    """E-mail the invitation link to the invitee; ``False`` (logged without the link) when sending failed."""
    invitation = created.invitation
    path = reverse("console:invitation-accept", kwargs={"workspace": invitation.workspace.slug, "token": created.token})
    context = {
        "invitation": invitation,
        "workspace": invitation.workspace,
        "inviter": request.user.get_username(),  # type: ignore[union-attr]
        "link": request.build_absolute_uri(path),
    }
    subject = " ".join(render_to_string("console/invitations/email_subject.txt", context).split())
    body = render_to_string("console/invitations/email_body.txt", context)
    try:
        send_mail(subject, body, None, [invitation.email])
    except (smtplib.SMTPException, OSError) as error:
        logger.warning("invitation e-mail not sent: invitation=%s error=%s", invitation.pk, type(error).__name__)
        return False
    return True


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.WORKSPACE_MANAGE_MEMBERS)
def invitation_create(request: HttpRequest, scope: Scope) -> HttpResponse:
    """Invite someone by e-mail with a role up to the inviter's own (and environments they see)."""
    form = InvitationForm(
        request.POST if request.method == "POST" else None,
        initial={"restricted": scope.is_restricted, "role": Role.READONLY},  # least privilege
        roles=grantable_roles(scope.role),
        environment_choices=grantable_environment_choices(scope=scope),
    )
    if request.method == "POST" and form.is_valid():
        try:
            created = invitations.invitation_create(
                actor=request.user,
                workspace=scope.workspace,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                restricted=form.cleaned_data["restricted"],
                environment_ids=form.cleaned_data["environments"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
        except ValidationFailed as error:
            form.add_service_error(error)
        else:
            email = created.invitation.email
            if send_invitation_email(request, created):
                messages.success(request, f"Invitation sent to {email}.")
            else:
                messages.error(
                    request,
                    f"The invitation for {email} is saved, but the e-mail could not be sent. "
                    "Check the e-mail settings, then revoke it and invite again.",
                )
            return _to_members(scope)
    return render(request, "console/invitations/create.html", {"scope": scope, "form": form}, status=form_status(form))


@require_http_methods(["GET", "POST"])
@workspace_view(Capability.WORKSPACE_MANAGE_MEMBERS)
def invitation_revoke(request: HttpRequest, scope: Scope, invitation_id: int) -> HttpResponse:
    """GET asks for confirmation; POST withdraws the invitation (its link stops working)."""
    invitation = invitation_get(scope=scope, invitation_id=invitation_id)
    if request.method == "POST":
        try:
            invitations.invitation_revoke(actor=request.user, invitation=invitation)
        except Conflict as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"The invitation for {invitation.email} is revoked.")
        return _to_members(scope)
    return render(request, "console/invitations/revoke_confirm.html", {"scope": scope, "invitation": invitation})


def _refused(request: HttpRequest, invitation: Invitation, message: str, status: int) -> HttpResponse:
    return render(
        request, "console/invitations/unusable.html", {"invitation": invitation, "message": message}, status=status
    )


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, workspace: str, token: str) -> HttpResponse:
    """The invitee's page: join with the signed-in login, or choose a password for a new one.

    Nothing is written unless the invitation is pending when the POST is handled (checked again
    under the row lock by the service).
    """
    invitation = invitations.invitation_for_link(workspace_slug=workspace, token=token)
    status = invitation.status
    if status != InvitationStatus.PENDING:
        return _refused(request, invitation, invitations.UNUSABLE_MESSAGES[status], 410)
    user = request.user
    context: dict[str, object] = {"invitation": invitation, "workspace": invitation.workspace}
    if user.is_authenticated:
        if str(user.email or "").strip().lower() != invitation.email:  # type: ignore[union-attr]
            return _refused(request, invitation, invitations.OTHER_ADDRESS_MESSAGE, 403)
        if request.method == "POST":
            try:
                invitations.invitation_accept_signed_in(invitation=invitation, user=user)
            except invitations.InvitationUnusable as error:
                return _refused(request, invitation, error.message, 410)
            except (Forbidden, Conflict) as error:
                return _refused(request, invitation, error.message, 409 if isinstance(error, Conflict) else 403)
            messages.success(request, f"Welcome to {invitation.workspace.name}.")
            return redirect("console:workspace-home", workspace=invitation.workspace.slug)
        return render(request, "console/invitations/accept.html", context)
    form = NewLoginForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = invitations.invitation_accept_new_login(
                invitation=invitation, password=form.cleaned_data["new_password1"]
            )
        except invitations.InvitationUnusable as error:
            return _refused(request, invitation, error.message, 410)
        except ValidationFailed as error:
            form.add_service_error(error)
        except Conflict as error:
            form.add_error(None, error.message)
        else:
            login(request, membership.user)
            messages.success(request, f"Welcome to {invitation.workspace.name}.")
            return redirect("console:workspace-home", workspace=invitation.workspace.slug)
    context["form"] = form
    return render(request, "console/invitations/accept.html", context, status=form_status(form))
