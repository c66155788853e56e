"""List pages' filters are served by an index, not a table scan (EXPLAIN on the page's own SQL).

Each case loads a console list page with a filter, captures the SQL the page really ran against
the listed table, and asks the database for its plan. On SQLite (``EXPLAIN QUERY PLAN``) every
access to the table must be a ``SEARCH … USING INDEX`` whose constraint names the filtered
columns — a ``SCAN <table>``, or a ``SEARCH`` that only narrows by workspace while the filter is
evaluated row by row (what ``created_at__date`` did), fails. On PostgreSQL (``postgres`` lane)
the same queries are explained with ``enable_seqscan = off`` over a few thousand rows spread over
years (with statistics): no ``Seq Scan`` on the table, and the filter's own column appears in an
``Index Cond``, which proves an index is usable for it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tenantpilot.audit.actions import AuditAction
from tenantpilot.audit.models import AuditLog
from tenantpilot.audit.services import audit_record

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class PlanCase:
    """One list page, its filter, the table it lists and the columns an index must serve."""

    id: str
    route: str
    params: dict[str, str]
    table: str
    columns: tuple[str, ...]
    environment: bool = False
    restricted: bool = False  # as the owner restricted to a2 (the visibility filter joins in)

    @property
    def filter_columns(self) -> tuple[str, ...]:
        """The columns the filter adds (PostgreSQL may rightly serve the workspace by a filter)."""
        return tuple(c for c in self.columns if c != "workspace_id") if len(self.columns) > 1 else ()


CASES = [
    PlanCase("audit-unfiltered", "console:audit", {}, "audit_log", ("workspace_id",)),
    PlanCase(
        "audit-action",
        "console:audit",
        {"action": AuditAction.ENVIRONMENT_UPDATED.value},
        "audit_log",
        ("workspace_id", "action"),
    ),
    PlanCase("audit-actor", "console:audit", {"actor": "<owner>"}, "audit_log", ("workspace_id", "actor_id")),
    PlanCase(
        "audit-environment",
        "console:audit",
        {"environment_id": "<a1>"},
        "audit_log",
        ("workspace_id", "environment_id"),
    ),
    PlanCase(
        "audit-date-range",
        "console:audit",
        {"date_from": "2026-01-01", "date_to": "2026-01-31"},
        "audit_log",
        ("workspace_id", "created_at"),
    ),
    PlanCase(
        "audit-date-from", "console:audit", {"date_from": "2026-01-01"}, "audit_log", ("workspace_id", "created_at")
    ),
    PlanCase("audit-restricted", "console:audit", {}, "audit_log", ("workspace_id",), restricted=True),
    PlanCase(
        "audit-restricted-date-range",
        "console:audit",
        {"date_from": "2026-01-01", "date_to": "2026-01-31"},
        "audit_log",
        ("workspace_id", "created_at"),
        restricted=True,
    ),
    PlanCase("audit-date-to", "console:audit", {"date_to": "2014-03-31"}, "audit_log", ("workspace_id", "created_at")),
    PlanCase(
        "bindings",
        "console:bindings",
        {},
        "provider_resource_bindings",
        ("workspace_id", "environment_id"),
        environment=True,
    ),
    PlanCase("notifications", "console:notifications", {}, "notifications", ("user_id", "workspace_id")),
]


def _page_queries(client, world, case: PlanCase) -> list[str]:
    """Load the page as the workspace owner and return the SQL it ran against ``case.table``."""
    client.force_login(world.restricted if case.restricted else world.owner)
    kwargs: dict[str, object] = {"workspace": world.a.slug}
    if case.environment:
        kwargs["environment_id"] = world.a1.pk
    substitutions = {"<owner>": str(world.owner.pk), "<a1>": str(world.a1.pk)}
    params = {key: substitutions.get(value, value) for key, value in case.params.items()}
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(case.route, kwargs=kwargs), params)
    assert response.status_code == 200
    quoted = f'"{case.table}"'
    queries = [q["sql"] for q in ctx.captured_queries if f"FROM {quoted}" in q["sql"]]
    assert queries, f"{case.id}: the page ran no query against {case.table}"
    return queries


def _sqlite_plan(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return [row[3] for row in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite plans; the postgres lane has its own test")
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_list_page_filter_uses_an_index_on_sqlite(client, world, case):
    for sql in _page_queries(client, world, case):
        plan = _sqlite_plan(sql)
        # Django names the listed table itself (subqueries use aliases such as U0).
        lines = [line for line in plan if re.search(rf"\b(SCAN|SEARCH) {case.table}\b", line)]
        assert lines, f"{case.id}: no access to {case.table} in plan {plan}"
        for line in lines:
            assert line.startswith("SEARCH") and "INDEX" in line, f"{case.id}: table scan: {line}"
            for column in case.columns:
                assert re.search(rf"\b{column}\s*[=<>]", line), f"{case.id}: {column} not served by {line!r}"


def _fill_audit_log(world, rows: int) -> None:
    """Spread ``rows`` audit rows over both workspaces, many actions, actors and environments.

    Test data only: inserted in bulk (an insert, which the append-only log allows) so that the
    PostgreSQL planner has statistics and picks the most selective index for each filter.
    """
    actions = list(AuditAction)
    actors = [*world.members.values(), world.other]
    environments = [world.a1, world.a2, None]
    start = dt.datetime(2014, 1, 1, tzinfo=dt.UTC)
    batch = []
    for i in range(rows):
        workspace = world.a if i % 4 else world.b
        environment = environments[i % 3] if workspace == world.a else world.b1
        actor = actors[i % len(actors)]
        batch.append(
            AuditLog(
                action=actions[i % len(actions)].value,
                actor=actor,
                actor_label=actor.get_username(),
                workspace=workspace,
                environment=environment,
                target_type="tenancy.workspace",
                target_id=str(workspace.pk),
            )
        )
    # created_at is auto_now_add: spread the rows over years through the clock.
    instants = (start + dt.timedelta(hours=20 * i) for i in range(rows))
    with mock.patch("django.utils.timezone.now", side_effect=lambda: next(instants)):
        AuditLog.objects.bulk_create(batch, batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_log")


@pytest.mark.postgres
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_list_page_filter_uses_an_index_on_postgres(client, world, case):
    _fill_audit_log(world, 6000)
    conditions = []
    for sql in _page_queries(client, world, case):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert f"Seq Scan on {case.table}" not in plan, f"{case.id}: table scan:\n{plan}"
        conditions.extend(re.findall(r"Index Cond: (.*)", plan))
    # The page's row query may rightly walk the created_at order with a LIMIT; the count of the
    # same filter must then find the rows through an index on the filter's column.
    for column in case.filter_columns:
        assert any(column in condition for condition in conditions), f"{case.id}: {column} not in {conditions}"


@pytest.mark.parametrize(
    ("time_zone", "listed_on", "not_listed_on"),
    [("UTC", "2026-01-01", "2026-01-02"), ("Australia/Sydney", "2026-01-02", "2026-01-01")],
)
def test_audit_date_filter_is_the_local_day(client, world, settings, time_zone, listed_on, not_listed_on):
    """The range runs from local midnight to the next: 23:30 UTC on 1 Jan is 2 Jan in Sydney."""
    instant = dt.datetime(2026, 1, 1, 23, 30, tzinfo=dt.UTC)
    with mock.patch("django.utils.timezone.now", return_value=instant), transaction.atomic():
        row = audit_record(
            actor=world.owner,
            action=AuditAction.ENVIRONMENT_UPDATED,
            workspace=world.a,
            environment=world.a1,
            target=world.a1,
        )
    assert row.created_at == instant
    settings.TIME_ZONE = time_zone
    client.force_login(world.owner)
    url = reverse("console:audit", kwargs={"workspace": world.a.slug})

    def listed(day_from: str, day_to: str) -> bool:
        response = client.get(url, {"date_from": day_from, "date_to": day_to})
        assert response.status_code == 200
        return row.pk in {r.pk for r in response.context["page"].object_list}

    assert listed(listed_on, listed_on)
    assert not listed(not_listed_on, not_listed_on)
    # The bounds are inclusive days: a range ending on the row's local day lists it.
    assert listed("2025-12-01", listed_on)
    assert not listed("2025-12-01", "2025-12-31")


def test_audit_date_filter_at_the_edges_of_the_calendar_answers(client, world):
    client.force_login(world.owner)
    url = reverse("console:audit", kwargs={"workspace": world.a.slug})
    response = client.get(url, {"date_from": "0001-01-01", "date_to": "9999-12-31"})
    assert response.status_code == 200
