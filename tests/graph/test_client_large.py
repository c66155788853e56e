"""A generated large tenant: request counts equal pages, and streaming keeps memory bounded."""

from __future__ import annotations

import tracemalloc
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tenantpilot.graph.client import GraphClient
from tenantpilot.graph.endpoints import GraphEndpoints
from tenantpilot.graph.tokens import ClientSecretCredential, TokenProvider

N_DEVICES = 10_000
N_POLICIES = 1_000


@pytest.fixture(scope="module")
def large() -> Iterator[tuple[Any, GraphClient]]:
    import graphsim
    from graphsim.generator import GENERATED_CLIENT_SECRET

    tenant_id = str(uuid.UUID(int=0xB16))
    doc = graphsim.generate_tenant(tenant_id=tenant_id, policies=N_POLICIES, devices=N_DEVICES)
    client_id = doc["apps"][0]["clientId"]
    with graphsim.GraphSimulator(tenants=[doc]) as sim:
        endpoints = GraphEndpoints(authority_base=sim.authority_base, graph_base=sim.graph_base, ca_bundle=sim.ca_path)
        provider = TokenProvider(
            endpoints,
            tenant_id=tenant_id,
            client_id=client_id,
            credential=ClientSecretCredential(GENERATED_CLIENT_SECRET),
        )
        with GraphClient(endpoints, provider) as client:
            client.get("organization.list")  # warm the token and the connection
            yield sim, client


def _graph_requests(sim: Any) -> int:
    return sum(1 for r in sim.requests if r.host == "graph" and not r.batch_inner)


def test_device_stream_uses_one_request_per_page_of_1000(large):
    sim, client = large
    sim.clear_requests()
    count = sum(1 for _ in client.iter_items("managedDevices.list"))
    assert count == N_DEVICES
    assert _graph_requests(sim) == -(-N_DEVICES // 1000)


def test_streaming_peak_memory_is_far_below_materialising(large):
    _, client = large
    tracemalloc.start()
    try:
        for _ in client.iter_items("managedDevices.list"):
            pass
        _, streamed_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        everything = list(client.iter_items("managedDevices.list"))
        _, listed_peak = tracemalloc.get_traced_memory()
        assert len(everything) == N_DEVICES
        del everything
    finally:
        tracemalloc.stop()
    assert streamed_peak * 2 < listed_peak, (streamed_peak, listed_peak)


def test_settings_for_every_settings_catalog_policy_via_batch(large):
    sim, client = large
    policies = list(client.iter_items("configurationPolicies.list"))
    assert policies and all("assignments" in p for p in policies)
    sim.clear_requests()
    results = list(client.batch("configurationPolicies.settings", [{"id": p["id"]} for p in policies]))
    assert [r.key for r in results] == [p["id"] for p in policies]
    assert all(r.ok and r.items is not None for r in results)
    posts = sum(1 for r in sim.requests if r.host == "graph" and r.method == "POST" and not r.batch_inner)
    assert posts == -(-len(policies) // 20)
