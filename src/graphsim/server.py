"""HTTPS plumbing and the :class:`GraphSimulator` facade."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import ssl
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl

from .faults import FaultBook, FaultRule, TokenBuckets
from .graph import ERROR_CONTENT_TYPE, GraphService, HttpReply
from .identity import ACCESS_TOKEN_LIFETIME, LoginService, TokenAuthority, is_guid
from .tenants import TenantState, discover_tenant_paths, load_tenant
from .tls import TlsMaterial

FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the simulator saw it. ``status`` 0 means the connection was reset."""

    host: Literal["login", "graph"]
    method: str
    path: str
    query: dict[str, str]
    status: int
    tenant_id: str | None
    client_id: str | None
    batch_inner: bool
    at: float


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(
        self,
        port: int,
        handler: type[BaseHTTPRequestHandler],
        context: ssl.SSLContext,
        sim: GraphSimulator,
        host_name: str,
    ) -> None:
        self.ssl_context = context
        self.sim = sim
        self.host_name = host_name
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), handler)

    def get_request(self) -> tuple[Any, Any]:
        sock, addr = self.socket.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        wrapped = self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return wrapped, addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Client hang-ups and TLS noise are not worth a traceback."""

    def close_connections(self) -> None:
        with self.connections_lock:
            conns = list(self.connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "graphsim"
    sys_version = ""
    timeout = 120
    server: _Server

    def setup(self) -> None:
        self.request.settimeout(self.timeout)
        self.request.do_handshake()
        with self.server.connections_lock:
            self.server.connections.add(self.request)
        super().setup()

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            super().finish()
        with self.server.connections_lock:
            self.server.connections.discard(self.request)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request stderr line."""

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        sim = self.server.sim
        sim._note_arrival()
        reply: HttpReply
        try:
            if self.server.host_name == "graph":
                reply = sim._graph.handle(self.command, self.path, headers, body)
            else:
                reply = sim._handle_login(self.command, self.path, headers, body)
        except Exception as exc:  # noqa: BLE001 - a simulator bug must still answer, never hang the client
            data = json.dumps({"error": {"code": "InternalServerError", "message": f"graphsim: {exc!r}"}}).encode()
            reply = HttpReply(500, {"Content-Type": ERROR_CONTENT_TYPE}, data)
        finally:
            sim._note_served()
        if reply.reset:
            self._reset()
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if reply.body and self.command != "HEAD":
            self.wfile.write(reply.body)

    def _reset(self) -> None:
        self.close_connection = True
        try:
            self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.request.close()
        except OSError:
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch


