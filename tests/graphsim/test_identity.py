"""Discovery, the token endpoint (secret, Basic, certificate) and the AADSTS error table."""

from __future__ import annotations

import base64
import datetime as dt
import ssl
from typing import Any

import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from graphsim import GraphSimulator
from graphsim.fixtures_catalog import (
    BROKEN_EXPIRED_CLIENT_ID,
    BROKEN_EXPIRED_CLIENT_SECRET,
    BROKEN_NO_CONSENT_CLIENT_ID,
    BROKEN_NO_CONSENT_CLIENT_SECRET,
    BROKEN_NO_SP_CLIENT_ID,
    BROKEN_NO_SP_CLIENT_SECRET,
    BROKEN_TENANT_ID,
    DRIFTED_TENANT_ID,
    GOLDEN_CLIENT_ID,
    GOLDEN_CLIENT_SECRET,
    GOLDEN_DOMAIN,
    GOLDEN_TENANT_ID,
    READ_PERMISSIONS,
)
from tests.graphsim.conftest import acquire


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def _post_token(sim: GraphSimulator, tenant: str, data: dict[str, str], **kwargs: Any) -> httpx.Response:
    with httpx.Client(verify=ssl.create_default_context(cafile=sim.ca_path)) as client:
        return client.post(f"{sim.authority_base}/{tenant}/oauth2/v2.0/token", data=data, **kwargs)


