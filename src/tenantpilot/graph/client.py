"""The one HTTP path to Microsoft Graph: registered contracts only, streamed paging,
bounded retries honouring Retry-After, $batch for per-item sub-resources, and every
failure reduced to a :class:`GraphError` with a registered reason code."""

from __future__ import annotations

import json
import logging
import random as _random
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol, Self
from urllib.parse import urlsplit

import httpx

from tenantpilot.graph.contracts import GraphContract, get_contract
from tenantpilot.graph.endpoints import GraphEndpoints
from tenantpilot.graph.errors import GraphError
from tenantpilot.graph.reasons import ReasonCode
from tenantpilot.graph.retry import (
    RETRYABLE_INNER_STATUSES,
    RETRYABLE_STATUSES,
    ClockFn,
    Deadline,
    PlannedWait,
    RandomFn,
    RetryBudget,
    RetryPolicy,
    SleepFn,
    parse_retry_after,
)
from tenantpilot.graph.tokens import token_has_roles

logger = logging.getLogger("tenantpilot.graph")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
BATCH_LIMIT = 20  # Graph's documented maximum number of requests in one $batch
USER_AGENT = "TenantPilot-graph/1"
_GRAPH_DETAIL_LIMIT = 160

JsonObject = dict[str, Any]


class AccessTokenSource(Protocol):
    """Anything that hands out a bearer token (``TokenProvider`` in production); retries of
    its own must end by ``deadline`` when one is given."""

    def acquire(self, *, deadline: Deadline | None = None) -> str: ...


@dataclass
class GraphStats:
    """Counters for benchmarks and run summaries: HTTP requests sent (every attempt,
    including $batch POSTs and failed ones), retries (waits before another attempt,
    per re-sent inner request in $batch), throttled answers (429, inner ones included),
    pages read and $batch POSTs."""

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    pages: int = 0
    batches: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        """Increment counters atomically."""
        with self._lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)

    def snapshot(self) -> dict[str, int]:
        """The counters as a flat dict."""
        with self._lock:
            return {
                "requests": self.requests,
                "retries": self.retries,
                "throttled": self.throttled,
                "pages": self.pages,
                "batches": self.batches,
            }


@dataclass(frozen=True)
class BatchResult:
    """The outcome of one item of a :meth:`GraphClient.batch` call.

    Either ``ok`` with every item of the sub-resource (all pages; a single entity becomes a
    one-element list) and ``error`` None, or not ``ok`` with ``items`` None and the
    ``error`` — a failed read is never reported as an empty result.
    """

    key: str
    ok: bool
    items: list[JsonObject] | None
    error: GraphError | None


class _Retryable(Exception):
    """Internal: an attempt failed in a way that may succeed later."""

    def __init__(self, error: GraphError) -> None:
        super().__init__(error.message)
        self.error = error


def is_tls_verification_failure(exc: BaseException) -> bool:
    """Whether a transport error is a failed certificate verification (``ssl.SSLCertVerificationError``
    anywhere in its cause chain), as opposed to an unreachable host or a reset connection."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _graph_error_detail(body: object) -> tuple[str | None, str | None]:
    """Graph's ``error.code`` and a short ``error.message`` (Intune wraps JSON in the message)."""
    if not isinstance(body, dict):
        return None, None
    err = body.get("error")
    if not isinstance(err, dict):
        return None, None
    code = err.get("code") if isinstance(err.get("code"), str) else None
    message = err.get("message") if isinstance(err.get("message"), str) else None
    if message and message.lstrip().startswith("{"):
        try:
            inner = json.loads(message)
        except ValueError:
            inner = None
        if isinstance(inner, dict) and isinstance(inner.get("Message"), str):
            message = inner["Message"]
    if message:
        # Drop Intune's support trailer ("- Operation ID … - Activity ID … - Url: …").
        message = message.split(" - Operation ID", 1)[0].split(" - Activity ID", 1)[0]
        if len(message) > _GRAPH_DETAIL_LIMIT:
            message = message[: _GRAPH_DETAIL_LIMIT - 1].rstrip() + "…"
    return code, message


def _detail_suffix(status: int, code: str | None, message: str | None) -> str:
    text = f"HTTP {status}"
    if code:
        text += f" {code}"
    if message:
        text += f": {message}"
    return f" (Graph {text})"


