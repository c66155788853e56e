"""Change a running simulator's tenants from another process: a small control endpoint and its client.

The serving CLI (``graphsim`` / ``tenantpilot graphsim``) starts a :class:`ControlServer` next to the
two HTTPS hosts: plain HTTP on 127.0.0.1, a random port, every request carrying a random bearer
token. Its address and token are written to the CLI's state file (``graphsim.json``, mode 0600), so
only someone who can read the state folder can change the simulated tenants. The ``list``,
``change``, ``rename`` and ``delete`` commands (:func:`control_main`) read the state file and call
the endpoint; the simulator serves the changed object on its very next request.

Changes live in memory only: restarting the simulator serves the fixtures as they are on disk.
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import secrets
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .tenants import ORGANIZATION_KEY, TenantState

if TYPE_CHECKING:
    from .server import GraphSimulator

STATE_FILE = "graphsim.json"
#: The commands :func:`control_main` understands (``graphsim <command> …``).
CONTROL_COMMANDS = ("list", "change", "rename", "delete")
_MAX_BODY = 64 * 1024
_NAME_FIELDS = ("displayName", "name")


class ControlError(Exception):
    """A change that cannot be made (unknown tenant or policy, ambiguous name, bad value); the
    message says which argument to fix."""


@dataclass(frozen=True)
class Match:
    """One stored object: its collection key and the live dict the simulator serves."""

    collection: str
    item: dict[str, Any]

    @property
    def name(self) -> str:
        """The object's display name (``displayName``, or ``name`` for settings-catalog policies)."""
        for field in _NAME_FIELDS:
            if isinstance(self.item.get(field), str):
                return str(self.item[field])
        return ""

    def describe(self) -> dict[str, Any]:
        """What the ``list`` command prints for the object."""
        return {"collection": self.collection, "id": str(self.item.get("id", "")), "name": self.name}


# --------------------------------------------------------------------------------------------
# The changes themselves (pure: a tenant state in, the changed object out)


def _policies(tenant: TenantState, collection: str | None) -> list[Match]:
    found: list[Match] = []
    for key, items in tenant.collections.items():
        if key == ORGANIZATION_KEY or (collection is not None and key != collection.strip("/")):
            continue
        found.extend(Match(key, item) for item in items if isinstance(item, dict))
    return found


def list_policies(tenant: TenantState, *, collection: str | None = None) -> list[dict[str, Any]]:
    """Every object of the tenant (optionally of one collection), as collection, id and name."""
    return [m.describe() for m in _policies(tenant, collection)]


def find_policy(tenant: TenantState, policy: str, *, collection: str | None = None) -> Match:
    """The one object whose id equals ``policy`` (case-insensitive), else whose display name equals it.

    Raises :class:`ControlError` when nothing matches, or when several objects do (the message
    lists them, so the caller can pass an id or ``--collection``).
    """
    candidates = _policies(tenant, collection)
    wanted = policy.strip().lower()
    by_id = [m for m in candidates if str(m.item.get("id", "")).lower() == wanted]
    matches = by_id or [m for m in candidates if m.name.lower() == wanted]
    if not matches:
        raise ControlError(f"--policy: no object with id or name {policy!r} in tenant {tenant.tenant_id}")
    if len(matches) > 1:
        listed = "; ".join(f"{m.collection} {m.item.get('id')}" for m in matches)
        raise ControlError(f"--policy: {len(matches)} objects match {policy!r} ({listed}); pass an id or --collection")
    return matches[0]


def parse_assignment(text: str) -> tuple[list[str], Any]:
    """``key=value`` → (key path, value). The value is JSON when it parses (``4``, ``true``,
    ``"x"``, ``[1]``), else the text itself; a dotted key (``a.b``) reaches into nested objects."""
    key, sep, raw = text.partition("=")
    path = key.strip().split(".")
    if not sep or not all(path):
        raise ControlError(f"--set: expected key=value, got {text!r}")
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    return path, value


