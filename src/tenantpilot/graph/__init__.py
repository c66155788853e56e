"""The one path to Microsoft Graph: contract registry, MSAL token acquisition, and an httpx
client with paging, throttling/retry and failure → reason-code mapping.

Pure Python (no Django): the Django layer passes configuration in through
:class:`GraphEndpoints`, a credential and a :class:`RetryPolicy`.
"""

from tenantpilot.graph.client import BatchResult, GraphClient, GraphStats
from tenantpilot.graph.contracts import (
    CONTRACTS,
    GraphContract,
    InvalidPathParameter,
    UnknownContract,
    contract_names,
    get_contract,
)
from tenantpilot.graph.endpoints import GraphEndpoints
from tenantpilot.graph.errors import GraphError, sanitize_message
from tenantpilot.graph.reasons import ReasonCode
from tenantpilot.graph.retry import Deadline, RetryPolicy, full_jitter_backoff, parse_retry_after
from tenantpilot.graph.tokens import (
    ClientCertificateCredential,
    ClientSecretCredential,
    Credential,
    TokenProvider,
    token_has_roles,
)

__all__ = [
    "CONTRACTS",
    "BatchResult",
    "ClientCertificateCredential",
    "ClientSecretCredential",
    "Credential",
    "Deadline",
    "GraphClient",
    "GraphContract",
    "GraphEndpoints",
    "GraphError",
    "GraphStats",
    "InvalidPathParameter",
    "ReasonCode",
    "RetryPolicy",
    "TokenProvider",
    "UnknownContract",
    "contract_names",
    "full_jitter_backoff",
    "get_contract",
    "parse_retry_after",
    "sanitize_message",
    "token_has_roles",
]
