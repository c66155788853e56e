"""Webhook URLs and the one outbound POST (run by a worker's delivery task, never in a request).

SSRF care: only ``https`` URLs, unless the host is listed in
``TENANTPILOT_ALERT_WEBHOOK_INSECURE_HOSTS`` (tests and the demo list ``127.0.0.1``/``localhost``);
no credentials in the URL; at delivery time every address the host resolves to must be public
(loopback, private, link-local, multicast and reserved addresses are refused unless the host is
listed); redirects are never followed (a 3xx is a failed delivery).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from tenantpilot.core.errors import ValidationFailed

MAX_URL_LENGTH = 2000


class _QuietWhilePosting(logging.Filter):
    """Drops httpx's request log line ("HTTP Request: POST <url> …") while this thread posts to
    a webhook: a chat webhook's URL is a secret and must not reach the logs."""

    local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(self.local, "posting", False)


_QUIET = _QuietWhilePosting()
logging.getLogger("httpx").addFilter(_QUIET)


class WebhookRefused(Exception):
    """The URL may not be called (its message is safe to store: it never contains the URL)."""


def _insecure_hosts() -> set[str]:
    return {h.strip().lower() for h in getattr(settings, "TENANTPILOT_ALERT_WEBHOOK_INSECURE_HOSTS", []) if h.strip()}


def validate_url(raw: str, *, field: str = "url") -> str:
    """The URL, trimmed, when it may be a webhook; else ``ValidationFailed`` naming ``field``."""
    url = (raw or "").strip()
    if not url:
        raise ValidationFailed("Enter the webhook URL.", field=field)
    if len(url) > MAX_URL_LENGTH or any(ord(c) < 33 for c in url):
        raise ValidationFailed("Enter a valid URL (no spaces, at most 2000 characters).", field=field)
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError:
        raise ValidationFailed("Enter a valid URL.", field=field) from None
    host = (parts.hostname or "").lower()
    if not host:
        raise ValidationFailed("Enter a valid URL with a host name.", field=field)
    if parts.username or parts.password:
        raise ValidationFailed(
            "Do not put credentials in the URL; the signature authenticates each delivery.", field=field
        )
    if parts.scheme == "http" and host in _insecure_hosts():
        return url
    if parts.scheme != "https":
        raise ValidationFailed("The webhook URL must start with https://.", field=field)
    return url


def url_hint(url: str) -> str:
    """What pages show of a webhook URL: its scheme and host (a chat URL's path is a secret)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/…"


def _check_addresses(host: str, port: int) -> None:
    if host in _insecure_hosts():
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise WebhookRefused("The webhook's host name does not resolve.") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise WebhookRefused("The webhook's host resolves to a private or reserved address; refused.")


@dataclass(frozen=True)
class PostResult:
    """How one POST went: ``ok``, the HTTP status (``None`` without an answer), whether trying
    again may help, and a short reason without the URL or the answer's body."""

    ok: bool
    status_code: int | None
    retryable: bool
    error: str = ""


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> PostResult:
    """POST ``body`` once, without following redirects."""
    try:
        validate_url(url)
    except ValidationFailed as error:
        return PostResult(False, None, False, error.message)
    parts = urlsplit(url)
    try:
        _check_addresses((parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80))
    except WebhookRefused as error:
        return PostResult(False, None, False, str(error))
    _QUIET.local.posting = True
    try:
        with httpx.Client(follow_redirects=False, timeout=timeout, trust_env=False) as client:
            response = client.post(url, content=body, headers=headers)
    except httpx.TimeoutException:
        return PostResult(False, None, True, "The webhook did not answer in time.")
    except httpx.HTTPError as error:
        return PostResult(False, None, True, f"Connection failed ({type(error).__name__}).")
    finally:
        _QUIET.local.posting = False
    code = response.status_code
    if 200 <= code < 300:
        return PostResult(True, code, False)
    if 300 <= code < 400:
        return PostResult(False, code, False, f"Answered with a redirect ({code}); redirects are not followed.")
    retryable = code >= 500 or code in (408, 425, 429)
    return PostResult(False, code, retryable, f"Answered HTTP {code}.")
