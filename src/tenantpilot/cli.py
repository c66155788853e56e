"""``tenantpilot``: the one command-line entry point.

``tenantpilot graphsim …`` serves the Microsoft simulator (standalone, no Django);
everything else is a Django management command (``migrate``, ``demo``, ``worker``, …).
"""

from __future__ import annotations

import os
import sys

from django.core.exceptions import ImproperlyConfigured


def main(argv: list[str] | None = None) -> int:
    """Run ``graphsim`` or a management command, e.g. ``tenantpilot migrate``."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["graphsim"]:
        from graphsim.cli import main as graphsim_main

        return graphsim_main(args[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenantpilot.settings.base")
    problem = configuration_problem(args)
    if problem is not None:
        # Fail closed with one clear line (e.g. production without TENANTPILOT_SECRET_KEY).
        sys.stderr.write(f"tenantpilot: configuration error: {problem}\n")
        return 2
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tenantpilot", *args])
    return 0


def configuration_problem(args: list[str]) -> str | None:
    """Load the settings the command would use (``--settings`` wins over DJANGO_SETTINGS_MODULE);
    the refusal of an incomplete configuration, or ``None`` when they load."""
    module = os.environ["DJANGO_SETTINGS_MODULE"]
    for index, arg in enumerate(args):
        if arg.startswith("--settings="):
            module = arg.split("=", 1)[1]
        elif arg == "--settings" and index + 1 < len(args):
            module = args[index + 1]
    previous = os.environ["DJANGO_SETTINGS_MODULE"]
    os.environ["DJANGO_SETTINGS_MODULE"] = module
    try:
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018 - importing the settings module is the check
    except ImproperlyConfigured as error:
        return str(error)
    finally:
        os.environ["DJANGO_SETTINGS_MODULE"] = previous
    return None


if __name__ == "__main__":
    raise SystemExit(main())
