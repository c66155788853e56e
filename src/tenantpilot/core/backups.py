"""Consistent backups and restores of the TenantPilot database, while the product runs.

SQLite: Python's ``sqlite3.Connection.backup`` (SQLite's online backup API) copies a consistent
snapshot of the live database — the web server and the workers keep writing meanwhile (WAL mode:
readers never block writers) — into a single self-contained file (rollback journal, no ``-wal``
beside it), checked with ``PRAGMA integrity_check``. PostgreSQL: ``pg_dump --format=custom``
(a consistent snapshot too), restored with ``pg_restore`` into an empty database.

Guarantees: a backup file appears under its final name only when it is complete (written to a
hidden partial file in the same directory, then renamed); it is created owner-only (0600: it
holds the audit log and the encrypted credentials); an existing file is never overwritten unless
asked. A restore refuses a file that is not an intact TenantPilot database, and refuses to write
over a database that already holds data unless asked (SQLite) or at all (PostgreSQL: restore
into a fresh, empty database). The database password goes to ``pg_dump``/``pg_restore`` through
the environment (``PGPASSWORD``), never on a command line, and no message here carries it.

The credential key ring (``TENANTPILOT_CREDENTIAL_KEYS``, or ``var/credential_keys`` for the
embedded default) is deliberately *not* part of a backup: store it separately. A restored
database with the same key ring decrypts every stored secret; without it, none.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connections
from django.db.migrations.executor import MigrationExecutor

#: What a backup never contains, said after every backup and restore.
KEY_RING_REMINDER = (
    "The credential key ring is not in the backup: keep TENANTPILOT_CREDENTIAL_KEYS "
    "(or var/credential_keys) safe and separate; without it the stored secrets cannot be decrypted."
)


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do (no secret)."""


@dataclass(frozen=True)
class BackupResult:
    """A finished backup: where, of which database engine, and how large."""

    path: Path
    vendor: str
    size_bytes: int


@dataclass(frozen=True)
class RestoreResult:
    """A finished restore: the vendor and the migrations still to apply (``tenantpilot migrate``)."""

    vendor: str
    pending_migrations: list[str]


def database_vendor(using: str = "default") -> str:
    """``sqlite`` or ``postgresql`` (or another Django vendor name) of the configured database."""
    return str(connections[using].vendor)


# -- backup ----------------------------------------------------------------------------------


def backup_database(output: Path, *, replace: bool = False, using: str = "default") -> BackupResult:
    """Write a consistent backup of the configured database to ``output``; see the module docstring."""
    output = Path(output).expanduser().absolute()
    if output.is_dir():
        raise BackupError(f"{output} is a directory: name the backup file, e.g. {output / 'tenantpilot.backup'}.")
    if not output.parent.is_dir():
        raise BackupError(f"The directory {output.parent} does not exist.")
    if output.exists() and not replace:
        raise BackupError(f"{output} already exists: choose another name or pass --force to replace it.")
    vendor = database_vendor(using)
    with _partial_file(output) as partial:
        if vendor == "sqlite":
            _backup_sqlite(using, partial)
        elif vendor == "postgresql":
            _backup_postgresql(connections[using].settings_dict, partial)
        else:
            raise BackupError(f"Backups of a {vendor} database are not supported: use SQLite or PostgreSQL.")
        os.replace(partial, output)
    return BackupResult(path=output, vendor=vendor, size_bytes=output.stat().st_size)


@contextlib.contextmanager
def _partial_file(output: Path) -> Iterator[Path]:
    """An empty owner-only file beside ``output``, removed again unless it was renamed into place."""
    partial = output.with_name(f".{output.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        yield partial
    finally:
        partial.unlink(missing_ok=True)


#: How long a backup or restore waits for a database another process keeps locked.
LOCK_WAIT_SECONDS = 120.0


def _give_up_when_locked_too_long() -> Callable[[int, int, int], None]:
    """A backup progress callback: SQLite retries a locked database forever; this stops it."""
    deadline = time.monotonic() + LOCK_WAIT_SECONDS

    def progress(status: int, remaining: int, total: int) -> None:
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) and time.monotonic() > deadline:
            raise BackupError(f"The database stayed locked for {LOCK_WAIT_SECONDS:.0f} s: try again.")

    return progress


def _backup_sqlite(using: str, target: Path) -> None:
    connection = connections[using]
    if connection.in_atomic_block:
        raise BackupError("A backup cannot run inside a database transaction.")
    connection.ensure_connection()
    source = connection.connection
    destination = sqlite3.connect(target)
    try:
        # All pages in one step: one read snapshot, so the copy is consistent; in WAL mode the
        # writers (web, workers) go on meanwhile.
        source.backup(destination, progress=_give_up_when_locked_too_long())
        destination.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        _require_intact(destination, "The backup")
    finally:
        destination.close()


