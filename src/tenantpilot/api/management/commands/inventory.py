"""``tenantpilot inventory list ENV``: an environment's inventory items, as the API lists them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from tenantpilot.api.cli import ScopedCommand, add_common_arguments, dump, environment_arg, member_scope, positive_id
from tenantpilot.api.inventory import ItemOut
from tenantpilot.inventory import selectors

COLUMNS = ("id", "policy_type", "display_name", "provider_object_id", "current_version", "last_seen_at", "gone_at")


class Command(ScopedCommand):
    help = "List an environment's inventory items, acting as a workspace member."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list}")
        listing = actions.add_parser("list", help="list the environment's items by type and name")
        listing.add_argument("environment", metavar="ENV", help="environment id or Microsoft tenant id")
        listing.add_argument("--type", dest="policy_type", default="", help="only this policy type")
        listing.add_argument("--search", default="", help="a name or provider object id to match")
        listing.add_argument("--include-gone", action="store_true", help="include items no longer in the tenant")
        listing.add_argument("--limit", type=positive_id, default=1000, help="at most this many items (default 1000)")
        add_common_arguments(listing)

    def handle(self, *args: Any, **options: Any) -> None:
        scope = member_scope(options["as_user"], options["workspace"])
        environment = environment_arg(scope, options["environment"])
        rows = selectors.inventory_list(
            scope=scope,
            environment=environment,
            policy_type=options["policy_type"],
            search=options["search"].strip(),
            include_gone=options["include_gone"],
        )
        self.emit(dump(ItemOut, rows[: options["limit"]]), COLUMNS, options["format"])
