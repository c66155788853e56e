"""MSAL end to end against graphsim: secret and certificate, caching, and each auth failure."""

from __future__ import annotations

import logging
import threading

import certifi
import pytest

from tenantpilot.graph.errors import GraphError
from tenantpilot.graph.reasons import ReasonCode
from tenantpilot.graph.tokens import ClientCertificateCredential, ClientSecretCredential, token_claims

from .conftest import (
    APP_CERT,
    APP_EXPIRED,
    APP_FULL,
    APP_NO_CONSENT,
    APP_NO_SP,
    APP_UNKNOWN,
    CANARY_SECRET,
    EXPIRED_SECRET,
    OTHER_TENANT_ID,
    TENANT_ID,
    login_requests,
    make_app_certificate,
)


def test_client_secret_yields_an_app_token_with_roles(graphsim, make_provider):
    provider = make_provider(APP_FULL)
    token = provider.acquire()
    claims = token_claims(token)
    assert claims is not None
    assert claims["tid"] == TENANT_ID
    assert claims["appid"] == APP_FULL
    assert "DeviceManagementConfiguration.Read.All" in claims["roles"]
    assert provider.has_roles() is True


def test_client_certificate_yields_an_app_token(graphsim, make_provider, app_certificate):
    provider = make_provider(APP_CERT, app_certificate.credential())
    claims = token_claims(provider.acquire())
    assert claims is not None
    assert claims["appid"] == APP_CERT
    assert claims.get("appidacr") == "2"


def test_certificate_without_public_pem_uses_the_sha1_thumbprint(graphsim, make_provider, app_certificate):
    credential = ClientCertificateCredential(
        private_key_pem=app_certificate.private_key_pem, thumbprint=app_certificate.thumbprint
    )
    assert token_claims(make_provider(APP_CERT, credential).acquire()) is not None


def test_second_acquire_comes_from_the_cache(graphsim, make_provider):
    provider = make_provider(APP_FULL)
    first = provider.acquire()
    posts = len(login_requests(graphsim, "POST"))
    assert posts == 1
    assert provider.acquire() == first
    assert len(login_requests(graphsim, "POST")) == posts
    assert provider.stats.from_identity_provider == 1
    assert provider.stats.acquired == 2


def test_each_provider_has_its_own_cache(graphsim, make_provider):
    make_provider(APP_FULL).acquire()
    make_provider(APP_FULL).acquire()
    assert len(login_requests(graphsim, "POST")) == 2


