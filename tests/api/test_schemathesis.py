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
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from tenantpilot.api.main import api
from tests.api.conftest import bearer, make_token
from tests.api.support import seed_path_records
from tests.support.network import no_outbound_connections

# The coverage phase's "unexpected method" probes: one method (405 in the error shape) is enough
# to prove the rule on every path, and keeps the whole file within its time budget.
CONFIG = schemathesis.Config.from_dict({"phases": {"coverage": {"unexpected-methods": ["DELETE"]}}})
schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"), config=CONFIG)


class _KeepTheTestConnection:
    """The Django WSGI app as its test client runs it: neither the start nor the end of a request
    closes the database connection (on PostgreSQL that would end the test's transaction)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = self.app(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()  # sends request_finished while close_old_connections is disconnected
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


schema.app = _KeepTheTestConnection(get_wsgi_application())

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture
def seeded(world) -> dict[str, Any]:
    """The owner's token and one existing record for every path parameter of the API."""
    _, text = make_token(world.owner, world.a)
    return {"headers": bearer(text), "path": seed_path_records(world)}


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
