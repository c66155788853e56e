"""Invitations, password reset and the platform's new-workspace page, through the console.

E-mail goes through Django's mailer: the locmem outbox for most tests, and a real SMTP server on
loopback (aiosmtpd) for one invitation and one password reset. Those two requests send mail while
they are served (the invitation's token exists only in that request), so they use Django's plain
test client rather than the outbound-connection guard, whose job is to keep Graph out of pages.
"""

from __future__ import annotations

import datetime as dt
import re
import socket
from collections.abc import Iterator
from email import message_from_bytes
from unittest import mock

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.roles import Role
from tenantpilot.tenancy import services_invitations as inv
from tenantpilot.tenancy.models import Workspace, WorkspaceMembership
from tenantpilot.tenancy.models_invitations import Invitation
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"
LINK = re.compile(r"https?://[^/\s]+(/invitations/[^/\s]+/[^/\s]+/)")
RESET_LINK = re.compile(r"https?://[^/\s]+(/password/reset/[^/\s]+/[^/\s]+/)")


class _Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], object]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp_server(settings) -> Iterator[_Inbox]:
    """A real SMTP server on loopback, and the default mailer pointed at it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=30)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, "use_ssl": False, "timeout": 30},
        }
    }
    try:
        yield inbox
    finally:
        controller.stop()


def _invite_url(world) -> str:
    return reverse("console:invitation-create", kwargs={"workspace": world.a.slug})


def _invite(client, world, actor, **data):
    client.force_login(actor)
    payload = {"email": "new.person@customer.test", "role": Role.OPERATOR.value, "expires_in_days": "7", **data}
    return client.post(_invite_url(world), payload)


def _link_from(body: str) -> str:
    match = LINK.search(body)
    assert match, body
    return match.group(1)


def test_invite_sends_the_link_by_smtp_and_the_invitee_creates_a_login(world, smtp_server):
    client = Client()
    response = _invite(client, world, world.members[Role.MANAGER])
    assert response.status_code == 302
    assert len(smtp_server.messages) == 1
    recipients, message = smtp_server.messages[0]
    assert recipients == ["new.person@customer.test"]
    assert world.a.name in message["Subject"]
    body = message.get_payload(decode=True).decode()
    path = _link_from(body)
    invitation = Invitation.objects.get()
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert invitation.digest == inv.invitation_digest(token) and token not in invitation.digest
    assert not AuditLog.objects.filter(metadata__icontains=token).exists()

    invitee = Client()
    page = invitee.get(path)
    assert page.status_code == 200 and b"Choose a password" in page.content
    joined = invitee.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert joined.status_code == 302
    assert joined["Location"] == reverse("console:workspace-home", kwargs={"workspace": world.a.slug})
    home = invitee.get(joined["Location"])
    assert home.status_code == 200, "the new login is signed in and a member"
    membership = WorkspaceMembership.objects.get(user__username="new.person@customer.test")
    assert membership.role == Role.OPERATOR and membership.workspace == world.a


def test_invitation_email_failure_keeps_the_invitation_and_says_so(world, settings):
    with socket.socket() as probe:  # a port nobody listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, "timeout": 5},
        }
    }
    client = Client()
    response = _invite(client, world, world.owner)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "could not be sent" in page
    assert Invitation.objects.count() == 1


def test_signed_in_login_with_the_invited_address_joins(world, mailoutbox):
    existing = UserFactory(username="jo@customer.test")
    client = Client()
    assert _invite(client, world, world.owner, email="jo@customer.test", role=Role.READONLY.value).status_code == 302
    path = _link_from(mailoutbox[0].body)
    client.force_login(existing)
    page = client.get(path)
    assert page.status_code == 200 and b"Join Alpha MSP" in page.content
    assert client.post(path).status_code == 302
    assert WorkspaceMembership.objects.get(workspace=world.a, user=existing).role == Role.READONLY


def test_signed_in_login_with_another_address_is_refused(world, mailoutbox):
    client = Client()
    _invite(client, world, world.owner)
    path = _link_from(mailoutbox[0].body)
    client.force_login(world.outsider)
    before = AuditLog.objects.count()
    response = client.post(path)
    assert response.status_code == 403 and b"another e-mail address" in response.content
    assert AuditLog.objects.count() == before
    assert not WorkspaceMembership.objects.filter(user=world.outsider).exists()


def test_link_under_another_workspace_or_unknown_token_is_404(world, mailoutbox):
    client = Client()
    _invite(client, world, world.owner)
    path = _link_from(mailoutbox[0].body)
    token = path.rstrip("/").rsplit("/", 1)[1]
    invitee = Client()
    wrong = reverse("console:invitation-accept", kwargs={"workspace": world.b.slug, "token": token})
    for url in (wrong, reverse("console:invitation-accept", kwargs={"workspace": world.a.slug, "token": "tpinv_x"})):
        response = invitee.post(url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
        assert response.status_code == 404
        assert world.a.name.encode() not in response.content
    assert not get_user_model().objects.filter(username="new.person@customer.test").exists()


def _refused_without_writes(path: str, expected_text: bytes) -> None:
    users, audits, members = (
        get_user_model().objects.count(),
        AuditLog.objects.count(),
        WorkspaceMembership.objects.count(),
    )
    invitee = Client()
    for response in (
        invitee.get(path),
        invitee.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}),
    ):
        assert response.status_code == 410
        assert expected_text in response.content
    assert get_user_model().objects.count() == users
    assert AuditLog.objects.count() == audits and WorkspaceMembership.objects.count() == members


def test_expired_link_shows_a_clear_page_and_writes_nothing(world, mailoutbox):
    start = timezone.now()
    with mock.patch("django.utils.timezone.now", return_value=start):
        _invite(Client(), world, world.owner)
    path = _link_from(mailoutbox[0].body)
    with mock.patch("django.utils.timezone.now", return_value=start + dt.timedelta(days=7, seconds=1)):
        _refused_without_writes(path, b"has expired")
        members = Client()
        members.force_login(world.owner)
        listing = members.get(reverse("console:members", kwargs={"workspace": world.a.slug})).content.decode()
    assert "Expired" in listing


def test_used_link_shows_a_clear_page_and_writes_nothing(world, mailoutbox):
    _invite(Client(), world, world.owner)
    path = _link_from(mailoutbox[0].body)
    first = Client().post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert first.status_code == 302
    _refused_without_writes(path, b"already been used")


def test_pending_invitations_are_listed_and_revocable_on_the_members_page(world, mailoutbox):
    client = Client()
    _invite(client, world, world.owner, role=Role.OWNER.value, email="boss@customer.test")
    _invite(client, world, world.members[Role.MANAGER], email="helper@customer.test")
    members_url = reverse("console:members", kwargs={"workspace": world.a.slug})
    client.force_login(world.members[Role.MANAGER])
    page = client.get(members_url).content.decode()
    assert "boss@customer.test" in page and "helper@customer.test" in page
    helper = Invitation.objects.get(email="helper@customer.test")
    boss = Invitation.objects.get(email="boss@customer.test")
    revoke = reverse("console:invitation-revoke", kwargs={"workspace": world.a.slug, "invitation_id": helper.pk})
    assert revoke in page
    assert (
        reverse("console:invitation-revoke", kwargs={"workspace": world.a.slug, "invitation_id": boss.pk}) not in page
    )
    # A manager cannot revoke an owner's invitation (same rule as role changes).
    boss_revoke = reverse("console:invitation-revoke", kwargs={"workspace": world.a.slug, "invitation_id": boss.pk})
    assert client.post(boss_revoke).status_code == 403
    assert client.post(revoke).status_code == 302
    assert (
        AuditLog.objects.filter(action=AuditAction.INVITATION_REVOKED, actor=world.members[Role.MANAGER]).count() == 1
    )
    _refused_without_writes(_link_from(mailoutbox[1].body), b"withdrawn")
    # Operators see members but no invitations.
    client.force_login(world.members[Role.OPERATOR])
    assert "boss@customer.test" not in client.get(members_url).content.decode()


def test_manager_invite_form_offers_no_role_above_their_own(world):
    client = Client()
    client.force_login(world.members[Role.MANAGER])
    page = client.get(_invite_url(world)).content.decode()
    assert 'value="manager"' in page and 'value="owner"' not in page
    response = _invite(client, world, world.members[Role.MANAGER], role=Role.OWNER.value)
    assert response.status_code == 400 and not Invitation.objects.exists()


# Password reset


def test_password_reset_by_smtp_without_user_enumeration(world, smtp_server):
    client = Client()
    url = reverse("console:password-reset")
    known = client.post(url, {"email": world.members[Role.READONLY].email.upper()})
    unknown = client.post(url, {"email": "nobody@nowhere.test"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("console:password-reset-done")
    assert len(smtp_server.messages) == 1
    recipients, message = smtp_server.messages[0]
    assert recipients == [world.members[Role.READONLY].email]
    path = RESET_LINK.search(message.get_payload(decode=True).decode()).group(1)
    form = client.get(path, follow=True)
    assert b"Choose a password" in form.content
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("console:password-reset-complete")
    assert Client().login(username=world.members[Role.READONLY].username, password=NEW_PASSWORD)
    assert b"This link cannot be used" in Client().get(path, follow=True).content


def test_login_page_links_to_password_reset(client):
    assert reverse("console:password-reset").encode() in client.get(reverse("console:login")).content


# The platform's new-workspace page


def test_platform_page_creates_workspace_and_emails_the_new_owner(world, mailoutbox):
    admin = UserFactory(username="root@msp.test", is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(admin)
    url = reverse("console:platform-workspace-create")
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "Contoso IT", "slug": "", "owner": "Lead@Contoso.test"})
    assert response.status_code == 302
    workspace = Workspace.objects.get(slug="contoso-it")
    owner = WorkspaceMembership.objects.get(workspace=workspace).user
    assert owner.email == "lead@contoso.test" and owner.has_usable_password() is False
    assert AuditLog.objects.filter(action=AuditAction.WORKSPACE_CREATED, actor=admin, workspace=workspace).exists()
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["lead@contoso.test"]
    path = RESET_LINK.search(mailoutbox[0].body).group(1)
    form = Client().get(path, follow=True)
    assert b"Choose a password" in form.content
    taken = client.post(url, {"name": "Contoso IT", "slug": "", "owner": "x@y.test"})
    assert taken.status_code == 400 and b"slug exists" in taken.content


@pytest.mark.parametrize("who", ["owner", "other", "staff"])
def test_platform_page_is_404_for_everyone_but_superusers(world, who):
    user = UserFactory(username="staff@msp.test", is_staff=True) if who == "staff" else getattr(world, who)
    client = Client()
    client.force_login(user)
    url = reverse("console:platform-workspace-create")
    assert client.get(url).status_code == 404
    response = client.post(url, {"name": "Sneaky", "owner": "s@n.test"})
    assert response.status_code == 404
    assert not Workspace.objects.filter(name="Sneaky").exists()


def test_platform_page_sends_anonymous_to_login(client):
    response = client.get(reverse("console:platform-workspace-create"))
    assert response.status_code == 302 and reverse("console:login") in response["Location"]


def test_invite_form_starts_read_only_and_refuses_ticked_environments_without_restriction(world):
    client = Client()
    client.force_login(world.owner)
    page = client.get(_invite_url(world)).content.decode()
    assert re.search(r'<option value="readonly"[^>]*selected', page)
    response = _invite(client, world, world.owner, environments=[world.a2.pk])
    assert response.status_code == 400 and "Only the environments selected below" in response.content.decode()
    assert not Invitation.objects.exists()
