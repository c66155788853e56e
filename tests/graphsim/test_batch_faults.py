"""$batch, fault injection, latency, token buckets and the request log."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable

import httpx
import msal
import pytest

from graphsim import FaultRule, GraphSimulator
from graphsim.fixtures_catalog import (
    DRIFTED_CLIENT_ID,
    DRIFTED_CLIENT_SECRET,
    DRIFTED_TENANT_ID,
    GOLDEN_CLIENT_ID,
    GOLDEN_CLIENT_SECRET,
    GOLDEN_TENANT_ID,
)
from tests.graphsim.conftest import acquire

ClientFor = Callable[..., httpx.Client]
CONFIGS = "deviceManagement/deviceConfigurations"


class FakeClock:
    """A throttle clock that moves only when the test says so (``GraphSimulator.throttle_clock``)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _batch(client: httpx.Client, urls: list[str], version: str = "beta") -> httpx.Response:
    requests = [{"id": str(i + 1), "method": "GET", "url": url} for i, url in enumerate(urls)]
    return client.post(f"/{version}/$batch", json={"requests": requests})


# -- $batch ------------------------------------------------------------------------------
def test_batch_answers_each_inner_request(golden: httpx.Client) -> None:
    response = _batch(golden, [CONFIGS, "/deviceManagement/configurationPolicies?$top=2", "deviceManagement/nope"])
    assert response.status_code == 200
    by_id = {r["id"]: r for r in response.json()["responses"]}
    assert by_id["1"]["status"] == 200 and by_id["1"]["body"]["value"]
    assert len(by_id["2"]["body"]["value"]) == 2
    assert by_id["3"]["status"] == 400
    assert by_id["3"]["body"]["error"]["message"] == "Resource not found for the segment 'nope'."


def test_batch_inner_v1_routes_respect_version(golden: httpx.Client) -> None:
    response = _batch(golden, ["deviceManagement/configurationPolicies"], version="v1.0")
    assert response.json()["responses"][0]["status"] == 400


def test_batch_limit_is_20(golden: httpx.Client) -> None:
    assert _batch(golden, [CONFIGS] * 20).status_code == 200
    too_many = _batch(golden, [CONFIGS] * 21)
    assert too_many.status_code == 400
    assert too_many.json()["error"]["code"] == "BadRequest"


def test_batch_inner_faults_are_independent(graphsim: GraphSimulator, golden: httpx.Client) -> None:
    graphsim.add_fault(FaultRule(path_contains="configurationPolicies", status=429, retry_after="3", times=1))
    urls = ["deviceManagement/configurationPolicies", CONFIGS, "deviceManagement/configurationPolicies"]
    responses = _batch(golden, urls).json()["responses"]
    assert [r["status"] for r in responses] == [429, 200, 200]
    assert responses[0]["headers"]["Retry-After"] == "3"
    assert responses[0]["body"]["error"]["code"] == "TooManyRequests"
    inner = [r for r in graphsim.requests if r.batch_inner]
    assert [r.status for r in inner] == [429, 200, 200]


def test_fault_can_skip_batch(graphsim: GraphSimulator, golden: httpx.Client) -> None:
    graphsim.add_fault(FaultRule(path_contains=CONFIGS, status=503, times=None, applies_inside_batch=False))
    assert _batch(golden, [CONFIGS]).json()["responses"][0]["status"] == 200
    assert golden.get(f"/v1.0/{CONFIGS}").status_code == 503


