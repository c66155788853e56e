"""One unusable item from Microsoft is a per-item problem: skipped, counted, named — never a failed
run, never a poisoned environment. Ids are stored at their real length. A type whose listing stops
part-way keeps what it read and marks nothing gone, and the run says so."""

from __future__ import annotations

import pytest
from django.db import connection

from graphsim import FaultRule
from graphsim import fixtures_catalog as fx
from tenantpilot.audit.models import AuditLog
from tenantpilot.inventory.choices import PolicyType
from tenantpilot.inventory.models import MAX_PROVIDER_OBJECT_ID_BYTES, InventoryItem
from tenantpilot.inventory.services import _storable
from tenantpilot.operations.choices import RunOutcome
from tests.inventory.support import golden_environment, item, run_now, versions

pytestmark = pytest.mark.django_db

DC = PolicyType.DEVICE_CONFIGURATIONS.value
SC = PolicyType.CONFIGURATION_POLICIES.value
DC_PATH = "deviceManagement/deviceConfigurations"
SC_PATH = "deviceManagement/configurationPolicies"
PAGE = 1000  # the settings-catalog page the sync asks for ($top=1000, graph/PLAN.md section 1)


def _config(object_id, name="Extra"):
    return {
        "@odata.type": "#microsoft.graph.windows10GeneralConfiguration",
        "id": object_id,
        "displayName": name,
        "roleScopeTagIds": ["0"],
    }


def _sync_audit(run):
    return AuditLog.objects.get(action="inventory.sync_recorded", metadata__run_id=run.pk)


def test_an_id_longer_than_200_characters_is_stored_whole_and_later_syncs_still_record_changes(world, graph_settings):
    env = golden_environment(world)
    long_id = "a1b2c3d4-" * 33 + "end"  # 300 characters
    tenant = graph_settings.tenant(fx.GOLDEN_TENANT_ID)
    tenant.add_item(DC_PATH, _config(long_id, "Long id"))
    first = run_now(env)
    assert first.outcome == RunOutcome.SUCCEEDED, first.message
    stored = item(env, DC, long_id)
    assert stored.provider_object_id == long_id and len(stored.provider_object_id) == 300

    tenant.update_item(DC_PATH, long_id, displayName="Long id renamed")
    tenant.remove_item(DC_PATH, fx.GOLDEN_DEVICE_RESTRICTIONS_ID)
    second = run_now(env)
    assert second.outcome == RunOutcome.SUCCEEDED, (second.reason_code, second.message)
    assert InventoryItem.objects.filter(environment=env, policy_type=DC, provider_object_id=long_id).count() == 1
    assert item(env, DC, long_id).display_name == "Long id renamed"
    assert len(versions(env, DC, long_id)) == 2
    assert item(env, DC, fx.GOLDEN_DEVICE_RESTRICTIONS_ID).gone_at is not None, "deletions are still recorded"


def test_an_id_over_the_bound_is_skipped_counted_and_named_and_the_type_still_completes(world, graph_settings):
    env = golden_environment(world)
    run_now(env)
    huge_id = "x" * (MAX_PROVIDER_OBJECT_ID_BYTES + 1)
    tenant = graph_settings.tenant(fx.GOLDEN_TENANT_ID)
    tenant.add_item(DC_PATH, _config(huge_id, "Huge id"))
    tenant.remove_item(DC_PATH, fx.GOLDEN_DEVICE_RESTRICTIONS_ID)
    run = run_now(env)
    assert run.outcome == RunOutcome.PARTIALLY_SUCCEEDED
    assert run.reason_code == "malformed_response"
    assert run.summary_counts["skipped"] == 1
    assert run.summary_counts["types_failed"] == 0
    assert "1 unusable item(s) skipped" in run.message and "Device configurations 'xxxx" in run.message
    assert "id longer than 1024 bytes" in run.message
    assert not InventoryItem.objects.filter(environment=env, provider_object_id__startswith="xxxx").exists()
    assert item(env, DC, fx.GOLDEN_DEVICE_RESTRICTIONS_ID).gone_at is not None
    audit = _sync_audit(run)
    assert audit.metadata["skipped"] == 1
    assert audit.metadata["skipped_items"][0].startswith("Device configurations 'xxx")

    tenant.remove_item(DC_PATH, huge_id)
    healed = run_now(env)
    assert healed.outcome == RunOutcome.SUCCEEDED, "the problem is never permanent"


def test_an_id_the_request_check_rejects_skips_only_that_item(world, graph_settings):
    env = golden_environment(world)
    tenant = graph_settings.tenant(fx.GOLDEN_TENANT_ID)
    tenant.add_item(SC_PATH, {"id": "bad id/with slash", "name": "Odd", "platforms": "windows10"})
    run = run_now(env)
    assert run.outcome == RunOutcome.PARTIALLY_SUCCEEDED, run.message
    assert run.reason_code == "malformed_response"
    assert run.summary_counts["skipped"] == 1
    assert run.summary_counts["types_synced"] == len(PolicyType)
    assert "Settings catalog policies 'bad id/with slash': id cannot be used" in run.message
    assert len(item(env, SC, fx.GOLDEN_LOGON_BANNER_ID).current_version.payload["settings"]) == 2
    assert not InventoryItem.objects.filter(environment=env, provider_object_id="bad id/with slash").exists()


def test_an_object_listed_without_an_id_is_skipped(world, graph_settings):
    env = golden_environment(world)
    graph_settings.tenant(fx.GOLDEN_TENANT_ID).add_item(DC_PATH, _config(None, "No id"))
    run = run_now(env)
    assert run.outcome == RunOutcome.PARTIALLY_SUCCEEDED
    assert run.summary_counts["skipped"] == 1
    assert "Device configurations (no id): listed without a usable id" in run.message
    assert InventoryItem.objects.filter(environment=env, policy_type=DC).count() == 5


