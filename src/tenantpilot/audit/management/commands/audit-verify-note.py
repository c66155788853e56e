"""``tenantpilot audit-verify-note AUDIT_ID``: does the note on stdin match the audit row's digest?

Audit rows keep an operator note only as an HMAC-SHA256 under the server's audit note key and
its length. An operator who has the text (from the binding, a ticket, an e-mail) pipes it in::

    printf '%s' 'per ticket 4711' | tenantpilot audit-verify-note 1234

Exit status 0 when the note matches, 1 when it does not (or the row holds no note). One trailing
newline on stdin is ignored when the text with it does not match (``echo`` adds one).
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenantpilot.audit.services import NoteCheck, audit_verify_note
from tenantpilot.core.errors import NotFound, ValidationFailed


class Command(BaseCommand):
    help = "Check a note read from stdin against the note digest of one audit row."
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("audit_id", help="The audit row's id.")

    def handle(self, *args: Any, audit_id: str, **options: Any) -> None:
        stdin = options.get("stdin") or sys.stdin
        text = stdin.read()
        try:
            checks = audit_verify_note(audit_id=audit_id, note=text)
            if not any(check.matched for check in checks) and text.endswith("\n"):
                trimmed = text[:-2] if text.endswith("\r\n") else text[:-1]
                checks = audit_verify_note(audit_id=audit_id, note=trimmed)
        except (NotFound, ValidationFailed) as error:
            raise CommandError(error.message) from None
        for check in checks:
            self.stdout.write(f"{check.path}: {self._describe(check)}")
        if not any(check.matched for check in checks):
            raise CommandError(f"The note does not match audit row {audit_id}.")

    @staticmethod
    def _describe(check: NoteCheck) -> str:
        scheme = "legacy unsalted sha256" if check.legacy else "hmac-sha256"
        return f"{'match' if check.matched else 'no match'} ({scheme})"
