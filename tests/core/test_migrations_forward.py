"""Upgrades: every app's migrations apply forward from its first migration with data present.

The database is taken back to the first release's schema (each app's ``0001_initial``, plus what
those need), rows are written with the *historical* models of that schema, then everything
migrates forward to the latest state and the rows are read back with today's models — including
a stored secret that must still decrypt with the key ring. Runs in both lanes.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from cryptography.fernet import Fernet
from django.apps import apps as django_apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tenantpilot.audit.models import AuditLog
from tenantpilot.baselines.models import BaselineAssignment, BaselineProfile, BaselineSnapshot
from tenantpilot.core.backups import pending_migrations
from tenantpilot.inventory.models import ComplianceSnapshot, InventoryItem, PolicyVersion, Schedule
from tenantpilot.operations.models import OperationRun
from tenantpilot.providers.credentials import SecretMaterial, credential_material
from tenantpilot.providers.models import ProviderConnection
from tenantpilot.resources.models import ProviderResourceBinding
from tenantpilot.tenancy.models import ManagedEnvironment, Workspace, WorkspaceMembership


def _our_apps(executor: MigrationExecutor) -> list[str]:
    """Every TenantPilot app with migrations (a new app is covered without editing this test)."""
    return sorted(
        config.label
        for config in django_apps.get_app_configs()
        if config.name.startswith("tenantpilot.") and config.label in executor.loader.migrated_apps
    )


TENANT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "66666666-7777-8888-9999-000000000000"
SECRET = "migration-canary-secret-value"
NOW = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)


def _first_release_targets(executor: MigrationExecutor) -> list[tuple[str, str]]:
    """Per app, its latest migration that the apps' first migrations need (their own 0001 at least)."""
    graph = executor.loader.graph
    apps = _our_apps(executor)
    firsts = [(app, min(name for label, name in graph.nodes if label == app)) for app in apps]
    needed: set[tuple[str, str]] = set()
    for node in firsts:
        needed.update(graph.forwards_plan(node))
    return [(app, max(name for label, name in needed if label == app)) for app in apps]


def _write_first_release_rows(apps, key_ring: str) -> dict[str, int]:
    """One of each kind of row, written with the historical models of the first release."""
    user = apps.get_model("auth", "User").objects.create(username="owner@upgrade.test")
    workspace = apps.get_model("tenancy", "Workspace").objects.create(slug="upgrade", name="Upgrade MSP")
    apps.get_model("tenancy", "WorkspaceMembership").objects.create(workspace=workspace, user=user, role="owner")
    env = apps.get_model("tenancy", "ManagedEnvironment").objects.create(
        workspace=workspace, display_name="Customer", tenant_id=TENANT_ID
    )
    scoped = {"workspace": workspace, "environment": env}
    conn = apps.get_model("providers", "ProviderConnection").objects.create(
        **scoped, display_name="Graph", entra_tenant_id=TENANT_ID, client_id=CLIENT_ID, auth_type="client_secret"
    )
    document = json.dumps({"kind": "client_secret", "client_secret": SECRET}).encode()
    apps.get_model("providers", "ProviderCredential").objects.create(
        **scoped, connection=conn, kind="client_secret", ciphertext=Fernet(key_ring.encode()).encrypt(document).decode()
    )
    run = apps.get_model("operations", "OperationRun").objects.create(
        **scoped,
        type="inventory.sync",
        scope_key=f"env:{env.pk}",
        initiator_label="owner@upgrade.test",
        status="completed",
        outcome="succeeded",
        summary_counts={"items": 1},
        finished_at=NOW,
    )
    item = apps.get_model("inventory", "InventoryItem").objects.create(
        **scoped,
        policy_type="deviceConfigurations",
        provider_object_id="aaaaaaaa-0000-0000-0000-000000000001",
        display_name="WIN - Baseline",
        payload_hash="h1",
        first_seen_at=NOW,
        last_seen_at=NOW,
    )
    apps.get_model("inventory", "PolicyVersion").objects.create(
        **scoped,
        item=item,
        version_number=1,
        payload={"id": item.provider_object_id, "displayName": "WIN - Baseline"},
        normalized={"displayName": "WIN - Baseline"},
        payload_hash="h1",
        captured_at=NOW,
    )
    apps.get_model("inventory", "ComplianceSnapshot").objects.create(**scoped, captured_at=NOW)
    apps.get_model("inventory", "Schedule").objects.create(
        **scoped, operation_type="inventory.sync", frequency="daily", next_run_at=NOW
    )
    apps.get_model("resources", "ProviderResourceBinding").objects.create(
        **scoped,
        provider_key="microsoft",
        subject_domain="intune",
        subject_class="policy",
        subject_type="deviceConfigurations",
        canonical_subject_key="deviceConfigurations:win-baseline",
        resolution_mode="exact_provider_identity",
        decided_by_label="owner@upgrade.test",
        decided_at=NOW,
    )
    profile = apps.get_model("baselines", "BaselineProfile").objects.create(workspace=workspace, name="Contoso")
    apps.get_model("baselines", "BaselineSnapshot").objects.create(
        workspace=workspace, profile=profile, captured_at=NOW
    )
    apps.get_model("baselines", "BaselineAssignment").objects.create(**scoped, profile=profile)
    apps.get_model("audit", "AuditLog").objects.create(
        workspace=workspace,
        action="workspace.created",
        actor_label="owner@upgrade.test",
        target_type="workspace",
        target_id=str(workspace.pk),
        metadata={"slug": "upgrade"},
    )
    return {"workspace": workspace.pk, "environment": env.pk, "connection": conn.pk, "run": run.pk, "item": item.pk}


