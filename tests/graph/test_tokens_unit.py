"""Token-side mapping that needs no network: credentials, AADSTS dicts, JWT roles."""

import base64
import json

import pytest

from tenantpilot.graph.endpoints import GraphEndpoints
from tenantpilot.graph.errors import GraphError
from tenantpilot.graph.reasons import ReasonCode
from tenantpilot.graph.tokens import (
    ClientCertificateCredential,
    ClientSecretCredential,
    TokenProvider,
    _error_from_discovery,
    error_from_token_result,
    token_has_roles,
)

CANARY = "CANARY-s3cret-9f8e7d"
TRACE = "0b2c7e0c-1a4f-4b54-8c11-9d6c2f0e5a77"


def aad(code, error="invalid_client", extra=""):
    return {
        "error": error,
        "error_description": f"AADSTS{code}: Something about app 'x' {extra}\r\nTrace ID: {TRACE}\r\n"
        f"Correlation ID: {TRACE}\r\nTimestamp: 2026-01-01 00:00:00Z",
        "error_codes": [code],
        "timestamp": "2026-01-01 00:00:00Z",
        "trace_id": TRACE,
        "correlation_id": TRACE,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (7000215, ReasonCode.AUTH_INVALID_SECRET),
        (7000222, ReasonCode.AUTH_SECRET_EXPIRED),
        (90002, ReasonCode.AUTH_TENANT_NOT_FOUND),
        (900023, ReasonCode.AUTH_TENANT_NOT_FOUND),
        (700016, ReasonCode.AUTH_APP_NOT_FOUND),
        (7000229, ReasonCode.AUTH_SERVICE_PRINCIPAL_MISSING),
        (700027, ReasonCode.AUTH_CERTIFICATE_INVALID),
        (70011, ReasonCode.AUTH_FAILED),
        (7000218, ReasonCode.AUTH_FAILED),
    ],
)
def test_aadsts_codes_map_to_reason_codes(code, reason):
    err = error_from_token_result(aad(code))
    assert err.reason_code is reason
    assert f"AADSTS{code}" in err.message
    assert TRACE in err.message


def test_token_error_message_keeps_code_and_trace_but_not_the_description():
    err = error_from_token_result(aad(7000215, extra=f"secret {CANARY}"))
    assert CANARY not in err.message
    assert "Something about" not in err.message
    assert err.message.startswith(ReasonCode.AUTH_INVALID_SECRET.default_message)


def test_code_is_read_from_the_description_when_error_codes_are_missing():
    result = aad(7000222)
    del result["error_codes"]
    assert error_from_token_result(result).reason_code is ReasonCode.AUTH_SECRET_EXPIRED


def test_invalid_client_without_code_on_a_certificate_is_a_certificate_problem():
    assert (
        error_from_token_result({"error": "invalid_client"}, certificate=True).reason_code
        is ReasonCode.AUTH_CERTIFICATE_INVALID
    )
    assert error_from_token_result({"error": "invalid_client"}).reason_code is ReasonCode.AUTH_FAILED


def test_bogus_trace_id_is_not_copied_into_the_message():
    result = aad(7000215)
    result["trace_id"] = f"<script>{CANARY}"
    assert CANARY not in error_from_token_result(result).message


def test_msal_discovery_failure_for_unknown_tenant_maps_to_tenant_not_found():
    body = json.dumps({"error": "invalid_tenant", "error_description": "AADSTS90002: Tenant 'x' not found."})
    exc = ValueError(
        f"OIDC Discovery failed on https://h/x/v2.0/.well-known/openid-configuration. HTTP status: 400, Error: {body}"
    )
    err = _error_from_discovery(exc)
    assert err.reason_code is ReasonCode.AUTH_TENANT_NOT_FOUND
    assert err.status == 400
    assert "AADSTS90002" in err.message


def _jwt(payload):
    def enc(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{enc({'alg': 'RS256', 'typ': 'JWT'})}.{enc(payload)}.sig"


def test_token_has_roles_reads_the_unverified_payload():
    assert token_has_roles(_jwt({"roles": ["Group.Read.All"]})) is True
    assert token_has_roles(_jwt({"appid": "x"})) is False
    assert token_has_roles(_jwt({"roles": []})) is False
    assert token_has_roles("not-a-jwt") is None
    assert token_has_roles("a.!!!.c") is None


def test_credential_repr_and_str_never_show_the_secret():
    cred = ClientSecretCredential(secret=CANARY)
    assert CANARY not in repr(cred)
    assert CANARY not in str(cred)
    cert = ClientCertificateCredential(private_key_pem=f"-----BEGIN PRIVATE KEY-----{CANARY}", thumbprint="AB" * 20)
    assert CANARY not in repr(cert)
    assert CANARY not in str(cert)
    assert "AB" * 20 in repr(cert)


def test_token_provider_repr_never_shows_the_secret():
    provider = TokenProvider(
        GraphEndpoints(),
        tenant_id="contoso.onmicrosoft.com",
        client_id="abc",
        credential=ClientSecretCredential(CANARY),
    )
    assert CANARY not in repr(provider)
    assert CANARY not in str(provider)


@pytest.mark.parametrize("tenant", ["", "a/b", "../x", "x y", "?"])
def test_token_provider_rejects_malformed_tenant_ids_before_any_request(tenant):
    provider = TokenProvider(
        GraphEndpoints(), tenant_id=tenant, client_id="abc", credential=ClientSecretCredential("s")
    )
    with pytest.raises(GraphError) as info:
        provider.acquire()
    assert info.value.reason_code is ReasonCode.AUTH_TENANT_NOT_FOUND


def test_token_provider_rejects_unknown_credential_types():
    with pytest.raises(TypeError):
        TokenProvider(GraphEndpoints(), tenant_id="t", client_id="c", credential="plain-string")  # type: ignore[arg-type]


def test_endpoints_validate_and_normalise():
    ep = GraphEndpoints(authority_base="https://127.0.0.1:8443/", graph_base="https://127.0.0.1:9443/")
    assert ep.authority_base == "https://127.0.0.1:8443"
    assert ep.graph_base == "https://127.0.0.1:9443"
    assert not ep.is_microsoft_authority
    assert GraphEndpoints().is_microsoft_authority
    assert ep.token_scope == "https://graph.microsoft.com/.default"
    assert ep.authority_for("t1") == "https://127.0.0.1:8443/t1"
    with pytest.raises(ValueError):
        GraphEndpoints(authority_base="http://127.0.0.1:8443")
    with pytest.raises(ValueError):
        GraphEndpoints(graph_base="https://graph.microsoft.com/v1.0")
