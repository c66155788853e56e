import enum

import pytest

from tenantpilot.graph.reasons import ReasonCode

REQUIRED = {
    "auth_invalid_secret",
    "auth_secret_expired",
    "auth_tenant_not_found",
    "auth_app_not_found",
    "auth_service_principal_missing",
    "auth_certificate_invalid",
    "auth_failed",
    "consent_missing",
    "permission_missing",
    "throttled",
    "provider_unavailable",
    "timeout",
    "malformed_response",
    "not_found",
    "bad_request",
    "network_error",
    "unknown_error",
}


def test_reason_code_is_a_str_enum_with_all_required_codes():
    assert issubclass(ReasonCode, enum.StrEnum)
    assert {c.value for c in ReasonCode} >= REQUIRED


@pytest.mark.parametrize("code", list(ReasonCode))
def test_every_reason_has_a_label_and_an_actionable_message(code):
    assert code.label and len(code.label) <= 40
    assert code.default_message.endswith(".")
    assert 20 <= len(code.default_message) <= 200


def test_reason_codes_compare_equal_to_their_stored_strings():
    assert ReasonCode.THROTTLED == "throttled"
    assert ReasonCode("consent_missing") is ReasonCode.CONSENT_MISSING


def test_retryable_reasons_are_the_transient_ones():
    transient = {c.value for c in ReasonCode if c.retryable}
    assert {"throttled", "provider_unavailable", "timeout", "network_error"} <= transient
    assert "auth_invalid_secret" not in transient
    assert "permission_missing" not in transient


def test_auth_reasons_are_flagged():
    assert ReasonCode.AUTH_SECRET_EXPIRED.is_auth
    assert not ReasonCode.CONSENT_MISSING.is_auth
