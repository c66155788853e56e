"""``tenantpilot rotate-credential-key``: re-encrypt every provider credential with a new key.

Embedded key file: a fresh key is put first, every credential is re-encrypted with it, and the
old keys are then removed (``--keep-old-keys`` keeps them). Keys from
``TENANTPILOT_CREDENTIAL_KEYS``: put the new key first in the variable yourself; this command
re-encrypts with it (remove the old key from the variable afterwards).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenantpilot.providers.credentials import CredentialUnavailable, uses_key_file
from tenantpilot.providers.services import credentials_rotate


class Command(BaseCommand):
    help = "Re-encrypt every provider credential with the newest key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--keep-old-keys", action="store_true", help="Keep old keys in the embedded key file.")

    def handle(self, *args: Any, keep_old_keys: bool, **options: Any) -> None:
        try:
            count, pruned = credentials_rotate(new_key=uses_key_file(), prune=uses_key_file() and not keep_old_keys)
        except CredentialUnavailable as error:
            raise CommandError(f"{error} Nothing was changed.") from None
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} credentials with the newest key."))
        if pruned:
            self.stdout.write(f"Removed {pruned} old key(s) from the key file.")
