"""Onboarding without the demo: workspaces with a first owner, and invitations by e-mail.

Invitations
    An owner or manager invites an e-mail address with a role (never above their own, the rule
    of role changes) and optionally an environment restriction (only environments they see
    themselves; a restricted inviter cannot invite to "all environments"). The link's token is
    ``tpinv_`` + 43 url-safe characters (256 bits); only its HMAC-SHA256 under a key derived from
    ``SECRET_KEY`` with its own label is stored, as for API tokens. The link is single-use,
    expires (``DEFAULT_EXPIRY_DAYS``) and is revocable. Accepting creates the login (with the
    password the invitee chooses) or attaches the signed-in login whose e-mail address matches.
    Every write authorizes, runs in one transaction and audits there; the token text is never
    logged, audited or raised with.

Workspaces with a first owner
    ``workspace_onboard`` (the ``create-workspace`` command and the platform page) creates the
    workspace and, when no login has the owner's address, an owner login without a usable
    password; ``password_set_path`` then gives the one-time link to choose one.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.services import audit_record
from tenantpilot.authz.roles import Role, can_grant
from tenantpilot.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tenantpilot.tenancy.authority import Scope, scope_for_workspace

from . import policies
from .models import EnvironmentAccess, ManagedEnvironment, Workspace, WorkspaceMembership
from .models_invitations import Invitation, InvitationEnvironment, InvitationStatus
from .services import workspace_create

TOKEN_PREFIX = "tpinv_"  # noqa: S105 - the public prefix of invitation links, not a secret
DEFAULT_EXPIRY_DAYS = 7
MAX_EXPIRY_DAYS = 30
_KEY_SALT = "tenantpilot.invitation.v1"
_MAX_TOKEN_LENGTH = 200

UNUSABLE_MESSAGES = {
    InvitationStatus.EXPIRED: "This invitation has expired. Ask the person who invited you for a new one.",
    InvitationStatus.ACCEPTED: "This invitation has already been used. Sign in with the login it created.",
    InvitationStatus.REVOKED: "This invitation was withdrawn. Ask the person who invited you for a new one.",
}
OTHER_ADDRESS_MESSAGE = (
    "This invitation is for another e-mail address than the login you are signed in with. "
    "Sign out, then open the link again."
)
LOGIN_EXISTS_MESSAGE = "A login with this e-mail address exists. Sign in with it, then open the link again."


def invitation_digest(token: str) -> str:
    """The stored form of an invitation link's token: HMAC-SHA256 under the invitation key (hex)."""
    return salted_hmac(_KEY_SALT, token, algorithm="sha256").hexdigest()


class InvitationUnusable(Conflict):
    """The invitation exists but can no longer be accepted; ``status`` says why (expired, used, revoked)."""

    def __init__(self, status: InvitationStatus) -> None:
        super().__init__(UNUSABLE_MESSAGES[status])
        self.status = status


@dataclass(frozen=True)
class CreatedInvitation:
    """A new invitation and its token: the only moment the token exists outside the link."""

    invitation: Invitation
    token: str


@dataclass(frozen=True)
class OnboardedWorkspace:
    """A new workspace, its first owner, and whether that owner's login was created just now."""

    workspace: Workspace
    owner: Any
    login_created: bool


def normalized_email(raw: object, *, field: str = "email") -> str:
    """A trimmed, lower-cased, valid e-mail address, else ``ValidationFailed`` on ``field``."""
    email = str(raw or "").strip().lower()
    if not email:
        raise ValidationFailed("Enter an e-mail address.", field=field)
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationFailed("Enter a valid e-mail address.", field=field) from None
    if len(email) > 254:
        raise ValidationFailed("Enter an e-mail address of at most 254 characters.", field=field)
    return email


def _logins_for_email(email: str) -> list[Any]:
    """Logins whose e-mail address or login name is ``email`` (case-insensitive), at most two."""
    user_model = get_user_model()
    return list(
        user_model._default_manager.filter(Q(email__iexact=email) | Q(username__iexact=email)).order_by("pk")[:2]
    )