def _backup_postgresql(settings_dict: dict[str, Any], target: Path) -> None:
    executable = _client("pg_dump")
    command = [executable, "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"]
    _run_client(command, settings_dict, what="pg_dump")


# -- restore ---------------------------------------------------------------------------------


def restore_database(source: Path, *, replace: bool = False, using: str = "default") -> RestoreResult:
    """Restore a backup made by :func:`backup_database` into the configured database.

    Run it with every TenantPilot process stopped. SQLite: the backup is checked (intact, holds
    TenantPilot's migration history) and copied in with the online backup API; a database that
    already holds tables is replaced only with ``replace=True``. PostgreSQL: ``pg_restore`` into
    the configured database, which must be empty (create a fresh one and point ``DATABASE_URL``
    at it). Afterwards ``pending_migrations`` lists what ``tenantpilot migrate`` still applies
    (a backup of an older release).
    """
    source = Path(source).expanduser().absolute()
    if not source.is_file():
        raise BackupError(f"No backup file at {source}.")
    vendor = database_vendor(using)
    connection = connections[using]
    if vendor == "sqlite":
        _check_sqlite_backup(source)
        if _table_names(using) and not replace:
            raise BackupError(
                "The configured database already holds data: stop every TenantPilot process and pass "
                "--replace to overwrite it, or point DATABASE_URL at a new file."
            )
        if connection.in_atomic_block:
            raise BackupError("A restore cannot run inside a database transaction.")
        connection.ensure_connection()
        backup = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)
        try:
            backup.backup(connection.connection, progress=_give_up_when_locked_too_long())
        finally:
            backup.close()
    elif vendor == "postgresql":
        if _table_names(using):
            raise BackupError(
                "The configured PostgreSQL database is not empty: create a new database "
                "(createdb), point DATABASE_URL at it and restore again."
            )
        executable = _client("pg_restore")
        command = [executable, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        _run_client([*command, str(source)], connection.settings_dict, what="pg_restore", dbname_flag=True)
    else:
        raise BackupError(f"Restores into a {vendor} database are not supported: use SQLite or PostgreSQL.")
    connection.close()  # the next query sees the restored database with fresh introspection
    return RestoreResult(vendor=vendor, pending_migrations=pending_migrations(using))


def pending_migrations(using: str = "default") -> list[str]:
    """Migrations the code has and the database has not applied yet, as ``app.name``."""
    connection = connections[using]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, backwards in plan if not backwards]


def _check_sqlite_backup(path: Path) -> None:
    try:
        backup = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        raise BackupError(f"{path} cannot be opened as an SQLite database.") from None
    try:
        _require_intact(backup, f"{path}")
        tables = {row[0] for row in backup.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError:
        raise BackupError(f"{path} is not an SQLite database.") from None
    finally:
        backup.close()
    if "django_migrations" not in tables:
        raise BackupError(f"{path} is not a TenantPilot database (it has no migration history).")


def _require_intact(database: sqlite3.Connection, name: str) -> None:
    result = database.execute("PRAGMA integrity_check").fetchone()
    if not result or result[0] != "ok":
        raise BackupError(f"{name} failed SQLite's integrity check.")


def _table_names(using: str) -> list[str]:
    connection = connections[using]
    with connection.cursor() as cursor:
        return list(connection.introspection.table_names(cursor))


# -- PostgreSQL client programs --------------------------------------------------------------


def _client(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not on PATH: install the PostgreSQL client programs (Debian: postgresql-client) "
            "of the server's major version or newer."
        )
    return found


def _client_environment(settings_dict: dict[str, Any]) -> dict[str, str]:
    """libpq's environment for the configured database; the password travels only here."""
    env = dict(os.environ)
    values = {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGDATABASE": settings_dict.get("NAME"),
        "PGSSLMODE": (settings_dict.get("OPTIONS") or {}).get("sslmode"),
    }
    env.update({key: str(value) for key, value in values.items() if value})
    return env


def _run_client(command: list[str], settings_dict: dict[str, Any], *, what: str, dbname_flag: bool = False) -> None:
    if dbname_flag:
        command = [*command[:1], f"--dbname={settings_dict.get('NAME') or ''}", *command[1:]]
    try:
        completed = subprocess.run(  # noqa: S603 - a fixed program from PATH, arguments we built
            command, env=_client_environment(settings_dict), capture_output=True, text=True, check=False
        )
    except OSError as error:
        raise BackupError(f"{what} could not be started: {error.strerror}.") from None
    if completed.returncode != 0:
        detail = _last_line(completed.stderr)
        raise BackupError(f"{what} failed (exit {completed.returncode}): {detail}")


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no message"
