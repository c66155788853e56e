"""The inventory sync's request plan, counted against graphsim for known tenants (graph/PLAN.md).

The expected counts are those of the cheapest plan Graph allows: one list request per page of the
largest allowed size with assignments expanded, one inner ``$batch`` request per policy for what
cannot be expanded (settings-catalog settings, ADMX definition values; a settings list longer than
the default page of 25 still costs one request) or that Graph lists as null (script bodies: one read
by id per script), nothing else. A plan that regresses (a dropped
``$top``, a per-item assignments read, a settings page followed) changes the counts and fails here.
"""

from __future__ import annotations

import math
from collections import Counter

import pytest

from graphsim import fixtures_catalog as fx
from graphsim.generator import generate_tenant
from tenantpilot.graph.contracts import get_contract
from tenantpilot.inventory.choices import POLICY_TYPE_SPECS, PolicyType
from tenantpilot.inventory.pacing import INTUNE_LIMITS, START_DELAY_SECONDS, ThrottleBudget
from tenantpilot.inventory.sync import throttle_debits
from tenantpilot.operations.choices import RunOutcome
from tests.inventory.support import generated_environment, golden_environment, run_now

pytestmark = pytest.mark.django_db

# Collection path -> (page size of the cheapest plan, per-item sub-resource read through $batch).
PLAN: dict[str, tuple[int, str | None]] = {
    "deviceManagement/deviceConfigurations": (1000, None),
    "deviceManagement/deviceCompliancePolicies": (1000, None),
    "deviceManagement/configurationPolicies": (1000, "settings"),
    "deviceManagement/groupPolicyConfigurations": (1000, "definitionValues"),
    "deviceManagement/deviceEnrollmentConfigurations": (1000, None),
    "deviceAppManagement/iosManagedAppProtections": (1000, None),
    "deviceAppManagement/androidManagedAppProtections": (1000, None),
    "deviceManagement/roleScopeTags": (1000, None),
    "deviceManagement/assignmentFilters": (1000, None),
    "groups": (999, None),
    # Scripts: assignments expanded on the list; Graph lists the bodies as null, so each script is
    # read by id through $batch (graph/PLAN.md section 9).
    "deviceManagement/deviceManagementScripts": (1000, "by id"),
    "deviceManagement/deviceShellScripts": (1000, "by id"),
    "deviceManagement/deviceHealthScripts": (1000, "by id"),
    "deviceManagement/deviceComplianceScripts": (1000, "by id"),
    "deviceManagement/deviceCustomAttributeShellScripts": (1000, "by id"),
    "deviceManagement/depOnboardingSettings": (1000, "enrollmentProfiles"),  # per token, as IntuneCD reads them
}


def _expected(collections: dict[str, list]) -> tuple[Counter, int, int]:
    """(list requests per collection, inner $batch requests, $batch POSTs) of the cheapest plan."""
    lists: Counter = Counter()
    inner = posts = 0
    for path, (page, sub) in PLAN.items():
        count = len(collections.get(path, []))
        pages = max(1, math.ceil(count / page))
        lists[path] = pages
        if sub:
            inner += count
            posts += sum(math.ceil(min(page, count - p * page) / 20) for p in range(pages))
    return lists, inner, posts


def _observed(sim, paths: set[str]) -> tuple[Counter, int, int, list]:
    log = [r for r in sim.requests if r.host == "graph"]
    lists: Counter = Counter()
    for r in log:
        key = r.path.split("/", 2)[2] if r.path.count("/") >= 2 else r.path
        if not r.batch_inner and key in paths:
            lists[key] += 1
    # Only the types this plan covers (other types have their own plan and count on their own).
    inner = [r for r in log if r.batch_inner and any(r.path.split("/", 2)[2].startswith(p + "/") for p in paths)]
    posts = sum(1 for r in log if r.path.endswith("/$batch"))
    failures = [(r.path, r.status) for r in log if r.status >= 400]
    return lists, len(inner), posts, failures


def _assert_plan(sim, collections: dict[str, list]) -> None:
    want_lists, want_inner, want_posts = _expected(collections)
    lists, inner, posts, failures = _observed(sim, set(PLAN))
    assert failures == []
    assert {k: lists[k] for k in PLAN} == dict(want_lists)
    assert inner == want_inner
    all_inner = sum(1 for r in sim.requests if r.host == "graph" and r.batch_inner)
    assert want_posts <= posts <= want_posts + math.ceil((all_inner - inner) / 20) + 20  # full batches of 20
    log = [r for r in sim.requests if r.host == "graph"]
    per_item = [r.path for r in log if r.path.endswith("/assignments") and any(f"/{p}/" in r.path for p in PLAN)]
    assert per_item == [], "assignments are expanded on the lists"
    sc = [r for r in log if r.path.endswith("deviceManagement/configurationPolicies") and not r.batch_inner]
    assert all(r.query.get("$top") == "1000" and r.query.get("$expand") == "assignments" for r in sc)
    settings = [r for r in log if r.path.endswith("/settings") and "/configurationPolicies/" in r.path]
    assert settings and all(r.batch_inner and r.query.get("$top") == "1000" for r in settings)