def _manager_scope(actor: Any, workspace: Workspace) -> Scope:
    scope = scope_for_workspace(actor, workspace)
    scope.require(policies.MANAGE_MEMBERS)
    return scope


def _parse_ids(values: Iterable[object]) -> list[int]:
    try:
        ids = sorted({int(str(v)) for v in values})
    except (TypeError, ValueError):
        raise ValidationFailed("Choose environments of this workspace.", field="environments") from None
    if any(not 0 < pk < 2**63 for pk in ids):
        raise ValidationFailed("Choose environments of this workspace.", field="environments")
    return ids


def invitation_create(
    *,
    actor: Any,
    workspace: Workspace,
    email: str,
    role: str,
    restricted: bool = False,
    environment_ids: Iterable[object] = (),
    expires_in_days: object = DEFAULT_EXPIRY_DAYS,
) -> CreatedInvitation:
    """Invite ``email`` to ``workspace`` with ``role`` (audited; the token only in the return value).

    Guarantees: the actor manages members (``NotFound``/``Forbidden`` otherwise); the role is at
    most the actor's own (``Forbidden``); environments are only ones the actor sees, and a
    restricted actor cannot invite to all environments (field errors, the same answer for a
    hidden and a missing id); no pending invitation or membership exists for the address
    (field error on ``email``); ``expires_in_days`` is 1…30.
    """
    scope = _manager_scope(actor, workspace)
    if role not in Role.values:
        raise ValidationFailed("Choose one of the listed roles.", field="role")
    if not can_grant(scope.role, role):
        raise Forbidden("You cannot invite with a role above your own.")
    email = normalized_email(email)
    try:
        days = int(str(expires_in_days).strip())
    except (TypeError, ValueError):
        raise ValidationFailed("Enter the number of days the link stays valid.", field="expires_in_days") from None
    if not 1 <= days <= MAX_EXPIRY_DAYS:
        raise ValidationFailed(f"An invitation stays valid 1 to {MAX_EXPIRY_DAYS} days.", field="expires_in_days")
    wanted = _parse_ids(environment_ids) if restricted else []
    if scope.is_restricted and not restricted:
        raise ValidationFailed(policies.RESTRICTED_GRANT_ALL_MESSAGE, field="restricted")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        # One invitation at a time per workspace: the "already invited" check below stays true.
        Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
        members = WorkspaceMembership.objects.filter(workspace=workspace)
        if members.filter(Q(user__email__iexact=email) | Q(user__username__iexact=email)).exists():
            raise ValidationFailed("Someone with this e-mail address is already a member.", field="email")
        if Invitation.objects.for_workspace(workspace).pending(now).filter(email=email).exists():
            raise ValidationFailed(
                "A pending invitation for this address exists. Revoke it to send a new one.", field="email"
            )
        environments = list(ManagedEnvironment.objects.visible_to(scope).filter(pk__in=wanted))
        if len(environments) != len(wanted):
            raise ValidationFailed("Choose environments of this workspace.", field="environments")
        invitation = Invitation(
            workspace=workspace,
            email=email,
            role=role,
            restricted_environments=bool(restricted),
            digest=invitation_digest(token),
            invited_by=actor,
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
        )
        try:
            invitation.full_clean(exclude=["workspace", "invited_by"])
        except ValidationError as exc:
            raise ValidationFailed.from_django(exc) from None
        invitation.save()
        InvitationEnvironment.objects.bulk_create(
            [InvitationEnvironment(workspace=workspace, invitation=invitation, environment=e) for e in environments]
        )
        audit_record(
            actor=actor,
            action=AuditAction.INVITATION_CREATED,
            workspace=workspace,
            target=invitation,
            metadata={
                "invitation_id": invitation.pk,
                "email": email,
                "role": role,
                "restricted": invitation.restricted_environments,
                "environment_ids": wanted,
                "expires_in_days": days,
            },
        )
    return CreatedInvitation(invitation=invitation, token=token)


