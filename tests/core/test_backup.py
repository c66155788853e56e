"""Backups: ``tenantpilot backup`` then ``tenantpilot restore`` into a fresh database brings every
row back, and the stored secret decrypts with the credential key ring — and not without it.

The restore and the reads run in separate processes with their own ``DATABASE_URL``, as on a
new machine. SQLite lane: the online backup API; PostgreSQL lane: ``pg_dump``/``pg_restore``.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.db.backends.sqlite3.base import DatabaseWrapper

from graphsim import fixtures_catalog as fx
from tenantpilot.core.backups import backup_database
from tenantpilot.inventory.models import InventoryItem
from tenantpilot.operations.choices import RunOutcome
from tenantpilot.providers.models import ProviderConnection, ProviderCredential
from tenantpilot.tenancy.models import Workspace
from tests.inventory.support import golden_environment, run_now

ROOT = Path(__file__).resolve().parents[2]

# Reads the restored database in a fresh process and says what it found (never the secret itself).
READ_BACK = """
import json, os, django
django.setup()
from tenantpilot.tenancy.models import ManagedEnvironment, Workspace
from tenantpilot.inventory.models import InventoryItem
from tenantpilot.providers.models import ProviderConnection
from tenantpilot.providers.credentials import CredentialUnavailable, credential_material
connection = ProviderConnection.objects.get(client_id=os.environ["EXPECT_CLIENT_ID"])
try:
    secret = "matches" if credential_material(connection).client_secret == os.environ["EXPECT_SECRET"] else "differs"
except CredentialUnavailable as error:
    secret = "unavailable: " + error.reason_code
print(json.dumps({
    "workspaces": sorted(Workspace.objects.values_list("slug", flat=True)),
    "environment": ManagedEnvironment.objects.get(pk=connection.environment_id).tenant_id,
    "items": InventoryItem.objects.filter(environment_id=connection.environment_id).count(),
    "secret": secret,
}))
"""


@pytest.fixture
def key_ring(settings) -> str:
    """A known credential key ring for the product in this test (what an operator keeps safe)."""
    settings.TENANTPILOT_CREDENTIAL_KEYS = Fernet.generate_key().decode()
    return settings.TENANTPILOT_CREDENTIAL_KEYS


def _fresh_database(tmp_path: Path) -> tuple[str, str | None]:
    """A URL of a new, empty database of the lane's kind (and the PostgreSQL name to drop later)."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}", None
    db = connection.settings_dict
    name = f"restored_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="postgres", autocommit=True) as pg:
        pg.execute(f'CREATE DATABASE "{name}"')
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}", name


def _drop_database(name: str | None) -> None:
    if name is None:
        return
    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="postgres", autocommit=True) as pg:
        pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _cli(tmp_path: Path, url: str, keys: str, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "var").mkdir(exist_ok=True)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TENANTPILOT_") and k != "DATABASE_URL"},
        "DJANGO_SETTINGS_MODULE": "tenantpilot.settings.base",
        "DATABASE_URL": url,
        "TENANTPILOT_VAR_DIR": str(tmp_path / "var"),
        "TENANTPILOT_SECRET_KEY": "restore-test-secret-key-0123456789-0123456789",
        "TENANTPILOT_CREDENTIAL_KEYS": keys,
        "TENANTPILOT_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        **extra,
    }
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.django_db(transaction=True)
def test_restore_with_the_key_ring_brings_everything_back_and_without_it_no_secret(
    world, graph_settings, key_ring, tmp_path
):
    environment = golden_environment(world)
    sync = run_now(environment)
    assert sync.outcome == RunOutcome.SUCCEEDED, sync.message
    items = InventoryItem.objects.filter(environment=environment).count()
    assert items > 10
    stored = ProviderCredential.objects.get(connection__environment=environment)
    assert fx.GOLDEN_CLIENT_SECRET not in stored.ciphertext  # encrypted at rest, in the backup too

    backup = tmp_path / "tenantpilot.backup"
    call_command("backup", output=str(backup))
    assert backup.is_file() and oct(backup.stat().st_mode & 0o777) == "0o600"
    assert fx.GOLDEN_CLIENT_SECRET.encode() not in backup.read_bytes()

    url, pg_name = _fresh_database(tmp_path)
    try:
        restored = _cli(tmp_path, url, key_ring, "-m", "tenantpilot.cli", "restore", "--input", str(backup))
        assert restored.returncode == 0, restored.stderr
        assert "The schema is up to date." in restored.stdout and "key ring is not in the backup" in restored.stdout

        expect = {"EXPECT_CLIENT_ID": fx.GOLDEN_CLIENT_ID, "EXPECT_SECRET": fx.GOLDEN_CLIENT_SECRET}
        with_keys = _cli(tmp_path, url, key_ring, "-c", READ_BACK, **expect)
        assert with_keys.returncode == 0, with_keys.stderr
        found = json.loads(with_keys.stdout)
        assert found == {
            "workspaces": sorted([world.a.slug, world.b.slug]),
            "environment": environment.tenant_id,
            "items": items,
            "secret": "matches",
        }

        other_ring = Fernet.generate_key().decode()
        without_keys = _cli(tmp_path, url, other_ring, "-c", READ_BACK, **expect)
        assert without_keys.returncode == 0, without_keys.stderr
        found = json.loads(without_keys.stdout)
        assert found["secret"] == "unavailable: credential_unavailable"
        assert found["items"] == items  # the data is there; only the secret is out of reach
        assert fx.GOLDEN_CLIENT_SECRET not in without_keys.stdout + without_keys.stderr
    finally:
        _drop_database(pg_name)
    assert ProviderConnection.objects.filter(environment=environment).count() == 1