def _assert_compliance_settings_plan(sim, collections: dict[str, list]) -> None:
    """Settings-catalog compliance reads its settings like configurationPolicies: one inner
    ``$batch`` request per policy with ``$top=1000`` (pages of 25 otherwise)."""
    log = [r for r in sim.requests if r.host == "graph"]
    settings = [r for r in log if r.path.endswith("/settings") and "/compliancePolicies/" in r.path]
    policies = collections.get("deviceManagement/compliancePolicies", [])
    assert policies, "the tenant has settings-catalog compliance policies"
    assert len(settings) == len(policies), "one settings request per compliance policy"
    assert all(r.batch_inner and r.status == 200 and r.query.get("$top") == "1000" for r in settings)


def test_golden_tenant_is_read_with_the_cheapest_plan(world, graph_settings):
    env = golden_environment(world)
    graph_settings.clear_requests()
    run = run_now(env)
    assert run.outcome == RunOutcome.SUCCEEDED, (run.reason_code, run.message)
    tenant = graph_settings._tenant_by_id(fx.GOLDEN_TENANT_ID)
    _assert_plan(graph_settings, tenant.collections)
    _assert_compliance_settings_plan(graph_settings, tenant.collections)


def test_generated_2000_policy_tenant_is_read_with_the_cheapest_plan(world, graph_settings):
    doc = generate_tenant(tenant_id="0badc0de-0000-4000-8000-00000000plan"[:36], policies=2000, devices=0, seed=11)
    doc["tenantId"] = "0badc0de-0000-4000-8000-000000000077"
    graph_settings.add_tenant(doc)
    long_lists = [p for p in doc["collections"]["deviceManagement/configurationPolicies"] if len(p["settings"]) > 25]
    assert long_lists, "the generated tenant has settings lists longer than one page"
    env = generated_environment(world, graph_settings, doc)
    graph_settings.clear_requests()
    run = run_now(env)
    assert run.outcome == RunOutcome.SUCCEEDED, (run.reason_code, run.message)
    _assert_plan(graph_settings, doc["collections"])
    assert run.summary_counts["items"] >= 2000


def test_specs_ask_for_the_largest_page_graph_allows():
    sc = POLICY_TYPE_SPECS[PolicyType.CONFIGURATION_POLICIES.value]
    assert sc.top == 1000 and sc.sub_resources == (("settings", "configurationPolicies.settings"),)
    for settings in ("configurationPolicies.settings", "compliancePolicies.settings"):
        assert get_contract(settings).relative_url({"id": "p1"}).endswith("/p1/settings?$top=1000"), settings
    assert POLICY_TYPE_SPECS[PolicyType.GROUPS.value].top == 999


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_pacing_spends_the_documented_budget_exactly():
    clock = _Clock()
    budget = ThrottleBudget(clock=clock, sleep=clock.sleep)
    limit = INTUNE_LIMITS["deviceConfigV2"]
    assert (limit.capacity, limit.window_seconds) == (1000, 20.0)
    for _ in range(50):
        budget.acquire("deviceConfigV2", 20)  # the whole documented burst: no wait at all
    assert clock.slept == []
    budget.acquire("deviceConfigV2", 50)  # then exactly the documented rate: 50 per second,
    # from START_DELAY_SECONDS after the first reservation (when Graph may first see us)
    assert clock.slept == [pytest.approx(START_DELAY_SECONDS + 1.0)]
    clock.now += 20.0
    budget.acquire("deviceConfigV2", 1000)  # a full window later the full burst is back
    assert clock.slept == [pytest.approx(START_DELAY_SECONDS + 1.0)]


def test_a_throttled_request_is_debited_so_the_pacer_waits_for_its_resend():
    clock = _Clock()
    budget = ThrottleBudget(clock=clock, sleep=clock.sleep, start_delay=0)
    budget.acquire("deviceConfigV2", 1000)
    budget.debit("deviceConfigV2", 10)  # ten 429s: the client re-sends them on its own
    budget.debit("deviceConfigV2", 0)
    assert budget.acquire("deviceConfigV2", 1) == pytest.approx(11 / 50)
    assert clock.slept == [pytest.approx(11 / 50)]


def test_a_syncs_throttled_answers_are_debited_from_their_types_bucket():
    clock = _Clock()
    budget = ThrottleBudget(clock=clock, sleep=clock.sleep, start_delay=0)
    debit = throttle_debits(budget, list(POLICY_TYPE_SPECS.values()))
    budget.acquire("deviceConfigV2", 1000)
    for name in ("configurationPolicies.settings", "configurationPolicies.listExpanded", "organization.list"):
        debit(name)  # the last is no inventory read: nothing to debit
    assert budget.acquire("deviceConfigV2", 1) == pytest.approx(3 / 50)
    assert budget.acquire("deviceConfiguration", 1000) == 0.0  # another bucket: untouched


def test_pacing_starts_refilling_when_graph_may_first_see_a_request():
    clock = _Clock()
    budget = ThrottleBudget(clock=clock, sleep=clock.sleep, start_delay=0.5)
    budget.acquire("deviceConfigV2", 990)
    clock.now += 0.4  # before the refill starts nothing accrues: 10 tokens left, not 30
    assert budget.acquire_spare("deviceConfigV2", 20, reserve=0) == pytest.approx(0.1 + 10 / 50)
    clock.now = 10.0  # long after: exactly the documented rate again, the 10 s at 50 per second
    budget.acquire("deviceConfigV2", 1)
    assert clock.slept[-1:] == [pytest.approx(0.3)]  # the spare wait above, nothing since
    exact = ThrottleBudget(clock=_Clock(), sleep=lambda s: None, start_delay=0)
    exact.acquire("deviceConfigV2", 1000)
    assert exact.acquire("deviceConfigV2", 50) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="start_delay"):
        ThrottleBudget(start_delay=-1)
