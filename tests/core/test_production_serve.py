"""``tenantpilot serve`` for real: gunicorn on production settings serves the console with every
security header (CSP included) and Secure/HttpOnly/SameSite cookies, the collected static files
compressed with far-future caching (whitenoise), the probes, and one JSON access-log line per
request carrying the request id. It refuses to start when the static files were not collected.

The database is a fresh SQLite file never migrated: liveness answers, readiness says
``migrations`` (the PostgreSQL end-to-end test covers a ready system).
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.core.production_processes import ROOT, Session, production_env, run_cli, start_server, wait_for


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("serve")
    env = production_env(var_dir, f"sqlite:///{var_dir / 'db.sqlite3'}", TENANTPILOT_ALLOW_SQLITE="1")
    run_cli(env, "collectstatic", "--noinput", "-v0")
    server, base_url = start_server(env)
    session = Session(base_url)
    try:
        yield server, session
    finally:
        session.close()
        server.stop()


def test_the_probes_answer_without_details(served):
    _, session = served
    response = session.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    response = session.get("/readyz")
    assert (response.status_code, response.json()) == (503, {"status": "unavailable", "failing": ["migrations"]})
    # Load balancers probe over plain HTTP: no redirect to HTTPS for the probes.
    assert session.client.get("/healthz").status_code == 200


def test_plain_http_is_redirected_to_https(served):
    _, session = served
    response = session.client.get("/login/")
    assert response.status_code == 301 and response.headers["location"].startswith("https://")


def test_pages_carry_the_security_headers_and_safe_cookies(served):
    _, session = served
    response = session.get("/login/")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["strict-transport-security"] == "max-age=31536000"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "camera=()" in response.headers["permissions-policy"]
    assert not re.search(r"[/0-9]", response.headers["server"])  # names no version ("gunicorn")
    cookies = response.headers.get_list("set-cookie")
    csrf = next(c for c in cookies if c.startswith("csrftoken="))
    assert "Secure" in csrf and "HttpOnly" in csrf and "SameSite=Lax" in csrf
    # Every script is a static file; htmx comes from static too.
    html = response.text
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all(re.search(r'src="/static/', tag) for tag in scripts), scripts


def test_static_files_are_hashed_compressed_and_cached_for_long(served):
    _, session = served
    html = session.get("/login/").text
    stylesheet = re.search(r'href="(/static/console/console\.[0-9a-f]{12}\.css)"', html)
    assert stylesheet, "the stylesheet has a hashed name"
    response = session.get(stylesheet.group(1), headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert "immutable" in response.headers["cache-control"]
    assert "max-age=315360000" in response.headers["cache-control"]
    assert "text/css" in response.headers["content-type"]
    assert session.get("/static/console/no-such-file.css").status_code == 404


def test_the_access_log_is_json_lines_with_the_request_id(served):
    server, session = served
    response = session.get("/healthz", headers={"X-Request-ID": "probe-0123456789"})
    assert response.headers["x-request-id"] == "probe-0123456789"

    def logged():
        return [r for r in server.json_lines("stdout") if r.get("request_id") == "probe-0123456789"]

    (record,) = wait_for(logged, timeout=60, what="the access-log line", process=server)
    assert record["logger"] == "gunicorn.access"
    assert (record["method"], record["path"], record["status"]) == ("GET", "/healthz", 200)
    assert isinstance(record["duration_ms"], float) and record["ts"]


def test_serve_refuses_to_start_without_collected_static_files(tmp_path):
    env = production_env(tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}", TENANTPILOT_ALLOW_SQLITE="1")
    result = subprocess.run(
        [sys.executable, "-m", "tenantpilot.cli", "serve", "--bind", "127.0.0.1:0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode != 0
    assert "tenantpilot collectstatic --noinput" in result.stderr


def test_serve_defaults_follow_the_machine_and_the_environment(tmp_path):
    env = production_env(
        tmp_path,
        f"sqlite:///{tmp_path / 'db.sqlite3'}",
        TENANTPILOT_ALLOW_SQLITE="1",
        TENANTPILOT_BIND="0.0.0.0:8080",
        TENANTPILOT_WEB_THREADS="8",
    )
    config = run_cli(env, "serve", "--print-config", "--workers", "3").stdout
    assert '"bind": ["0.0.0.0:8080"]' in config
    assert '"threads": 8' in config and '"workers": 3' in config and '"timeout": 60' in config
