"""One compare records every new identity (in bulk, no per-run cap); the next compare records none,
and the outcomes never depend on how many are recorded yet."""

from __future__ import annotations

import pytest

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.baselines import services
from tenantpilot.baselines.models import BaselineCompareItem
from tenantpilot.resources.choices import BindingStatus
from tenantpilot.resources.models import ProviderResourceBinding
from tests.baselines.support import captured_profile, compared, contoso, execute, synced

pytestmark = pytest.mark.django_db


def _outcomes(run) -> dict[str, str]:
    return dict(
        BaselineCompareItem.objects.filter(result__operation_run=run).values_list("canonical_subject_key", "outcome")
    )


def test_one_compare_records_every_identity_and_the_next_records_none(world, graph_settings):
    golden = synced(contoso(world))
    profile = captured_profile(world, golden)
    first, _result = compared(world, profile, golden)
    matched = BaselineCompareItem.objects.filter(result__operation_run=first, outcome="match").count()
    recorded = first.summary_counts["identities_recorded"]
    assert recorded == matched > 3
    active = ProviderResourceBinding.objects.filter(environment=golden, binding_status=BindingStatus.ACTIVE)
    assert active.count() == recorded
    audits = AuditLog.objects.filter(action=AuditAction.RESOURCE_BINDING_CREATED, environment=golden)
    assert audits.count() == recorded
    assert set(_outcomes(first).values()) == {"match"}

    second = execute(services.baseline_compare_start(actor=world.owner, profile=profile, environment=golden))
    assert second.summary_counts["identities_recorded"] == 0
    assert _outcomes(second) == _outcomes(first), "outcomes do not depend on what is recorded yet"
    assert active.count() == recorded and audits.count() == recorded