@pytest.mark.django_db(transaction=True)
def test_every_app_migrates_forward_from_its_first_migration_with_data(settings):
    settings.TENANTPILOT_CREDENTIAL_KEYS = key_ring = Fernet.generate_key().decode()
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    targets = _first_release_targets(executor)
    assert {"tenancy", "providers", "inventory", "baselines"} <= {app for app, _ in targets}
    try:
        executor.migrate(targets)
        executor.loader.build_graph()
        old_apps = executor.loader.project_state(targets).apps
        assert len(pending_migrations()) > 0  # we really are on an older schema
        ids = _write_first_release_rows(old_apps, key_ring)
    finally:
        # Whatever happened above, leave the database on the latest schema for the other tests.
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
        executor.loader.build_graph()
    assert pending_migrations() == []

    workspace = Workspace.objects.get(pk=ids["workspace"])
    assert workspace.slug == "upgrade" and workspace.name == "Upgrade MSP"
    env = ManagedEnvironment.objects.get(pk=ids["environment"])
    assert env.workspace_id == workspace.pk and env.tenant_id == TENANT_ID and not env.is_archived
    assert WorkspaceMembership.objects.get(workspace=workspace).role == "owner"
    conn = ProviderConnection.objects.get(pk=ids["connection"])
    assert conn.client_id == CLIENT_ID
    material = credential_material(conn)
    assert isinstance(material, SecretMaterial) and material.client_secret == SECRET
    run = OperationRun.objects.get(pk=ids["run"])
    assert (run.status, run.outcome, run.summary_counts) == ("completed", "succeeded", {"items": 1})
    item = InventoryItem.objects.get(pk=ids["item"])
    assert item.display_name == "WIN - Baseline" and item.environment_id == env.pk
    assert PolicyVersion.objects.get(item=item).payload["displayName"] == "WIN - Baseline"
    assert ComplianceSnapshot.objects.filter(environment=env).count() == 1
    schedule = Schedule.objects.get(environment=env)
    assert (schedule.operation_type, schedule.frequency, schedule.next_run_at) == ("inventory.sync", "daily", NOW)
    binding = ProviderResourceBinding.objects.get(environment=env)
    assert binding.canonical_subject_key == "deviceConfigurations:win-baseline" and binding.binding_status == "active"
    profile = BaselineProfile.objects.get(workspace=workspace)
    assert profile.name == "Contoso" and BaselineSnapshot.objects.filter(profile=profile).count() == 1
    assert BaselineAssignment.objects.get(profile=profile).environment_id == env.pk
    assert AuditLog.objects.get(workspace=workspace).action == "workspace.created"
