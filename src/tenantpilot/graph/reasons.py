"""Registered reason codes for every way a Graph or token call can fail.

Operation runs, health checks and the console store only these codes plus a sanitized
message; each code carries a human label and an operator-actionable default message.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


@dataclass(frozen=True)
class _ReasonInfo:
    label: str
    message: str
    retryable: bool = False


class ReasonCode(enum.StrEnum):
    """Why a call to Microsoft failed. The value is the stable, stored code.

    Every member has ``label`` (short human title), ``default_message`` (what the operator
    should do) and ``retryable`` (whether trying again later can help without a change on
    the connection or in the tenant).
    """

    AUTH_INVALID_SECRET = "auth_invalid_secret"  # noqa: S105 - a reason code
    AUTH_SECRET_EXPIRED = "auth_secret_expired"  # noqa: S105 - a reason code
    AUTH_TENANT_NOT_FOUND = "auth_tenant_not_found"
    AUTH_APP_NOT_FOUND = "auth_app_not_found"
    AUTH_SERVICE_PRINCIPAL_MISSING = "auth_service_principal_missing"
    AUTH_CERTIFICATE_INVALID = "auth_certificate_invalid"
    AUTH_FAILED = "auth_failed"
    CONSENT_MISSING = "consent_missing"
    PERMISSION_MISSING = "permission_missing"
    THROTTLED = "throttled"
    PROVIDER_UNAVAILABLE = "provider_unavailable"
    TIMEOUT = "timeout"
    NETWORK_ERROR = "network_error"
    TLS_UNTRUSTED = "tls_untrusted"
    MALFORMED_RESPONSE = "malformed_response"
    NOT_FOUND = "not_found"
    BAD_REQUEST = "bad_request"
    UNKNOWN_ERROR = "unknown_error"

    @property
    def label(self) -> str:
        """Short human title, e.g. for a badge."""
        return _INFO[self].label

    @property
    def default_message(self) -> str:
        """What happened and what the operator should do about it."""
        return _INFO[self].message

    @property
    def retryable(self) -> bool:
        """True when retrying later may succeed without any change by the operator."""
        return _INFO[self].retryable

    @property
    def is_auth(self) -> bool:
        """True for failures of token acquisition (the connection's credentials or tenant)."""
        return self.value.startswith("auth_")


_INFO: dict[ReasonCode, _ReasonInfo] = {
    ReasonCode.AUTH_INVALID_SECRET: _ReasonInfo(
        "Invalid client secret",
        "The client secret is wrong. Replace the secret on the connection with the secret's value (not its ID).",
    ),
    ReasonCode.AUTH_SECRET_EXPIRED: _ReasonInfo(
        "Client secret expired",
        "The client secret has expired. Create a new secret in the app registration and update the connection.",
    ),
    ReasonCode.AUTH_TENANT_NOT_FOUND: _ReasonInfo(
        "Tenant not found",
        "The tenant ID was not found. Check the tenant ID or primary domain on the connection.",
    ),
    ReasonCode.AUTH_APP_NOT_FOUND: _ReasonInfo(
        "App not found in tenant",
        "The application was not found in this tenant. Check the client ID, or have an administrator "
        "of the tenant grant admin consent to the app.",
    ),
    ReasonCode.AUTH_SERVICE_PRINCIPAL_MISSING: _ReasonInfo(
        "Service principal missing",
        "The app has no service principal in this tenant. Have a tenant administrator grant admin consent "
        "to create it.",
    ),
    ReasonCode.AUTH_CERTIFICATE_INVALID: _ReasonInfo(
        "Certificate rejected",
        "The certificate credential was rejected. Check that the certificate is uploaded to the app "
        "registration, not expired, and matches the private key on the connection.",
    ),
    ReasonCode.AUTH_FAILED: _ReasonInfo(
        "Sign-in failed",
        "Microsoft refused to issue a token for this connection. Check the connection's credentials.",
    ),
    ReasonCode.CONSENT_MISSING: _ReasonInfo(
        "Admin consent missing",
        "The app has no application permissions consented in this tenant. Have a tenant administrator "
        "grant admin consent.",
    ),
    ReasonCode.PERMISSION_MISSING: _ReasonInfo(
        "Permission missing",
        "The app lacks a required application permission. Add it to the app registration and grant admin consent.",
    ),
    ReasonCode.THROTTLED: _ReasonInfo(
        "Throttled",
        "Microsoft Graph is throttling requests for this tenant. The run will succeed when retried later.",
        retryable=True,
    ),
    ReasonCode.PROVIDER_UNAVAILABLE: _ReasonInfo(
        "Microsoft unavailable",
        "Microsoft Graph or the sign-in service is temporarily unavailable. Retry later.",
        retryable=True,
    ),
    ReasonCode.TIMEOUT: _ReasonInfo(
        "Timed out",
        "Microsoft did not answer in time. Retry later.",
        retryable=True,
    ),
    ReasonCode.NETWORK_ERROR: _ReasonInfo(
        "Network error",
        "Could not reach Microsoft. Check the network, proxy and TLS trust settings of the server.",
        retryable=True,
    ),
    ReasonCode.TLS_UNTRUSTED: _ReasonInfo(
        "Certificate not trusted",
        "TLS verification failed: the server's certificate is not signed by a trusted CA. Check "
        "TENANTPILOT_GRAPH_CA_BUNDLE and any TLS-inspecting proxy.",
    ),
    ReasonCode.MALFORMED_RESPONSE: _ReasonInfo(
        "Unexpected response",
        "Microsoft Graph returned a response TenantPilot could not read. Retry later; report it if it persists.",
        retryable=True,
    ),
    ReasonCode.NOT_FOUND: _ReasonInfo(
        "Not found",
        "The requested object does not exist in the tenant (or is hidden by scope tags).",
    ),
    ReasonCode.BAD_REQUEST: _ReasonInfo(
        "Request rejected",
        "Microsoft Graph rejected the request. The tenant may lack the feature or licence (e.g. Intune).",
    ),
    ReasonCode.UNKNOWN_ERROR: _ReasonInfo(
        "Unknown error",
        "An unexpected error occurred while talking to Microsoft. Retry later; report it if it persists.",
    ),
}

if set(_INFO) != set(ReasonCode):
    raise RuntimeError("every ReasonCode needs a label and a default message")
