"""Shared fixtures: lanes (PostgreSQL must really be PostgreSQL in CI), the guarded client, worlds."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.db import connection

from tenantpilot.providers.gateway import retry_timing
from tests.factories import EnvironmentFactory, MembershipFactory, UserFactory, WorkspaceFactory
from tests.support.network import GuardedClient
from tests.support.waits import Sleeps
from tests.support.world import World

IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not items:
        return
    lane = os.environ.get("TENANTPILOT_TEST_LANE", "")
    if lane == "postgres" and connection.vendor != "postgresql":
        raise pytest.UsageError("The postgres lane runs with DATABASE_URL pointing at PostgreSQL.")


@pytest.fixture(autouse=True)
def _postgres_lane_guard(request: pytest.FixtureRequest) -> None:
    """A ``postgres`` test on another database fails in CI and is skipped only on a laptop."""
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        message = "this test proves a PostgreSQL guarantee; set DATABASE_URL to a PostgreSQL server"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def client() -> GuardedClient:
    """The Django test client, failing any request that opens an outbound connection."""
    return GuardedClient()


@pytest.fixture
def world(db: None) -> World:
    return World.build()


@pytest.fixture
def user_factory():
    return UserFactory


@pytest.fixture
def workspace_factory():
    return WorkspaceFactory


@pytest.fixture
def environment_factory():
    return EnvironmentFactory


@pytest.fixture
def membership_factory():
    return MembershipFactory


@pytest.fixture
def simulator():
    """A fresh graphsim (shipped fixtures) over real HTTPS on loopback."""
    from graphsim import GraphSimulator

    with GraphSimulator.with_shipped_fixtures() as sim:
        yield sim


@pytest.fixture
def graph_settings(settings, simulator):
    """Point the product's Microsoft endpoints at the simulator (the same code path as production)."""
    from tenantpilot.providers.gateway import clear_token_cache

    settings.TENANTPILOT_GRAPH_AUTHORITY_BASE = simulator.authority_base
    settings.TENANTPILOT_GRAPH_BASE = simulator.graph_base
    settings.TENANTPILOT_GRAPH_CA_BUNDLE = simulator.ca_path
    clear_token_cache()
    yield simulator
    clear_token_cache()


@pytest.fixture
def graph_waits() -> Iterator[Sleeps]:
    """Every retry wait made through the provider gateway (Graph calls and token acquisition,
    on every thread), recorded on a fake clock instead of slept: assert ``graph_waits.calls``,
    never wall time. Run budgets read the same clock, so a capped wait is exact."""
    recorder = Sleeps()
    with retry_timing(recorder, recorder.clock):
        yield recorder