class GraphSimulator:
    """A local Microsoft identity platform + Microsoft Graph (Intune subset) over HTTPS.

    Two HTTPS servers on 127.0.0.1 (login host and Graph host) share one throw-away CA
    (``ca_path``). Tenants are Graph-native JSON documents (see README.md); their live
    state (:meth:`tenant`) may be changed while the simulator runs.
    """

    def __init__(
        self,
        tenants: Iterable[Mapping[str, Any] | TenantState] = (),
        *,
        throttling: bool = False,
        latency_ms: int = 0,
        throttle_limits: Mapping[str, tuple[int, float]] | None = None,
        throttle_clock: Callable[[], float] = time.monotonic,
        token_lifetime_seconds: int = ACCESS_TOKEN_LIFETIME,
        ca_dir: str | os.PathLike[str] | None = None,
        port_login: int = 0,
        port_graph: int = 0,
    ) -> None:
        self.throttling = throttling
        self.latency_ms = latency_ms
        self.token_lifetime_seconds = token_lifetime_seconds
        self._port_login = port_login
        self._port_graph = port_graph
        self._tenants: dict[str, TenantState] = {}
        self._faults = FaultBook()
        self._buckets = TokenBuckets(throttle_limits, clock=throttle_clock)
        self._log_lock = threading.Lock()
        self._requests: list[LoggedRequest] = []
        # Bumped by clear_requests(); a request is logged only if it arrived in the current
        # generation, so one still being served for an earlier test (e.g. a latency fault the
        # client gave up on) cannot appear in the next test's log.
        self._log_generation = 0
        self._arrival = threading.local()
        self._in_flight = 0
        self._tls = TlsMaterial(ca_dir)
        self._token_authority = TokenAuthority()
        self._login = LoginService(
            self._token_authority,
            self._resolve_tenant,
            lambda: self.authority_base,
            lambda: self.token_lifetime_seconds,
        )
        self._graph = GraphService(self)
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self._bases: dict[str, str] = {}
        for doc in tenants:
            self.add_tenant(doc)

    # -- construction helpers -----------------------------------------------------------
    @classmethod
    def from_directory(cls, path: str | os.PathLike[str], **kwargs: Any) -> GraphSimulator:
        """A simulator serving every tenant under a fixtures folder."""
        return cls([load_tenant(p) for p in discover_tenant_paths(path)], **kwargs)

    @classmethod
    def with_shipped_fixtures(cls, **kwargs: Any) -> GraphSimulator:
        """A simulator serving the tenants shipped in ``graphsim/fixtures``."""
        return cls.from_directory(FIXTURES_DIR, **kwargs)

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> GraphSimulator:
        """Bind both hosts on 127.0.0.1 and serve them from daemon threads."""
        if self._servers:
            return self
        context = self._tls.server_context()
        for name, port in (("login", self._port_login), ("graph", self._port_graph)):
            server = _Server(port, _Handler, context, self, name)
            self._servers.append(server)
            self._bases[name] = f"https://127.0.0.1:{server.server_address[1]}"
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"graphsim-{name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Stop serving, close the listening sockets and drop open connections."""
        for server in self._servers:
            server.shutdown()
            server.server_close()
            server.close_connections()
        for thread in self._threads:
            thread.join(timeout=2)
        self._servers.clear()
        self._threads.clear()
        self._bases.clear()

    def __enter__(self) -> GraphSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self._tls.cleanup()

    # -- addresses ------------------------------------------------------------------------
    def _base(self, name: str) -> str:
        try:
            return self._bases[name]
        except KeyError:
            raise RuntimeError("GraphSimulator is not started") from None

    @property
    def authority_base(self) -> str:
        """``https://127.0.0.1:PORT`` of the login host (authority = base + "/" + tenant)."""
        return self._base("login")

    @property
    def graph_base(self) -> str:
        """``https://127.0.0.1:PORT`` of the Graph host (``/v1.0/...``, ``/beta/...``)."""
        return self._base("graph")

    @property
    def ca_path(self) -> str:
        """Path of the CA certificate (PEM) that signs both hosts' certificates."""
        return self._tls.ca_path

    def authority(self, tenant_id: str) -> str:
        """The MSAL authority URL for a tenant."""
        return f"{self.authority_base}/{tenant_id}"

    def state(self) -> dict[str, Any]:
        """Base URLs, CA path and tenants/apps, as written to the CLI's state file."""
        return {
            "authority_base": self.authority_base,
            "graph_base": self.graph_base,
            "ca_path": self.ca_path,
            "pid": os.getpid(),
            "tenants": [
                {
                    "tenant_id": t.tenant_id,
                    "display_name": t.display_name,
                    "default_domain": t.default_domain,
                    "apps": [{"client_id": a.get("clientId"), "display_name": a.get("displayName")} for a in t.apps],
                }
                for t in self._tenants.values()
            ],
        }

    # -- tenants --------------------------------------------------------------------------
    def add_tenant(self, doc: Mapping[str, Any] | TenantState) -> TenantState:
        """Serve another tenant (replacing one with the same id); returns its live state."""
        state = doc if isinstance(doc, TenantState) else TenantState(dict(doc))
        self._tenants[state.tenant_id] = state
        return state

    def remove_tenant(self, tenant_id: str) -> None:
        """Stop serving a tenant (its tokens stop working)."""
        self._tenants.pop(tenant_id.lower(), None)

    def tenant(self, tenant_id: str) -> TenantState:
        """The live state of a tenant, by id or domain name (KeyError if unknown)."""
        found = self._resolve_tenant(tenant_id)
        if found is None:
            raise KeyError(tenant_id)
        return found

    @property
    def tenants(self) -> list[TenantState]:
        """Every served tenant."""
        return list(self._tenants.values())

    def _tenant_by_id(self, tenant_id: str) -> TenantState | None:
        return self._tenants.get(tenant_id.lower())

    def _resolve_tenant(self, ident: str) -> TenantState | None:
        lowered = ident.lower()
        if is_guid(lowered):
            return self._tenants.get(lowered)
        for tenant in self._tenants.values():
            if lowered in tenant.domains:
                return tenant
        return None

    # -- tokens ---------------------------------------------------------------------------
    def mint_access_token(
        self,
        tenant_id: str,
        client_id: str,
        *,
        roles: list[str] | None = None,
        expires_in: int = ACCESS_TOKEN_LIFETIME,
        issued_at: float | None = None,
    ) -> str:
        """A Graph token as the token endpoint would issue it (``roles`` default: the app's
        consented permissions). Handy for expiry and permission tests."""
        tenant = self.tenant(tenant_id)
        if roles is None:
            app = tenant.app(client_id) or {}
            roles = list(app.get("grantedPermissions") or []) if app.get("adminConsented", True) is not False else []
        return self._token_authority.mint(
            tenant_id=tenant.tenant_id, client_id=client_id, roles=roles, lifetime=expires_in, now=issued_at
        )

    # -- faults, throttling, log ----------------------------------------------------------
    def add_fault(self, rule: FaultRule) -> FaultRule:
        """Inject a fault (see :class:`FaultRule`)."""
        return self._faults.add(rule)

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self._faults.clear()

    def reset_throttling(self) -> None:
        """Refill every token bucket."""
        self._buckets.reset()

    @property
    def throttle_clock(self) -> Callable[[], float]:
        """The clock (seconds) the token buckets refill from: ``time.monotonic`` by default.

        A test sets its own (e.g. a list-backed fake it advances) so that which request is
        throttled and the ``Retry-After`` it gets do not depend on how long requests take.
        Setting it refills every bucket.
        """
        return self._buckets.clock

    @throttle_clock.setter
    def throttle_clock(self, clock: Callable[[], float]) -> None:
        self._buckets.clock = clock

    @property
    def requests(self) -> list[LoggedRequest]:
        """A snapshot of the request log (oldest first)."""
        with self._log_lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        """Empty the request log. Requests that arrived before this call and are still being
        served (a client may have given up on a slow answer) are never logged afterwards."""
        with self._log_lock:
            self._requests.clear()
            self._log_generation += 1

    @property
    def requests_in_flight(self) -> int:
        """How many requests (on both hosts) have arrived and are still being handled."""
        with self._log_lock:
            return self._in_flight

    def _note_arrival(self) -> None:
        """Remember, for this handler thread, which log generation the current request belongs to."""
        with self._log_lock:
            self._arrival.generation = self._log_generation
            self._in_flight += 1

    def _note_served(self) -> None:
        with self._log_lock:
            self._in_flight -= 1

    def _log(
        self,
        host: Literal["login", "graph"],
        method: str,
        path: str,
        query: dict[str, str],
        status: int,
        tenant_id: str | None,
        client_id: str | None,
        batch_inner: bool,
    ) -> None:
        entry = LoggedRequest(host, method, path, query, status, tenant_id, client_id, batch_inner, time.monotonic())
        with self._log_lock:
            if getattr(self._arrival, "generation", self._log_generation) != self._log_generation:
                return  # arrived before the log was cleared
            self._requests.append(entry)

    # -- login host -----------------------------------------------------------------------
    def _handle_login(self, method: str, target: str, headers: dict[str, str], body: bytes) -> HttpReply:
        path, _, query = target.partition("?")
        segments = [s for s in path.split("/") if s]
        resolved = self._resolve_tenant(segments[0]) if segments else None
        tenant_id = resolved.tenant_id if resolved else (segments[0] if segments else None)
        latency, rule = self._faults.match(host="login", tenant_id=tenant_id, path=target)
        if latency:
            time.sleep(latency / 1000)
        form_client = dict(parse_qsl(body.decode("utf-8", "replace"))).get("client_id") if body else None
        query_dict = dict(parse_qsl(query, keep_blank_values=True))
        if rule is not None:
            if rule.kind == "reset":
                self._log("login", method, path, query_dict, 0, tenant_id, form_client, False)
                return HttpReply(0, {}, reset=True)
            if rule.kind == "malformed":
                self._log("login", method, path, query_dict, 200, tenant_id, form_client, False)
                return HttpReply(
                    200, {"Content-Type": "application/json; charset=utf-8"}, b'{"token_type":"Bearer","exp'
                )
            headers_out = {"Content-Type": "application/json; charset=utf-8"}
            if rule.retry_after is not None:
                headers_out["Retry-After"] = rule.retry_after
            data = json.dumps(
                {
                    "error": "temporarily_unavailable",
                    "error_description": "AADSTS90033: A transient error has occurred. Please try again.",
                    "error_codes": [90033],
                }
            ).encode()
            self._log("login", method, path, query_dict, rule.status, tenant_id, form_client, False)
            return HttpReply(rule.status, headers_out, data)
        reply = self._login.handle(method, target, headers, body)
        self._log("login", method, path, query_dict, reply.status, reply.tenant_id, reply.client_id, False)
        out_headers = {
            "Content-Type": "application/json; charset=utf-8",
            "x-ms-request-id": str(uuid.uuid4()),
            "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
            **reply.headers,
        }
        return HttpReply(reply.status, out_headers, json.dumps(reply.body).encode("utf-8"))
