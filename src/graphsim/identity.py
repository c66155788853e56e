"""The identity platform side: OpenID discovery, the v2.0 token endpoint (client
credentials with a secret or a certificate assertion), JWKS, and the access tokens.

Error bodies follow graph-fidelity.md section 1.4.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

if TYPE_CHECKING:
    from .tenants import TenantState

GRAPH_AUDIENCE = "https://graph.microsoft.com"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ACCESS_TOKEN_LIFETIME = 3599
_RESERVED_SCOPES = {"openid", "profile", "offline_access"}
_GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DNS_RE = re.compile(r"^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")


def is_guid(value: str) -> bool:
    """True for a canonical GUID string."""
    return bool(_GUID_RE.match(value))


def is_tenant_identifier(value: str) -> bool:
    """A GUID or a DNS name; anything else is AADSTS900023."""
    return is_guid(value) or bool(_DNS_RE.match(value))


def parse_iso(value: str) -> datetime:
    """Parse ``2030-01-01T00:00:00Z`` (and offsets) into an aware datetime."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class LoginReply:
    """What the login host answers, plus what the request log needs to know."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    tenant_id: str | None = None
    client_id: str | None = None


class InvalidToken(Exception):
    """A Graph bearer token that fails validation; the message is Graph's."""


VERIFIED_TOKENS_KEPT = 1024


class TokenAuthority:
    """Signs and verifies the simulator's access tokens (RS256, one key per simulator)."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._public = self._key.public_key()
        der = self._public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        self.kid = _b64url(hashlib.sha1(der).digest())  # noqa: S324 - a key id, like Entra's x5t
        self._pem = self._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        # Tokens whose signature and audience were verified, with their claims: a client sends
        # the same token for an hour, and decoding it again costs the simulator a millisecond per
        # request that Graph's own latency does not include. Lifetime is checked on every use.
        self._verified: dict[str, dict[str, Any]] = {}
        self._verified_lock = threading.Lock()

    def jwks(self) -> dict[str, Any]:
        """The JWKS document listing the signing key."""
        numbers = self._public.public_numbers()

        def enc(number: int) -> str:
            return _b64url(number.to_bytes((number.bit_length() + 7) // 8, "big"))

        return {
            "keys": [
                {"kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.kid, "n": enc(numbers.n), "e": enc(numbers.e)}
            ]
        }

    def mint(
        self,
        *,
        tenant_id: str,
        client_id: str,
        roles: list[str] | None,
        appidacr: str = "1",
        app_display_name: str | None = None,
        lifetime: int = ACCESS_TOKEN_LIFETIME,
        now: float | None = None,
    ) -> str:
        """An app-only Graph access token with v1 claims (graph-fidelity.md 1.3)."""
        issued = int(now if now is not None else time.time())
        object_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sp/{tenant_id}/{client_id}"))
        claims: dict[str, Any] = {
            "aud": GRAPH_AUDIENCE,
            "iss": f"https://sts.windows.net/{tenant_id}/",
            "iat": issued,
            "nbf": issued,
            "exp": issued + lifetime,
            "aio": _b64url(uuid.uuid4().bytes),
            "app_displayname": app_display_name or client_id,
            "appid": client_id,
            "appidacr": appidacr,
            "idp": f"https://sts.windows.net/{tenant_id}/",
            "idtyp": "app",
            "oid": object_id,
            "rh": "0.graphsim.",
            "sub": object_id,
            "tenant_region_scope": "EU",
            "tid": tenant_id,
            "uti": _b64url(uuid.uuid4().bytes)[:22],
            "ver": "1.0",
        }
        if roles:
            claims["roles"] = list(roles)
        return jwt.encode(
            claims, self._pem, algorithm="RS256", headers={"kid": self.kid, "x5t": self.kid, "typ": "JWT"}
        )

    def verify(self, token: str) -> dict[str, Any]:
        """Validate signature, lifetime and audience; raise InvalidToken with Graph's message."""
        with self._verified_lock:
            known = self._verified.get(token)
        if known is not None:
            now = time.time()
            if not known["nbf"] <= now < known["exp"]:
                raise InvalidToken("Access token has expired or is not yet valid.")
            return dict(known)
        claims = self._decode(token)
        with self._verified_lock:
            if len(self._verified) >= VERIFIED_TOKENS_KEPT:
                self._verified.clear()
            self._verified[token] = dict(claims)
        return claims

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("IDX14100: JWT is not well formed, there are no dots (.).") from exc
        if header.get("kid") != self.kid:
            raise InvalidToken("Access token validation failure. Invalid signature.")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._public,
                algorithms=["RS256"],
                audience=[GRAPH_AUDIENCE, GRAPH_APP_ID],
                options={"require": ["exp", "nbf", "aud", "tid"]},
            )
        except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError) as exc:
            raise InvalidToken("Access token has expired or is not yet valid.") from exc
        except jwt.InvalidAudienceError as exc:
            raise InvalidToken("Access token validation failure. Invalid audience.") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken("Access token validation failure. Invalid signature.") from exc
        return claims


