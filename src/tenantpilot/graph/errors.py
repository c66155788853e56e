"""The one exception type of the graph package, with a message that is safe to store and show."""

from __future__ import annotations

import re

from tenantpilot.graph.reasons import ReasonCode

MAX_MESSAGE_LENGTH = 300

# Things that must never reach a message: JWTs (access tokens, client assertions),
# bearer/basic credentials, and key=value pairs that name a secret.
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_AUTH_HEADER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_SECRET_PAIR = re.compile(
    r"\b(client_secret|client_assertion|access_token|refresh_token|password|secret|assertion)"
    r"(\"?\s*[=:]\s*\"?)[^\s&\"',}]+",
    re.IGNORECASE,
)
_PEM = re.compile(r"-----BEGIN [A-Z ]+-----.*?(-----END [A-Z ]+-----|$)", re.DOTALL)
_WHITESPACE = re.compile(r"\s+")


def sanitize_message(text: str, *, secrets: tuple[str, ...] = (), limit: int = MAX_MESSAGE_LENGTH) -> str:
    """Return ``text`` as one short line without tokens, assertions, PEM blocks or given secrets."""
    out = str(text)
    for secret in secrets:
        if secret:
            out = out.replace(secret, "[redacted]")
    out = _PEM.sub("[redacted]", out)
    out = _JWT.sub("[redacted]", out)
    out = _AUTH_HEADER.sub(r"\1 [redacted]", out)
    out = _SECRET_PAIR.sub(r"\1\2[redacted]", out)
    out = _WHITESPACE.sub(" ", out).strip()
    if len(out) > limit:
        out = out[: limit - 1].rstrip() + "…"
    return out


class GraphError(Exception):
    """A failed call to Microsoft, reduced to a registered reason code and a safe message.

    Guarantees: ``reason_code`` is a :class:`ReasonCode`; ``message`` is a single line of
    at most ``MAX_MESSAGE_LENGTH`` characters with tokens, assertions and secrets removed
    and never more of a response body than Graph's error code/message or an AADSTS code
    and trace id. ``status`` is the HTTP status when there was one, ``contract`` the
    operation name, ``retry_after`` the last ``Retry-After`` seen (seconds).
    """

    def __init__(
        self,
        reason_code: ReasonCode | str,
        message: str | None = None,
        *,
        status: int | None = None,
        contract: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        code = ReasonCode(reason_code)
        self.reason_code: ReasonCode = code
        self.message: str = sanitize_message(message if message else code.default_message)
        self.status = status
        self.contract = contract
        self.retry_after = retry_after
        super().__init__(self.message)

    @property
    def retryable(self) -> bool:
        """Whether retrying later can help (from the reason code)."""
        return self.reason_code.retryable

    def __str__(self) -> str:
        return f"{self.reason_code.value}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"GraphError(reason_code={self.reason_code.value!r}, message={self.message!r}, "
            f"status={self.status!r}, contract={self.contract!r}, retry_after={self.retry_after!r})"
        )

    def __reduce__(self) -> tuple[object, ...]:
        # Keep the keyword-only fields when pickled (e.g. across worker processes).
        return (_rebuild, (self.reason_code.value, self.message, self.status, self.contract, self.retry_after))


def _rebuild(
    reason_code: str, message: str, status: int | None, contract: str | None, retry_after: float | None
) -> GraphError:
    return GraphError(reason_code, message, status=status, contract=contract, retry_after=retry_after)
