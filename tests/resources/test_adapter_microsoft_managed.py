"""Objects Microsoft creates inside the issue-10 types are built-ins, never the tenant's own policies."""

from __future__ import annotations

import pytest

from tenantpilot.resources.adapters.microsoft import MicrosoftAdapter
from tenantpilot.resources.choices import SubjectClass, SupportLevel

adapter = MicrosoftAdapter()
PARTNER_MFA_TEMPLATE = "4200930c-0da2-4e33-ca01-000000000005"


def _ca(policy_id: str, name: str, template_id: str | None, state: str = "enabled") -> dict:
    return {"id": policy_id, "displayName": name, "templateId": template_id, "state": state}


def test_microsoft_managed_ca_policy_has_one_key_in_every_tenant_whatever_its_name():
    golden = adapter.describe(
        "identity/conditionalAccess/policies",
        _ca("f1b54946-07ee-4c43-a78a-3f33ee248495", "Microsoft-managed: MFA for partners", PARTNER_MFA_TEMPLATE),
    )
    # Another tenant: another policy id, the display name without the prefix, another state.
    other = adapter.describe(
        "conditionalAccessPolicies",
        _ca("15ce9e54-75ab-49ad-ac41-76e0576fd777", "MFA for partners", PARTNER_MFA_TEMPLATE.upper(), "disabled"),
    )
    assert golden.subject_class is SubjectClass.PROVIDER_BUILTIN
    assert golden.identity.is_builtin and not golden.identity.is_tenant_owned
    assert str(golden.canonical_key) == (
        f"provider:microsoft:builtin:conditionalAccessPolicies/template/{PARTNER_MFA_TEMPLATE}"
    )
    assert other.canonical_key == golden.canonical_key
    assert golden.identity.provider_resource_id == "f1b54946-07ee-4c43-a78a-3f33ee248495"
    # Its state is the tenant's choice: still compared, so the fingerprints differ.
    assert golden.support_level is SupportLevel.SUPPORTED and golden.fingerprint != other.fingerprint


def test_baseline_security_mode_policies_are_microsoft_managed_too():
    item = _ca("b9418d00-e2af-4e02-a972-dbac104c6319", "Baseline Security Mode: phishing-resistant MFA", None)
    item["templateId"] = "4200930c-0da2-4e33-ca01-300000000011"
    assert adapter.identify("conditionalAccessPolicies", item).is_builtin


@pytest.mark.parametrize(
    "item",
    [
        # Created by an admin from Microsoft's ordinary template gallery: the tenant's own policy.
        _ca(
            "d7195984-2fae-403d-abec-a7ccc55bf861",
            "Require MFA for admin portals",
            "6364131e-bc4a-47c4-a20b-33492d1fff6c",
        ),
        # A display name is never identity, the "Microsoft-managed:" prefix included.
        _ca("24d40f2e-1998-4bf1-96ff-db841b6d51e6", "Microsoft-managed: copy", None),
        _ca("24d40f2e-1998-4bf1-96ff-db841b6d51e7", "Lookalike", "4200930c-0da2-4e33-ca01-00000000000"),
        _ca("24d40f2e-1998-4bf1-96ff-db841b6d51e8", "Not a string", 42),  # type: ignore[arg-type]
    ],
)
def test_customer_ca_policies_are_tenant_owned(item):
    descriptor = adapter.describe("conditionalAccessPolicies", item)
    assert descriptor.subject_class is SubjectClass.POLICY
    assert descriptor.identity.is_tenant_owned and not descriptor.identity.is_builtin
    assert str(descriptor.canonical_key).endswith(f":{item['id']}")


def test_microsoft_published_remediations_are_builtins_and_custom_ones_tenant_owned():
    published = adapter.describe(
        "deviceHealthScripts",
        {
            "id": "C0FFEE00-0000-4000-8000-000000000001",
            "displayName": "Restart stopped Office C2R svc",
            "isGlobalScript": True,
        },
    )
    custom = adapter.describe(
        "deviceManagement/deviceHealthScripts",
        {"id": "c0ffee00-0000-4000-8000-000000000002", "displayName": "Clear temp files", "isGlobalScript": False},
    )
    assert published.subject_class is SubjectClass.PROVIDER_BUILTIN and published.identity.is_builtin
    assert str(published.canonical_key) == (
        "provider:microsoft:builtin:deviceHealthScripts/c0ffee00-0000-4000-8000-000000000001"
    )
    assert custom.subject_class is SubjectClass.POLICY and custom.identity.is_tenant_owned
