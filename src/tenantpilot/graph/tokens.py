"""App-only token acquisition through MSAL, one confidential client (and token cache) per connection."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import random as _random
import re
import threading
import time
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import certifi
import msal
import requests

from tenantpilot.graph.endpoints import GraphEndpoints
from tenantpilot.graph.errors import GraphError
from tenantpilot.graph.reasons import ReasonCode
from tenantpilot.graph.retry import ClockFn, Deadline, RandomFn, RetryPolicy, SleepFn, parse_retry_after

logger = logging.getLogger("tenantpilot.graph")

DEFAULT_TOKEN_TIMEOUT = 30.0

_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,99}$")
_TRACE_ID = re.compile(r"^[0-9A-Fa-f-]{8,64}$")
_AADSTS = re.compile(r"AADSTS(\d{4,8})")

AADSTS_REASONS: Mapping[int, ReasonCode] = {
    7000215: ReasonCode.AUTH_INVALID_SECRET,
    7000222: ReasonCode.AUTH_SECRET_EXPIRED,
    90002: ReasonCode.AUTH_TENANT_NOT_FOUND,
    900023: ReasonCode.AUTH_TENANT_NOT_FOUND,
    700016: ReasonCode.AUTH_APP_NOT_FOUND,
    7000229: ReasonCode.AUTH_SERVICE_PRINCIPAL_MISSING,
    # Client assertion problems: bad signature / unknown or expired key, assertion outside
    # its validity window, missing thumbprint header.
    700027: ReasonCode.AUTH_CERTIFICATE_INVALID,
    700024: ReasonCode.AUTH_CERTIFICATE_INVALID,
    7000274: ReasonCode.AUTH_CERTIFICATE_INVALID,
}


@dataclass(frozen=True)
class ClientSecretCredential:
    """An app registration's client secret. ``repr``/``str`` never show the secret."""

    secret: str = field(repr=False)

    def __str__(self) -> str:
        return repr(self)


@dataclass(frozen=True)
class ClientCertificateCredential:
    """A certificate credential: PEM private key (never shown by ``repr``/``str``), the
    certificate's SHA-1 thumbprint in hex, and optionally the public certificate PEM
    (sent as ``x5c`` for subject-name/issuer authentication)."""

    private_key_pem: str = field(repr=False)
    thumbprint: str
    public_certificate_pem: str | None = field(default=None, repr=False)

    def __str__(self) -> str:
        return repr(self)


Credential = ClientSecretCredential | ClientCertificateCredential


def token_claims(token: str) -> dict[str, Any] | None:
    """The JWT payload of ``token`` decoded WITHOUT verifying it (only to read ``roles``).

    Returns None when the token is not a readable JWT.
    """
    parts = token.split(".")
    if len(parts) < 2:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        return None
    return data if isinstance(data, dict) else None


def token_has_roles(token: str) -> bool | None:
    """True when the app-only token carries at least one application permission (``roles``),
    False when it carries none (admin consent missing), None when it cannot be read."""
    claims = token_claims(token)
    if claims is None:
        return None
    roles = claims.get("roles")
    return isinstance(roles, list) and len(roles) > 0


def _trace_suffix(code: int | None, trace_id: object) -> str:
    bits = []
    if code is not None:
        bits.append(f"AADSTS{code}")
    if isinstance(trace_id, str) and _TRACE_ID.fullmatch(trace_id):
        bits.append(f"trace {trace_id}")
    return f" ({'; '.join(bits)})" if bits else ""


def error_from_token_result(result: Mapping[str, Any], *, certificate: bool = False) -> GraphError:
    """Map MSAL's error dict (the token endpoint's JSON) to a :class:`GraphError`.

    Keeps only the AADSTS code and the trace id; never the error_description, which may
    echo request details.
    """
    codes: list[int] = []
    raw_codes = result.get("error_codes")
    if isinstance(raw_codes, list):
        codes = [c for c in raw_codes if isinstance(c, int) and not isinstance(c, bool)]
    if not codes:
        m = _AADSTS.match(str(result.get("error_description") or ""))
        if m:
            codes = [int(m.group(1))]
    error = str(result.get("error") or "")
    reason: ReasonCode | None = None
    for code in codes:
        reason = AADSTS_REASONS.get(code)
        if reason is not None:
            break
    if reason is None:
        if error == "invalid_tenant":
            reason = ReasonCode.AUTH_TENANT_NOT_FOUND
        elif error in ("temporarily_unavailable", "server_error"):
            reason = ReasonCode.PROVIDER_UNAVAILABLE
        elif certificate and error == "invalid_client":
            reason = ReasonCode.AUTH_CERTIFICATE_INVALID
        else:
            reason = ReasonCode.AUTH_FAILED
    first = codes[0] if codes else None
    suffix = _trace_suffix(first, result.get("trace_id"))
    if first is None and re.fullmatch(r"[a-z_]{1,40}", error):
        suffix = f" ({error}{'; ' + suffix[2:-1] if suffix else ''})"
    return GraphError(reason, reason.default_message + suffix)