def _parse_json_object(response: httpx.Response) -> object:
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return None


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    if not isinstance(headers, Mapping):
        return None
    wanted = name.lower()
    for k, v in headers.items():
        if isinstance(k, str) and k.lower() == wanted:
            return str(v)
    return None


class GraphClient:
    """Executes registered Graph contracts for one connection.

    Guarantees: only contracts from :mod:`tenantpilot.graph.contracts` are requested and
    path parameters are validated ids; collections are streamed one page at a time and
    ``@odata.nextLink`` is followed verbatim but only on the configured Graph host;
    429/503/504 (and, for reads, timeouts and connection errors) are retried at most
    ``retry.max_attempts`` times, waiting the server's ``Retry-After`` or full-jitter
    backoff, within the budget: ``deadline`` (one per run, shared by every call and by
    token acquisition) when given, else ``retry.max_total_seconds`` per call. A
    ``Retry-After`` longer than the budget left is shortened to it and logged at WARNING
    with the requested and applied wait. Every failure is raised as :class:`GraphError`
    with a registered reason code and a sanitized message; logs carry the contract,
    status, attempt, duration and ``log_context`` (e.g. ``run=42``), never a token.
    ``on_throttled`` is told the contract name of every throttled answer (429, inner ones
    included) before the re-send: a pacer debits it (``inventory.pacing.ThrottleBudget.debit``).
    """

    def __init__(
        self,
        endpoints: GraphEndpoints,
        token_provider: AccessTokenSource,
        *,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        http: httpx.Client | None = None,
        max_connections: int = 10,
        sleep: SleepFn = time.sleep,
        random: RandomFn = _random.random,
        clock: ClockFn = time.monotonic,
        deadline: Deadline | None = None,
        log_context: str = "",
        on_throttled: Callable[[str], None] | None = None,
    ) -> None:
        self.endpoints = endpoints
        self._on_throttled = on_throttled
        self._tokens = token_provider
        self.retry = retry if retry is not None else RetryPolicy()
        self.deadline = deadline
        self._log_context = f" {log_context}" if log_context else ""
        self._sleep = sleep
        self._random = random
        self._clock = clock
        self.stats = GraphStats()
        self._owns_http = http is None
        if http is None:
            verify: ssl.SSLContext | bool = True
            if endpoints.ca_bundle:
                verify = ssl.create_default_context(cafile=endpoints.ca_bundle)
            http = httpx.Client(
                verify=verify,
                # With an explicit CA bundle, ignore SSL_CERT_FILE / proxy variables.
                trust_env=endpoints.ca_bundle is None,
                timeout=timeout,
                limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
                follow_redirects=False,
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            )
        self._http = http

    @property
    def token_source(self) -> AccessTokenSource:
        """Where this client gets its access tokens (a :class:`TokenProvider` in production)."""
        return self._tokens

    # -- lifecycle -------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool if this client created it."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- public reads ----------------------------------------------------------------

    def iter_items(self, contract_name: str, *, top: int | None = None, **path_params: str) -> Iterator[JsonObject]:
        """Every item of a paged contract, streamed: one page is fetched only when the
        previous one has been consumed, and no page is kept after its items are yielded."""
        pages = self.iter_pages(contract_name, top=top, **path_params)
        return (item for page in pages for item in page)

    def iter_pages(
        self, contract_name: str, *, top: int | None = None, **path_params: str
    ) -> Iterator[list[JsonObject]]:
        """The pages of a paged contract, one request per page, lazily."""
        contract = get_contract(contract_name)
        if not contract.paged:
            raise ValueError(f"{contract.name} is not a collection; use get()")
        url = self._url(contract, contract.relative_url(path_params, top=top))
        return self._pages(contract, url)

    def get_json(self, contract_name: str, **path_params: str) -> JsonObject:
        """One GET of the contract; the JSON object answered (a singleton entity, or for a
        collection its first page including ``value`` and ``@odata.nextLink``)."""
        contract = get_contract(contract_name)
        url = self._url(contract, contract.relative_url(path_params))
        body, _ = self._execute(contract, "GET", url)
        return body

    def get(self, contract_name: str, **path_params: str) -> JsonObject:
        """Same as :meth:`get_json` (for singleton contracts such as the compliance summary)."""
        return self.get_json(contract_name, **path_params)

    def batch(
        self, contract_name: str, params: Iterable[Mapping[str, str]], *, chunk_size: int = BATCH_LIMIT
    ) -> Iterator[BatchResult]:
        """Read a per-item contract for many items through ``$batch``, ``chunk_size`` (≤20)
        requests per POST, yielding one :class:`BatchResult` per input, in input order.

        All path params are validated before anything is sent. Inner 429/5xx are re-sent
        (waiting the largest inner Retry-After, else backoff) within one retry budget per
        chunk; inner nextLinks are followed; items that still fail come back as failed
        results. A failure of the ``$batch`` POST itself (after its retries) is raised.
        """
        contract = get_contract(contract_name)
        if not 1 <= chunk_size <= BATCH_LIMIT:
            raise ValueError(f"chunk_size must be between 1 and {BATCH_LIMIT}")
        jobs = [(contract.key_for(p), contract.relative_url(p)) for p in params]
        return self._batches(contract, jobs, chunk_size)

    # -- internals -------------------------------------------------------------------

    def _url(self, contract: GraphContract, relative: str) -> str:
        return f"{self.endpoints.graph_base}/{contract.api_version}/{relative}"

    def _check_next_link(self, contract: GraphContract, link: object) -> str:
        if isinstance(link, str):
            parts = urlsplit(link)
            if (parts.scheme.lower(), parts.netloc.lower()) == self.endpoints.graph_origin and parts.path.startswith(
                f"/{contract.api_version}/"
            ):
                return link
        raise GraphError(
            ReasonCode.MALFORMED_RESPONSE,
            "Graph returned a next-page link outside the configured Graph endpoint.",
            contract=contract.name,
        )

    def _page_items(self, contract: GraphContract, body: JsonObject, status: int | None = 200) -> list[JsonObject]:
        value = body.get("value")
        if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
            raise GraphError(
                ReasonCode.MALFORMED_RESPONSE,
                "Graph returned a collection without a readable 'value' list.",
                status=status,
                contract=contract.name,
            )
        return value

    def _pages(self, contract: GraphContract, url: str) -> Iterator[list[JsonObject]]:
        next_url: str | None = url
        while next_url is not None:
            body, _ = self._execute(contract, "GET", next_url)
            items = self._page_items(contract, body)
            link = body.get("@odata.nextLink")
            next_url = self._check_next_link(contract, link) if link is not None else None
            self.stats.add(pages=1)
            del body  # keep only the items of the current page alive
            yield items

    def _headers(self, contract: GraphContract, token: str, request_id: str) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token}", "client-request-id": request_id}
        if contract.consistency_eventual:
            headers["ConsistencyLevel"] = "eventual"
        return headers

    def _execute(
        self,
        contract: GraphContract,
        method: str,
        url: str,
        *,
        json_body: JsonObject | None = None,
        budget: RetryBudget | None = None,
    ) -> tuple[JsonObject, str]:
        """Send one logical request with retries; return (JSON object, token used)."""
        budget = budget if budget is not None else self._budget()
        while True:
            attempt = budget.begin_attempt()
            token = self._tokens.acquire(deadline=self.deadline)
            try:
                return self._attempt(contract, method, url, token, attempt, json_body), token
            except _Retryable as failure:
                planned = budget.plan(failure.error.retry_after)
                if planned is None:
                    logger.warning(
                        "graph giving up contract=%s reason=%s attempts=%d%s",
                        contract.name,
                        failure.error.reason_code.value,
                        attempt,
                        self._log_context,
                    )
                    raise failure.error from None
                self.stats.add(retries=1)
                logger.info(
                    "graph retry contract=%s reason=%s attempt=%d wait_s=%.3f%s",
                    contract.name,
                    failure.error.reason_code.value,
                    attempt,
                    planned.seconds,
                    self._log_context,
                )
                self._wait(contract, planned)

    def _budget(self) -> RetryBudget:
        return self.retry.start(clock=self._clock, random=self._random, deadline=self.deadline)

    def _wait(self, contract: GraphContract, planned: PlannedWait) -> None:
        if planned.capped:
            logger.warning(
                "graph retry-after capped contract=%s requested_s=%.3f applied_s=%.3f (the %s has no more time left)%s",
                contract.name,
                planned.requested,
                planned.seconds,
                "run's retry budget" if self.deadline is not None else "call's retry budget",
                self._log_context,
            )
        self._sleep(planned.seconds)

    def _attempt(
        self,
        contract: GraphContract,
        method: str,
        url: str,
        token: str,
        attempt: int,
        json_body: JsonObject | None,
    ) -> JsonObject:
        request_id = str(uuid.uuid4())
        started = time.monotonic()
        self.stats.add(requests=1)
        try:
            response = self._http.request(
                method, url, headers=self._headers(contract, token, request_id), json=json_body
            )
        except httpx.TimeoutException:
            self._log(contract, method, "timeout", attempt, started, request_id)
            raise _Retryable(
                GraphError(ReasonCode.TIMEOUT, "Microsoft Graph did not answer in time.", contract=contract.name)
            ) from None
        except httpx.TransportError as exc:
            if is_tls_verification_failure(exc):  # a wrong CA does not heal by retrying: say so at once
                self._log(contract, method, "tls_untrusted", attempt, started, request_id)
                raise GraphError(
                    ReasonCode.TLS_UNTRUSTED,
                    "TLS verification of Microsoft Graph failed: its certificate is not signed by a trusted CA. "
                    "Check TENANTPILOT_GRAPH_CA_BUNDLE (the demo's simulator CA) and any TLS-inspecting proxy.",
                    contract=contract.name,
                ) from None
            self._log(contract, method, "network_error", attempt, started, request_id)
            raise _Retryable(
                GraphError(
                    ReasonCode.NETWORK_ERROR,
                    f"Could not reach Microsoft Graph ({type(exc).__name__}).",
                    contract=contract.name,
                )
            ) from None
        status = response.status_code
        self._log(contract, method, status, attempt, started, request_id)
        if 200 <= status < 300:
            body = _parse_json_object(response)
            if not isinstance(body, dict):
                raise GraphError(
                    ReasonCode.MALFORMED_RESPONSE,
                    "Microsoft Graph returned a response that is not a JSON object.",
                    status=status,
                    contract=contract.name,
                )
            return body
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        error = self._error_for_status(contract, status, _parse_json_object(response), token, retry_after)
        if status in RETRYABLE_STATUSES:
            if status == 429:
                self._throttled(contract)
            raise _Retryable(error)
        raise error

    def _throttled(self, contract: GraphContract) -> None:
        self.stats.add(throttled=1)
        if self._on_throttled is not None:
            self._on_throttled(contract.name)

    def _log(
        self, contract: GraphContract, method: str, status: int | str, attempt: int, started: float, request_id: str
    ) -> None:
        # Successful requests at DEBUG (a big sync makes thousands); anything else at INFO.
        level = logging.DEBUG if isinstance(status, int) and 200 <= status < 300 else logging.INFO
        logger.log(
            level,
            "graph request contract=%s method=%s status=%s attempt=%d duration_ms=%.0f client_request_id=%s%s",
            contract.name,
            method,
            status,
            attempt,
            (time.monotonic() - started) * 1000,
            request_id,
            self._log_context,
        )

    def _error_for_status(
        self,
        contract: GraphContract,
        status: int,
        body: object,
        token: str,
        retry_after: float | None,
    ) -> GraphError:
        code, message = _graph_error_detail(body)
        suffix = _detail_suffix(status, code, message)

        def err(reason: ReasonCode, text: str | None = None) -> GraphError:
            return GraphError(
                reason,
                (text or reason.default_message) + suffix,
                status=status,
                contract=contract.name,
                retry_after=retry_after,
            )

        if status == 429:
            return err(ReasonCode.THROTTLED)
        if status in (500, 502, 503, 504):
            return err(ReasonCode.PROVIDER_UNAVAILABLE)
        if status == 401:
            return err(ReasonCode.AUTH_FAILED, "Microsoft Graph rejected the access token.")
        if status == 403:
            if token_has_roles(token) is False:
                return err(ReasonCode.CONSENT_MISSING)
            return err(
                ReasonCode.PERMISSION_MISSING,
                f"The app lacks the application permission {contract.required_permission}. "
                "Add it to the app registration and grant admin consent.",
            )
        if status == 404:
            return err(ReasonCode.NOT_FOUND)
        if status == 400:
            return err(ReasonCode.BAD_REQUEST)
        if 300 <= status < 400:
            return err(ReasonCode.MALFORMED_RESPONSE, "Microsoft Graph answered with an unexpected redirect.")
        if status >= 500:
            return err(ReasonCode.PROVIDER_UNAVAILABLE)
        return err(ReasonCode.UNKNOWN_ERROR)

    # -- $batch ----------------------------------------------------------------------

    def _batches(self, contract: GraphContract, jobs: list[tuple[str, str]], chunk_size: int) -> Iterator[BatchResult]:
        for start in range(0, len(jobs), chunk_size):
            yield from self._batch_chunk(contract, jobs[start : start + chunk_size])

    def _batch_chunk(self, contract: GraphContract, chunk: list[tuple[str, str]]) -> list[BatchResult]:
        batch_url = f"{self.endpoints.graph_base}/{contract.api_version}/$batch"
        budget = self._budget()
        results: dict[int, BatchResult] = {}
        pending: list[int] = list(range(len(chunk)))
        while True:
            requests = []
            for index in pending:
                inner: JsonObject = {"id": str(index), "method": "GET", "url": "/" + chunk[index][1]}
                if contract.consistency_eventual:
                    inner["headers"] = {"ConsistencyLevel": "eventual"}
                requests.append(inner)
            self.stats.add(batches=1)
            body, token = self._execute(contract, "POST", batch_url, json_body={"requests": requests}, budget=budget)
            responses = body.get("responses")
            if not isinstance(responses, list):
                raise GraphError(
                    ReasonCode.MALFORMED_RESPONSE,
                    "Graph returned a $batch answer without responses.",
                    contract=contract.name,
                )
            by_id = {r.get("id"): r for r in responses if isinstance(r, dict)}
            still_failing: dict[int, GraphError] = {}
            for index in pending:
                key = chunk[index][0]
                outcome = self._inner_outcome(contract, by_id.get(str(index)), token)
                if isinstance(outcome, list):
                    results[index] = BatchResult(key, True, outcome, None)
                elif isinstance(outcome, _Retryable):
                    still_failing[index] = outcome.error
                else:
                    results[index] = BatchResult(key, False, None, outcome)
            if not still_failing:
                break
            retry_afters = [e.retry_after for e in still_failing.values() if e.retry_after is not None]
            planned = budget.plan(max(retry_afters) if retry_afters else None)
            if planned is None:
                for index, error in still_failing.items():
                    results[index] = BatchResult(chunk[index][0], False, None, error)
                break
            self.stats.add(retries=len(still_failing))
            logger.info(
                "graph batch retry contract=%s items=%d wait_s=%.3f%s",
                contract.name,
                len(still_failing),
                planned.seconds,
                self._log_context,
            )
            self._wait(contract, planned)
            pending = list(still_failing)
        return [results[i] for i in range(len(chunk))]

    def _inner_outcome(
        self, contract: GraphContract, response: object, token: str
    ) -> list[JsonObject] | GraphError | _Retryable:
        """Items of a successful inner response, a final error, or a retryable failure."""
        if not isinstance(response, dict) or not isinstance(response.get("status"), int):
            return GraphError(
                ReasonCode.MALFORMED_RESPONSE, "Graph's $batch answer lacked this request.", contract=contract.name
            )
        status: int = response["status"]
        body = response.get("body")
        if 200 <= status < 300:
            if not isinstance(body, dict):
                return GraphError(
                    ReasonCode.MALFORMED_RESPONSE,
                    "Graph returned an unreadable $batch item.",
                    status=status,
                    contract=contract.name,
                )
            if not contract.paged:
                return [body]
            try:
                items = list(self._page_items(contract, body, status))
                link = body.get("@odata.nextLink")
                if link is not None:
                    for page in self._pages(contract, self._check_next_link(contract, link)):
                        items.extend(page)
            except GraphError as exc:
                return exc
            return items
        retry_after = parse_retry_after(_header(response.get("headers"), "Retry-After"))
        error = self._error_for_status(contract, status, body, token, retry_after)
        if status in RETRYABLE_INNER_STATUSES:
            if status == 429:
                self._throttled(contract)
            return _Retryable(error)
        return error