def invitation_revoke(*, actor: Any, invitation: Invitation) -> Invitation:
    """Withdraw a pending (or expired) invitation: its link stops working at once (audited).

    ``NotFound`` for an invitation of another workspace; ``Forbidden`` for one whose role is above
    the actor's; ``Conflict`` when it was already accepted or revoked.
    """
    scope = _manager_scope(actor, invitation.workspace)
    with transaction.atomic():
        current = Invitation.objects.select_for_update().filter(pk=invitation.pk).first()
        if current is None or current.workspace_id != scope.workspace.pk:
            raise NotFound()
        if not can_grant(scope.role, current.role):
            raise Forbidden("You cannot revoke an invitation with a role above your own.")
        if current.accepted_at is not None:
            raise Conflict("This invitation was already accepted. Remove the member instead.")
        if current.revoked_at is not None:
            raise Conflict("This invitation was already revoked.")
        current.revoked_at = timezone.now()
        current.revoked_by = actor
        current.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=actor,
            action=AuditAction.INVITATION_REVOKED,
            workspace=current.workspace,
            target=current,
            metadata={"invitation_id": current.pk, "email": current.email, "role": current.role},
        )
    return current


def invitation_for_link(*, workspace_slug: object, token: object) -> Invitation:
    """The invitation a link names, whatever its status; ``NotFound`` unless the token belongs to
    an invitation of *that* workspace (a link under another workspace's slug is a 404)."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > _MAX_TOKEN_LENGTH:
        raise NotFound()
    if not isinstance(workspace_slug, str):
        raise NotFound()
    digest = invitation_digest(token)
    invitation = (
        Invitation.objects.select_related("workspace", "invited_by")
        .filter(digest=digest, workspace__slug=workspace_slug)
        .first()
    )
    if invitation is None or not hmac.compare_digest(invitation.digest, digest):
        raise NotFound()
    return invitation


def _locked_usable(invitation: Invitation, now: dt.datetime) -> Invitation:
    current = Invitation.objects.select_for_update().select_related("workspace").get(pk=invitation.pk)
    status = current.status_at(now)
    if status != InvitationStatus.PENDING:
        raise InvitationUnusable(status)
    return current


def _join(*, invitation: Invitation, user: Any, now: dt.datetime, login_created: bool) -> WorkspaceMembership:
    """Inside the caller's transaction: the membership, its grants, the invitation marked used, audited."""
    if WorkspaceMembership.objects.filter(workspace=invitation.workspace, user=user).exists():
        raise Conflict("You are already a member of this workspace.")
    membership = WorkspaceMembership.objects.create(
        workspace=invitation.workspace,
        user=user,
        role=invitation.role,
        restricted_environments=invitation.restricted_environments,
    )
    environment_ids = sorted(invitation.environment_grants.values_list("environment_id", flat=True))
    if invitation.restricted_environments:
        EnvironmentAccess.objects.bulk_create(
            [
                EnvironmentAccess(workspace=invitation.workspace, membership=membership, environment_id=pk)
                for pk in environment_ids
            ]
        )
    invitation.accepted_at = now
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        actor=user,
        action=AuditAction.MEMBER_ADDED,
        workspace=invitation.workspace,
        target=membership,
        metadata={
            "user_id": user.pk,
            "role": membership.role,
            "restricted": membership.restricted_environments,
            "invitation_id": invitation.pk,
        },
    )
    audit_record(
        actor=user,
        action=AuditAction.INVITATION_ACCEPTED,
        workspace=invitation.workspace,
        target=invitation,
        metadata={
            "invitation_id": invitation.pk,
            "user_id": user.pk,
            "role": membership.role,
            "environment_ids": environment_ids if invitation.restricted_environments else [],
            "login_created": login_created,
        },
    )
    return membership


