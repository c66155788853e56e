"""``tenantpilot``: the one command-line entry point.

``tenantpilot graphsim …`` serves the Microsoft simulator (standalone, no Django);
everything else is a Django management command (``migrate``, ``demo``, ``worker``, …).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    """Run ``graphsim`` or a management command, e.g. ``tenantpilot migrate``."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["graphsim"]:
        from graphsim.cli import main as graphsim_main

        return graphsim_main(args[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenantpilot.settings.base")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tenantpilot", *args])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
