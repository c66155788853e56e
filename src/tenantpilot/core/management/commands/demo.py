"""``tenantpilot demo``: migrate the embedded database, seed the demo, serve the console."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from tenantpilot.demo import seed_demo


class Command(BaseCommand):
    help = "Set up the demo data and serve the console on 127.0.0.1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="Set up and seed, then exit.")

    def handle(self, *args: Any, port: int, no_serve: bool, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        logins = seed_demo()
        url = f"http://127.0.0.1:{port}/"
        self.stdout.write(self.style.SUCCESS(f"TenantPilot demo is ready at {url}"))
        self.stdout.write("Logins (demo only):")
        for login in logins:
            self.stdout.write(f"  {login.role:<32} {login.username:<24} password: {login.password}")
        if no_serve:
            return
        call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, insecure_serving=True)
