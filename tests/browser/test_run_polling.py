"""A running run's page updates itself (htmx polling) until the run ends — no reload needed."""

from __future__ import annotations

import pytest

from tenantpilot.operations.choices import OperationType, RunOutcome, SummaryKey
from tenantpilot.operations.services import OperationRunService, operation_start
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_run_detail_follows_the_run_to_its_end_without_a_reload(live_server, page, world, settings):
    # Queue for real (no inline execution): this test plays the worker's part itself.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    run = operation_start(actor=world.owner, operation_type=OperationType.COMPLIANCE_SNAPSHOT, environment=world.a1).run
    OperationRunService.start(run.pk, worker_id="browser-test")

    page.goto(f"{live_server.url}/login/?next=/w/{world.a.slug}/operations/{run.pk}/")
    page.fill("input[name=username]", world.owner.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    status = page.locator("#run-status")
    assert status.get_attribute("data-run-status") == "running"
    page.evaluate("window.__sameDocument = true")

    OperationRunService.add_counts(run.pk, {SummaryKey.DEVICES: 12})
    page.wait_for_selector("#run-status >> text=12", timeout=10_000)
    OperationRunService.complete(run.pk, outcome=RunOutcome.SUCCEEDED, summary_counts={SummaryKey.DEVICES: 42})
    page.wait_for_selector('#run-status[data-run-status="completed"]', timeout=10_000)

    assert "Succeeded" in status.inner_text() and "42" in status.inner_text()
    assert page.evaluate("window.__sameDocument") is True, "the page was reloaded instead of polled"
    assert status.get_attribute("hx-get") is None, "a finished run stops polling"
