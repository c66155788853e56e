"""One compare records a bounded number of new identities; the next compares record the rest, and
the outcomes never depend on how many are recorded yet."""

from __future__ import annotations

import pytest

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


def test_identities_are_recorded_a_few_per_compare_until_all_are(world, graph_settings, settings):
    settings.TENANTPILOT_COMPARE_IDENTITIES_PER_RUN = 3
    golden = synced(contoso(world))
    profile = captured_profile(world, golden)
    first, _result = compared(world, profile, golden)
    assert first.summary_counts["identities_recorded"] == 3
    active = ProviderResourceBinding.objects.filter(environment=golden, binding_status=BindingStatus.ACTIVE)
    assert active.count() == 3
    expected = set(_outcomes(first).values())
    assert expected == {"match"}

    runs = [first]
    while runs[-1].summary_counts["identities_recorded"]:
        runs.append(execute(services.baseline_compare_start(actor=world.owner, profile=profile, environment=golden)))
        assert runs[-1].summary_counts["identities_recorded"] <= 3
        assert _outcomes(runs[-1]) == _outcomes(first), "outcomes do not depend on what is recorded yet"
        assert len(runs) < 100
    assert len(runs) > 2
    assert active.count() == sum(r.summary_counts["identities_recorded"] for r in runs)
