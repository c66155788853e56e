"""One contract suite, run against every adapter: the core never assumes a particular provider."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tenantpilot.resources.adapters import ProviderAdapter, UnclassifiableResource
from tenantpilot.resources.adapters.fake import FakeAdapter
from tenantpilot.resources.adapters.microsoft import MicrosoftAdapter
from tenantpilot.resources.choices import SubjectClass
from tenantpilot.resources.descriptors import ProviderResourceDescriptor
from tests.resources.samples import CUSTOMER_TENANT, GOLDEN_TENANT, SAMPLES, Sample

ADAPTERS: dict[str, Callable[[], ProviderAdapter]] = {"microsoft": MicrosoftAdapter, "fake": FakeAdapter}

# How each provider spells "the same object in another tenant/account": a textual swap of
# the tenant-specific part of its ids.
OTHER_TENANT: dict[str, tuple[str, str]] = {"microsoft": (GOLDEN_TENANT, CUSTOMER_TENANT), "fake": ("acct-1", "acct-2")}

# Objects each adapter must refuse: no stable id, only a name.
NAME_ONLY: dict[str, tuple[tuple[str, dict[str, Any]], ...]] = {
    "microsoft": (
        ("deviceConfigurations", {"displayName": "WIN - Device restrictions"}),
        ("configurationPolicies", {"name": "WIN - Logon banner", "id": ""}),
        ("assignmentTargets", {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "displayName": "SG-All"}),
    ),
    "fake": (
        ("widgets", {"title": "Kiosk lockdown"}),
        ("audiences", {"kind": "team", "title": "Helpdesk"}),
    ),
}

CASES = [(provider, sample) for provider, samples in SAMPLES.items() for sample in samples]
CASE_IDS = [f"{provider}-{sample.name}" for provider, sample in CASES]


@pytest.fixture(params=list(ADAPTERS))
def provider(request: pytest.FixtureRequest) -> str:
    return request.param


def _rename(adapter: ProviderAdapter, item: dict[str, Any]) -> dict[str, Any]:
    renamed = dict(item)
    for field in adapter.display_label_fields:
        renamed[field] = "Renamed by an operator ✎"
    return renamed


def _ownership(descriptor: ProviderResourceDescriptor) -> str:
    identity = descriptor.identity
    if identity.is_virtual:
        return "virtual"
    if identity.is_default:
        return "default"
    if identity.is_builtin:
        return "builtin"
    return "tenant" if identity.is_tenant_owned else "unasserted"


def test_every_adapter_has_samples_covering_every_ownership(provider):
    ownerships = {sample.ownership for sample in SAMPLES[provider]}
    assert {"tenant", "default", "virtual", "unasserted"} <= ownerships
    assert isinstance(ADAPTERS[provider](), ProviderAdapter)


@pytest.mark.parametrize(("provider", "sample"), CASES, ids=CASE_IDS)
def test_adapter_classifies_its_own_samples(provider: str, sample: Sample):
    adapter = ADAPTERS[provider]()
    descriptor = adapter.describe(sample.resource_type, sample.fresh())
    assert descriptor.identity.provider_key == adapter.provider_key == provider
    assert descriptor.subject_class is sample.subject_class
    assert _ownership(descriptor) == sample.ownership
    assert str(descriptor.canonical_key).startswith(f"provider:{provider}:")
    assert adapter.canonical_key(sample.resource_type, sample.fresh()) == descriptor.canonical_key
    assert adapter.identify(sample.resource_type, sample.fresh()) == descriptor.identity


@pytest.mark.parametrize(("provider", "sample"), CASES, ids=CASE_IDS)
def test_renaming_never_changes_the_key(provider: str, sample: Sample):
    adapter = ADAPTERS[provider]()
    before = adapter.describe(sample.resource_type, sample.fresh())
    after = adapter.describe(sample.resource_type, _rename(adapter, sample.fresh()))
    assert after.canonical_key == before.canonical_key
    assert after.identity.provider_resource_id == before.identity.provider_resource_id
    assert after.identity.discriminator == before.identity.discriminator
    assert after.subject_class is before.subject_class


@pytest.mark.parametrize(("provider", "sample"), CASES, ids=CASE_IDS)
def test_same_builtin_in_two_tenants_shares_a_key_and_tenant_objects_do_not(provider: str, sample: Sample):
    adapter = ADAPTERS[provider]()
    old, new = OTHER_TENANT[provider]
    other = json.loads(json.dumps(sample.item).replace(old, new))
    here = adapter.describe(sample.resource_type, sample.fresh())
    there = adapter.describe(sample.resource_type, other)
    if here.identity.is_provider_canonical:
        assert there.canonical_key == here.canonical_key
    elif other != sample.item:
        # Tenant-owned objects are keyed by their exact provider id.
        assert there.canonical_key != here.canonical_key


def test_keys_are_distinct_across_an_adapters_samples(provider):
    adapter = ADAPTERS[provider]()
    keys = [str(adapter.canonical_key(s.resource_type, s.fresh())) for s in SAMPLES[provider]]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(("provider", "sample"), CASES, ids=CASE_IDS)
def test_classification_is_deterministic_serializable_and_side_effect_free(provider: str, sample: Sample):
    adapter = ADAPTERS[provider]()
    item = sample.fresh()
    first = adapter.describe(sample.resource_type, item, source_inventory_item_id=3, source_operation_run_id=9)
    second = adapter.describe(sample.resource_type, item, source_inventory_item_id=3, source_operation_run_id=9)
    assert item == sample.item
    assert first == second and first.to_json() == second.to_json()
    assert ProviderResourceDescriptor.from_json(first.to_json()) == first
    assert (first.source_inventory_item_id, first.source_policy_version_id, first.source_operation_run_id) == (
        3,
        None,
        9,
    )


@pytest.mark.parametrize(
    ("provider", "resource_type", "item"),
    [(p, rt, item) for p, cases in NAME_ONLY.items() for rt, item in cases],
)
def test_no_adapter_keys_an_object_by_its_name_alone(provider, resource_type, item):
    with pytest.raises(UnclassifiableResource):
        ADAPTERS[provider]().describe(resource_type, item)


def test_provider_canonical_samples_use_builtin_or_virtual_keys(provider):
    adapter = ADAPTERS[provider]()
    for sample in SAMPLES[provider]:
        descriptor = adapter.describe(sample.resource_type, sample.fresh())
        kind = descriptor.canonical_key.kind.value
        if sample.ownership in {"builtin", "default"}:
            assert kind == "builtin"
        elif sample.ownership == "virtual":
            assert kind == "virtual-target"
            assert descriptor.subject_class is SubjectClass.VIRTUAL_ASSIGNMENT_TARGET
        else:
            assert kind in {"policy", "foundation"}
