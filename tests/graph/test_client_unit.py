"""Client behaviour for Graph answers the simulator does not produce, via an httpx
MockTransport standing in for Microsoft (our client itself is not mocked)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from tenantpilot.graph.client import GraphClient
from tenantpilot.graph.endpoints import GraphEndpoints
from tenantpilot.graph.errors import GraphError
from tenantpilot.graph.reasons import ReasonCode
from tenantpilot.graph.retry import Deadline, RetryPolicy

GRAPH = "https://graph.example.test"


def _jwt(payload: dict) -> str:
    def enc(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{enc({'alg': 'none'})}.{enc(payload)}.c2ln"


TOKEN = _jwt({"roles": ["DeviceManagementConfiguration.Read.All"], "tid": "t"})


class StaticToken:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token

    def acquire(self, *, deadline: Deadline | None = None) -> str:
        return self.token


def make(
    handler: Callable[[httpx.Request], httpx.Response],
    *,
    token: str = TOKEN,
    retry: RetryPolicy | None = None,
    sleeps: list[float] | None = None,
) -> GraphClient:
    transport = httpx.MockTransport(handler)
    return GraphClient(
        GraphEndpoints(graph_base=GRAPH),
        StaticToken(token),
        http=httpx.Client(transport=transport),
        retry=retry or RetryPolicy(max_attempts=3, base=0.1, cap=10.0),
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
        random=lambda: 1.0,
    )


def page(items: list, next_link: str | None = None) -> dict:
    body: dict = {"value": items}
    if next_link:
        body["@odata.nextLink"] = next_link
    return body


def test_requests_carry_bearer_token_and_a_client_request_id():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=page([{"id": "1"}]))

    list(make(handler).iter_items("deviceConfigurations.list"))
    (request,) = seen
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert len(request.headers["client-request-id"]) == 36
    assert "ConsistencyLevel" not in request.headers
    assert request.url.path == "/beta/deviceManagement/deviceConfigurations"
    assert request.url.params["$expand"] == "assignments"


def test_next_link_is_followed_verbatim():
    link = f"{GRAPH}/beta/deviceManagement/deviceConfigurations?$expand=assignments&$skiptoken=%255Babc%255D"
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if "skiptoken" in str(request.url):
            return httpx.Response(200, json=page([{"id": "2"}]))
        return httpx.Response(200, json=page([{"id": "1"}], link))

    assert [i["id"] for i in make(handler).iter_items("deviceConfigurations.list")] == ["1", "2"]
    assert seen[1] == link


@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/beta/deviceManagement/deviceConfigurations?$skiptoken=x",
        "http://graph.example.test/beta/deviceManagement/deviceConfigurations?$skiptoken=x",
        "https://graph.example.test:8443/beta/deviceManagement/deviceConfigurations",
        "https://graph.example.test/v1.0/deviceManagement/deviceConfigurations",
        "/beta/deviceManagement/deviceConfigurations?$skiptoken=x",
        42,
    ],
)
def test_next_link_off_the_graph_host_is_malformed(link):
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json=page([{"id": "1"}], link))  # type: ignore[arg-type]

    # The page carrying a foreign link is itself suspect: nothing of it is yielded.
    items = make(handler).iter_items("deviceConfigurations.list")
    with pytest.raises(GraphError) as info:
        next(items)
    assert info.value.reason_code is ReasonCode.MALFORMED_RESPONSE
    assert len(calls) == 1


@pytest.mark.parametrize(
    "body",
    [{"values": []}, {"value": {"id": 1}}, {"value": [1, 2]}, {"value": None}],
)
def test_collection_without_a_value_list_is_malformed(body):
    client = make(lambda r: httpx.Response(200, json=body))
    with pytest.raises(GraphError) as info:
        list(client.iter_items("groups.list"))
    assert info.value.reason_code is ReasonCode.MALFORMED_RESPONSE


def test_non_object_json_is_malformed():
    client = make(lambda r: httpx.Response(200, json=[1, 2]))
    with pytest.raises(GraphError) as info:
        client.get("deviceCompliancePolicyDeviceStateSummary.get")
    assert info.value.reason_code is ReasonCode.MALFORMED_RESPONSE


def test_http_date_retry_after_is_honoured():
    sleeps: list[float] = []
    answers = iter(
        [
            httpx.Response(
                429, headers={"Retry-After": format_datetime(datetime.now(UTC) + timedelta(seconds=5), usegmt=True)}
            ),
            httpx.Response(200, json=page([])),
        ]
    )
    list(make(lambda r: next(answers), sleeps=sleeps).iter_items("groups.list"))
    assert len(sleeps) == 1 and 3.0 <= sleeps[0] <= 5.0


def test_intune_403_message_is_reduced_to_its_text():
    inner = json.dumps(
        {
            "_version": 3,
            "Message": "Application is not authorized to perform this operation. Application must have one of the "
            "following scopes: DeviceManagementConfiguration.Read.All - Operation ID (for customer support): "
            "00000000-0000-0000-0000-000000000000 - Activity ID: abc - Url: https://fef.msub05.manage.microsoft.com/x",
            "CustomApiErrorPhrase": "",
        }
    )
    client = make(lambda r: httpx.Response(403, json={"error": {"code": "Forbidden", "message": inner}}))
    with pytest.raises(GraphError) as info:
        list(client.iter_items("deviceConfigurations.list"))
    err = info.value
    assert err.reason_code is ReasonCode.PERMISSION_MISSING
    assert "Forbidden" in err.message
    assert "Activity ID" not in err.message
    assert "fef.msub05" not in err.message
    assert "_version" not in err.message


def test_403_with_a_roleless_token_is_consent_missing():
    client = make(
        lambda r: httpx.Response(403, json={"error": {"code": "Forbidden", "message": "no app permissions"}}),
        token=_jwt({"tid": "t"}),
    )
    with pytest.raises(GraphError) as info:
        list(client.iter_items("deviceConfigurations.list"))
    assert info.value.reason_code is ReasonCode.CONSENT_MISSING


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (400, ReasonCode.BAD_REQUEST),
        (401, ReasonCode.AUTH_FAILED),
        (404, ReasonCode.NOT_FOUND),
        (409, ReasonCode.UNKNOWN_ERROR),
        (500, ReasonCode.PROVIDER_UNAVAILABLE),
        (302, ReasonCode.MALFORMED_RESPONSE),
    ],
)
def test_statuses_map_to_reason_codes_without_retry(status, reason):
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(status, json={"error": {"code": "X", "message": "y"}})

    with pytest.raises(GraphError) as info:
        list(make(handler).iter_items("groups.list"))
    assert info.value.reason_code is reason
    assert info.value.status == status
    assert len(calls) == 1


def test_response_body_echoing_a_token_never_reaches_the_message():
    body = {"error": {"code": "InvalidAuthenticationToken", "message": f"token {TOKEN} is bad"}}
    with pytest.raises(GraphError) as info:
        make(lambda r: httpx.Response(401, json=body)).get("deviceCompliancePolicyDeviceStateSummary.get")
    assert TOKEN not in info.value.message
    assert "InvalidAuthenticationToken" in info.value.message


def _batch_handler(inner: Callable[[dict], dict]) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST" and request.url.path == "/beta/$batch"
        payload = json.loads(request.content)
        assert len(payload["requests"]) <= 20
        return httpx.Response(200, json={"responses": [inner(r) for r in payload["requests"]]})

    return handler


def test_batch_item_missing_from_the_answer_is_a_failed_result():
    def inner(r: dict) -> dict:
        if r["url"].startswith("/deviceManagement/configurationPolicies/b/"):
            return {"id": "unrelated", "status": 200, "body": page([])}
        return {"id": r["id"], "status": 200, "body": page([{"id": "0"}])}

    results = list(make(_batch_handler(inner)).batch("configurationPolicies.settings", [{"id": "a"}, {"id": "b"}]))
    assert [r.ok for r in results] == [True, False]
    assert results[1].items is None
    assert results[1].error is not None and results[1].error.reason_code is ReasonCode.MALFORMED_RESPONSE


def test_batch_inner_retry_after_header_is_case_insensitive_and_budget_bounded():
    sleeps: list[float] = []
    inner = lambda r: {"id": r["id"], "status": 429, "headers": {"retry-after": "3"}, "body": {}}  # noqa: E731
    client = make(_batch_handler(inner), retry=RetryPolicy(max_attempts=3, cap=10.0), sleeps=sleeps)
    (result,) = list(client.batch("configurationPolicies.settings", [{"id": "a"}]))
    assert not result.ok
    assert result.error is not None
    assert result.error.reason_code is ReasonCode.THROTTLED
    assert result.error.retry_after == 3.0
    assert sleeps == [3.0, 3.0]
    assert client.stats.throttled == 3


def test_batch_post_that_fails_outright_raises():
    client = make(lambda r: httpx.Response(400, json={"error": {"code": "BadRequest", "message": "nope"}}))
    with pytest.raises(GraphError) as info:
        list(client.batch("configurationPolicies.settings", [{"id": "a"}]))
    assert info.value.reason_code is ReasonCode.BAD_REQUEST


def test_batch_rejects_chunks_over_twenty():
    with pytest.raises(ValueError):
        make(lambda r: httpx.Response(200)).batch("configurationPolicies.settings", [], chunk_size=21)


def test_iter_items_refuses_singletons_and_get_refuses_nothing_registered():
    client = make(lambda r: httpx.Response(200, json={"id": "x"}))
    with pytest.raises(ValueError):
        client.iter_items("deviceCompliancePolicyDeviceStateSummary.get")
    assert client.get("deviceCompliancePolicyDeviceStateSummary.get") == {"id": "x"}
