"""The audit log reads as sentences with links, never as raw dicts or internal model labels."""

from __future__ import annotations

import html
import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.audit.services import audit_record
from tenantpilot.authz.roles import Role
from tenantpilot.console.audit_sentences import (
    RENDERERS,
    AuditContext,
    audit_sentence,
    generic_sentence,
    target_label,
)
from tenantpilot.resources import services as resource_services
from tenantpilot.resources.selectors import inventory_item_descriptor
from tenantpilot.tenancy import services as tenancy_services
from tests.baselines import factories as f
from tests.factories import MembershipFactory

NOTE = "Confirmed with the customer: the hardened Windows profile (ticket 4711)."


def url(name, world, **kwargs):
    return reverse(name, kwargs={"workspace": world.a.slug, **kwargs})


def _entry(action, metadata=None, *, actor_label="alice", environment_id=None, target_type="x.y", target_id="1"):
    row = AuditLog(
        action=action,
        actor_label=actor_label,
        target_type=target_type,
        target_id=target_id,
        metadata=metadata if metadata is not None else {},
    )
    row.environment_id = environment_id
    return row


def _text(page: str) -> str:
    """The page's visible text, tags removed and entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


# -- the pure renderer ------------------------------------------------------------------------


def test_every_registered_action_has_its_own_renderer():
    assert set(RENDERERS) == set(AuditAction)


@pytest.mark.parametrize("action", list(AuditAction))
def test_every_action_renders_a_specific_sentence_even_from_empty_metadata(action):
    row = _entry(action.value)
    sentence = str(audit_sentence(row, AuditContext()))
    assert sentence and sentence != str(generic_sentence(row))
    assert "{" not in sentence and "#" not in sentence


@settings(max_examples=60, deadline=None)
@given(
    action=st.sampled_from(list(AuditAction)),
    metadata=st.dictionaries(
        st.sampled_from(
            [
                "user_id",
                "role",
                "from_role",
                "to_role",
                "environment_ids",
                "changed_fields",
                "counts",
                "profile_id",
                "binding_id",
                "run_id",
                "types_failed",
                "note",
                "resolution_mode",
                "operation_type",
                "from",
                "to",
            ]
        ),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.text(max_size=20),
            st.lists(st.integers(), max_size=3),
            st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
        ),
        max_size=6,
    ),
)
def test_odd_metadata_never_breaks_a_sentence(action, metadata):
    row = _entry(action.value, metadata)
    assert str(audit_sentence(row, AuditContext())) != str(generic_sentence(row))


def test_role_change_reads_as_a_sentence_with_role_labels():
    row = _entry(AuditAction.MEMBER_ROLE_CHANGED.value, {"user_id": 7, "from_role": "readonly", "to_role": "manager"})
    ctx = AuditContext(workspace_slug="alpha", users={7: "bob"}, can_view_members=True)
    sentence = audit_sentence(row, ctx)
    assert str(sentence) == "alice changed bob’s role from Read-only to Manager"
    assert [p.url for p in sentence.parts if p.text == "bob’s"] == [reverse("console:members", args=["alpha"])]


def test_unknown_records_are_named_without_links():
    row = _entry(
        AuditAction.OPERATION_STARTED.value, {"operation_type": "inventory.sync"}, environment_id=99, target_id="5"
    )
    sentence = audit_sentence(row, AuditContext(workspace_slug="alpha"))  # nothing visible, no capability
    assert str(sentence) == "alice started inventory sync (run 5) in an environment"
    assert not any(part.url for part in sentence.parts)


def test_target_label_is_a_readable_model_name():
    assert target_label("tenancy.workspacemembership", "5") == "Workspace membership 5"
    assert "#" not in target_label("nope.gone", "5")


# -- the page -----------------------------------------------------------------------------------

pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_member_changes_read_as_sentences_with_links_and_details(client, world):
    target = world.memberships[Role.OPERATOR]
    tenancy_services.membership_change_role(actor=world.owner, membership=target, role=Role.MANAGER)
    tenancy_services.membership_set_environment_access(
        actor=world.owner, membership=target, restricted=True, environment_ids=[world.a1.pk, world.a2.pk]
    )
    client.force_login(world.owner)
    page = client.get(url("console:audit", world)).content.decode()
    text = _text(page)
    assert "owner@alpha.test changed operator@alpha.test’s role from Operator to Manager." in text
    assert "owner@alpha.test limited operator@alpha.test to Alpha One and Alpha Two." in text
    assert f'href="{url("console:environment-detail", world, environment_id=world.a1.pk)}"' in page
    assert f'href="{url("console:members", world)}"' in page
    # Raw metadata only inside a disclosure, as JSON; no Python reprs and no app.model#id labels.
    assert "<details" in page and '"to_role": "manager"' in html.unescape(page)
    assert "{'" not in html.unescape(page) and "tenancy.workspacemembership#" not in page
    assert f"Workspace membership {target.pk}" in text


@pytestmark_db
def test_restricted_viewer_never_reads_a_hidden_environment_name(client, world):
    target = world.memberships[Role.OPERATOR]
    tenancy_services.membership_set_environment_access(
        actor=world.owner, membership=target, restricted=True, environment_ids=[world.a1.pk, world.a2.pk]
    )
    client.force_login(world.restricted)  # sees a2 only
    text = _text(client.get(url("console:audit", world)).content.decode())
    assert "owner@alpha.test limited operator@alpha.test to Alpha Two." in text
    assert "Alpha One" not in text


@pytestmark_db
def test_binding_reads_as_bound_subject_to_resource_with_note_and_links(client, world):
    item = f.inventory_item(world.a1, policy_type="deviceConfigurations")
    binding = resource_services.binding_create_manual(
        actor=world.owner, environment=world.a1, descriptor=inventory_item_descriptor(item), note=NOTE
    )
    client.force_login(world.owner)
    page = client.get(url("console:audit", world)).content.decode()
    text = _text(page)
    expected = (
        f"owner@alpha.test bound Device configurations “{item.provider_object_id}” to “{item.display_name}” "
        f"(manual binding) in Alpha One — binding {binding.pk} — note: “{NOTE}”."
    )
    assert expected in text
    binding_url = url("console:binding-detail", world, environment_id=world.a1.pk, binding_id=binding.pk)
    item_url = url("console:inventory-item", world, environment_id=world.a1.pk, item_id=item.pk)
    assert f'href="{binding_url}"' in page and f'href="{item_url}"' in page
    # The row itself is ~20 keys: they stay folded away in the disclosure, not in the sentence.
    assert text.count("canonical_subject_key") == 1


@pytestmark_db
def test_audit_page_queries_do_not_grow_with_mixed_rows(client, world, settings):
    settings.TENANTPILOT_PAGE_SIZE = 100

    def add_rows(n):
        for _ in range(n):
            member = MembershipFactory(workspace=world.a, role=Role.READONLY)
            tenancy_services.membership_change_role(actor=world.owner, membership=member, role=Role.OPERATOR)
            item = f.inventory_item(world.a1, policy_type="deviceConfigurations")
            resource_services.binding_create_manual(
                actor=world.owner, environment=world.a1, descriptor=inventory_item_descriptor(item), note=NOTE
            )
            with transaction.atomic():
                audit_record(
                    actor=world.owner,
                    action=AuditAction.ENVIRONMENT_UPDATED,
                    workspace=world.a,
                    environment=world.a2,
                    target=world.a2,
                    metadata={"changed_fields": ["display_name"]},
                )

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url("console:audit", world))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    client.force_login(world.owner)
    add_rows(1)
    small = count()
    add_rows(6)
    assert count() == small
