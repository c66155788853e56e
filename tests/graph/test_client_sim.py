"""GraphClient against graphsim: paging, streaming, retries, failure mapping and $batch."""

from __future__ import annotations

import logging

import pytest

from tenantpilot.graph.client import BatchResult
from tenantpilot.graph.contracts import InvalidPathParameter, UnknownContract
from tenantpilot.graph.errors import GraphError
from tenantpilot.graph.reasons import ReasonCode
from tenantpilot.graph.retry import Deadline, RetryPolicy

from .conftest import (
    APP_FULL,
    APP_NO_CONSENT,
    APP_ORG_ONLY,
    BIG_SETTINGS_POLICY_INDEX,
    CANARY_SECRET,
    N_CONFIGURATION_POLICIES,
    N_DEVICE_CONFIGURATIONS,
    N_DEVICES,
    N_GROUPS,
    TENANT_ID,
    configuration_policy_id,
    graph_requests,
    settings_count,
)

# -- reads and paging ---------------------------------------------------------------------


def test_organization_list_returns_the_tenant(graphsim, make_client):
    items = list(make_client().iter_items("organization.list"))
    assert [o["id"] for o in items] == [TENANT_ID]


def test_request_urls_stay_out_of_the_logs(graphsim, make_client, caplog):
    # httpx would log every URL at INFO (query strings included); the settings keep it quiet.
    with caplog.at_level(logging.INFO):
        list(make_client(log_context="run=7").iter_pages("deviceConfigurations.list"))
    assert [r for r in caplog.records if r.name == "httpx"] == []
    assert logging.getLogger("httpx").getEffectiveLevel() == logging.WARNING


