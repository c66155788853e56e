"""``tenantpilot create-workspace NAME --owner EMAIL [--slug SLUG] [--base-url URL]``.

Creates a workspace whose first owner is the login with that e-mail address; when there is none,
creates it without a usable password and prints a one-time link to choose one. An existing
login keeps its password (never printed, never changed). Audited (``workspace.created``, and
``auth.login_created`` for a new login, with the actor ``system``).

Exit codes: 0 created; 2 invalid input (the message names the field: ``name``, ``slug``, ``owner``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenantpilot.core.errors import DomainError, ValidationFailed
from tenantpilot.tenancy.services_invitations import password_set_path, workspace_onboard

EXIT_INVALID = 2


class Command(BaseCommand):
    help = "Create a workspace with its first owner (creating the owner's login when needed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The workspace's name, e.g. 'Contoso IT'.")
        parser.add_argument("--owner", required=True, metavar="EMAIL", help="The first owner's e-mail address.")
        parser.add_argument("--slug", default="", help="The workspace's URL name (default: from the name).")
        parser.add_argument(
            "--base-url",
            default="",
            metavar="URL",
            help="The console's public address for the printed link (default: TENANTPILOT_BASE_URL).",
        )

    def handle(self, *args: Any, name: str, owner: str, slug: str, base_url: str, **options: Any) -> None:
        try:
            result = workspace_onboard(actor=None, name=name, slug=slug, owner_email=owner)
        except ValidationFailed as error:
            raise CommandError(f"{error.field or 'input'}: {error.message}", returncode=EXIT_INVALID) from None
        except DomainError as error:
            raise CommandError(error.message, returncode=EXIT_INVALID) from None
        workspace = result.workspace
        self.stdout.write(f"Created workspace {workspace.name!r} (slug {workspace.slug}, id {workspace.pk}).")
        username = result.owner.get_username()
        if result.login_created:
            base = (base_url or settings.TENANTPILOT_BASE_URL).rstrip("/")
            self.stdout.write(f"Created the login {username} as its owner. Send them this one-time link to choose")
            hours = int(settings.PASSWORD_RESET_TIMEOUT) // 3600
            self.stdout.write(f"a password (valid {hours} hours, until a password is set):")
            self.stdout.write(f"  {base}{password_set_path(result.owner)}")
            self.stdout.write("Later, 'Forgot your password?' on the sign-in page sends a new link by e-mail.")
        else:
            self.stdout.write(
                f"{username} already has a login and is now the owner; they sign in with their current password "
                "(or use 'Forgot your password?' on the sign-in page)."
            )
