"""The writer's two lanes (inventory/sync.py): the latency-bound hybrid plan is never stuck
behind the bulk types' pages, a type's end arrives after its pages, a stopped sync frees every
producer waiting on a full lane, and the bulk types are read a few at a time."""

from __future__ import annotations

import sys
import threading

import pytest

from graphsim.generator import generate_tenant
from tenantpilot.inventory.choices import POLICY_TYPE_SPECS, PolicyType
from tenantpilot.inventory.fetch import uses_hybrid_plan
from tenantpilot.inventory.sync import (
    BULK_PRODUCERS,
    SWITCH_INTERVAL_SECONDS,
    WRITE_SLICE_ITEMS,
    _Aborted,
    _Lanes,
    sync_inventory,
)
from tenantpilot.providers.gateway import graph_client
from tenantpilot.providers.selectors import connection_for_operations
from tests.inventory.support import generated_environment, golden_environment, run_now


def test_only_the_settings_catalog_uses_the_hybrid_plan():
    hybrid = {key for key, spec in POLICY_TYPE_SPECS.items() if uses_hybrid_plan(spec)}
    assert hybrid == {PolicyType.CONFIGURATION_POLICIES.value}


def test_urgent_pages_are_written_first_and_each_lane_keeps_its_order():
    lanes = _Lanes(4, 4, threading.Event())
    for message in ("bulk-1", "bulk-2", ("end", "bulk")):
        lanes.put(message, urgent=False)
    lanes.put("chain-1", urgent=True)
    lanes.put(("end", "chain"), urgent=True)
    got = [lanes.get() for _ in range(5)]
    assert got == ["chain-1", ("end", "chain"), "bulk-1", "bulk-2", ("end", "bulk")]


def test_a_full_bulk_lane_does_not_block_the_urgent_lane():
    lanes = _Lanes(2, 2, threading.Event())
    lanes.put("bulk-1", urgent=False)
    lanes.put("bulk-2", urgent=False)
    lanes.put("chain-1", urgent=True)  # returns at once although the bulk lane is full
    assert lanes.get() == "chain-1"


def test_a_stopped_sync_frees_a_producer_waiting_on_a_full_lane_but_ends_always_arrive():
    stop = threading.Event()
    lanes = _Lanes(1, 1, stop)
    lanes.put("bulk-1", urgent=False)
    raised: list[BaseException] = []

    def producer() -> None:
        try:
            lanes.put("bulk-2", urgent=False)
        except _Aborted as exc:
            raised.append(exc)

    thread = threading.Thread(target=producer)
    thread.start()
    stop.set()
    thread.join(timeout=60)
    assert not thread.is_alive() and len(raised) == 1
    lanes.put(("end", "bulk"), urgent=False, force=True)  # past the bound: the writer must see it
    assert [lanes.get(), lanes.get()] == ["bulk-1", ("end", "bulk")]
    with pytest.raises(_Aborted):
        lanes.put("bulk-3", urgent=False)


class _CountingReader:
    """The real Graph client, counting how many listings of bulk types are open at once."""

    def __init__(self, client) -> None:
        self._client = client
        self._lock = threading.Lock()
        self.open = 0
        self.most_open = 0
        self.switch_intervals: set[float] = set()

    def iter_pages(self, contract_name, **kwargs):
        self.switch_intervals.add(sys.getswitchinterval())
        hybrid = contract_name.startswith("configurationPolicies.")
        if not hybrid:
            with self._lock:
                self.open += 1
                self.most_open = max(self.most_open, self.open)
        try:
            yield from self._client.iter_pages(contract_name, **kwargs)
        finally:
            if not hybrid:
                with self._lock:
                    self.open -= 1

    def __getattr__(self, name):
        return getattr(self._client, name)


def test_bulk_types_are_read_a_few_at_a_time_with_responsive_threads(world, graph_settings):
    environment = golden_environment(world)
    connection = connection_for_operations(environment)
    run = run_now(environment)  # a finished run to attribute the rows to; its counts are not checked
    before = sys.getswitchinterval()
    assert before > SWITCH_INTERVAL_SECONDS
    with graph_client(connection) as client:
        reader = _CountingReader(client)
        report = sync_inventory(client=reader, run=run, environment=environment, connection=connection)
    assert all(outcome.ok for outcome in report.outcomes.values())
    assert len(report.outcomes) == len(POLICY_TYPE_SPECS) > BULK_PRODUCERS
    assert 1 <= reader.most_open <= BULK_PRODUCERS
    assert reader.switch_intervals == {SWITCH_INTERVAL_SECONDS}, "waiting threads get the interpreter sooner"
    assert sys.getswitchinterval() == before, "and the interpreter's default is back afterwards"


def test_a_full_page_reaches_the_writer_in_slices(world, graph_settings):
    doc = generate_tenant(tenant_id="0badc0de-0000-4000-8000-000000000078", policies=2000, devices=0, seed=12)
    graph_settings.add_tenant(doc)
    listed = len(doc["collections"]["deviceManagement/deviceConfigurations"])
    assert listed > 2 * WRITE_SLICE_ITEMS, "one listed page of more than two slices"
    environment = generated_environment(world, graph_settings, doc)
    connection = connection_for_operations(environment)
    run = run_now(environment)
    written: list[int] = []

    def progress(summary) -> None:
        count = summary.written.get("deviceConfigurations", 0)
        if not written or written[-1] != count:
            written.append(count)

    with graph_client(connection) as client:
        sync_inventory(client=client, run=run, environment=environment, connection=connection, on_page=progress)
    steps = [b - a for a, b in zip([0, *written], written, strict=False)]
    assert written[-1] == listed and max(steps) == WRITE_SLICE_ITEMS
