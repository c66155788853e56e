"""The provider gateway: the only caller of the Graph client.

It turns a ``ProviderConnection`` into a ready ``GraphClient``: endpoints from settings (Microsoft
or the simulator), the decrypted credential from the credential manager, and one MSAL token
cache per connection and credential version, kept for the life of the worker process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

from tenantpilot.graph.client import GraphClient
from tenantpilot.graph.endpoints import GraphEndpoints
from tenantpilot.graph.retry import RetryPolicy
from tenantpilot.graph.tokens import ClientCertificateCredential, ClientSecretCredential, TokenProvider

from .credentials import CertificateMaterial, credential_material
from .models import ProviderConnection, ProviderCredential

_providers: dict[tuple[int, str], TokenProvider] = {}
_providers_lock = threading.Lock()


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
                endpoints, tenant_id=connection.entra_tenant_id, client_id=connection.client_id, credential=graph_credential
            )
            _providers[key] = provider
        return provider


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
def graph_client(connection: ProviderConnection, *, retry: RetryPolicy | None = None) -> Iterator[GraphClient]:
    """A Graph client for ``connection``, closed on exit. Workers only: never in a request."""
    endpoints = graph_endpoints()
    client = GraphClient(endpoints, _token_provider(connection, endpoints), retry=retry)
    try:
        yield client
    finally:
        client.close()


def token_has_roles(client: GraphClient) -> bool | None:
    """Whether the client's last token carried application permissions (None before any token)."""
    source = client.token_source
    return source.has_roles() if isinstance(source, TokenProvider) else None
