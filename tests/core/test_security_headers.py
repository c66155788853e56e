"""Security headers: HSTS and HTTPS on production settings, CSP everywhere, Permissions-Policy,
``Cache-Control: no-store`` on signed-in pages, and a ``Server`` header that names no version."""

from __future__ import annotations

import http.client
import importlib
import os
import re
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from django.core.wsgi import get_wsgi_application
from django.test import override_settings
from django.urls import reverse

from tests.inventory.factories import make_item

pytestmark = pytest.mark.django_db

# What settings.production decides about transport and headers; applied over the test settings.
PRODUCTION_SECURITY_SETTINGS = (
    "DEBUG",
    "MIDDLEWARE",
    "SECURE_CSP",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "X_FRAME_OPTIONS",
    "TENANTPILOT_PERMISSIONS_POLICY",
)


@pytest.fixture
def production(monkeypatch) -> Iterator[None]:
    """The real ``tenantpilot.settings.production`` values, imported fresh, over the test settings."""
    monkeypatch.setenv("TENANTPILOT_ALLOW_SQLITE", "1")  # the SQLite lane; PostgreSQL needs nothing
    # What production requires (settings.production refuses to start without them); the proxy
    # header is trusted only when configured.
    monkeypatch.setenv("DATABASE_URL", os.environ.get("DATABASE_URL") or "sqlite:///unused.sqlite3")
    monkeypatch.setenv("TENANTPILOT_CREDENTIAL_KEYS", Fernet.generate_key().decode())
    monkeypatch.setenv("TENANTPILOT_PROXY_SSL_HEADER", "X-Forwarded-Proto")
    for name in ("TENANTPILOT_SSL_REDIRECT", "TENANTPILOT_HSTS_SECONDS", "TENANTPILOT_HSTS_INCLUDE_SUBDOMAINS"):
        monkeypatch.delenv(name, raising=False)
    sys.modules.pop("tenantpilot.settings.production", None)
    module = importlib.import_module("tenantpilot.settings.production")
    sys.modules.pop("tenantpilot.settings.production", None)
    values = {name: getattr(module, name) for name in PRODUCTION_SECURITY_SETTINGS}
    with override_settings(**values):
        yield


def _workspace_pages(world) -> list[str]:
    ws = {"workspace": world.a.slug}
    env = {**ws, "environment_id": world.a1.pk}
    return [
        reverse("console:workspace-picker"),
        reverse("console:workspace-home", kwargs=ws),
        reverse("console:members", kwargs=ws),
        reverse("console:audit", kwargs=ws),
        reverse("console:operations", kwargs=ws),
        reverse("console:notifications", kwargs=ws),
        reverse("console:environment-detail", kwargs=env),
        reverse("console:inventory", kwargs=env),
        reverse("console:bindings", kwargs=env),
        "/w/no-such-workspace/",  # the 404 page of a signed-in user
    ]


