"""Where TenantPilot talks to: the identity authority, Graph, and the CA bundle that trusts them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from urllib.parse import urlsplit

from msal.authority import WELL_KNOWN_AUTHORITY_HOSTS

# Hosts MSAL itself recognises as Microsoft authorities; for any other host we must turn
# instance discovery off (it would call Microsoft).
MICROSOFT_AUTHORITY_HOSTS: frozenset[str] = frozenset(WELL_KNOWN_AUTHORITY_HOSTS)

DEFAULT_AUTHORITY_BASE = "https://login.microsoftonline.com"
DEFAULT_GRAPH_BASE = "https://graph.microsoft.com"
DEFAULT_TOKEN_SCOPE = "https://graph.microsoft.com/.default"  # noqa: S105 - an OAuth scope, not a secret


@dataclass(frozen=True)
class GraphEndpoints:
    """The base URLs and trust anchor for one cloud (Microsoft's, or the local simulator).

    Guarantees: ``authority_base`` is an https origin (MSAL refuses anything else),
    ``graph_base`` is an http(s) origin, neither ends with a slash, and ``token_scope``
    is what ``acquire_token_for_client`` asks for. The defaults are the real Microsoft
    endpoints; the simulator passes its own origins and CA path.
    """

    authority_base: str = DEFAULT_AUTHORITY_BASE
    graph_base: str = DEFAULT_GRAPH_BASE
    ca_bundle: str | None = None
    token_scope: str = DEFAULT_TOKEN_SCOPE

    def __post_init__(self) -> None:
        authority = self.authority_base.rstrip("/")
        graph = self.graph_base.rstrip("/")
        a = urlsplit(authority)
        if a.scheme != "https" or not a.netloc or a.path or a.query:
            raise ValueError("authority_base must be an https origin such as https://login.microsoftonline.com")
        g = urlsplit(graph)
        if g.scheme not in ("https", "http") or not g.netloc or g.path or g.query:
            raise ValueError("graph_base must be an http(s) origin such as https://graph.microsoft.com")
        if not self.token_scope.endswith("/.default"):
            raise ValueError("token_scope must be a resource '/.default' scope")
        object.__setattr__(self, "authority_base", authority)
        object.__setattr__(self, "graph_base", graph)

    @property
    def authority_host(self) -> str:
        """Host name of the authority (without port)."""
        return urlsplit(self.authority_base).hostname or ""

    @property
    def is_microsoft_authority(self) -> bool:
        """True when MSAL may run its instance discovery against Microsoft for this authority."""
        return self.authority_host.lower() in MICROSOFT_AUTHORITY_HOSTS

    @property
    def graph_origin(self) -> tuple[str, str]:
        """(scheme, netloc) of Graph, lower-cased — used to keep nextLinks on our host."""
        g = urlsplit(self.graph_base)
        return g.scheme.lower(), g.netloc.lower()

    def authority_for(self, tenant_id: str) -> str:
        """The MSAL authority URL for one tenant."""
        return f"{self.authority_base}/{tenant_id}"

    def replace(self, **changes: object) -> GraphEndpoints:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