def test_paging_follows_next_links_one_request_per_page(graphsim, make_client):
    client = make_client()
    groups = list(client.iter_items("groups.list"))
    assert len(groups) == N_GROUPS
    assert len({g["id"] for g in groups}) == N_GROUPS
    pages = -(-N_GROUPS // 100)
    assert len(graph_requests(graphsim)) == pages
    assert client.stats.requests == pages
    assert client.stats.pages == pages


def test_iter_items_streams_yielding_before_the_next_page_is_fetched(graphsim, make_client):
    items = make_client().iter_items("groups.list")
    assert graph_requests(graphsim) == []  # nothing sent before iteration starts
    next(items)
    assert len(graph_requests(graphsim)) == 1
    for _ in range(99):
        next(items)
    assert len(graph_requests(graphsim)) == 1
    next(items)  # first item of page two
    assert len(graph_requests(graphsim)) == 2


def test_select_and_expand_are_sent_from_the_contract(graphsim, make_client):
    client = make_client()
    configurations = list(client.iter_items("deviceConfigurations.list"))
    assert len(configurations) == N_DEVICE_CONFIGURATIONS
    assert all(isinstance(c.get("assignments"), list) and c["assignments"] for c in configurations)
    (request,) = graph_requests(graphsim)
    assert "/beta/deviceManagement/deviceConfigurations" in request.path
    assert "assignments" in str(request.query)
    devices = list(client.iter_items("managedDevices.list"))
    assert len(devices) == N_DEVICES
    assert {"id", "deviceName", "complianceState"} <= set(devices[0])


def test_top_limits_the_page(graphsim, make_client):
    first = next(make_client().iter_items("groups.list", top=1))
    assert first["id"]
    (request,) = graph_requests(graphsim)
    assert "top" in str(request.query)


def test_singleton_get_returns_the_entity(graphsim, make_client):
    summary = make_client().get("deviceCompliancePolicyDeviceStateSummary.get")
    assert "value" not in summary
    assert (
        summary["compliantDeviceCount"] + summary["nonCompliantDeviceCount"] + summary["unknownDeviceCount"]
        == N_DEVICES
    )


def test_get_json_fills_validated_path_params(graphsim, make_client):
    body = make_client().get_json("configurationPolicies.settings", id=configuration_policy_id(1))
    assert len(body["value"]) == settings_count(1)


def test_unknown_contracts_and_bad_ids_are_refused_before_any_request(graphsim, make_client):
    client = make_client()
    with pytest.raises(UnknownContract):
        client.get("users.list")
    with pytest.raises(InvalidPathParameter):
        client.get_json("configurationPolicies.settings", id="../../groups")
    with pytest.raises(InvalidPathParameter):
        client.batch("configurationPolicies.settings", [{"id": "ok"}, {"id": "a/b"}])
    assert graph_requests(graphsim) == []


# -- permissions ----------------------------------------------------------------------------


def test_missing_permission_is_permission_missing_naming_the_permission(graphsim, make_client):
    with pytest.raises(GraphError) as info:
        list(make_client(APP_ORG_ONLY).iter_items("deviceConfigurations.list"))
    err = info.value
    assert err.reason_code is ReasonCode.PERMISSION_MISSING
    assert err.status == 403
    assert "DeviceManagementConfiguration.Read.All" in err.message
    assert err.contract == "deviceConfigurations.list"


def test_token_without_roles_is_consent_missing(graphsim, make_client):
    with pytest.raises(GraphError) as info:
        list(make_client(APP_NO_CONSENT).iter_items("groups.list"))
    assert info.value.reason_code is ReasonCode.CONSENT_MISSING


def test_auth_failure_surfaces_from_the_client(graphsim, make_client, make_provider):
    from tenantpilot.graph.tokens import ClientSecretCredential

    provider = make_provider(APP_FULL, ClientSecretCredential("wrong"))
    with pytest.raises(GraphError) as info:
        make_client(provider=provider).get("deviceCompliancePolicyDeviceStateSummary.get")
    assert info.value.reason_code is ReasonCode.AUTH_INVALID_SECRET
    assert graph_requests(graphsim) == []


# -- throttling and retries -----------------------------------------------------------------


@pytest.mark.parametrize(("header", "expected"), [("1", 1.0), ("0.5", 0.5), ("2.128", 2.128)])
def test_retry_after_is_honoured(graphsim, fault_rule, make_client, sleeps, header, expected):
    graphsim.add_fault(fault_rule(path_contains="deviceConfigurations", status=429, retry_after=header, times=1))
    client = make_client()
    assert len(list(client.iter_items("deviceConfigurations.list"))) == N_DEVICE_CONFIGURATIONS
    assert sleeps.calls == [pytest.approx(expected)]
    assert client.stats.throttled == 1
    assert client.stats.retries == 1
    assert len(graph_requests(graphsim)) == 2


def test_missing_retry_after_falls_back_to_full_jitter_backoff(graphsim, fault_rule, make_client, sleeps):
    graphsim.add_fault(fault_rule(path_contains="deviceConfigurations", status=429, retry_after=None, times=2))
    client = make_client(retry=RetryPolicy(max_attempts=4, base=0.2, cap=5.0), random=lambda: 0.5)
    list(client.iter_items("deviceConfigurations.list"))
    # attempt 1 -> 0.5 * 0.2, attempt 2 -> 0.5 * 0.4
    assert sleeps.calls == [pytest.approx(0.1), pytest.approx(0.2)]


def test_retry_after_beyond_the_backoff_cap_is_honoured(graphsim, fault_rule, make_client, sleeps):
    graphsim.add_fault(fault_rule(path_contains="groups", status=429, retry_after="45", times=1))
    list(make_client(retry=RetryPolicy(max_attempts=3, cap=2.0, max_total_seconds=120.0)).iter_items("groups.list"))
    assert sleeps.calls == [45.0]


def test_retry_after_longer_than_the_budget_is_capped_and_logged(graphsim, fault_rule, make_client, sleeps, caplog):
    caplog.set_level(logging.INFO, logger="tenantpilot.graph")
    graphsim.add_fault(fault_rule(path_contains="groups", status=429, retry_after="3600", times=1))
    client = make_client(retry=RetryPolicy(max_attempts=3, cap=2.0, max_total_seconds=60.0))
    assert len(list(client.iter_items("groups.list"))) == N_GROUPS
    assert sleeps.calls == [60.0]
    capped = [r for r in caplog.records if "retry-after capped" in r.getMessage()]
    assert len(capped) == 1 and capped[0].levelno == logging.WARNING
    assert "requested_s=3600.000 applied_s=60.000" in capped[0].getMessage()


def test_the_run_deadline_bounds_waits_across_calls(graphsim, fault_rule, make_client, sleeps, caplog):
    caplog.set_level(logging.INFO, logger="tenantpilot.graph")
    deadline = Deadline(50.0, clock=sleeps.clock)
    client = make_client(
        retry=RetryPolicy(max_attempts=3, cap=2.0, max_total_seconds=600.0), deadline=deadline, log_context="run=7"
    )
    graphsim.add_fault(fault_rule(path_contains="deviceConfigurations", status=429, retry_after="30", times=1))
    assert len(list(client.iter_items("deviceConfigurations.list"))) == N_DEVICE_CONFIGURATIONS
    graphsim.add_fault(fault_rule(path_contains="groups", status=503, retry_after="30", times=1))
    assert len(list(client.iter_items("groups.list"))) == N_GROUPS
    assert sleeps.calls == [30.0, 20.0]  # the second wait gets what is left of the run's 50 s
    capped = [r.getMessage() for r in caplog.records if "retry-after capped" in r.getMessage()]
    assert capped == [
        "graph retry-after capped contract=groups.list requested_s=30.000 applied_s=20.000 "
        "(the run's retry budget has no more time left) run=7"
    ]
    graphsim.add_fault(fault_rule(path_contains="groups", status=503, retry_after="1", times=1))
    with pytest.raises(GraphError) as info:
        list(client.iter_items("groups.list"))
    assert info.value.reason_code is ReasonCode.PROVIDER_UNAVAILABLE  # no budget left: no wait, no retry
    assert sleeps.calls == [30.0, 20.0]


@pytest.mark.parametrize("status", [503, 504])
def test_persistent_5xx_gives_up_after_max_attempts(graphsim, fault_rule, make_client, sleeps, status):
    graphsim.add_fault(fault_rule(path_contains="groups", status=status, retry_after=None, times=None))
    client = make_client(retry=RetryPolicy(max_attempts=3, base=0.1, cap=1.0))
    with pytest.raises(GraphError) as info:
        list(client.iter_items("groups.list"))
    assert info.value.reason_code is ReasonCode.PROVIDER_UNAVAILABLE
    assert info.value.status == status
    assert len(graph_requests(graphsim)) == 3
    assert len(sleeps.calls) == 2


def test_persistent_429_is_throttled_with_the_last_retry_after(graphsim, fault_rule, make_client, sleeps):
    graphsim.add_fault(fault_rule(path_contains="groups", status=429, retry_after="1", times=None))
    client = make_client(retry=RetryPolicy(max_attempts=3))
    with pytest.raises(GraphError) as info:
        list(client.iter_items("groups.list"))
    assert info.value.reason_code is ReasonCode.THROTTLED
    assert info.value.retry_after == 1.0
    assert client.stats.throttled == 3
    assert sleeps.calls == [1.0, 1.0]


def test_total_time_budget_caps_the_wait_then_stops_retrying(graphsim, fault_rule, make_client, sleeps):
    graphsim.add_fault(fault_rule(path_contains="groups", status=429, retry_after="4", times=None))
    client = make_client(retry=RetryPolicy(max_attempts=10, cap=10.0, max_total_seconds=3.0))
    with pytest.raises(GraphError) as info:
        list(client.iter_items("groups.list"))
    assert info.value.reason_code is ReasonCode.THROTTLED
    assert sleeps.calls == [3.0]  # what the budget had left, not the 4 s asked for
    assert len(graph_requests(graphsim)) == 2


def test_throttling_mid_stream_retries_only_that_page(graphsim, fault_rule, make_client, sleeps):
    items = make_client().iter_items("groups.list")
    for _ in range(100):
        next(items)
    graphsim.add_fault(fault_rule(path_contains="groups", status=503, retry_after="1", times=1))
    rest = list(items)
    assert len(rest) == N_GROUPS - 100
    assert sleeps.calls == [1.0]


def test_connection_reset_is_retried_for_reads(graphsim, fault_rule, make_client, sleeps):
    graphsim.add_fault(fault_rule(path_contains="groups", kind="reset", times=1))
    assert len(list(make_client().iter_items("groups.list"))) == N_GROUPS
    assert len(sleeps.calls) == 1


def test_persistent_connection_reset_is_network_error(graphsim, fault_rule, make_client):
    graphsim.add_fault(fault_rule(path_contains="groups", kind="reset", times=None))
    with pytest.raises(GraphError) as info:
        list(make_client(retry=RetryPolicy(max_attempts=2, base=0.0)).iter_items("groups.list"))
    assert info.value.reason_code is ReasonCode.NETWORK_ERROR


def test_malformed_json_is_malformed_response(graphsim, fault_rule, make_client):
    graphsim.add_fault(fault_rule(path_contains="groups", kind="malformed", times=1))
    with pytest.raises(GraphError) as info:
        list(make_client().iter_items("groups.list"))
    assert info.value.reason_code is ReasonCode.MALFORMED_RESPONSE


def test_slow_answer_is_timeout(graphsim, fault_rule, make_client, sleeps):
    graphsim.add_fault(fault_rule(path_contains="groups", kind="latency", latency_ms=1500, times=None))
    client = make_client(timeout=0.3, retry=RetryPolicy(max_attempts=2, base=0.0))
    with pytest.raises(GraphError) as info:
        list(client.iter_items("groups.list"))
    assert info.value.reason_code is ReasonCode.TIMEOUT
    assert client.stats.requests == 2


def test_unknown_item_is_not_found(graphsim, make_client):
    with pytest.raises(GraphError) as info:
        make_client().get_json("configurationPolicies.settings", id="00000000-0000-0000-0000-00000000dead")
    assert info.value.reason_code is ReasonCode.NOT_FOUND


# -- $batch ---------------------------------------------------------------------------------


def _all_ids() -> list[dict[str, str]]:
    return [{"id": configuration_policy_id(i)} for i in range(N_CONFIGURATION_POLICIES)]


def _batch_posts(sim):
    return [r for r in graph_requests(sim) if r.method == "POST" and "$batch" in r.path]


def test_batch_chunks_by_twenty_and_follows_inner_next_links(graphsim, make_client):
    client = make_client()
    results = list(client.batch("configurationPolicies.settings", _all_ids()))
    assert [r.key for r in results] == [p["id"] for p in _all_ids()]
    assert all(r.ok and r.error is None for r in results)
    for i, result in enumerate(results):
        assert result.items is not None
        assert len(result.items) == settings_count(i), i
    assert len(_batch_posts(graphsim)) == 3  # 45 ids -> 20 + 20 + 5
    # the 60-setting policy needed two more pages outside the batch
    big = results[BIG_SETTINGS_POLICY_INDEX]
    assert big.items is not None and len({s["id"] for s in big.items}) == 60
    assert client.stats.batches == 3


def test_batch_is_lazy_per_chunk(graphsim, make_client):
    results = make_client().batch("configurationPolicies.settings", _all_ids())
    assert _batch_posts(graphsim) == []
    next(results)
    assert len(_batch_posts(graphsim)) == 1


def test_inner_429_is_retried_with_its_retry_after(graphsim, fault_rule, make_client, sleeps):
    target = configuration_policy_id(3)
    graphsim.add_fault(fault_rule(path_contains=f"{target}/settings", status=429, retry_after="2", times=2))
    client = make_client()
    results = list(client.batch("configurationPolicies.settings", _all_ids()[:20]))
    assert all(r.ok for r in results)
    assert results[3].items is not None and len(results[3].items) == settings_count(3)
    assert sleeps.calls == [2.0, 2.0]
    assert len(_batch_posts(graphsim)) == 3  # one round plus two re-sends of the throttled item
    assert client.stats.throttled == 2


def test_every_throttled_answer_is_told_to_the_pacer_before_its_resend(graphsim, fault_rule, make_client, sleeps):
    target = configuration_policy_id(3)
    graphsim.add_fault(fault_rule(path_contains=f"{target}/settings", status=429, retry_after="1", times=2))
    graphsim.add_fault(fault_rule(path_contains="deviceConfigurations", status=429, retry_after="1", times=1))
    told: list[str] = []
    client = make_client(on_throttled=told.append)
    assert all(r.ok for r in client.batch("configurationPolicies.settings", _all_ids()[:20]))
    list(client.iter_pages("deviceConfigurations.list"))
    assert told == ["configurationPolicies.settings"] * 2 + ["deviceConfigurations.list"]
    assert client.stats.throttled == 3


def test_inner_failure_that_persists_is_a_failed_result_not_an_empty_one(graphsim, fault_rule, make_client, sleeps):
    target = configuration_policy_id(5)
    graphsim.add_fault(fault_rule(path_contains=f"{target}/settings", status=503, retry_after=None, times=None))
    client = make_client(retry=RetryPolicy(max_attempts=3, base=0.1, cap=1.0))
    results = list(client.batch("configurationPolicies.settings", _all_ids()[:10]))
    failed = [r for r in results if not r.ok]
    assert [r.key for r in failed] == [target]
    assert failed[0].items is None
    assert failed[0].error is not None
    assert failed[0].error.reason_code is ReasonCode.PROVIDER_UNAVAILABLE
    assert all(r.items for r in results if r.ok)
    assert len(_batch_posts(graphsim)) == 3


def test_inner_not_found_is_a_failed_result(graphsim, make_client):
    missing = "00000000-0000-0000-0000-00000000dead"
    results = list(make_client().batch("configurationPolicies.settings", [{"id": missing}, _all_ids()[1]]))
    assert results[0] == BatchResult(missing, False, None, results[0].error)
    assert results[0].error is not None and results[0].error.reason_code is ReasonCode.NOT_FOUND
    assert results[1].ok


def test_batch_without_permission_fails_every_item_as_permission_missing(graphsim, make_client):
    results = list(make_client(APP_ORG_ONLY).batch("configurationPolicies.settings", _all_ids()[:3]))
    assert [r.ok for r in results] == [False, False, False]
    assert all(r.error is not None and r.error.reason_code is ReasonCode.PERMISSION_MISSING for r in results)


# -- secrets never leak ---------------------------------------------------------------------


def test_no_secret_or_token_in_errors_or_logs(graphsim, fault_rule, make_client, make_provider, caplog):
    caplog.set_level(logging.DEBUG)
    provider = make_provider(APP_FULL)
    token = provider.acquire()
    client = make_client(provider=provider, retry=RetryPolicy(max_attempts=2, base=0.0))
    errors: list[GraphError] = []
    graphsim.add_fault(fault_rule(path_contains="groups", status=429, retry_after="1", times=None))
    for call in (
        lambda: list(client.iter_items("groups.list")),
        lambda: list(make_client(APP_ORG_ONLY).iter_items("deviceConfigurations.list")),
        lambda: make_client().get_json("configurationPolicies.settings", id="00000000-0000-0000-0000-00000000dead"),
    ):
        with pytest.raises(GraphError) as info:
            call()
        errors.append(info.value)
    list(client.iter_items("deviceConfigurations.list"))
    for err in errors:
        for text in (err.message, repr(err), str(err)):
            assert CANARY_SECRET not in text
            assert token not in text
    messages = [r.getMessage() for r in caplog.records]
    assert any("contract=groups.list" in m for m in messages)
    for message in messages:
        assert CANARY_SECRET not in message
        assert token not in message


def test_one_client_can_be_shared_by_threads(graphsim, make_client):
    import threading

    client = make_client()
    counts: list[int] = []

    def run() -> None:
        counts.append(sum(1 for _ in client.iter_items("groups.list")))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counts == [N_GROUPS] * 4
    assert client.stats.requests == 4 * -(-N_GROUPS // 100) == len(graph_requests(graphsim))


# -- faults of the sign-in service --------------------------------------------------------


def test_one_token_endpoint_503_does_not_fail_reads_on_many_threads(graphsim, fault_rule, make_client):
    import threading

    graphsim.add_fault(fault_rule(host="login", path_contains="/oauth2/v2.0/token", status=503, times=1))
    client = make_client()
    contracts = ["groups.list", "deviceConfigurations.list", "configurationPolicies.list", "managedDevices.list"]
    counts: dict[str, int] = {}
    failures: list[GraphError] = []

    def read(contract: str) -> None:
        try:
            counts[contract] = sum(1 for _ in client.iter_items(contract))
        except GraphError as exc:
            failures.append(exc)

    threads = [threading.Thread(target=read, args=(c,)) for c in contracts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert counts == {
        "groups.list": N_GROUPS,
        "deviceConfigurations.list": N_DEVICE_CONFIGURATIONS,
        "configurationPolicies.list": N_CONFIGURATION_POLICIES,
        "managedDevices.list": N_DEVICES,
    }


def test_persistent_token_endpoint_503_is_provider_unavailable(graphsim, fault_rule, make_client):
    graphsim.add_fault(
        fault_rule(host="login", path_contains="/oauth2/v2.0/token", status=503, retry_after="1", times=None)
    )
    with pytest.raises(GraphError) as info:
        list(make_client().iter_items("groups.list"))
    assert info.value.reason_code is ReasonCode.PROVIDER_UNAVAILABLE
    assert graph_requests(graphsim) == []