def aad_error(status: int, error: str, code: int, description: str, correlation_id: str | None = None) -> LoginReply:
    """An Entra error body: ``AADSTS<code>: ...`` plus trace/correlation/timestamp lines."""
    now = datetime.now(UTC)
    stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
    trace = str(uuid.uuid4())
    correlation = correlation_id or str(uuid.uuid4())
    body = {
        "error": error,
        "error_description": (
            f"AADSTS{code}: {description}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {stamp}"
        ),
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    return LoginReply(status, body, {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})


def openid_configuration(base: str, tenant_id: str) -> dict[str, Any]:
    """The tenant-specific v2.0 OpenID document with every URL on the simulator's host."""
    return {
        "token_endpoint": f"{base}/{tenant_id}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{base}/{tenant_id}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{base}/{tenant_id}/v2.0",
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
        "authorization_endpoint": f"{base}/{tenant_id}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/{tenant_id}/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{base}/{tenant_id}/oauth2/v2.0/logout",
        "claims_supported": [
            "sub",
            "iss",
            "cloud_instance_name",
            "cloud_instance_host_name",
            "cloud_graph_host_name",
            "msgraph_host",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "acr",
            "nonce",
            "preferred_username",
            "name",
            "tid",
            "ver",
            "at_hash",
            "c_hash",
            "email",
        ],
        "kerberos_endpoint": f"{base}/{tenant_id}/kerberos",
        "tenant_region_scope": "EU",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }


class _CertInfo:
    def __init__(self, entry: dict[str, Any]) -> None:
        pem = str(entry.get("publicCertPem") or "")
        self.cert = x509.load_pem_x509_certificate(pem.encode())
        from cryptography.hazmat.primitives import hashes

        self.sha1 = self.cert.fingerprint(hashes.SHA1())  # noqa: S303 - x5t is SHA-1 by definition
        self.sha256 = self.cert.fingerprint(hashes.SHA256())
        declared = str(entry.get("thumbprint") or "").replace(":", "").strip()
        self.declared: bytes | None = None
        if declared:
            try:
                self.declared = binascii.a2b_hex(declared)
            except (binascii.Error, ValueError):
                self.declared = None
        self.expires_at = entry.get("expiresAt")


class LoginService:
    """Answers the login host: discovery, JWKS and the token endpoint."""

    def __init__(self, authority: TokenAuthority, resolve: Any, base: Any, lifetime: Any) -> None:
        # resolve(identifier) -> TenantState | None ; base() -> authority base URL
        self._authority = authority
        self._resolve = resolve
        self._base = base
        self._lifetime = lifetime
        self._certs: dict[str, _CertInfo] = {}

    # -- routing ------------------------------------------------------------------------
    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> LoginReply:
        """Route one login-host request."""
        segments = [unquote(s) for s in path.split("?", 1)[0].split("/") if s]
        correlation = headers.get("client-request-id")
        if len(segments) < 2:
            return LoginReply(404, {"error": "not_found", "error_description": "No such endpoint."})
        tenant_ident, rest = segments[0], segments[1:]
        if rest in (["v2.0", ".well-known", "openid-configuration"], [".well-known", "openid-configuration"]):
            if method != "GET":
                return LoginReply(405, {"error": "invalid_request", "error_description": "Use GET."})
            return self._discovery(tenant_ident, correlation)
        if rest in (["discovery", "v2.0", "keys"], ["discovery", "keys"]):
            return LoginReply(200, self._authority.jwks(), {"Cache-Control": "max-age=86400, private"})
        if rest == ["oauth2", "v2.0", "token"]:
            if method != "POST":
                return aad_error(
                    405,
                    "invalid_request",
                    900561,
                    "The endpoint only accepts POST requests. Received a GET request.",
                    correlation,
                )
            return self._token(tenant_ident, headers, body, correlation)
        return LoginReply(404, {"error": "not_found", "error_description": "No such endpoint."})

    def _tenant_or_error(self, ident: str, correlation: str | None, error: str) -> TenantState | LoginReply:
        if not is_tenant_identifier(ident):
            return aad_error(
                400,
                "invalid_request",
                900023,
                f"Specified tenant identifier '{ident}' is neither a valid DNS name, nor a valid external domain.",
                correlation,
            )
        tenant = self._resolve(ident)
        if tenant is None:
            return aad_error(
                400,
                error,
                90002,
                f"Tenant '{ident}' not found. Check to make sure you have the correct tenant ID and are signing "
                "into the correct cloud. Check with your subscription administrator, this may happen if there "
                "are no active subscriptions for the tenant."
                if error == "invalid_tenant"
                else f"Tenant '{ident}' not found. This may happen if there are no active subscriptions for the "
                "tenant. Check with your subscription administrator.",
                correlation,
            )
        return tenant  # type: ignore[no-any-return]

    def _discovery(self, ident: str, correlation: str | None) -> LoginReply:
        found = self._tenant_or_error(ident, correlation, "invalid_tenant")
        if isinstance(found, LoginReply):
            found.tenant_id = None
            return found
        return LoginReply(
            200,
            openid_configuration(self._base(), found.tenant_id),
            {"Cache-Control": "max-age=86400, private"},
            tenant_id=found.tenant_id,
        )

    # -- token endpoint ---------------------------------------------------------------
    def _token(self, ident: str, headers: dict[str, str], body: bytes, correlation: str | None) -> LoginReply:
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        basic_id, basic_secret = _basic_credentials(headers.get("authorization", ""))
        client_id = form.get("client_id") or basic_id
        found = self._tenant_or_error(ident, correlation, "invalid_request")
        if isinstance(found, LoginReply):
            found.client_id = client_id
            return found
        tenant = found
        reply = self._token_for_tenant(tenant, ident, form, client_id, basic_secret, correlation)
        reply.tenant_id, reply.client_id = tenant.tenant_id, client_id
        return reply

    def _token_for_tenant(
        self,
        tenant: TenantState,
        ident: str,
        form: dict[str, str],
        client_id: str | None,
        basic_secret: str | None,
        correlation: str | None,
    ) -> LoginReply:
        grant = form.get("grant_type")
        if not grant:
            return aad_error(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'grant_type'.",
                correlation,
            )
        if grant != "client_credentials":
            return aad_error(
                400,
                "unsupported_grant_type",
                70003,
                "The app requested an unsupported grant type '" + grant + "'.",
                correlation,
            )
        if not client_id:
            return aad_error(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'client_id'.",
                correlation,
            )
        app = tenant.app(client_id)
        if app is None:
            return aad_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory '{ident}'. This can "
                "happen if the application has not been installed by the administrator of the tenant or consented "
                "to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
                correlation,
            )
        if app.get("servicePrincipal", True) is False:
            return aad_error(
                401,
                "invalid_client",
                7000229,
                f"The client application {client_id} is missing service principal in the tenant "
                f"{tenant.tenant_id}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119",
                correlation,
            )
        secret = form.get("client_secret") or basic_secret
        assertion = form.get("client_assertion")
        if not secret and not assertion:
            return aad_error(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
                correlation,
            )
        if assertion:
            if form.get("client_assertion_type") != ASSERTION_TYPE:
                return aad_error(
                    400,
                    "invalid_request",
                    90014,
                    "The request body must contain the following parameter: 'client_assertion_type'.",
                    correlation,
                )
            failure = self._check_assertion(tenant, app, client_id, assertion, correlation)
            appidacr = "2"
        else:
            failure = self._check_secret(app, client_id, str(secret), correlation)
            appidacr = "1"
        if failure is not None:
            return failure
        scope = form.get("scope")
        if not scope:
            return aad_error(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'scope'.",
                correlation,
            )
        scopes = [s for s in scope.split() if s not in _RESERVED_SCOPES]
        allowed = {f"{GRAPH_AUDIENCE}/.default", f"{GRAPH_AUDIENCE}//.default", f"{GRAPH_APP_ID}/.default"}
        if len(scopes) != 1 or scopes[0] not in allowed:
            return aad_error(
                400,
                "invalid_scope",
                70011,
                f"The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid.",
                correlation,
            )
        consented = app.get("adminConsented", True) is not False
        roles = list(app.get("grantedPermissions") or []) if consented else []
        lifetime = int(self._lifetime())
        token = self._authority.mint(
            tenant_id=tenant.tenant_id,
            client_id=str(app.get("clientId")),
            roles=roles or None,
            appidacr=appidacr,
            app_display_name=app.get("displayName"),
            lifetime=lifetime,
        )
        return LoginReply(
            200,
            {"token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": token},
            {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"},
        )

    def _check_secret(
        self, app: dict[str, Any], client_id: str, secret: str, correlation: str | None
    ) -> LoginReply | None:
        now = datetime.now(UTC)
        for entry in app.get("secrets") or []:
            if str(entry.get("value")) != secret:
                continue
            expires = entry.get("expiresAt")
            if expires and parse_iso(str(expires)) <= now:
                return aad_error(
                    401,
                    "invalid_client",
                    7000222,
                    f"The provided client secret keys for app '{client_id}' are expired. Visit the Azure portal to "
                    "create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate "
                    "credentials for added security: https://aka.ms/certCreds.",
                    correlation,
                )
            return None
        return aad_error(
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client secret "
            f"value, not the client secret ID, for a secret added to app '{client_id}'.",
            correlation,
        )

    def _cert(self, entry: dict[str, Any]) -> _CertInfo | None:
        pem = str(entry.get("publicCertPem") or "")
        if not pem:
            return None
        info = self._certs.get(pem)
        if info is None:
            try:
                info = _CertInfo(entry)
            except ValueError:
                return None
            self._certs[pem] = info
        return info

    def _check_assertion(
        self, tenant: TenantState, app: dict[str, Any], client_id: str, assertion: str, correlation: str | None
    ) -> LoginReply | None:
        def fail(code: int, text: str) -> LoginReply:
            return aad_error(401, "invalid_client", code, text, correlation)

        try:
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError:
            return fail(50027, "JWT token is invalid or malformed.")
        x5t = str(header.get("x5t") or "")
        x5t256 = str(header.get("x5t#S256") or "")
        candidates: list[_CertInfo] = []
        for entry in app.get("certificates") or []:
            info = self._cert(entry)
            if info is None:
                continue
            try:
                by_sha1 = x5t != "" and _b64url_decode(x5t) in (info.sha1, info.declared)
                by_sha256 = x5t256 != "" and _b64url_decode(x5t256) == info.sha256
                if by_sha1 or by_sha256 or (not x5t and not x5t256):
                    candidates.append(info)
            except (binascii.Error, ValueError):
                continue
        if not candidates:
            return fail(
                700027,
                f"The certificate with identifier used to sign the client assertion is not registered on "
                f"application. [Reason - The key was not found., Thumbprint of key used by client: "
                f"'{(x5t or x5t256 or '')}'] Please visit the Azure Portal, Graph Explorer or directly use MS "
                f"Graph to see configured keys for app Id '{client_id}'.",
            )
        base = self._base()
        audiences = []
        for host in (base, "https://login.microsoftonline.com"):
            for name in {tenant.tenant_id, *tenant.domains}:
                audiences += [f"{host}/{name}/oauth2/v2.0/token", f"{host}/{name}/oauth2/token"]
        for info in candidates:
            try:
                claims = jwt.decode(
                    assertion,
                    info.cert.public_key(),  # type: ignore[arg-type]
                    algorithms=["RS256", "PS256"],
                    audience=audiences,
                    options={"require": ["exp", "aud", "iss", "sub"]},
                    leeway=300,
                )
            except jwt.ExpiredSignatureError:
                return fail(700024, "Client assertion is not within its valid time range.")
            except jwt.InvalidAudienceError:
                return fail(
                    700212,
                    "No matching federated identity record found for presented assertion audience "
                    "(the client assertion 'aud' must be the token endpoint).",
                )
            except jwt.PyJWTError:
                continue
            if (
                str(claims.get("iss", "")).lower() != client_id.lower()
                or str(claims.get("sub", "")).lower() != client_id.lower()
            ):
                return fail(700021, "Client assertion application identifier doesn't match 'client_id' parameter.")
            if info.expires_at and parse_iso(str(info.expires_at)) <= datetime.now(UTC):
                return fail(
                    700027,
                    f"Client assertion contains an invalid signature. [Reason - The key used is expired., "
                    f"Thumbprint of key used by client: '{info.sha1.hex().upper()}'].",
                )
            return None
        return fail(
            700027,
            "Client assertion failed signature validation. [Reason - The provided signature value did not match "
            "the expected signature value.]",
        )


def _basic_credentials(header: str) -> tuple[str | None, str | None]:
    if not header.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    user, sep, password = decoded.partition(":")
    if not sep:
        return None, None
    return unquote(user), unquote(password)
