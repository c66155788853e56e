import pickle

import pytest

from tenantpilot.graph.errors import MAX_MESSAGE_LENGTH, GraphError, sanitize_message
from tenantpilot.graph.reasons import ReasonCode

JWT = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJyb2xlcyI6WyJhIl19.c2lnbmF0dXJlX2J5dGVz"


def test_graph_error_uses_the_default_message_when_none_is_given():
    err = GraphError(ReasonCode.TIMEOUT)
    assert err.reason_code is ReasonCode.TIMEOUT
    assert err.message == ReasonCode.TIMEOUT.default_message
    assert err.retryable


def test_graph_error_accepts_the_code_as_string_and_keeps_fields():
    err = GraphError("throttled", "slow down", status=429, contract="groups.list", retry_after=2.5)
    assert err.reason_code is ReasonCode.THROTTLED
    assert (err.status, err.contract, err.retry_after) == (429, "groups.list", 2.5)
    assert str(err) == "throttled: slow down"
    assert "throttled" in repr(err)


def test_graph_error_rejects_unregistered_codes():
    with pytest.raises(ValueError):
        GraphError("made_up_code")


@pytest.mark.parametrize(
    "dirty",
    [
        f"token {JWT} leaked",
        f"Authorization: Bearer {JWT}",
        "client_secret=s3cr3t-VALUE&x=1",
        '{"client_assertion": "abc.def.ghi"}',
        "-----BEGIN PRIVATE KEY-----\nMIIEv...\n-----END PRIVATE KEY-----",
    ],
)
def test_sanitize_removes_tokens_assertions_and_keys(dirty):
    clean = sanitize_message(dirty)
    assert JWT not in clean
    assert "s3cr3t" not in clean
    assert "abc.def.ghi" not in clean
    assert "MIIEv" not in clean


def test_sanitize_removes_named_secrets_and_flattens_and_truncates():
    clean = sanitize_message("a\r\nb  " + "canary-123 " + "x" * 1000, secrets=("canary-123",))
    assert "canary-123" not in clean
    assert "\n" not in clean
    assert len(clean) <= MAX_MESSAGE_LENGTH


def test_graph_error_message_is_always_sanitized():
    err = GraphError(ReasonCode.AUTH_FAILED, f"bad Bearer {JWT}")
    assert JWT not in err.message
    assert JWT not in repr(err)
    assert JWT not in str(err)


def test_graph_error_survives_pickling():
    err = GraphError(ReasonCode.THROTTLED, "wait", status=429, contract="groups.list", retry_after=3.0)
    again = pickle.loads(pickle.dumps(err))
    assert (again.reason_code, again.message, again.status, again.contract, again.retry_after) == (
        ReasonCode.THROTTLED,
        "wait",
        429,
        "groups.list",
        3.0,
    )


@pytest.mark.parametrize("code", list(ReasonCode))
def test_default_messages_pass_the_sanitizer_unchanged(code):
    assert sanitize_message(code.default_message) == code.default_message
