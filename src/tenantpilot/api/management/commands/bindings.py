"""``tenantpilot bindings list ENV``: an environment's provider resource bindings, as the API lists them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from tenantpilot.api.bindings import BindingOut
from tenantpilot.api.cli import ScopedCommand, add_common_arguments, dump, environment_arg, member_scope, positive_id
from tenantpilot.authz.capabilities import Capability
from tenantpilot.resources import selectors

COLUMNS = (
    "id",
    "binding_status",
    "resolution_mode",
    "subject_class",
    "canonical_subject_key",
    "provider_resource_id",
    "provider_resource_label",
)


class Command(ScopedCommand):
    help = "List an environment's provider resource bindings, acting as a workspace member."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list}")
        listing = actions.add_parser("list", help="list the environment's bindings, newest decision first")
        listing.add_argument("environment", metavar="ENV", help="environment id or Microsoft tenant id")
        listing.add_argument("--status", default="", help="active, superseded or revoked")
        listing.add_argument("--mode", default="", help="a resolution mode")
        listing.add_argument("--subject-class", default="", help="a subject class")
        listing.add_argument("--subject-key", default="", help="a canonical subject key")
        listing.add_argument(
            "--limit", type=positive_id, default=1000, help="at most this many bindings (default 1000)"
        )
        add_common_arguments(listing)

    def handle(self, *args: Any, **options: Any) -> None:
        scope = member_scope(options["as_user"], options["workspace"])
        environment = environment_arg(scope, options["environment"])
        scope.require(Capability.BASELINES_VIEW)
        rows = selectors.binding_list(
            scope=scope,
            environment=environment,
            status=options["status"] or None,
            mode=options["mode"] or None,
            subject_class=options["subject_class"] or None,
            subject_key=options["subject_key"] or None,
        )
        self.emit(dump(BindingOut, rows[: options["limit"]]), COLUMNS, options["format"])