@pytest.mark.parametrize(
    "poison",
    [{"displayName": "nul\x00byte"}, {"nested": [{"k\x00": "key with NUL"}]}, {"someNumber": float("nan")}],
)
def test_unstorable_content_of_a_known_item_keeps_its_version_and_is_not_marked_gone(world, graph_settings, poison):
    env = golden_environment(world)
    run_now(env)
    before = item(env, DC, fx.GOLDEN_DEVICE_RESTRICTIONS_ID)
    graph_settings.tenant(fx.GOLDEN_TENANT_ID).update_item(DC_PATH, fx.GOLDEN_DEVICE_RESTRICTIONS_ID, **poison)
    run = run_now(env)
    assert run.outcome == RunOutcome.PARTIALLY_SUCCEEDED, run.message
    assert run.summary_counts["skipped"] == 1
    assert "content cannot be normalized or stored" in run.message
    after = item(env, DC, fx.GOLDEN_DEVICE_RESTRICTIONS_ID)
    assert after.gone_at is None and after.last_seen_run_id == run.pk
    assert after.current_version_id == before.current_version_id
    assert after.display_name == before.display_name


def test_a_listing_that_fails_on_page_two_keeps_page_one_and_marks_nothing_gone(world, graph_settings):
    env = golden_environment(world)
    tenant = graph_settings.tenant(fx.GOLDEN_TENANT_ID)
    # The sync asks settings catalog for $top=1000 (its largest page), so the tenant needs more
    # than 1000 policies for the listing to have a page two; the extras are listed after the
    # shipped ones, so the golden logon banner stays on page one.
    listed = len(tenant.items(SC_PATH))
    extra = [
        tenant.add_item(SC_PATH, {"name": f"Extra {n:04}", "platforms": "windows10"})["id"]
        for n in range(PAGE - listed + 30)
    ]
    first = run_now(env)
    assert first.outcome == RunOutcome.SUCCEEDED, first.message
    total = InventoryItem.objects.filter(environment=env, policy_type=SC).count()
    assert total == PAGE + 30, "the type spans two pages of 1000"

    tenant.update_item(SC_PATH, fx.GOLDEN_LOGON_BANNER_ID, name="Banner renamed")  # on page 1
    tenant.remove_item(SC_PATH, extra[0])  # listed nowhere now
    graph_settings.add_fault(FaultRule(path_contains="skiptoken", status=503, retry_after="0", times=1000))
    graph_settings.clear_requests()
    run = run_now(env)
    failed = [r for r in graph_settings.requests if r.status == 503]
    assert failed and all(r.path.endswith(SC_PATH) and "$skiptoken" in r.query for r in failed), (
        "only page 2 of settings catalog failed"
    )
    # The listing's page 1 (the expand chain, which starts once the listing reaches the burst,
    # also reads from the first page; it stops at its own failed page 2).
    listing = [
        r for r in graph_settings.requests if r.path.endswith(SC_PATH) and r.query.get("$expand") == "assignments"
    ]
    first_pages = [r for r in listing if "$skiptoken" not in r.query]
    assert [(r.status, r.query.get("$top")) for r in first_pages] == [(200, str(PAGE))], "page 1 was read whole"

    assert run.outcome == RunOutcome.PARTIALLY_SUCCEEDED
    assert run.reason_code == "provider_unavailable"
    assert item(env, SC, fx.GOLDEN_LOGON_BANNER_ID).display_name == "Banner renamed", "page 1 was applied"
    assert not InventoryItem.objects.filter(environment=env, policy_type=SC, gone_at__isnull=False).exists()
    assert "Not synced, items left as they were" not in run.message
    assert f"Listing stopped part-way: Settings catalog policies (provider_unavailable, {PAGE} read)" in run.message
    assert "none marked gone" in run.message


@pytest.mark.postgres
def test_an_item_the_database_refuses_is_skipped_and_the_rest_of_its_page_is_written(world, graph_settings):
    with connection.cursor() as cursor:  # a refusal no pre-check knows about (DDL is transactional here)
        cursor.execute(
            "ALTER TABLE inventory_items ADD CONSTRAINT test_refuse CHECK (display_name <> 'Refused by the database')"
        )
    env = golden_environment(world)
    run_now(env)
    tenant = graph_settings.tenant(fx.GOLDEN_TENANT_ID)
    tenant.update_item(DC_PATH, fx.GOLDEN_DEVICE_RESTRICTIONS_ID, displayName="Refused by the database")
    added = tenant.add_item(DC_PATH, _config("d6a4c7a2-1111-4e3b-9c1d-2f3a4b5c6d71", "Fine"))
    run = run_now(env)
    assert run.outcome == RunOutcome.PARTIALLY_SUCCEEDED, run.message
    assert run.summary_counts["skipped"] == 1
    assert "content cannot be normalized or stored" in run.message
    assert item(env, DC, added["id"]).display_name == "Fine", "the rest of the page is written"
    refused = item(env, DC, fx.GOLDEN_DEVICE_RESTRICTIONS_ID)
    assert refused.gone_at is None and refused.last_seen_run_id == run.pk
    assert len(versions(env, DC, fx.GOLDEN_DEVICE_RESTRICTIONS_ID)) == 1


def test_text_that_only_looks_like_an_escaped_nul_is_stored():
    assert _storable({"script": "printf '\\u0000'", "nested": ["\\\\u0000"]})
    assert not _storable({"script": "a\x00b"})
    assert not _storable({"a\x00": 1})