def _touch(item: dict[str, Any]) -> None:
    """What Graph does on every change: a new ``lastModifiedDateTime`` and, where kept, ``version``."""
    item["lastModifiedDateTime"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if isinstance(item.get("version"), int) and not isinstance(item.get("version"), bool):
        item["version"] += 1


def apply_change(tenant: TenantState, change: Mapping[str, Any]) -> dict[str, Any]:
    """Apply one change to the live tenant and return what the command prints.

    ``change`` is ``{"action": "set"|"rename"|"delete", "policy": id-or-name, "collection": optional,
    "set": ["key=value", …] | "name": new name}``. ``id`` and ``@odata.type`` cannot be changed
    (the object would become another one); a dotted key must lead through existing objects.
    """
    action = change.get("action")
    match = find_policy(tenant, str(change.get("policy") or ""), collection=change.get("collection") or None)
    item = match.item
    if action == "delete":
        tenant.remove_item(match.collection, str(item.get("id")))
        return {"action": "deleted", **match.describe()}
    if action == "rename":
        new_name = str(change.get("name") or "").strip()
        if not new_name:
            raise ControlError("--name: the new display name must not be empty")
        field = next((f for f in _NAME_FIELDS if isinstance(item.get(f), str)), "displayName")
        item[field] = new_name
        _touch(item)
        return {"action": "renamed", **match.describe()}
    if action == "set":
        assignments = [parse_assignment(str(text)) for text in change.get("set") or []]
        if not assignments:
            raise ControlError("--set: give at least one key=value")
        for path, _ in assignments:
            if path[0] in ("id", "@odata.type"):
                raise ControlError(f"--set: {path[0]} cannot be changed (it names the object)")
            target = item
            for part in path[:-1]:
                if not isinstance(target.get(part), dict):
                    raise ControlError(f"--set: {'.'.join(path)}: {part!r} is not an object in this policy")
                target = target[part]
        for path, value in assignments:
            target = item
            for part in path[:-1]:
                target = target[part]
            target[path[-1]] = value
        _touch(item)
        return {"action": "changed", **match.describe(), "set": [".".join(p) for p, _ in assignments]}
    raise ControlError(f"unknown action {action!r}")


# --------------------------------------------------------------------------------------------
# The endpoint (in the simulator's process)


class _ControlHandler(BaseHTTPRequestHandler):
    server: _ControlHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "graphsim-control"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr line."""

    def _reply(self, status: int, body: Mapping[str, Any] | list[Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        expected = f"Bearer {self.server.token}"
        if not hmac.compare_digest(self.headers.get("Authorization", "").encode(), expected.encode()):
            self._reply(401, {"error": "missing or wrong control token (read it from the state file)"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > _MAX_BODY:
            self._reply(400, {"error": "expected a JSON body"})
            return
        try:
            request = json.loads(self.rfile.read(length))
            if not isinstance(request, dict):
                raise ValueError("not an object")
        except ValueError:
            self._reply(400, {"error": "expected a JSON object"})
            return
        try:
            self._reply(200, self.server.apply(request))
        except ControlError as exc:
            self._reply(400, {"error": str(exc)})


class _ControlHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, token: str, resolve: Callable[[str], TenantState | None], lock: threading.Lock) -> None:
        self.token = token
        self.resolve = resolve
        self.lock = lock
        super().__init__(("127.0.0.1", 0), _ControlHandler)

    def apply(self, request: Mapping[str, Any]) -> Any:
        """List or change one tenant's objects as ``request`` asks."""
        tenant = self.resolve(str(request.get("tenant") or ""))
        if tenant is None:
            raise ControlError(f"--tenant: no simulated tenant {request.get('tenant')!r} (use its id or domain)")
        with self.lock:  # one change at a time; readers see a change whole or not at all per field
            if request.get("action") == "list":
                return list_policies(tenant, collection=request.get("collection") or None)
            return apply_change(tenant, request)


def tenant_resolver(sim: GraphSimulator) -> Callable[[str], TenantState | None]:
    """A simulator's tenant lookup (id or domain; None when unknown), for :class:`ControlServer`."""

    def resolve(ident: str) -> TenantState | None:
        try:
            return sim.tenant(ident) if ident else None
        except KeyError:
            return None

    return resolve


class ControlServer:
    """The control endpoint of one simulator: ``url`` and ``token`` go into the state file.

    Guarantees: listens on 127.0.0.1 only; answers 401 without the token; a bad change is a 400
    naming the argument, never a half-applied change (every key is checked before any is set).
    """

    def __init__(self, resolve_tenant: Callable[[str], TenantState | None]) -> None:
        self.token = secrets.token_urlsafe(24)
        self._server = _ControlHTTPServer(self.token, resolve_tenant, threading.Lock())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="graphsim-control", daemon=True
        )

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> ControlServer:
        """Serve from a daemon thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def state(self) -> dict[str, str]:
        """The ``control`` entry of the state file."""
        return {"url": self.url, "token": self.token}


# --------------------------------------------------------------------------------------------
# The client commands


def default_state_dir() -> Path:
    """Where ``tenantpilot demo`` runs its simulator: ``$TENANTPILOT_VAR_DIR/graphsim`` (default ``./var``)."""
    return Path(os.environ.get("TENANTPILOT_VAR_DIR") or Path.cwd() / "var") / "graphsim"


def send(state_file: Path, request: Mapping[str, Any], *, timeout: float = 30.0) -> Any:
    """Send one control request to the simulator described by ``state_file``; raise ControlError
    with the simulator's message on a refusal, or when no simulator runs there."""
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
        control = state["control"]
    except FileNotFoundError:
        raise ControlError(
            f"no running simulator: {state_file} does not exist (start `make demo` or "
            "`tenantpilot graphsim --ca-dir DIR` first, or pass --ca-dir)"
        ) from None
    except (ValueError, KeyError, TypeError):
        raise ControlError(f"{state_file} has no control endpoint (an older simulator?); restart it") from None
    http_request = urllib.request.Request(  # noqa: S310 - the URL is the loopback address from the state file
        str(control["url"]) + "/control",
        data=json.dumps(request).encode(),
        headers={"Authorization": f"Bearer {control['token']}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as response:  # noqa: S310 - see above
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("error") or f"HTTP {exc.code}"
        except ValueError:
            message = f"HTTP {exc.code}"
        raise ControlError(str(message)) from None
    except (urllib.error.URLError, OSError) as exc:
        raise ControlError(f"the simulator of {state_file} does not answer ({exc}); is it still running?") from None


def build_control_parser() -> argparse.ArgumentParser:
    """The parser of ``graphsim list|change|rename|delete``."""
    parser = argparse.ArgumentParser(
        prog="tenantpilot graphsim", description="Change the tenants of a running simulator (in memory)."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--tenant", required=True, help="tenant id or domain, e.g. tailspinrenamed.onmicrosoft.com")
        sub.add_argument("--collection", default=None, help="only this collection, e.g. deviceManagement/intents")
        sub.add_argument(
            "--ca-dir",
            type=Path,
            default=None,
            help=f"the running simulator's --ca-dir (default: $TENANTPILOT_VAR_DIR/graphsim, i.e. var/graphsim); "
            f"its {STATE_FILE} names the control endpoint",
        )

    common(commands.add_parser("list", help="list the tenant's objects: collection, id, name"))
    change = commands.add_parser("change", help="set fields of one object")
    common(change)
    change.add_argument("--policy", required=True, help="the object's id or exact display name")
    change.add_argument(
        "--set",
        dest="assignments",
        action="append",
        required=True,
        metavar="KEY=VALUE",
        help="a field to set; VALUE is JSON when it parses (4, true, [1]) else text; a.b reaches nested fields",
    )
    rename = commands.add_parser("rename", help="give one object a new display name")
    common(rename)
    rename.add_argument("--policy", required=True, help="the object's id or exact display name")
    rename.add_argument("--name", required=True, help="the new display name")
    delete = commands.add_parser("delete", help="delete one object")
    common(delete)
    delete.add_argument("--policy", required=True, help="the object's id or exact display name")
    return parser


def control_main(argv: list[str]) -> int:
    """``graphsim list|change|rename|delete …``: 0 when done, 1 with a message naming the argument."""
    args = build_control_parser().parse_args(argv)
    state_file = (args.ca_dir if args.ca_dir is not None else default_state_dir()) / STATE_FILE
    request: dict[str, Any] = {"tenant": args.tenant, "collection": args.collection}
    if args.command == "list":
        request["action"] = "list"
    else:
        request.update(action={"change": "set"}.get(args.command, args.command), policy=args.policy)
        if args.command == "change":
            request["set"] = args.assignments
        elif args.command == "rename":
            request["name"] = args.name
    try:
        answer = send(state_file, request)
    except ControlError as exc:
        print(f"graphsim {args.command}: {exc}", flush=True)
        return 1
    if args.command == "list":
        for row in answer:
            print(f"{row['collection']:<48} {row['id']:<40} {row['name']}")
        return 0
    print(f"graphsim: {answer['action']} {answer['collection']} {answer['id']} ({answer['name']})", flush=True)
    print("Sync the environment's inventory to see it (a new version), then compare it with its baseline.")
    return 0
