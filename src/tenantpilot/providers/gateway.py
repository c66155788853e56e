"""The provider gateway: the only caller of the Graph client.

It turns a ``ProviderConnection`` into a ready ``GraphClient``: endpoints from settings (Microsoft
or the simulator), the decrypted credential from the credential manager, and one MSAL token
cache per connection and credential version, kept for the life of the worker process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings

from tenantpilot.graph.client import GraphClient
from tenantpilot.graph.endpoints import GraphEndpoints
from tenantpilot.graph.retry import ClockFn, Deadline, RetryPolicy, SleepFn
from tenantpilot.graph.tokens import ClientCertificateCredential, ClientSecretCredential, TokenProvider

from .credentials import CertificateMaterial, CredentialUnavailable, credential_material
from .models import ProviderConnection, ProviderCredential

logger = logging.getLogger("tenantpilot.providers.gateway")

_providers: dict[tuple[int, str], TokenProvider] = {}
_providers_lock = threading.Lock()
# How retry waits pass: real time, unless a test swaps in a recorder (see retry_timing()).
_timing: tuple[SleepFn, ClockFn] = (time.sleep, time.monotonic)


def _sleep(seconds: float) -> None:
    _timing[0](seconds)


def _clock() -> float:
    return _timing[1]()


@contextmanager
def retry_timing(sleep: SleepFn, clock: ClockFn) -> Iterator[None]:
    """Tests: every retry wait of Graph and token calls made through the gateway goes to
    ``sleep`` and budgets read ``clock`` (e.g. a recorder that advances a fake clock), so a
    test never really waits for a Retry-After. Restores real time on exit."""
    global _timing
    previous, _timing = _timing, (sleep, clock)
    try:
        yield
    finally:
        _timing = previous


def graph_endpoints() -> GraphEndpoints:
    """Where Graph and the identity platform are, from settings."""
    return GraphEndpoints(
        authority_base=settings.TENANTPILOT_GRAPH_AUTHORITY_BASE,
        graph_base=settings.TENANTPILOT_GRAPH_BASE,
        ca_bundle=settings.TENANTPILOT_GRAPH_CA_BUNDLE,
    )


def _token_provider(connection: ProviderConnection, endpoints: GraphEndpoints) -> TokenProvider:
    credential = ProviderCredential.objects.filter(connection=connection).only("updated_at").first()
    version = credential.updated_at.isoformat() if credential else ""
    key = (connection.pk, f"{version}|{endpoints.authority_base}|{connection.client_id}|{connection.entra_tenant_id}")
    with _providers_lock:
        provider = _providers.get(key)
        if provider is None:
            material = credential_material(connection)
            graph_credential: ClientSecretCredential | ClientCertificateCredential
            if isinstance(material, CertificateMaterial):
                graph_credential = ClientCertificateCredential(
                    private_key_pem=material.private_key_pem,
                    thumbprint=material.thumbprint,
                    public_certificate_pem=material.certificate_pem,
                )
            else:
                graph_credential = ClientSecretCredential(material.client_secret)
            # A replaced credential gets a new key: drop the stale cache of this connection.
            for stale in [k for k in _providers if k[0] == connection.pk]:
                del _providers[stale]
            provider = TokenProvider(
                endpoints,
                tenant_id=connection.entra_tenant_id,
                client_id=connection.client_id,
                credential=graph_credential,
                sleep=_sleep,
                clock=_clock,
            )
            _providers[key] = provider
        return provider


CredentialUnavailableHook = Callable[[ProviderConnection, CredentialUnavailable], None]
_credential_unavailable_hooks: list[CredentialUnavailableHook] = []


def on_credential_unavailable(hook: CredentialUnavailableHook) -> None:
    """Register ``hook`` (idempotent): called with the connection and the error whenever
    ``graph_client`` cannot open the connection's stored credential, before the error propagates.

    ``providers.operation_handlers`` registers the one that records the connection as unhealthy,
    so every run that needs the credential (health check, inventory sync, anything later) marks
    it, not only the health check. A failing hook is logged by type and never hides the error.
    """
    if hook not in _credential_unavailable_hooks:
        _credential_unavailable_hooks.append(hook)


def forget_connection(connection_id: int) -> None:
    """Drop the cached token provider of a connection (after its credential changed or it was deleted)."""
    with _providers_lock:
        for stale in [k for k in _providers if k[0] == connection_id]:
            del _providers[stale]


def clear_token_cache() -> None:
    """Drop every cached token provider (tests; after changing the Graph endpoints)."""
    with _providers_lock:
        _providers.clear()


@contextmanager
def graph_client(
    connection: ProviderConnection,
    *,
    retry: RetryPolicy | None = None,
    retry_budget_seconds: float | None = None,
    log_context: str = "",
    on_throttled: Callable[[str], None] | None = None,
) -> Iterator[GraphClient]:
    """A Graph client for ``connection``, closed on exit. Workers only: never in a request.

    ``retry_budget_seconds`` is the run's retry budget: every retry wait of this client's
    calls and token acquisitions ends within it (a longer Retry-After is shortened and
    logged). Without it each call has ``retry.max_total_seconds``. ``log_context`` (e.g.
    ``run=42``) is added to the client's log lines; ``on_throttled`` is the client's hook
    (:class:`GraphClient`).
    """
    endpoints = graph_endpoints()
    deadline = Deadline(retry_budget_seconds, clock=_clock) if retry_budget_seconds is not None else None
    try:
        token_provider = _token_provider(connection, endpoints)
    except CredentialUnavailable as error:
        for hook in list(_credential_unavailable_hooks):
            try:
                hook(connection, error)
            except Exception as exc:  # noqa: BLE001 - the credential error is what the run must report
                logger.error("credential-unavailable hook failed: %s", type(exc).__name__)
        raise
    client = GraphClient(
        endpoints,
        token_provider,
        retry=retry,
        sleep=_sleep,
        clock=_clock,
        deadline=deadline,
        log_context=log_context,
        on_throttled=on_throttled,
    )
    try:
        yield client
    finally:
        client.close()


def token_has_roles(client: GraphClient) -> bool | None:
    """Whether the client's last token carried application permissions (None before any token)."""
    source = client.token_source
    return source.has_roles() if isinstance(source, TokenProvider) else None