def _error_from_discovery(exc: ValueError) -> GraphError:
    """MSAL raises ValueError('OIDC Discovery failed on … HTTP status: 400, Error: <body>'),
    and since 1.2x re-raises it as 'Unable to get authority configuration …' with the
    original as ``__context__``; read the whole chain."""
    chain: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(chain) < 5:
        chain.append(str(seen))
        seen = seen.__cause__ or seen.__context__
    text = "\n".join(chain)
    status_match = re.search(r"HTTP status: (\d{3})", text)
    status = int(status_match.group(1)) if status_match else None
    codes = _AADSTS.findall(text)
    code = int(codes[0]) if codes else None
    if "invalid_tenant" in text or code in (90002, 900023):
        reason = ReasonCode.AUTH_TENANT_NOT_FOUND
    elif status is not None and status >= 500:
        reason = ReasonCode.PROVIDER_UNAVAILABLE
    else:
        reason = ReasonCode.AUTH_FAILED
    detail = (
        " (authority discovery failed" + (f", HTTP {status}" if status else "") + (f"; AADSTS{code})" if code else ")")
    )
    return GraphError(reason, reason.default_message + detail, status=status)


class _Transient(Exception):
    """Internal: a token attempt failed in a way that may succeed when tried again
    (the sign-in service answered 429/5xx, reset the connection or timed out)."""

    def __init__(self, error: GraphError) -> None:
        super().__init__(error.message)
        self.error = error


def _error_from_transport(exc: Exception) -> GraphError | _Transient:
    """A transport failure: TLS verification errors are final, everything else transient."""
    if isinstance(exc, requests.exceptions.SSLError):
        return GraphError(
            ReasonCode.TLS_UNTRUSTED,
            "TLS verification of the sign-in service failed: its certificate is not signed by a trusted CA. "
            "Check TENANTPILOT_GRAPH_CA_BUNDLE (the demo's simulator CA) and any TLS-inspecting proxy.",
        )
    if isinstance(exc, requests.exceptions.Timeout):
        return _Transient(GraphError(ReasonCode.TIMEOUT, "The sign-in service did not answer in time. Retry later."))
    if isinstance(exc, requests.exceptions.HTTPError):
        status = exc.response.status_code if exc.response is not None else None
        return _Transient(_unavailable(status, None))
    return _Transient(
        GraphError(ReasonCode.NETWORK_ERROR, "Could not reach the sign-in service. Check the network and proxy.")
    )


def _unavailable(status: int | None, retry_after: float | None) -> GraphError:
    reason = ReasonCode.THROTTLED if status == 429 else ReasonCode.PROVIDER_UNAVAILABLE
    detail = f" (sign-in service HTTP {status})" if status else " (sign-in service)"
    return GraphError(reason, reason.default_message + detail, status=status, retry_after=retry_after)


class _NoHttpCache(MutableMapping[str, Any]):
    """An ``http_cache`` for MSAL that keeps nothing.

    MSAL (1.39, ``throttled_http_client``) otherwise remembers a 429/5xx answer of the token
    endpoint for its Retry-After (5 s when absent) and replays it to every later request of
    the same client and scope without asking the server: one 503 then fails every thread of
    a sync at once, and no retry of ours could ever reach the server. Retrying and waiting
    is done by :class:`TokenProvider` with the same policy as Graph calls instead.
    """

    def __getitem__(self, key: str) -> Any:
        raise KeyError(key)

    def __setitem__(self, key: str, value: Any) -> None:
        pass

    def __delitem__(self, key: str) -> None:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class _TrustingSession(requests.Session):
    """A requests session that ignores REQUESTS_CA_BUNDLE/proxy variables, always times out,
    and remembers the status and Retry-After of the last answer (MSAL drops both)."""

    def __init__(self, verify: str, timeout: float) -> None:
        super().__init__()
        # REQUESTS_CA_BUNDLE would override .verify when trust_env is on.
        self.trust_env = False
        self.verify = verify
        self._default_timeout = timeout
        self.last_status: int | None = None
        self.last_retry_after: float | None = None

    def forget_last_answer(self) -> None:
        """Clear what :meth:`request` remembered (before a new attempt)."""
        self.last_status, self.last_retry_after = None, None

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._default_timeout
        response = super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]
        self.last_status = response.status_code
        self.last_retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return response


@dataclass
class TokenStats:
    """Counters for benchmarks: tokens handed out and how many needed the identity provider."""

    acquired: int = 0
    from_identity_provider: int = 0
    retries: int = 0