def test_batch_inner_throttling_at_documented_rate(
    graphsim: GraphSimulator, golden: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    monkeypatch.setattr(graphsim, "throttle_clock", clock)  # restored (and buckets refilled) after
    graphsim.throttling = True
    statuses: list[int] = []
    for _ in range(51):  # 1020 inner requests against the 1000 / 20 s device configuration bucket
        statuses += [r["status"] for r in _batch(golden, [CONFIGS] * 20).json()["responses"]]
    assert statuses == [200] * 1000 + [429] * 20  # exact: no time passes, so nothing refills
    throttled = _batch(golden, [CONFIGS]).json()["responses"][0]
    assert throttled["status"] == 429 and throttled["headers"]["Retry-After"] == "1"  # one token: 1/50 s
    clock.advance(0.5)  # the documented rate refills 1000 / 20 s * 0.5 s = 25 tokens
    refilled = [r["status"] for r in _batch(golden, [CONFIGS] * 20).json()["responses"]]
    refilled += [r["status"] for r in _batch(golden, [CONFIGS] * 20).json()["responses"]]
    assert refilled.count(200) == 25 and refilled.count(429) == 15
    devices = _batch(golden, ["deviceManagement/managedDevices"] * 5).json()["responses"]
    assert [r["status"] for r in devices] == [200] * 5  # a different bucket


# -- faults ------------------------------------------------------------------------------
@pytest.mark.parametrize("retry_after", ["2", "0.5", None])
def test_429_retry_after_variants(graphsim: GraphSimulator, golden: httpx.Client, retry_after: str | None) -> None:
    graphsim.add_fault(FaultRule(retry_after=retry_after))
    response = golden.get(f"/v1.0/{CONFIGS}")
    assert response.status_code == 429
    assert response.headers.get("retry-after") == retry_after
    assert response.json()["error"]["code"] == "TooManyRequests"
    assert golden.get(f"/v1.0/{CONFIGS}").status_code == 200  # times=1


def test_503_504_burst(graphsim: GraphSimulator, golden: httpx.Client) -> None:
    graphsim.add_fault(FaultRule(status=503, retry_after="1", times=2))
    graphsim.add_fault(FaultRule(status=504, retry_after=None, times=1))
    statuses = [golden.get(f"/v1.0/{CONFIGS}").status_code for _ in range(4)]
    assert statuses == [503, 503, 504, 200]


def test_fault_scoped_to_tenant(graphsim: GraphSimulator, golden: httpx.Client, client_for: ClientFor) -> None:
    drifted = client_for(DRIFTED_TENANT_ID, DRIFTED_CLIENT_ID, DRIFTED_CLIENT_SECRET)
    graphsim.add_fault(FaultRule(tenant_id=DRIFTED_TENANT_ID, status=503, times=None))
    assert golden.get(f"/v1.0/{CONFIGS}").status_code == 200
    assert drifted.get(f"/v1.0/{CONFIGS}").status_code == 503
    graphsim.clear_faults()
    assert drifted.get(f"/v1.0/{CONFIGS}").status_code == 200


def test_connection_reset(graphsim: GraphSimulator, golden: httpx.Client) -> None:
    graphsim.add_fault(FaultRule(kind="reset"))
    with pytest.raises(httpx.TransportError):
        golden.get(f"/v1.0/{CONFIGS}")
    assert golden.get(f"/v1.0/{CONFIGS}").status_code == 200
    assert [r.status for r in graphsim.requests if r.host == "graph"][:1] == [0]


def test_malformed_body(graphsim: GraphSimulator, golden: httpx.Client) -> None:
    graphsim.add_fault(FaultRule(kind="malformed"))
    response = golden.get(f"/v1.0/{CONFIGS}")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()


def test_latency_rule_and_global_knob(graphsim: GraphSimulator, golden: httpx.Client) -> None:
    graphsim.add_fault(FaultRule(kind="latency", latency_ms=300))
    started = time.monotonic()
    assert golden.get(f"/v1.0/{CONFIGS}").status_code == 200
    assert time.monotonic() - started >= 0.3
    graphsim.latency_ms = 200
    started = time.monotonic()
    golden.get("/v1.0/organization")
    assert time.monotonic() - started >= 0.2


def test_login_host_fault(graphsim: GraphSimulator) -> None:
    graphsim.add_fault(FaultRule(host="login", path_contains="/oauth2/v2.0/token", status=503, retry_after="1"))
    with pytest.raises(msal.exceptions.MsalServiceError):  # MSAL raises on token endpoint 5xx
        acquire(graphsim, GOLDEN_TENANT_ID, GOLDEN_CLIENT_ID, GOLDEN_CLIENT_SECRET)
    assert "access_token" in acquire(graphsim, GOLDEN_TENANT_ID, GOLDEN_CLIENT_ID, GOLDEN_CLIENT_SECRET)


# -- token buckets -----------------------------------------------------------------------
def test_token_bucket_answers_429_with_retry_after() -> None:
    from graphsim.fixtures_catalog import GOLDEN_TENANT_ID as TID

    clock = FakeClock()
    with GraphSimulator.with_shipped_fixtures(
        throttling=True, throttle_limits={"deviceConfiguration": (3, 20.0)}, throttle_clock=clock
    ) as sim:
        token = sim.mint_access_token(TID, GOLDEN_CLIENT_ID)
        with httpx.Client(
            base_url=sim.graph_base,
            verify=ssl.create_default_context(cafile=sim.ca_path),
            headers={"Authorization": f"Bearer {token}"},
        ) as c:
            statuses = [c.get(f"/v1.0/{CONFIGS}").status_code for _ in range(4)]
            assert statuses == [200, 200, 200, 429]
            throttled = c.get(f"/v1.0/{CONFIGS}")
            assert throttled.headers["retry-after"] == "7"  # one token at 3 / 20 s: 6.67 s, rounded up
            assert throttled.headers["x-ms-throttle-scope"].startswith("Tenant_Application/")
            assert c.get("/v1.0/deviceManagement/managedDevices").status_code == 200
            clock.advance(7.0)  # 7 s * 0.15 / s = 1.05 tokens: exactly one more request
            assert [c.get(f"/v1.0/{CONFIGS}").status_code for _ in range(2)] == [200, 429]


def test_per_tenant_throttling_switch(
    graphsim: GraphSimulator, golden: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graphsim, "throttle_clock", FakeClock())  # 2 / 10 s must not refill mid-test
    graphsim.tenant(GOLDEN_TENANT_ID).throttling = True
    graphsim._buckets.limits["directory"] = (2, 10.0)
    try:
        statuses = [golden.get("/v1.0/organization").status_code for _ in range(3)]
    finally:
        graphsim._buckets.limits["directory"] = (3500, 10.0)
    assert statuses == [200, 200, 429]


# -- request log ---------------------------------------------------------------------------
def test_request_log_records_graph_calls(graphsim: GraphSimulator, golden: httpx.Client) -> None:
    graphsim.clear_requests()
    golden.get(f"/beta/{CONFIGS}?$select=id,displayName&$top=2")
    _batch(golden, ["organization"])
    log = graphsim.requests
    # entries are appended when answered: inner requests precede their enclosing $batch
    assert [(r.host, r.method, r.path, r.batch_inner) for r in log] == [
        ("graph", "GET", f"/beta/{CONFIGS}", False),
        ("graph", "GET", "/beta/organization", True),
        ("graph", "POST", "/beta/$batch", False),
    ]
    assert log[0].query == {"$select": "id,displayName", "$top": "2"}
    assert log[0].tenant_id == GOLDEN_TENANT_ID and log[0].client_id == GOLDEN_CLIENT_ID
    assert log[0].status == 200 and log[0].at <= log[1].at <= log[2].at
    graphsim.clear_requests()
    assert graphsim.requests == []


def test_many_concurrent_requests(graphsim: GraphSimulator, golden: httpx.Client) -> None:
    import concurrent.futures

    token = golden.headers["Authorization"]

    def worker(_: int) -> int:
        with httpx.Client(
            base_url=graphsim.graph_base,
            verify=ssl.create_default_context(cafile=graphsim.ca_path),
            headers={"Authorization": token},
        ) as c:
            return sum(c.get("/v1.0/organization").status_code == 200 for _ in range(25))

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(worker, range(8))) == 200


