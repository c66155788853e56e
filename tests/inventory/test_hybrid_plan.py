"""The settings-catalog hybrid plan (graph/PLAN.md section 1), counted against graphsim.

The list (``$expand=assignments&$top=1000``) gives every policy id; then the
``$expand=settings,assignments`` chain walks from the first page while ``$batch`` settings reads
proceed from the end of the ids, through one throttle bucket, until they meet. These tests count
requests and items (never wall time): each policy is handed over exactly once and in the same
content whichever side read it, both sides run, the plan never spends more throttle tokens than
the ``$batch`` plan, and a chain that fails or an expanded settings list that is truncated
loses nothing.
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import graphsim
from graphsim import FaultRule
from graphsim.generator import GENERATED_CLIENT_SECRET
from tenantpilot.graph.client import GraphClient
from tenantpilot.graph.endpoints import GraphEndpoints
from tenantpilot.graph.tokens import ClientSecretCredential, TokenProvider
from tenantpilot.inventory.choices import POLICY_TYPE_SPECS, PolicyType
from tenantpilot.inventory.fetch import BATCH_LIMIT, FetchedPage, _expanded_item, fetch_policy_type
from tenantpilot.inventory.pacing import INTUNE_LIMITS, BucketLimit, ThrottleBudget

SC = POLICY_TYPE_SPECS[PolicyType.CONFIGURATION_POLICIES.value]
PATH = "deviceManagement/configurationPolicies"
LATENCY_MS = 20
# A small deviceConfigV2 budget (burst 100, 100 per second) so that a tenant of a few hundred
# settings-catalog policies is throttle-bound, as 7,000 are against the documented 1000 / 20 s.
SMALL = {**INTUNE_LIMITS, "deviceConfigV2": BucketLimit(100, 1.0)}


@pytest.fixture(scope="module")
def tenant() -> Iterator[tuple[Any, GraphClient, list[str]]]:
    tenant_id = str(uuid.UUID(int=0xB17))
    doc = graphsim.generate_tenant(tenant_id=tenant_id, policies=1200, devices=0, seed=5)
    ids = [p["id"] for p in doc["collections"][PATH]]
    with graphsim.GraphSimulator(tenants=[doc], latency_ms=LATENCY_MS) as sim:
        endpoints = GraphEndpoints(authority_base=sim.authority_base, graph_base=sim.graph_base, ca_bundle=sim.ca_path)
        provider = TokenProvider(
            endpoints,
            tenant_id=tenant_id,
            client_id=doc["apps"][0]["clientId"],
            credential=ClientSecretCredential(GENERATED_CLIENT_SECRET),
        )
        with GraphClient(endpoints, provider) as client:
            yield sim, client, ids


def _read(client: GraphClient, spec=SC, budget: ThrottleBudget | None = None) -> tuple[Any, list[dict]]:
    pages: list[FetchedPage] = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcome = fetch_policy_type(client, spec, budget or ThrottleBudget(SMALL), pages.append, sub_executor=pool)
    items = [item for page in pages for item in page.items]
    assert all(item.complete and item.problem is None for item in items)
    return outcome, [item.payload for item in items]


def _requests(sim: Any) -> tuple[int, int, int]:
    """(list pages, expand-chain pages, inner settings reads) of the settings catalog."""
    log = [r for r in sim.requests if r.host == "graph" and r.status < 400]
    outer = [r for r in log if not r.batch_inner and r.path.endswith("/" + PATH)]
    chain = [r for r in outer if r.query.get("$expand") == "settings,assignments"]
    lists = [r for r in outer if r.query.get("$expand") == "assignments"]
    assert all(r.query.get("$top") == "1000" for r in lists) and all("$top" not in r.query for r in chain)
    inner = [r for r in log if r.batch_inner and r.path.endswith("/settings") and f"/{PATH}/" in r.path]
    assert all(r.query.get("$top") == "1000" for r in inner)
    return len(lists), len(chain), len(inner)


def test_hybrid_reads_each_policy_once_from_both_ends_within_the_batch_plans_tokens(tenant):
    sim, client, ids = tenant
    n = len(ids)
    assert n > SMALL["deviceConfigV2"].capacity, "throttle-bound: the hybrid plan applies"
    sim.clear_requests()
    outcome, payloads = _read(client)
    lists, chain, inner = _requests(sim)

    assert outcome.ok and outcome.items == n and outcome.incomplete == 0
    read = Counter(p["id"] for p in payloads)
    assert set(read) == set(ids) and set(read.values()) == {1}, "every listed policy exactly once"
    assert lists == math.ceil(n / 1000)
    chain_items = n - inner
    assert inner >= BATCH_LIMIT, "the $batch side read from the end"
    assert chain_items >= 2, "the expand chain read from the start"
    assert set(ids[-BATCH_LIMIT:]) <= {p["id"] for p in payloads if "settings" in p}
    # The chain never reads far past the meeting point (at most its page in flight, two items each).
    assert math.ceil(chain_items / 2) <= chain <= math.ceil(chain_items / 2) + 2
    # Never dearer in throttle tokens than list + one $batch settings read per policy.
    assert lists + chain + inner <= lists + n + 2


def test_the_chain_starts_while_the_listing_is_still_paging(tenant):
    sim, client, ids = tenant
    sim.clear_requests()
    # Pages of 100 listed ids: the chain may start once 100 settings reads would spend the burst.
    outcome, payloads = _read(client, dataclasses.replace(SC, top=100))
    assert outcome.ok and outcome.pages == math.ceil(len(ids) / 100)
    assert sorted(p["id"] for p in payloads) == sorted(ids), "every listed policy exactly once"
    log = [r for r in sim.requests if r.host == "graph" and not r.batch_inner and r.path.endswith("/" + PATH)]
    listing = [r.at for r in log if r.query.get("$expand") == "assignments"]
    chain = [r.at for r in log if r.query.get("$expand") == "settings,assignments"]
    assert chain and min(chain) < max(listing), "the chain did not wait for the whole listing"


def test_both_sides_store_the_same_content_as_the_batch_plan(tenant):
    _sim, client, _ids = tenant
    _outcome, hybrid = _read(client)
    # The batch plan alone: the same spec without the expand chain, and a budget it fits in.
    _outcome, batch = _read(client, dataclasses.replace(SC, expanded_list_contract=None), ThrottleBudget())
    by_id = {p["id"]: p for p in batch}
    assert len(by_id) == len(hybrid)
    for payload in hybrid:
        assert payload == by_id[payload["id"]]
        assert list(payload) == list(by_id[payload["id"]]), "same key order: same stored document"


def test_a_failing_chain_loses_nothing(tenant):
    sim, client, ids = tenant
    sim.clear_requests()
    sim.add_fault(FaultRule(path_contains="expand=settings", status=400, times=None))
    try:
        outcome, payloads = _read(client)
    finally:
        sim.clear_faults()
    _lists, chain, inner = _requests(sim)
    assert outcome.ok
    assert sorted(p["id"] for p in payloads) == sorted(ids)
    assert chain == 0 and inner == len(ids), "everything read through $batch, once"


def test_below_the_burst_only_batch_is_used(tenant):
    sim, client, ids = tenant
    sim.clear_requests()
    outcome, payloads = _read(client, budget=ThrottleBudget())  # 1000-token burst, fewer policies
    assert len(ids) <= INTUNE_LIMITS["deviceConfigV2"].capacity
    _lists, chain, inner = _requests(sim)
    assert outcome.ok and chain == 0 and inner == len(ids) == len(payloads)


def test_truncated_or_missing_expanded_settings_are_left_to_batch():
    listed = {"id": "p1", "name": "P", "assignments": [], "settings": [{"id": "0"}]}
    assert _expanded_item(SC, {**listed, "settings@odata.nextLink": "https://x/next"}) is None
    assert _expanded_item(SC, {k: v for k, v in listed.items() if k != "settings"}) is None
    kept = _expanded_item(SC, {"settings@odata.context": "c", **listed, "settings@odata.count": 1})
    assert kept is not None and list(kept.payload) == ["id", "name", "assignments", "settings"]