class TokenProvider:
    """Hands out app-only Graph access tokens for one connection (tenant + app + credential).

    Guarantees: one ``msal.ConfidentialClientApplication`` — and so one token cache — per
    instance, created lazily on first use (MSAL runs authority discovery in its
    constructor); a cached token is reused until MSAL decides to refresh it; concurrent
    callers are serialized so a cold cache causes a single token request, and callers
    that waited while an acquisition failed get that failure instead of starting over.
    A 429/5xx answer, a reset connection or a timeout of the sign-in service (discovery
    or token request) is retried with ``retry`` — the same policy as Graph calls: the
    server's Retry-After, else full-jitter backoff, within ``deadline`` when the caller
    passes one — and MSAL's own replay of such answers is switched off (see
    :class:`_NoHttpCache`). What still fails is raised as :class:`GraphError`:
    ``provider_unavailable``/``throttled``/``network_error``/``timeout`` for the sign-in
    service, an ``auth_*`` code for the connection's credentials; messages never contain
    the secret, the assertion, the token or the full ``error_description``.
    """

    def __init__(
        self,
        endpoints: GraphEndpoints,
        *,
        tenant_id: str,
        client_id: str,
        credential: Credential,
        timeout: float = DEFAULT_TOKEN_TIMEOUT,
        retry: RetryPolicy | None = None,
        sleep: SleepFn = time.sleep,
        clock: ClockFn = time.monotonic,
        random: RandomFn = _random.random,
    ) -> None:
        if not isinstance(credential, (ClientSecretCredential, ClientCertificateCredential)):
            raise TypeError("credential must be a ClientSecretCredential or ClientCertificateCredential")
        self.endpoints = endpoints
        self.tenant_id = tenant_id
        self.client_id = client_id
        self._credential = credential
        self._timeout = timeout
        self.retry = retry if retry is not None else RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._random = random
        self._lock = threading.RLock()
        self._app: msal.ConfidentialClientApplication | None = None
        self._session: _TrustingSession | None = None
        self._last_token: str | None = None
        self._failures = 0  # acquisitions that ended in an error, for callers queued behind them
        self._last_failure: GraphError | None = None
        self.stats = TokenStats()

    def __repr__(self) -> str:
        kind = "certificate" if self.uses_certificate else "secret"
        return f"TokenProvider(tenant_id={self.tenant_id!r}, client_id={self.client_id!r}, credential={kind})"

    @property
    def uses_certificate(self) -> bool:
        """True for a certificate credential."""
        return isinstance(self._credential, ClientCertificateCredential)

    def _msal_credential(self) -> str | dict[str, str]:
        c = self._credential
        if isinstance(c, ClientSecretCredential):
            return c.secret
        cred = {"private_key": c.private_key_pem, "thumbprint": c.thumbprint.replace(":", "").upper()}
        if c.public_certificate_pem:
            cred["public_certificate"] = c.public_certificate_pem
        return cred

    def _build_app(self) -> msal.ConfidentialClientApplication:
        if not _TENANT.fullmatch(self.tenant_id or ""):
            raise GraphError(
                ReasonCode.AUTH_TENANT_NOT_FOUND,
                "The tenant ID is not a valid GUID or domain name. Check the connection.",
            )
        if not _CLIENT_ID.fullmatch(self.client_id or ""):
            raise GraphError(ReasonCode.AUTH_APP_NOT_FOUND, "The client ID is not valid. Check the connection.")
        verify = self.endpoints.ca_bundle or certifi.where()
        session = self._session = _TrustingSession(verify, self._timeout)
        kwargs: dict[str, Any] = {}
        if not self.endpoints.is_microsoft_authority:
            # MSAL would otherwise ask login.microsoftonline.com to validate a foreign host.
            kwargs["instance_discovery"] = False
        try:
            return msal.ConfidentialClientApplication(
                self.client_id,
                client_credential=self._msal_credential(),
                authority=self.endpoints.authority_for(self.tenant_id),
                http_client=session,
                http_cache=_NoHttpCache(),
                **kwargs,
            )
        except requests.exceptions.RequestException as exc:
            raise _error_from_transport(exc) from None
        except msal.exceptions.MsalServiceError:
            # MSAL raises this (without the answer) for a 5xx of the discovery document.
            raise _Transient(_unavailable(session.last_status, session.last_retry_after)) from None
        except ValueError as exc:
            if "OIDC Discovery" in str(exc) or "authority configuration" in str(exc):
                error = _error_from_discovery(exc)
                if error.reason_code is ReasonCode.PROVIDER_UNAVAILABLE:
                    raise _Transient(error) from None
                raise error from None
            if self.uses_certificate:
                raise GraphError(ReasonCode.AUTH_CERTIFICATE_INVALID) from None
            raise GraphError(ReasonCode.AUTH_FAILED, "The connection's settings were rejected by MSAL.") from None
        except Exception as exc:  # noqa: BLE001 - anything else must still become a reason code
            if self.uses_certificate:
                raise GraphError(ReasonCode.AUTH_CERTIFICATE_INVALID) from None
            raise GraphError(ReasonCode.UNKNOWN_ERROR, f"Token setup failed ({type(exc).__name__}).") from None

    def acquire(self, *, deadline: Deadline | None = None) -> str:
        """An access token for ``endpoints.token_scope``, from the cache when still valid.

        Transient failures of the sign-in service are retried (waits end by ``deadline``
        when given, else within ``retry.max_total_seconds``). Raises :class:`GraphError`
        on any failure that remains.
        """
        failures_seen = self._failures
        with self._lock:
            shared = self._last_failure
            if self._failures != failures_seen and shared is not None:
                # An acquisition failed (after its retries) while this caller waited for the
                # lock: share its outcome rather than spend another full retry budget.
                raise GraphError(shared.reason_code, shared.message, status=shared.status)
            budget = self.retry.start(clock=self._clock, random=self._random, deadline=deadline)
            while True:
                attempt = budget.begin_attempt()
                try:
                    return self._attempt()
                except _Transient as failure:
                    error = failure.error
                    planned = budget.plan(error.retry_after)
                    if planned is None:
                        self._failed(error, attempt)
                        raise error from None
                    self.stats.retries += 1
                    logger.info(
                        "graph token retry tenant=%s client=%s reason=%s attempt=%d wait_s=%.3f",
                        self.tenant_id,
                        self.client_id,
                        error.reason_code.value,
                        attempt,
                        planned.seconds,
                    )
                    if planned.capped:
                        logger.warning(
                            "graph token retry-after capped tenant=%s client=%s requested_s=%.3f applied_s=%.3f",
                            self.tenant_id,
                            self.client_id,
                            planned.requested,
                            planned.seconds,
                        )
                    self._sleep(planned.seconds)
                except GraphError as error:
                    self._failed(error, attempt)
                    raise

    def _failed(self, error: GraphError, attempts: int) -> None:
        self._last_failure = error
        self._failures += 1
        logger.warning(
            "graph token failed tenant=%s client=%s reason=%s attempts=%d",
            self.tenant_id,
            self.client_id,
            error.reason_code.value,
            attempts,
        )

    def _attempt(self) -> str:
        """One try: build the MSAL app if needed, then ask it for a token. Raises
        :class:`_Transient` for what may succeed on another try, else :class:`GraphError`."""
        if self._session is not None:
            self._session.forget_last_answer()
        if self._app is None:
            self._app = self._build_app()
        app, session = self._app, self._session
        try:
            result = app.acquire_token_for_client(scopes=[self.endpoints.token_scope])
        except requests.exceptions.RequestException as exc:
            raise _error_from_transport(exc) from None
        except msal.exceptions.MsalServiceError:
            # MSAL raises this, without the answer, for a 5xx of the token endpoint.
            status = session.last_status if session is not None else None
            retry_after = session.last_retry_after if session is not None else None
            raise _Transient(_unavailable(status, retry_after)) from None
        except json.JSONDecodeError:
            raise GraphError(
                ReasonCode.MALFORMED_RESPONSE, "The sign-in service returned an unreadable answer."
            ) from None
        except Exception as exc:  # noqa: BLE001 - key/assertion problems surface as many types
            if self.uses_certificate:
                raise GraphError(ReasonCode.AUTH_CERTIFICATE_INVALID) from None
            raise GraphError(ReasonCode.UNKNOWN_ERROR, f"Token request failed ({type(exc).__name__}).") from None
        if not isinstance(result, dict):
            raise GraphError(ReasonCode.MALFORMED_RESPONSE, "The sign-in service returned an unreadable answer.")
        token = result.get("access_token")
        if isinstance(token, str) and token:
            self.stats.acquired += 1
            if result.get("token_source") != "cache":
                self.stats.from_identity_provider += 1
                logger.info(
                    "graph token acquired tenant=%s client=%s credential=%s",
                    self.tenant_id,
                    self.client_id,
                    "certificate" if self.uses_certificate else "secret",
                )
            self._last_token = token
            return token
        error = error_from_token_result(result, certificate=self.uses_certificate)
        status = session.last_status if session is not None else None
        if (
            status == 429
            or (status is not None and status >= 500)
            or error.reason_code is ReasonCode.PROVIDER_UNAVAILABLE
        ):
            retry_after = session.last_retry_after if session is not None else None
            if status == 429:
                raise _Transient(_unavailable(status, retry_after))
            raise _Transient(GraphError(error.reason_code, error.message, status=status, retry_after=retry_after))
        raise error

    def has_roles(self) -> bool | None:
        """Whether the last token handed out carries application permissions (None if none yet)."""
        with self._lock:
            token = self._last_token
        return None if token is None else token_has_roles(token)