def invitation_accept_signed_in(
    *, invitation: Invitation, user: Any, now: dt.datetime | None = None
) -> WorkspaceMembership:
    """Attach the signed-in ``user`` to the invitation's workspace with its role and restriction.

    Refused, writing nothing: ``InvitationUnusable`` (expired, used, revoked — checked under the
    row lock, so two tabs cannot both use one link); ``Forbidden`` when the login's e-mail address
    is not the invited one; ``Conflict`` when already a member.
    """
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        raise Forbidden()
    now = now or timezone.now()
    with transaction.atomic():
        current = _locked_usable(invitation, now)
        if str(user.email or "").strip().lower() != current.email:
            raise Forbidden(OTHER_ADDRESS_MESSAGE)
        return _join(invitation=current, user=user, now=now, login_created=False)


def invitation_accept_new_login(
    *, invitation: Invitation, password: str, now: dt.datetime | None = None
) -> WorkspaceMembership:
    """Create the invitee's login (login name and e-mail: the invited address; ``password`` as
    chosen, checked by the password validators) and join the workspace — one transaction.

    Refused, writing nothing: ``InvitationUnusable``; ``ValidationFailed`` on ``new_password1``
    for a weak password; ``Conflict`` when a login with the address exists (sign in instead).
    """
    now = now or timezone.now()
    user_model = get_user_model()
    try:
        with transaction.atomic():
            current = _locked_usable(invitation, now)
            if _logins_for_email(current.email):
                raise Conflict(LOGIN_EXISTS_MESSAGE)
            user = user_model(username=current.email, email=current.email)
            try:
                validate_password(password, user=user)
            except ValidationError as exc:
                raise ValidationFailed(" ".join(exc.messages), field="new_password1") from None
            user.set_password(password)
            user.save()
            audit_record(
                actor=user,
                action=AuditAction.LOGIN_CREATED,
                workspace=current.workspace,
                target=user,
                metadata={"user_id": user.pk, "invitation_id": current.pk},
            )
            return _join(invitation=current, user=user, now=now, login_created=True)
    except IntegrityError:
        # A concurrent acceptance created the same login name first.
        raise Conflict(LOGIN_EXISTS_MESSAGE) from None


def workspace_onboard(*, actor: Any, name: str, slug: str = "", owner_email: str) -> OnboardedWorkspace:
    """Create a workspace whose first owner is the login of ``owner_email`` (created when missing).

    Only the platform may do this: ``actor`` is ``None`` (the ``create-workspace`` command, run by
    whoever runs the server) or an active superuser (``Forbidden`` otherwise). A new login gets an
    unusable password (``password_set_path`` makes its one-time link); an existing one keeps its
    password. Field errors: ``owner`` (bad address, several or a deactivated login), ``name``,
    ``slug``. Audited: ``workspace.created`` and, for a new login, ``auth.login_created``.
    """
    if actor is not None and not (getattr(actor, "is_active", False) and getattr(actor, "is_superuser", False)):
        raise Forbidden()
    email = normalized_email(owner_email, field="owner")
    logins = _logins_for_email(email)
    if len(logins) > 1:
        raise ValidationFailed("Several logins use this e-mail address; fix them in /system/ first.", field="owner")
    if logins and not logins[0].is_active:
        raise ValidationFailed("The login with this e-mail address is deactivated.", field="owner")
    user_model = get_user_model()
    try:
        with transaction.atomic():
            owner = logins[0] if logins else None
            if owner is None:
                owner = user_model(username=email, email=email)
                owner.set_unusable_password()
                owner.save()
            workspace = workspace_create(actor=actor, name=name, slug=slug, owner=owner)
            if not logins:
                audit_record(
                    actor=actor,
                    action=AuditAction.LOGIN_CREATED,
                    workspace=workspace,
                    target=owner,
                    metadata={"user_id": owner.pk, "role": Role.OWNER.value},
                )
    except IntegrityError:
        raise ValidationFailed("A workspace with this slug exists.", field="slug") from None
    return OnboardedWorkspace(workspace=workspace, owner=owner, login_created=not logins)


def password_set_path(user: Any) -> str:
    """The path of ``user``'s one-time link to choose a password (Django's password reset token:
    it stops working once the password is set, or after ``PASSWORD_RESET_TIMEOUT``)."""
    return reverse(
        "console:password-reset-confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
