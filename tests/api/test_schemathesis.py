"""schemathesis against the API's own OpenAPI document, inside the suite.

Every operation of ``/api/v1/`` gets a bounded number of generated requests, sent in-process to
the Django WSGI application with the token of an owner of a seeded workspace. The path names
records that exist (the seeded workspace and its environment, connection, item, binding,
profile, run, notification), so generated queries and bodies reach the real code instead of
stopping at 404. Checks: no 5xx, the status code is documented, and the body matches the
documented schema. Runs started here never reach Graph: the test transaction never commits, so
the immediate task backend never runs them (and the test settings point Graph at a dead port).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tenantpilot.api.main import api
from tenantpilot.authz.roles import Role
from tenantpilot.resources import services as binding_services
from tenantpilot.resources.selectors import inventory_item_descriptor
from tests.api.conftest import bearer, make_token
from tests.api.support import compare_result, connection
from tests.baselines import factories as bf
from tests.inventory.factories import make_item, make_snapshot
from tests.operations.helpers import finished_run, notification_for
from tests.support.network import no_outbound_connections

# The coverage phase's "unexpected method" probes: one method (405 in the error shape) is enough
# to prove the rule on every path, and keeps the whole file within its time budget.
CONFIG = schemathesis.Config.from_dict({"phases": {"coverage": {"unexpected-methods": ["DELETE"]}}})
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"), config=CONFIG)
schema.app = get_wsgi_application()

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture
def seeded(world) -> dict[str, Any]:
    """The owner's token and one existing record for every path parameter of the API."""
    _, text = make_token(world.owner, world.a)
    conn = connection(world)
    item = make_item(world.a1, payloads=[{"a": 1}, {"a": 2}])
    make_snapshot(world.a1)
    made = binding_services.binding_create_manual(
        actor=world.owner,
        environment=world.a1,
        descriptor=inventory_item_descriptor(bf.inventory_item(world.a1)),
        note="schemathesis seeded binding",
    )
    result = compare_result(world.a1)
    run = finished_run(world.a1)
    owner_notification = notification_for(world.owner, world.a1, run=run)
    notification_for(world.members[Role.READONLY], world.a1)
    path = {
        "workspace": world.a.slug,
        "environment_id": world.a1.pk,
        "connection_id": conn.pk,
        "item_id": item.pk,
        "version_number": 1,
        "binding_id": made.pk,
        "profile_id": result.profile_id,
        "run_id": run.pk,
        "notification_id": owner_notification.pk,
    }
    return {"headers": bearer(text), "path": path}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_answers_within_its_documented_schema(case, seeded, settings):
    settings.TENANTPILOT_API_RATE_LIMIT = 1_000_000
    if case.path_parameters:
        case.path_parameters = {name: seeded["path"].get(name, value) for name, value in case.path_parameters.items()}
    with no_outbound_connections():
        case.call_and_validate(headers=seeded["headers"], checks=CHECKS)
