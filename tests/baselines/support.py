"""Helpers of the baseline run tests: simulator tenants synced inline, capture and compare run inline."""

from __future__ import annotations

from graphsim import fixtures_catalog as fx
from tenantpilot.baselines import services
from tenantpilot.baselines.models import BaselineCompareResult, BaselineProfile
from tenantpilot.operations.models import OperationRun
from tenantpilot.operations.runner import run_operation
from tests.inventory.support import golden_environment, run_now


def contoso(world):
    return golden_environment(world, name="Contoso")


def fabrikam(world):
    return golden_environment(
        world,
        tenant_id=fx.DRIFTED_TENANT_ID,
        client_id=fx.DRIFTED_CLIENT_ID,
        secret=fx.DRIFTED_CLIENT_SECRET,
        name="Fabrikam",
    )


def synced(environment):
    run = run_now(environment)
    assert run.outcome == "succeeded", (run.reason_code, run.message)
    return environment


def execute(started) -> OperationRun:
    """Run a started run on this thread (the worker's code path) and reload it."""
    run_operation(started.run.pk)
    return OperationRun.objects.get(pk=started.run.pk)


def captured_profile(world, source, *, name: str = "Contoso baseline", **fields) -> BaselineProfile:
    profile = services.profile_create(actor=world.owner, workspace=world.a, name=name, **fields)
    run = execute(services.baseline_capture_start(actor=world.owner, profile=profile, source_environment=source))
    assert run.outcome == "succeeded", (run.reason_code, run.message)
    return profile


def compared(world, profile, environment) -> tuple[OperationRun, BaselineCompareResult]:
    services.profile_assign(actor=world.owner, profile=profile, environment=environment)
    run = execute(services.baseline_compare_start(actor=world.owner, profile=profile, environment=environment))
    result = BaselineCompareResult.objects.filter(operation_run=run).first()
    assert result is not None, (run.outcome, run.reason_code, run.message)
    return run, result