def test_throttle_clock_defaults_to_the_monotonic_clock() -> None:
    """Production and the demo keep real time: only a test swaps the clock in."""
    assert GraphSimulator().throttle_clock is time.monotonic


def test_token_buckets_stamp_each_request_under_their_lock() -> None:
    """A clock reading taken outside the lock can be older than another thread's stamp and
    refill backwards, costing tokens Graph never takes: spurious 429s for a client that paces at
    exactly the documented rate. Every reading happens under the lock, and a request that takes
    the last token leaves the next one's wait exact."""
    from graphsim.faults import TokenBuckets

    readings: list[bool] = []
    now = [100.0]
    buckets: TokenBuckets

    def clock() -> float:
        readings.append(buckets._lock.locked())
        return now[0]

    buckets = TokenBuckets({"deviceConfiguration": (2, 20.0)}, clock=clock)
    assert buckets.take("deviceConfiguration", "t", "a") is None
    assert buckets.take("deviceConfiguration", "t", "a") is None
    denied = buckets.take("deviceConfiguration", "t", "a")
    assert denied is not None and denied[0] == pytest.approx(10.0)  # one token at 2 / 20 s
    now[0] += 10.0
    assert buckets.take("deviceConfiguration", "t", "a") is None
    assert readings and all(readings)
