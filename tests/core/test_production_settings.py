"""Production settings fail closed: each required variable missing (or a malformed credential key)
is refused with a message naming it, before anything is written to disk; with them set,
``check --deploy`` is clean; the proxy's HTTPS header is trusted only when configured."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = ("TENANTPILOT_SECRET_KEY", "DATABASE_URL", "TENANTPILOT_CREDENTIAL_KEYS")
SECRET_KEY = "production-test-secret-key-0123456789-0123456789-0123456789"


def _complete_environment(tmp_path: Path) -> dict[str, str]:
    return {
        "TENANTPILOT_SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "TENANTPILOT_ALLOW_SQLITE": "1",
        "TENANTPILOT_CREDENTIAL_KEYS": Fernet.generate_key().decode(),
    }


def _import_production(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]):
    for name in (*REQUIRED, "TENANTPILOT_ALLOW_SQLITE", "TENANTPILOT_PROXY_SSL_HEADER", "TENANTPILOT_EMAIL_HOST"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    sys.modules.pop("tenantpilot.settings.production", None)
    try:
        return importlib.import_module("tenantpilot.settings.production")
    finally:
        sys.modules.pop("tenantpilot.settings.production", None)


@pytest.mark.parametrize("missing", REQUIRED)
def test_production_refuses_without_each_required_variable(monkeypatch, tmp_path, missing):
    environment = _complete_environment(tmp_path)
    del environment[missing]
    with pytest.raises(ImproperlyConfigured) as error:
        _import_production(monkeypatch, environment)
    assert missing in str(error.value)
    assert "docs/DEPLOY.md" in str(error.value)


@pytest.mark.parametrize("missing", REQUIRED)
def test_an_empty_variable_counts_as_missing(monkeypatch, tmp_path, missing):
    environment = {**_complete_environment(tmp_path), missing: "  "}
    with pytest.raises(ImproperlyConfigured, match=missing):
        _import_production(monkeypatch, environment)


def test_a_malformed_credential_key_is_refused_without_echoing_it(monkeypatch, tmp_path):
    good = Fernet.generate_key().decode()
    environment = {**_complete_environment(tmp_path), "TENANTPILOT_CREDENTIAL_KEYS": f"{good},not-a-fernet-key-XYZ"}
    with pytest.raises(ImproperlyConfigured) as error:
        _import_production(monkeypatch, environment)
    assert "key number 2" in str(error.value)
    assert "not-a-fernet-key-XYZ" not in str(error.value) and good not in str(error.value)


def test_a_short_secret_key_is_refused(monkeypatch, tmp_path):
    environment = {**_complete_environment(tmp_path), "TENANTPILOT_SECRET_KEY": "short"}
    with pytest.raises(ImproperlyConfigured, match="too short"):
        _import_production(monkeypatch, environment)


def test_sqlite_needs_an_explicit_opt_in(monkeypatch, tmp_path):
    environment = _complete_environment(tmp_path)
    del environment["TENANTPILOT_ALLOW_SQLITE"]
    with pytest.raises(ImproperlyConfigured, match="PostgreSQL"):
        _import_production(monkeypatch, environment)


def test_the_proxy_https_header_is_trusted_only_when_configured(monkeypatch, tmp_path):
    module = _import_production(monkeypatch, _complete_environment(tmp_path))
    assert module.SECURE_PROXY_SSL_HEADER is None
    module = _import_production(
        monkeypatch, {**_complete_environment(tmp_path), "TENANTPILOT_PROXY_SSL_HEADER": "X-Forwarded-Proto"}
    )
    assert module.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")


def test_cookies_are_secure_httponly_and_samesite(monkeypatch, tmp_path):
    module = _import_production(monkeypatch, _complete_environment(tmp_path))
    assert module.DEBUG is False
    assert (module.SESSION_COOKIE_SECURE, module.SESSION_COOKIE_HTTPONLY, module.SESSION_COOKIE_SAMESITE) == (
        True,
        True,
        "Lax",
    )
    assert (module.CSRF_COOKIE_SECURE, module.CSRF_COOKIE_HTTPONLY, module.CSRF_COOKIE_SAMESITE) == (True, True, "Lax")
    assert module.STORAGES["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in module.MIDDLEWARE


def _cli(args: list[str], environment: dict[str, str], var_dir: Path) -> subprocess.CompletedProcess[str]:
    # Not the test process's own switches: the browser lane's conftest sets DJANGO_ALLOW_ASYNC_UNSAFE
    # for the whole session, which `check --deploy` rightly reports as an error.
    inherited = (*REQUIRED, "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in inherited}
    env.update(environment)
    env["TENANTPILOT_VAR_DIR"] = str(var_dir)
    env["PYTHONPATH"] = str(ROOT / "src")
    return subprocess.run(
        [sys.executable, "-m", "tenantpilot.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_command_refuses_with_one_clear_line_and_writes_no_key_material(tmp_path):
    var_dir = tmp_path / "var"
    result = _cli(["check", "--settings=tenantpilot.settings.production"], {}, var_dir)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("tenantpilot: configuration error: Production settings refuse to start without")
    assert "Traceback" not in result.stderr
    for name in REQUIRED:
        assert name in result.stderr
    # Neither a secret key file nor a credential key file (nor anything else) was created.
    assert not var_dir.exists() or list(var_dir.iterdir()) == []


def test_check_deploy_is_clean_with_the_required_variables(tmp_path):
    var_dir = tmp_path / "var"
    result = _cli(
        ["check", "--deploy", "--fail-level", "WARNING", "--settings=tenantpilot.settings.production"],
        _complete_environment(tmp_path),
        var_dir,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert not (var_dir / "secret_key").exists() and not (var_dir / "credential_keys").exists()


def test_production_mail_never_goes_to_standard_output(monkeypatch, tmp_path):
    module = _import_production(monkeypatch, _complete_environment(tmp_path))
    assert module.MAILERS["default"]["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