def test_concurrent_first_acquires_make_one_token_request(graphsim, make_provider):
    provider = make_provider(APP_FULL)
    tokens: list[str] = []
    threads = [threading.Thread(target=lambda: tokens.append(provider.acquire())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(tokens)) == 1 and len(tokens) == 8
    assert len(login_requests(graphsim, "POST")) == 1


def test_requests_ca_bundle_in_the_environment_does_not_override_our_ca(graphsim, make_provider, monkeypatch):
    # With trust_env on, requests would verify the simulator against certifi and fail.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    monkeypatch.setenv("CURL_CA_BUNDLE", certifi.where())
    assert make_provider(APP_FULL).acquire()


def _reason(provider) -> GraphError:
    with pytest.raises(GraphError) as info:
        provider.acquire()
    return info.value


def test_wrong_secret_is_auth_invalid_secret(graphsim, make_provider):
    err = _reason(make_provider(APP_FULL, ClientSecretCredential("wrong-" + CANARY_SECRET)))
    assert err.reason_code is ReasonCode.AUTH_INVALID_SECRET
    assert "AADSTS7000215" in err.message
    assert CANARY_SECRET not in err.message


def test_expired_secret_is_auth_secret_expired(graphsim, make_provider):
    err = _reason(make_provider(APP_EXPIRED, ClientSecretCredential(EXPIRED_SECRET)))
    assert err.reason_code is ReasonCode.AUTH_SECRET_EXPIRED
    assert EXPIRED_SECRET not in err.message


def test_unknown_tenant_is_auth_tenant_not_found(graphsim, make_provider):
    err = _reason(make_provider(APP_FULL, tenant_id=OTHER_TENANT_ID))
    assert err.reason_code is ReasonCode.AUTH_TENANT_NOT_FOUND


def test_malformed_tenant_name_is_auth_tenant_not_found(graphsim, make_provider):
    err = _reason(make_provider(APP_FULL, tenant_id="not_a_domain"))
    assert err.reason_code is ReasonCode.AUTH_TENANT_NOT_FOUND


def test_unknown_app_is_auth_app_not_found(graphsim, make_provider):
    assert _reason(make_provider(APP_UNKNOWN)).reason_code is ReasonCode.AUTH_APP_NOT_FOUND


def test_missing_service_principal_is_reported(graphsim, make_provider):
    assert _reason(make_provider(APP_NO_SP)).reason_code is ReasonCode.AUTH_SERVICE_PRINCIPAL_MISSING


def test_unregistered_certificate_is_auth_certificate_invalid(graphsim, make_provider):
    stranger = make_app_certificate("not-uploaded")
    err = _reason(make_provider(APP_CERT, stranger.credential()))
    assert err.reason_code is ReasonCode.AUTH_CERTIFICATE_INVALID


def test_unreadable_private_key_is_auth_certificate_invalid(graphsim, make_provider, app_certificate):
    credential = ClientCertificateCredential(
        private_key_pem="-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n",
        thumbprint=app_certificate.thumbprint,
    )
    err = _reason(make_provider(APP_CERT, credential))
    assert err.reason_code is ReasonCode.AUTH_CERTIFICATE_INVALID
    assert "not a key" not in err.message


def test_unconsented_app_gets_a_token_without_roles(graphsim, make_provider):
    provider = make_provider(APP_NO_CONSENT)
    provider.acquire()
    assert provider.has_roles() is False


def test_unreachable_authority_is_network_error(make_provider, graphsim):
    from tenantpilot.graph.endpoints import GraphEndpoints
    from tenantpilot.graph.tokens import TokenProvider

    dead = GraphEndpoints(
        authority_base="https://127.0.0.1:9", graph_base=graphsim.graph_base, ca_bundle=graphsim.ca_path
    )
    provider = TokenProvider(dead, tenant_id=TENANT_ID, client_id=APP_FULL, credential=ClientSecretCredential("x"))
    assert _reason(provider).reason_code is ReasonCode.NETWORK_ERROR


def test_token_failures_never_leak_the_secret(graphsim, make_provider, caplog):
    caplog.set_level(logging.DEBUG)
    errors = []
    for client_id in (APP_FULL, APP_UNKNOWN, APP_NO_SP):
        provider = make_provider(client_id, ClientSecretCredential("x" + CANARY_SECRET))
        with pytest.raises(GraphError) as info:
            provider.acquire()
        errors.append(info.value)
    for err in errors:
        assert CANARY_SECRET not in err.message
        assert CANARY_SECRET not in repr(err)
        assert CANARY_SECRET not in str(err)
    for record in caplog.records:
        assert CANARY_SECRET not in record.getMessage()


# -- faults of the sign-in service are retried with the Graph retry policy ----------------

TOKEN_PATH = "/oauth2/v2.0/token"
DISCOVERY_PATH = "openid-configuration"


def test_one_503_from_the_token_endpoint_is_retried_after_its_retry_after(graphsim, fault_rule, make_provider, sleeps):
    graphsim.add_fault(fault_rule(host="login", path_contains=TOKEN_PATH, status=503, retry_after="2", times=1))
    provider = make_provider(APP_FULL)
    assert token_claims(provider.acquire()) is not None
    assert sleeps.calls == [2.0]
    assert [r.status for r in login_requests(graphsim, "POST")] == [503, 200]
    assert provider.stats.retries == 1


def test_a_429_from_the_token_endpoint_is_retried(graphsim, fault_rule, make_provider, sleeps):
    graphsim.add_fault(fault_rule(host="login", path_contains=TOKEN_PATH, status=429, retry_after="3", times=1))
    assert make_provider(APP_FULL).acquire()
    assert sleeps.calls == [3.0]


def test_a_reset_on_the_token_endpoint_is_retried_with_backoff(graphsim, fault_rule, make_provider, sleeps):
    graphsim.add_fault(fault_rule(host="login", path_contains=TOKEN_PATH, kind="reset", times=1))
    assert make_provider(APP_FULL).acquire()
    assert sleeps.calls == [pytest.approx(0.1)]  # full jitter: 0.5 * base 0.2
    assert [r.status for r in login_requests(graphsim, "POST")] == [0, 200]


def test_a_503_of_the_discovery_document_is_retried(graphsim, fault_rule, make_provider, sleeps):
    graphsim.add_fault(fault_rule(host="login", path_contains=DISCOVERY_PATH, status=503, retry_after="1", times=1))
    assert make_provider(APP_FULL).acquire()
    assert sleeps.calls == [1.0]


def test_persistent_503_is_provider_unavailable_and_every_retry_reaches_the_server(
    graphsim, fault_rule, make_provider, sleeps, app_certificate
):
    graphsim.add_fault(fault_rule(host="login", path_contains=TOKEN_PATH, status=503, retry_after="1", times=None))
    for provider in (make_provider(APP_FULL), make_provider(APP_CERT, app_certificate.credential())):
        graphsim.clear_requests()
        err = _reason(provider)
        assert err.reason_code is ReasonCode.PROVIDER_UNAVAILABLE  # not unknown_error / certificate_invalid
        assert "HTTP 503" in err.message
        # MSAL would replay the first 503 for its Retry-After without asking the server again.
        assert len(login_requests(graphsim, "POST")) == provider.retry.max_attempts


def test_persistent_reset_is_network_error(graphsim, fault_rule, make_provider, sleeps):
    graphsim.add_fault(fault_rule(host="login", path_contains=TOKEN_PATH, kind="reset", times=None))
    provider = make_provider(APP_FULL)
    assert _reason(provider).reason_code is ReasonCode.NETWORK_ERROR
    assert len(sleeps.calls) == provider.retry.max_attempts - 1


def test_auth_errors_are_not_retried(graphsim, make_provider, sleeps):
    err = _reason(make_provider(APP_FULL, ClientSecretCredential("wrong-" + CANARY_SECRET)))
    assert err.reason_code is ReasonCode.AUTH_INVALID_SECRET
    assert sleeps.calls == []
    assert len(login_requests(graphsim, "POST")) == 1


def test_a_retry_after_beyond_the_deadline_is_capped_and_logged(graphsim, fault_rule, make_provider, sleeps, caplog):
    from tenantpilot.graph.retry import Deadline

    caplog.set_level(logging.INFO, logger="tenantpilot.graph")
    graphsim.add_fault(fault_rule(host="login", path_contains=TOKEN_PATH, status=503, retry_after="600", times=1))
    assert make_provider(APP_FULL).acquire(deadline=Deadline(45.0, clock=sleeps.clock))
    assert sleeps.calls == [45.0]
    assert any("requested_s=600.000 applied_s=45.000" in r.getMessage() for r in caplog.records)


def test_one_503_does_not_fail_the_other_threads(graphsim, fault_rule, make_provider):
    graphsim.add_fault(fault_rule(host="login", path_contains=TOKEN_PATH, status=503, retry_after="1", times=1))
    provider = make_provider(APP_FULL)
    tokens: list[str] = []
    errors: list[GraphError] = []

    def run() -> None:
        try:
            tokens.append(provider.acquire())
        except GraphError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(tokens) == 6 and len(set(tokens)) == 1
    assert [r.status for r in login_requests(graphsim, "POST")] == [503, 200]