def _make_cert() -> tuple[str, str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "TenantPilot test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    thumbprint = cert.fingerprint(hashes.SHA1()).hex().upper()
    return key_pem, cert_pem, thumbprint


def test_discovery_document_points_at_the_simulator(graphsim: GraphSimulator) -> None:
    with httpx.Client(verify=ssl.create_default_context(cafile=graphsim.ca_path)) as client:
        response = client.get(f"{graphsim.authority_base}/{GOLDEN_TENANT_ID}/v2.0/.well-known/openid-configuration")
    assert response.status_code == 200
    doc = response.json()
    assert doc["token_endpoint"] == f"{graphsim.authority_base}/{GOLDEN_TENANT_ID}/oauth2/v2.0/token"
    assert doc["issuer"].startswith(graphsim.authority_base)
    assert doc["token_endpoint_auth_methods_supported"] == [
        "client_secret_post",
        "private_key_jwt",
        "client_secret_basic",
    ]
    assert response.headers["cache-control"] == "max-age=86400, private"
    jwks = httpx.get(doc["jwks_uri"], verify=ssl.create_default_context(cafile=graphsim.ca_path)).json()
    assert jwks["keys"][0]["kty"] == "RSA"


def test_discovery_by_domain_name_resolves_to_tenant_guid(graphsim: GraphSimulator) -> None:
    url = f"{graphsim.authority_base}/{GOLDEN_DOMAIN}/v2.0/.well-known/openid-configuration"
    doc = httpx.get(url, verify=ssl.create_default_context(cafile=graphsim.ca_path)).json()
    assert f"/{GOLDEN_TENANT_ID}/oauth2/v2.0/token" in doc["token_endpoint"]


@pytest.mark.parametrize(
    ("tenant", "code"), [("99999999-0000-4000-8000-000000000000", 90002), ("not a tenant!", 900023)]
)
def test_discovery_errors(graphsim: GraphSimulator, tenant: str, code: int) -> None:
    response = httpx.get(
        f"{graphsim.authority_base}/{tenant}/v2.0/.well-known/openid-configuration",
        verify=ssl.create_default_context(cafile=graphsim.ca_path),
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error_codes"] == [code]
    assert body["error"] == ("invalid_tenant" if code == 90002 else "invalid_request")
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    assert "\r\nTrace ID: " in body["error_description"]
    assert body["error_uri"] == f"https://login.microsoftonline.com/error?code={code}"


def test_msal_client_secret_token_has_v1_claims(graphsim: GraphSimulator) -> None:
    result = acquire(graphsim, GOLDEN_TENANT_ID, GOLDEN_CLIENT_ID, GOLDEN_CLIENT_SECRET)
    assert result["token_type"] == "Bearer"
    assert result["expires_in"] == 3599
    claims = _claims(result["access_token"])
    assert claims["tid"] == GOLDEN_TENANT_ID
    assert claims["appid"] == GOLDEN_CLIENT_ID
    assert claims["appidacr"] == "1"
    assert claims["aud"] == "https://graph.microsoft.com"
    assert claims["ver"] == "1.0"
    assert sorted(claims["roles"]) == sorted(READ_PERMISSIONS)
    assert "scp" not in claims
    assert claims["exp"] - claims["iat"] == 3599


def test_http_basic_client_authentication(graphsim: GraphSimulator) -> None:
    response = _post_token(
        graphsim,
        GOLDEN_TENANT_ID,
        {"grant_type": "client_credentials", "scope": "https://graph.microsoft.com/.default"},
        auth=(GOLDEN_CLIENT_ID, GOLDEN_CLIENT_SECRET),
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store, no-cache"
    assert response.json()["ext_expires_in"] == 3599


@pytest.mark.parametrize("style", ["thumbprint", "public_certificate"])
def test_msal_certificate_assertion(graphsim: GraphSimulator, style: str) -> None:
    key_pem, cert_pem, thumbprint = _make_cert()
    app = graphsim.tenant(GOLDEN_TENANT_ID).app(GOLDEN_CLIENT_ID)
    assert app is not None
    app["certificates"] = [{"thumbprint": thumbprint, "publicCertPem": cert_pem, "expiresAt": "2099-01-01T00:00:00Z"}]
    credential: dict[str, str] = {"private_key": key_pem}
    if style == "thumbprint":
        credential["thumbprint"] = thumbprint  # MSAL: RS256 with x5t = SHA-1
    else:
        credential["public_certificate"] = cert_pem  # MSAL: PS256 with x5t#S256 and x5c
    result = acquire(graphsim, GOLDEN_TENANT_ID, GOLDEN_CLIENT_ID, credential)
    assert "access_token" in result, result
    assert _claims(result["access_token"])["appidacr"] == "2"


def test_certificate_not_registered_is_rejected(graphsim: GraphSimulator) -> None:
    key_pem, _cert_pem, thumbprint = _make_cert()
    result = acquire(graphsim, GOLDEN_TENANT_ID, GOLDEN_CLIENT_ID, {"private_key": key_pem, "thumbprint": thumbprint})
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [700027]


def test_wrong_secret_is_7000215(graphsim: GraphSimulator) -> None:
    result = acquire(graphsim, GOLDEN_TENANT_ID, GOLDEN_CLIENT_ID, "not-the-secret")
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [7000215]
    assert result["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")


def test_expired_secret_is_7000222(graphsim: GraphSimulator) -> None:
    result = acquire(graphsim, BROKEN_TENANT_ID, BROKEN_EXPIRED_CLIENT_ID, BROKEN_EXPIRED_CLIENT_SECRET)
    assert result["error_codes"] == [7000222]
    assert "are expired" in result["error_description"]


def test_missing_service_principal_is_7000229(graphsim: GraphSimulator) -> None:
    result = acquire(graphsim, BROKEN_TENANT_ID, BROKEN_NO_SP_CLIENT_ID, BROKEN_NO_SP_CLIENT_SECRET)
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [7000229]


def test_app_not_in_tenant_is_700016(graphsim: GraphSimulator) -> None:
    result = acquire(graphsim, DRIFTED_TENANT_ID, GOLDEN_CLIENT_ID, GOLDEN_CLIENT_SECRET)
    assert result["error"] == "unauthorized_client"
    assert result["error_codes"] == [700016]


@pytest.mark.parametrize(
    ("tenant", "data", "status", "error", "code"),
    [
        (GOLDEN_TENANT_ID, {"client_id": GOLDEN_CLIENT_ID}, 401, "invalid_client", 7000218),
        (
            "99999999-0000-4000-8000-000000000000",
            {"client_id": GOLDEN_CLIENT_ID, "client_secret": "x"},
            400,
            "invalid_request",
            90002,
        ),
        ("bad_tenant", {"client_id": GOLDEN_CLIENT_ID, "client_secret": "x"}, 400, "invalid_request", 900023),
        (
            GOLDEN_TENANT_ID,
            {"client_id": "00000000-1111-4111-8111-000000000000", "client_secret": "x"},
            400,
            "unauthorized_client",
            700016,
        ),
    ],
)
def test_token_error_table(
    graphsim: GraphSimulator, tenant: str, data: dict[str, str], status: int, error: str, code: int
) -> None:
    form = {"grant_type": "client_credentials", "scope": "https://graph.microsoft.com/.default", **data}
    response = _post_token(graphsim, tenant, form)
    assert response.status_code == status
    body = response.json()
    assert (body["error"], body["error_codes"]) == (error, [code])
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    assert set(body) >= {"timestamp", "trace_id", "correlation_id", "error_uri"}


def test_bad_scope_is_70011(graphsim: GraphSimulator) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": GOLDEN_CLIENT_ID,
        "client_secret": GOLDEN_CLIENT_SECRET,
        "scope": "https://graph.microsoft.com/User.Read",
        "client_info": "1",
        "unknown_field": "ignored",
    }
    response = _post_token(graphsim, GOLDEN_TENANT_ID, form)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert response.json()["error_codes"] == [70011]


def test_no_admin_consent_means_no_roles_claim(graphsim: GraphSimulator) -> None:
    result = acquire(graphsim, BROKEN_TENANT_ID, BROKEN_NO_CONSENT_CLIENT_ID, BROKEN_NO_CONSENT_CLIENT_SECRET)
    assert "access_token" in result
    assert "roles" not in _claims(result["access_token"])


def test_secret_rotation_takes_effect_immediately(graphsim: GraphSimulator) -> None:
    app = graphsim.tenant(GOLDEN_TENANT_ID).app(GOLDEN_CLIENT_ID)
    assert app is not None
    app["secrets"] = [{"value": "rotated", "expiresAt": "2099-01-01T00:00:00Z"}]
    assert acquire(graphsim, GOLDEN_TENANT_ID, GOLDEN_CLIENT_ID, GOLDEN_CLIENT_SECRET)["error_codes"] == [7000215]
    assert "access_token" in acquire(graphsim, GOLDEN_TENANT_ID, GOLDEN_CLIENT_ID, "rotated")


def test_login_requests_are_logged(graphsim: GraphSimulator) -> None:
    acquire(graphsim, GOLDEN_TENANT_ID, GOLDEN_CLIENT_ID, GOLDEN_CLIENT_SECRET)
    login = [r for r in graphsim.requests if r.host == "login"]
    assert [r.method for r in login] == ["GET", "POST"]
    assert login[1].path == f"/{GOLDEN_TENANT_ID}/oauth2/v2.0/token"
    assert login[1].status == 200
    assert login[1].tenant_id == GOLDEN_TENANT_ID
    assert login[1].client_id == GOLDEN_CLIENT_ID


def test_token_x5t_header_is_base64url_of_thumbprint(graphsim: GraphSimulator) -> None:
    # what MSAL sends for a SHA-1 thumbprint; the simulator matches it against the stored cert
    key_pem, cert_pem, thumbprint = _make_cert()
    assert base64.urlsafe_b64encode(bytes.fromhex(thumbprint)).decode().rstrip("=")
    app = graphsim.tenant(GOLDEN_TENANT_ID).app(GOLDEN_CLIENT_ID)
    assert app is not None
    app["certificates"] = [{"thumbprint": thumbprint, "publicCertPem": cert_pem, "expiresAt": "2000-01-01T00:00:00Z"}]
    result = acquire(graphsim, GOLDEN_TENANT_ID, GOLDEN_CLIENT_ID, {"private_key": key_pem, "thumbprint": thumbprint})
    assert result["error_codes"] == [700027]  # registered but expired
