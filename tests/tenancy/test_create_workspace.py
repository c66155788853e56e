"""``tenantpilot create-workspace NAME --owner EMAIL``: workspace, owner login, link, audit, exit codes."""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.authz.roles import Role
from tenantpilot.core.errors import Forbidden
from tenantpilot.tenancy.models import Workspace, WorkspaceMembership
from tenantpilot.tenancy.services_invitations import workspace_onboard
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-and-unusual-passphrase-42"


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("create-workspace", *args, stdout=out)
    return out.getvalue()


def test_creates_workspace_owner_login_and_a_working_one_time_link(settings):
    settings.TENANTPILOT_BASE_URL = "https://tp.example.test"
    output = _run("Contoso IT", "--owner", "Admin@Contoso.test")
    workspace = Workspace.objects.get(slug="contoso-it")
    owner = get_user_model().objects.get(username="admin@contoso.test")
    assert owner.email == "admin@contoso.test" and not owner.has_usable_password()
    assert WorkspaceMembership.objects.get(workspace=workspace, user=owner).role == Role.OWNER
    actions = set(AuditLog.objects.filter(workspace=workspace).values_list("action", flat=True))
    assert actions == {AuditAction.WORKSPACE_CREATED, AuditAction.LOGIN_CREATED}
    link = re.search(r"https://tp\.example\.test(/password/reset/\S+/\S+/)", output)
    assert link, output

    # The link lets the owner choose a password once, then sign in.
    client = Client()
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200 and b"Choose a password" in form.content
    done = client.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    again = Client().get(link.group(1), follow=True)
    assert b"This link cannot be used" in again.content


def test_existing_login_becomes_owner_and_no_password_is_printed_or_changed():
    user = UserFactory(username="jo@msp.test")
    output = _run("Fabrikam", "--owner", "JO@msp.test", "--slug", "fab")
    workspace = Workspace.objects.get(slug="fab")
    assert WorkspaceMembership.objects.get(workspace=workspace, user=user).role == Role.OWNER
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert PASSWORD not in output and "/password/reset/" not in output
    assert "already has a login" in output
    assert not AuditLog.objects.filter(action=AuditAction.LOGIN_CREATED).exists()


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["Name", "--owner", "not-an-address"], "owner"),
        (["   ", "--owner", "a@b.test"], "name"),
        (["Taken", "--owner", "a@b.test", "--slug", "taken"], "slug"),
        (["!!!", "--owner", "a@b.test"], "slug"),
    ],
)
def test_bad_input_exits_2_naming_the_field_and_writes_nothing(args, field):
    Workspace.objects.create(name="Taken", slug="taken")
    users, audits = get_user_model().objects.count(), AuditLog.objects.count()
    with pytest.raises(CommandError) as error:
        _run(*args)
    assert error.value.returncode == 2
    assert str(error.value).startswith(f"{field}:")
    assert get_user_model().objects.count() == users and AuditLog.objects.count() == audits
    assert Workspace.objects.count() == 1


def test_deactivated_owner_login_is_refused():
    UserFactory(username="gone@msp.test", is_active=False)
    with pytest.raises(CommandError) as error:
        _run("Gone", "--owner", "gone@msp.test")
    assert error.value.returncode == 2 and "deactivated" in str(error.value)
    assert not Workspace.objects.filter(slug="gone").exists()


def test_only_superusers_or_the_cli_may_onboard(world):
    with pytest.raises(Forbidden):
        workspace_onboard(actor=world.owner, name="Nope", owner_email="x@y.test")
    admin = UserFactory(username="root@msp.test", is_superuser=True)
    result = workspace_onboard(actor=admin, name="Yes", owner_email="x@y.test")
    assert result.login_created
    row = AuditLog.objects.get(action=AuditAction.WORKSPACE_CREATED, workspace=result.workspace)
    assert row.actor_id == admin.pk


def test_readme_onboarding_block_works_as_written():
    """The shell block of the README's "Onboarding" section, run command by command."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Onboarding\n", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    lines = [line for line in block.splitlines() if line.strip()]
    assert any("create-workspace" in line for line in lines)
    for line in lines:
        program, *args = shlex.split(line)
        assert program == ".venv/bin/tenantpilot", line
        out = io.StringIO()
        call_command(*args, stdout=out, **({"verbosity": 0} if args[0] == "migrate" else {}))
    owner = WorkspaceMembership.objects.get(workspace__slug="contoso-it").user
    assert owner.email == "lead@contoso.example"
    assert "/password/reset/" in out.getvalue()
