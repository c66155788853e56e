"""Database helpers shared by the domain apps: PostgreSQL-only migration operations.

SQLite cannot add a composite foreign key or a trigger to an existing table through Django's
schema editor; PostgreSQL is the production database and the one the guarantees are proven on,
so these operations run there and are no-ops elsewhere (the models' ``clean()`` keeps the same
rules on every database).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import ProjectState


class PostgresOnlySQL(migrations.RunSQL):
    """``RunSQL`` that only runs on PostgreSQL."""

    def database_forwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: ProjectState, to_state: ProjectState
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def environment_workspace_fk(table: str, *, environment_column: str = "environment_id") -> PostgresOnlySQL:
    """The composite foreign key ``(environment_id, workspace_id) → managed_environments(id, workspace_id)``.

    It makes the database refuse a row whose workspace differs from its environment's.
    A NULL environment (MATCH SIMPLE) is allowed where the column is nullable.
    """
    name = f"{table}_env_ws_fk"
    return PostgresOnlySQL(
        sql=(
            f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" FOREIGN KEY ("{environment_column}", "workspace_id") '
            'REFERENCES "managed_environments" ("id", "workspace_id") DEFERRABLE INITIALLY DEFERRED'
        ),
        reverse_sql=f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"',
    )


def append_only_trigger(table: str) -> PostgresOnlySQL:
    """A trigger that refuses UPDATE and DELETE on ``table`` (append-only history).

    TRUNCATE is left to the table owner on purpose: it is how test databases are flushed, and an
    application role that may truncate could as well drop the table.
    """
    function = f"{table}_append_only"
    return PostgresOnlySQL(
        sql=[
            f"""
            CREATE OR REPLACE FUNCTION "{function}"() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END;
            $$ LANGUAGE plpgsql
            """,
            f'CREATE TRIGGER "{function}_trg" BEFORE UPDATE OR DELETE ON "{table}" '
            f'FOR EACH ROW EXECUTE FUNCTION "{function}"()',
        ],
        reverse_sql=[
            f'DROP TRIGGER IF EXISTS "{function}_trg" ON "{table}"',
            f'DROP FUNCTION IF EXISTS "{function}"()',
        ],
    )


def check_environment_workspace(instance: Any) -> None:
    """Model-level twin of the composite foreign key: refuse a workspace/environment mismatch.

    The environment model is the one ``instance``'s own ``environment`` foreign key points at, so
    ``core`` stays below ``tenancy`` (it names no domain model).
    """
    environment_id = getattr(instance, "environment_id", None)
    if environment_id is None:
        return
    environment_model = instance._meta.get_field("environment").related_model
    env_workspace_id = (
        environment_model._default_manager.filter(pk=environment_id).values_list("workspace_id", flat=True).first()
    )
    if env_workspace_id is None or env_workspace_id != instance.workspace_id:
        raise ValidationError({"environment": "The environment does not belong to this workspace."})