def test_production_answers_carry_hsts_csp_and_permissions_policy(client, production):
    response = client.get(reverse("console:login"), secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_production_redirects_plain_http_to_https(client, production):
    response = client.get(reverse("console:login"))
    assert response.status_code == 301
    assert response["Location"].startswith("https://")
    assert "Strict-Transport-Security" not in response  # HSTS over HTTP means nothing; Django sends it on HTTPS only


def test_production_trusts_the_proxy_forwarded_https(client, production):
    response = client.get(reverse("console:login"), headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 200
    assert "max-age=31536000" in response["Strict-Transport-Security"]


def test_production_signed_in_pages_are_never_stored(client, world, production):
    client.force_login(world.owner)
    for url in _workspace_pages(world):
        response = client.get(url, secure=True)
        assert response.status_code in (200, 302, 404), url
        cache_control = response["Cache-Control"]
        assert "no-store" in cache_control, url
        assert "private" in cache_control, url
        assert response["Strict-Transport-Security"], url
        assert "default-src 'self'" in response["Content-Security-Policy"], url
        assert response["Permissions-Policy"], url
        assert response["Server"] == "TenantPilot", url


def test_signed_in_pages_are_never_stored_on_every_deployment(client, world):
    client.force_login(world.owner)
    for url in _workspace_pages(world):
        response = client.get(url)
        assert "no-store" in response["Cache-Control"], url
    # An htmx partial of a signed-in page too.
    response = client.get(reverse("console:workspace-picker"), headers={"HX-Request": "true"})
    assert "no-store" in response["Cache-Control"]


def test_anonymous_answers_carry_the_headers_too(client):
    response = client.get(reverse("console:login"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]  # Django's LoginView is never_cache itself
    assert response["Content-Security-Policy"]
    assert response["Permissions-Policy"]
    assert response["Server"] == "TenantPilot"
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Security-Policy"]
    assert response["Permissions-Policy"]
    assert response["Server"] == "TenantPilot"


def test_inline_style_carries_the_answers_csp_nonce(client, world):
    """The one inline <style> (inventory diff colours) runs only with the nonce the header allows."""
    item = make_item(world.a1)
    client.force_login(world.owner)
    url = reverse(
        "console:inventory-item", kwargs={"workspace": world.a.slug, "environment_id": world.a1.pk, "item_id": item.pk}
    )
    response = client.get(url)
    assert response.status_code == 200
    nonces = re.findall(r"<style nonce=\"([^\"]+)\">", response.content.decode())
    assert nonces, "the inventory item page has its diff style"
    style_src = re.search(r"style-src ([^;]+)", response["Content-Security-Policy"]).group(1)
    assert all(f"'nonce-{n}'" in style_src for n in nonces)


def test_rendered_pages_have_no_inline_script_or_style_the_policy_would_block(client, world):
    client.force_login(world.owner)
    make_item(world.a1)
    for url in [reverse("console:login"), *_workspace_pages(world)]:
        html = client.get(url).content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert re.search(r"\bsrc=\"/static/", tag), f"{url}: inline or foreign script {tag}"
        for tag in re.findall(r"<style\b[^>]*>", html):
            assert "nonce=" in tag, f"{url}: inline style without nonce {tag}"
        assert not re.search(r"\sstyle=\"", html), f"{url}: style attribute (blocked by style-src)"
        assert not re.search(r"\son[a-z]+=\"", html), f"{url}: inline event handler (blocked by script-src)"
        assert "javascript:" not in html, url


TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "src" / "tenantpilot" / "console" / "templates"


def test_console_templates_have_no_inline_script_and_only_nonced_styles():
    """A new template cannot bring back an inline script, handler or un-nonced style."""
    offenders = []
    for template in sorted(TEMPLATES_DIR.rglob("*.html")):
        text = template.read_text()
        name = template.relative_to(TEMPLATES_DIR)
        offenders += [f"{name}: {tag}" for tag in re.findall(r"<script\b[^>]*>", text) if "src=" not in tag]
        offenders += [
            f"{name}: {tag}" for tag in re.findall(r"<style\b[^>]*>", text) if 'nonce="{{ csp_nonce }}"' not in tag
        ]
        offenders += [f"{name}: style attribute" for _ in re.findall(r"\sstyle=[\"']", text)]
        offenders += [f"{name}: {h}" for h in re.findall(r"\s(on[a-z]+)=[\"']", text)]
        offenders += [f"{name}: hx-on" for _ in re.findall(r"\shx-on", text)]
    assert not offenders, offenders


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(client):
    html = client.get(reverse("console:login")).content.decode()
    assert 'name="htmx-config"' in html
    assert '"includeIndicatorStyles": false' in html
    assert '"allowEval": false' in html


@pytest.fixture
def served() -> Iterator[str]:
    """Our WSGI application behind the server the demo ships (Django's runserver WSGIServer)."""
    server = WSGIServer(("127.0.0.1", 0), WSGIRequestHandler, ipv6=False)
    server.set_app(get_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


def test_server_header_of_the_shipped_wsgi_server_names_no_version(served):
    """wsgiref would answer ``Server: WSGIServer/0.2 CPython/3.x``; our answers name only TenantPilot."""
    host, port = served.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        connection.request("GET", reverse("console:login"))
        response = connection.getresponse()
        response.read()
        servers = response.headers.get_all("Server")
    finally:
        connection.close()
    assert response.status == 200
    assert servers == ["TenantPilot"]
