"""``tenantpilot``: the one command-line entry point (Django's management commands)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    """Run a management command, e.g. ``tenantpilot migrate`` or ``tenantpilot demo``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenantpilot.settings.base")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tenantpilot", *(sys.argv[1:] if argv is None else argv)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
