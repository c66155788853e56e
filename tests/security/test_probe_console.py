"""Outside probe of every console route (issue 8 review): ID mixing, junk ids, junk bodies, CSRF, canary.

For each route of every authorization-matrix case (the matrix's own test proves every workspace
route has one), with the case's records (made in workspace A, mostly on environment ``a1``):

- *ID mixing*: workspace B's owner asks for A's record under B's slug, with A's environment id and
  with B's own environment id: 404, nothing written, nothing of A named;
- *wrong environment*: A's owner asks for an ``a1`` record under ``a2``'s path: 404;
- *junk ids*: every id in the path replaced by 0, 2**63 and 10**30 (past SQLite's and PostgreSQL's
  integer range): 404, never a 500;
- *junk bodies* (POST routes): the case's fields replaced by unicode, oversized, negative, NUL and
  list values: never a 500, and a refusal writes no audit row;
- *missing CSRF*: a POST without the token: 403, nothing written;
- *canary*: a connection on ``a1`` holds a canary client secret; no answer above contains it.

Each route is one test that collects every failing probe, so a report names them all.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tenantpilot.audit.models import AuditLog
from tenantpilot.providers import services as provider_services
from tests.console.test_authorization_matrix import _all_console_cases
from tests.providers.support import CANARY_SECRET
from tests.support.matrix import RouteCase, _encode, hidden_environment_leaks
from tests.support.network import GuardedClient

pytestmark = pytest.mark.django_db

CASES = _all_console_cases()
JUNK_IDS = (0, 2**63, 10**30)
JUNK_VALUES = (
    "\u202e\U0001f4a5\u0000 z\u0308alg\u0337o",  # RTL override, emoji, NUL, combining marks
    "x" * 20_000,
    "-1",
    "-9223372036854775809",
    ["1", "2", "<script>"],
)


def _url(world, case: RouteCase, kwargs: dict[str, Any], slug: str | None = None) -> str:
    return reverse(case.route, kwargs={"workspace": slug or world.a.slug, **kwargs})


def _send(client: Client, case: RouteCase, url: str, data: dict[str, Any] | None) -> Any:
    before = AuditLog.objects.count()
    if case.method == "GET":
        response = client.get(url, data or None)
    else:
        response = client.generic(
            case.method, url, data=_encode(data or {}), content_type="application/x-www-form-urlencoded"
        )
    response.audit_rows = AuditLog.objects.count() - before
    response.body = response.content.decode(errors="replace") + response.get("Location", "")
    return response


def _canary_connection(world) -> None:
    provider_services.connection_create(
        actor=world.owner,
        environment=world.a1,
        display_name="Canary",
        entra_tenant_id=world.a1.tenant_id,
        client_id="00000000-0000-4000-8000-00000000c0de",
        auth_type="client_secret",
        client_secret=CANARY_SECRET,
    )


@pytest.mark.parametrize("case", CASES, ids=str)
def test_probe_route(world, case: RouteCase):
    _canary_connection(world)
    failures: list[str] = []
    client = GuardedClient()

    def check(label: str, response: Any, expected: tuple[int, ...] | None, *, writes_nothing: bool = True) -> None:
        if response.status_code >= 500:
            failures.append(f"{label}: {response.status_code}")
        elif expected is not None and response.status_code not in expected:
            failures.append(f"{label}: got {response.status_code}, expected {expected}")
        if writes_nothing and response.status_code >= 400 and response.audit_rows:
            failures.append(
                f"{label}: refused with {response.status_code} but wrote {response.audit_rows} audit row(s)"
            )
        if CANARY_SECRET in response.body:
            failures.append(f"{label}: the canary secret is in the answer")

    kwargs = case.kwargs(world)
    data = case.data(world) if case.data else None

    # ID mixing: B's owner, B's slug, A's records (with A's and with B's environment id).
    client.force_login(world.other)
    variants = [kwargs]
    # Workspace-level records (profiles) are not bound to an environment.
    record_ids = [name for name in kwargs if name not in ("environment_id", "profile_id")]
    if "environment_id" in kwargs and record_ids:
        variants.append({**kwargs, "environment_id": world.b1.pk})
    for variant in variants:
        response = _send(client, case, _url(world, case, variant, slug=world.b.slug), data)
        # Without ids in the path it is B's own page: only what it names is checked.
        check(f"B's owner on A's records {variant}", response, (404,) if kwargs else None)
        for name in (world.a.name, world.a1.display_name, world.a2.display_name, world.a1.tenant_id):
            if name in response.body:
                failures.append(f"B's owner on A's records {variant}: the answer names {name!r}")

    client = GuardedClient()
    client.force_login(world.owner)
    # A record of a1 asked for under a2's path.
    if kwargs.get("environment_id") == world.a1.pk and record_ids:
        moved = {**kwargs, "environment_id": world.a2.pk}
        check(f"a1's record under a2 {moved}", _send(client, case, _url(world, case, moved), data), (404,))

    # Ids past every integer range, and zero.
    for junk in JUNK_IDS:
        if kwargs:
            junk_kwargs = dict.fromkeys(kwargs, junk)
            check(f"junk ids {junk}", _send(client, case, _url(world, case, junk_kwargs), data), (404,))

    if case.method != "GET":
        fields = sorted((data or {}).keys()) or ["x"]
        for value in JUNK_VALUES:
            # A field of junk can be a legitimate value (a note in any script), so only "never a
            # 500 and a refusal writes nothing" is asserted; fresh records per attempt.
            junk_data = dict.fromkeys(fields, value)
            fresh = case.kwargs(world)
            check(f"junk body {str(value)[:20]!r}", _send(client, case, _url(world, case, fresh), junk_data), None)
        csrf_client = GuardedClient(enforce_csrf_checks=True)
        csrf_client.force_login(world.owner)
        fresh = case.kwargs(world)
        check(
            "no CSRF token",
            _send(csrf_client, case, _url(world, case, fresh), case.data(world) if case.data else None),
            (403,),
        )
    else:
        # The owner's ordinary answer carries no canary and no hidden-environment leak to them is
        # possible (they see a1); the canary check is in ``check``.
        check("owner GET", _send(client, case, _url(world, case, kwargs), data), None, writes_nothing=False)

    # The restricted owner (a1 hidden) on the same records: nothing of a1 in the answer.
    client = GuardedClient()  # a browser of its own: no flash message left by the owner's redirects
    client.force_login(world.restricted)
    response = _send(client, case, _url(world, case, kwargs), data)
    check("restricted owner", response, None, writes_nothing=False)
    leaks = hidden_environment_leaks(response.body, world)
    if case.kwargs is not None and kwargs.get("environment_id") == world.a1.pk and response.status_code != 404:
        failures.append(f"restricted owner on a1's path: {response.status_code}, expected 404")
    if leaks:
        failures.append(f"restricted owner: the answer reveals the hidden environment: {leaks}")

    assert not failures, f"{case}:\n  " + "\n  ".join(failures)
