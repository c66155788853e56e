"""Fixtures for the graphsim tests: one shipped-fixtures simulator per session, reset
before every test, plus helpers to get tokens (through MSAL) and Graph clients."""

from __future__ import annotations

import ssl
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

_SRC = Path(__file__).resolve().parents[2] / "src"
if str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))

import msal  # noqa: E402
import requests  # noqa: E402

from graphsim import GraphSimulator, load_tenant  # noqa: E402
from graphsim.server import FIXTURES_DIR  # noqa: E402
from graphsim.tenants import discover_tenant_paths  # noqa: E402

GRAPH_SCOPE = ["https://graph.microsoft.com/.default"]


@pytest.fixture(scope="session")
def _session_sim() -> Iterator[GraphSimulator]:
    with GraphSimulator.with_shipped_fixtures() as sim:
        yield sim


@pytest.fixture
def graphsim(_session_sim: GraphSimulator) -> GraphSimulator:
    """The running simulator with fresh shipped tenants, no faults, an empty log."""
    sim = _session_sim
    sim.clear_faults()
    sim.reset_throttling()
    sim.throttling = False
    sim.latency_ms = 0
    sim.token_lifetime_seconds = 3599
    for path in discover_tenant_paths(FIXTURES_DIR):
        sim.add_tenant(load_tenant(path))
    sim.clear_requests()
    return sim


def msal_session(sim: GraphSimulator) -> requests.Session:
    """A requests session trusting only the simulator's CA (ignores REQUESTS_CA_BUNDLE)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = sim.ca_path
    return session


def msal_app(sim: GraphSimulator, tenant: str, client_id: str, credential: Any) -> msal.ConfidentialClientApplication:
    """A fresh MSAL confidential client against the simulator (no token cache shared)."""
    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=credential,
        authority=f"{sim.authority_base}/{tenant}",
        http_client=msal_session(sim),
        instance_discovery=False,
    )


def acquire(sim: GraphSimulator, tenant: str, client_id: str, credential: Any) -> dict[str, Any]:
    """MSAL's answer for a client-credentials token (a dict; errors are not raised)."""
    result: dict[str, Any] = msal_app(sim, tenant, client_id, credential).acquire_token_for_client(GRAPH_SCOPE)
    return result


@pytest.fixture
def token_for(graphsim: GraphSimulator) -> Callable[[str, str, str], str]:
    """token_for(tenant, client_id, secret) -> access token (asserts success)."""

    def get(tenant: str, client_id: str, secret: str) -> str:
        result = acquire(graphsim, tenant, client_id, secret)
        assert "access_token" in result, result
        return str(result["access_token"])

    return get


@pytest.fixture
def client_for(
    graphsim: GraphSimulator, token_for: Callable[[str, str, str], str]
) -> Iterator[Callable[..., httpx.Client]]:
    """client_for(tenant, client_id, secret) -> httpx.Client with the bearer token set."""
    clients: list[httpx.Client] = []

    def make(tenant: str, client_id: str, secret: str) -> httpx.Client:
        token = token_for(tenant, client_id, secret)
        client = httpx.Client(
            base_url=graphsim.graph_base,
            verify=ssl.create_default_context(cafile=graphsim.ca_path),
            headers={"Authorization": f"Bearer {token}"},
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def golden(client_for: Callable[..., httpx.Client]) -> httpx.Client:
    """A Graph client for the golden tenant's healthy app."""
    from graphsim.fixtures_catalog import GOLDEN_CLIENT_ID, GOLDEN_CLIENT_SECRET, GOLDEN_TENANT_ID

    return client_for(GOLDEN_TENANT_ID, GOLDEN_CLIENT_ID, GOLDEN_CLIENT_SECRET)