@pytest.mark.django_db
def test_backup_never_overwrites_a_file_unless_forced(tmp_path):
    backup = tmp_path / "tenantpilot.backup"
    backup.write_text("precious")
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", output=str(backup))
    assert backup.read_text() == "precious"
    with pytest.raises(CommandError, match="does not exist"):
        call_command("backup", output=str(tmp_path / "missing" / "x.backup"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tenantpilot.backup"]  # no partial file left


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_already_holds_data(world, tmp_path):
    backup = tmp_path / "tenantpilot.backup"
    call_command("backup", output=str(backup))
    with pytest.raises(CommandError, match=r"already holds data|not empty"):
        call_command("restore", input=str(backup))
    assert Workspace.objects.filter(pk=world.a.pk).exists()


@pytest.mark.django_db
def test_restore_refuses_a_file_that_is_not_a_tenantpilot_database(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite restores check the file; pg_restore checks its own archives")
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(CommandError, match="not an SQLite database"):
        call_command("restore", input=str(junk), replace=True)
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
    with pytest.raises(CommandError, match="not a TenantPilot database"):
        call_command("restore", input=str(other), replace=True)
    with pytest.raises(CommandError, match="No backup file"):
        call_command("restore", input=str(tmp_path / "absent.backup"))


@pytest.mark.django_db
def test_backup_refuses_to_run_inside_a_transaction(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("pg_dump reads through its own connection")
    with pytest.raises(CommandError, match="inside a database transaction"):
        call_command("backup", output=str(tmp_path / "x.backup"))  # the test's own transaction is open
    assert not list(tmp_path.iterdir())


@pytest.mark.django_db(transaction=True)
def test_sqlite_backup_is_consistent_while_another_connection_is_writing(world, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL lane relies on pg_dump's snapshot")
    live = tmp_path / "live.sqlite3"
    call_command("backup", output=str(live))  # a product database on disk, schema and rows included
    # The product's own connection settings (WAL, busy timeout), pointed at that file.
    connections["live"] = DatabaseWrapper({**connection.settings_dict, "NAME": str(live)}, alias="live")
    writer = sqlite3.connect(live, isolation_level=None, timeout=30)
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("INSERT INTO workspaces (slug, name, created_at) VALUES ('committed', 'C', '2026-01-01')")
        writer.execute("BEGIN IMMEDIATE")  # a worker is half-way through a write
        writer.execute("INSERT INTO workspaces (slug, name, created_at) VALUES ('half', 'H', '2026-01-01')")
        copy = backup_database(tmp_path / "copy.backup", using="live").path
        writer.execute("COMMIT")  # the writer was never blocked by the backup
    finally:
        writer.close()
        connections["live"].close()
        del connections["live"]
    with contextlib.closing(sqlite3.connect(f"{copy.as_uri()}?mode=ro", uri=True)) as backup:
        slugs = {row[0] for row in backup.execute("SELECT slug FROM workspaces")}
        assert backup.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    assert {"committed", world.a.slug, world.b.slug} <= slugs and "half" not in slugs
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("copy")) == ["copy.backup"]
