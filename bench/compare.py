"""Benchmark: baseline compare (and capture) at 20,000 subjects.

``python -m bench.compare [--subjects 20000] [--small 2000] [--drifted 1000] [--ambiguous 200] [--bound 500]``
``python -m bench.compare --tenant [--policies 20000]``

Default mode builds rows directly (``bulk_create``; payloads from graphsim's ``generate_tenant``,
so they are realistic: settings catalog settings, assignments, scope tags, group references): a
source environment with N policies and a target environment with N resources — the same
policies under other ids and other group ids, with ``--drifted`` changed values, ``--ambiguous``
subjects that have two candidates of the same name (as many others have no counterpart), and
``--bound`` subjects renamed in the target and bound to their resource by an operator binding.
It captures the source (a real ``baseline.capture`` run), then runs the target's
``baseline.compare`` in a child process (so the peak RSS is the compare's, not the set-up's),
reporting the core's wall time, the whole run's wall time and database queries, the peak RSS, and
in a second child the tracemalloc peak. It does this at ``--small`` and at ``--subjects`` to show
that the number of queries does not grow with the number of subjects.

``--tenant`` syncs graphsim's generated tenant of ``--policies`` policies (latency 0, no
throttling: the sync is not what is measured here), then times capturing it and comparing it
with itself (same tenant: every subject resolves by exact identity, which the first compare
records as bindings).

``BENCH_PROFILE_CORE=/tmp/core.prof`` writes a cProfile of the compare core (its timing then
includes the profiler's overhead).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench._setup import ROOT, prepare_environment, write_result

SOURCE_TENANT = "b0000000-0000-4000-8000-00000000c0{:02d}"
TARGET_TENANT = "b0000000-0000-4000-8000-00000000d0{:02d}"
GEN_TENANT = "b0000000-0000-4000-8000-00000000be03"
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PATH_TYPES = {
    "deviceManagement/deviceConfigurations": "deviceConfigurations",
    "deviceManagement/deviceCompliancePolicies": "deviceCompliancePolicies",
    "deviceManagement/configurationPolicies": "configurationPolicies",
    "deviceManagement/groupPolicyConfigurations": "groupPolicyConfigurations",
    "deviceManagement/deviceEnrollmentConfigurations": "deviceEnrollmentConfigurations",
    "deviceAppManagement/iosManagedAppProtections": "iosManagedAppProtections",
    "deviceAppManagement/androidManagedAppProtections": "androidManagedAppProtections",
    "groups": "groups",
}


# --------------------------------------------------------------------------------------------
# Measuring


class QueryCounter:
    """``connection.execute_wrapper`` hook counting every statement the connection runs, by verb.

    Row inserts come in batches of 1,000 (``bulk_create``), so their number grows with the rows
    written; every other statement is what "a constant number of queries" is about.
    """

    def __init__(self) -> None:
        self.count = 0
        self.inserts = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        if sql.lstrip().upper().startswith("INSERT"):
            self.inserts += 1
        return execute(sql, params, many, context)


@contextmanager
def timed_core(into: dict[str, float]) -> Iterator[None]:
    """Time every call of the pure compare core made while inside (the handler calls ``core.compare``)."""
    from tenantpilot.baselines import compare as core

    original = core.compare

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        profile_to = os.environ.get("BENCH_PROFILE_CORE")
        try:
            if profile_to:
                import cProfile

                profiler = cProfile.Profile()
                result = profiler.runcall(original, *args, **kwargs)
                profiler.dump_stats(profile_to)
                return result
            return original(*args, **kwargs)
        finally:
            into["core_s"] = into.get("core_s", 0.0) + time.perf_counter() - started

    core.compare = wrapper  # type: ignore[assignment]
    try:
        yield
    finally:
        core.compare = original  # type: ignore[assignment]


def peak_rss_mb() -> float:
    """This process's peak RSS: ``VmHWM`` (Linux; reset by ``exec``), else ``ru_maxrss``.

    ``ru_maxrss`` survives ``fork``/``exec``, so in a child started by the big set-up process it
    reports the parent's peak, not the compare's; ``VmHWM`` belongs to the new process image.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_compare(profile_id: int, environment_id: int, *, trace: bool) -> dict[str, Any]:
    """One whole compare run (start + the worker's code path) of ``profile_id`` on ``environment_id``."""
    from django.db import connection

    from tenantpilot.baselines.models import BaselineCompareResult, BaselineProfile
    from tenantpilot.baselines.services import baseline_compare_start_system
    from tenantpilot.operations.models import OperationRun
    from tenantpilot.operations.runner import run_operation
    from tenantpilot.tenancy.models import ManagedEnvironment

    profile = BaselineProfile.objects.get(pk=profile_id)
    environment = ManagedEnvironment.objects.select_related("workspace").get(pk=environment_id)
    rss_before_mb = peak_rss_mb()
    if trace:
        tracemalloc.start()
    counter = QueryCounter()
    timing: dict[str, float] = {}
    started = time.perf_counter()
    with connection.execute_wrapper(counter), timed_core(timing):
        run = baseline_compare_start_system(profile=profile, environment=environment).run
        if OperationRun.objects.filter(pk=run.pk, status="queued").exists():
            run_operation(run.pk)  # the task backend did not run it inline
    wall = time.perf_counter() - started
    traced_peak_mb = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    if trace:
        tracemalloc.stop()
    run = OperationRun.objects.get(pk=run.pk)
    result = BaselineCompareResult.objects.filter(operation_run=run).first()
    return {
        "outcome": run.outcome,
        "message": run.message,
        "wall_s": round(wall, 3),
        "core_s": round(timing.get("core_s", 0.0), 3),
        "queries": counter.count,
        "insert_batches": counter.inserts,
        "queries_other_than_inserts": counter.count - counter.inserts,
        "counts": result.counts if result is not None else {},
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_before_mb": round(rss_before_mb, 1),
        "tracemalloc_peak_mb": round(traced_peak_mb, 1) if traced_peak_mb is not None else None,
    }


def measure_in_child(profile_id: int, environment_id: int, *, trace: bool) -> dict[str, Any]:
    """Run :func:`measure_compare` in a fresh interpreter on the same database; its JSON answer."""
    argv = [sys.executable, "-m", "bench.compare", "--child", str(profile_id), str(environment_id)]
    if trace:
        argv.append("--trace")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    out = subprocess.run(argv, check=True, capture_output=True, text=True, env=env, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------------
# Building the scenario


def _display_name(payload: dict[str, Any]) -> str:
    return str(payload.get("displayName") or payload.get("name") or "")


def _rename(payload: dict[str, Any], name: str) -> None:
    payload["name" if "name" in payload and "displayName" not in payload else "displayName"] = name


def _drift(payload: dict[str, Any], i: int) -> None:
    """A real change an operator must see: a changed value (a setting, a flag or a number)."""
    for key in ("passwordMinimumLength", "minimumPinLength", "limit", "priority"):
        if isinstance(payload.get(key), int) and not isinstance(payload.get(key), bool):
            payload[key] = int(payload[key]) + 1
            return
    settings = payload.get("settings")
    if isinstance(settings, list) and settings:
        settings.append({"id": str(len(settings)), "settingInstance": {"settingDefinitionId": f"bench_drift_{i}"}})
        return
    payload["description"] = f"changed by the bench ({i})"


def store_inventory(environment: Any, items: list[tuple[str, dict[str, Any]]]) -> None:
    """Insert (policy type, payload) rows as present inventory items with one version each, and a
    succeeded inventory sync run as their evidence."""
    from django.utils import timezone

    from tenantpilot.core.fingerprint import normalize_payload, payload_fingerprint
    from tenantpilot.inventory.models import InventoryItem, PolicyVersion
    from tenantpilot.inventory.services import item_metadata
    from tenantpilot.operations.choices import OperationType, RunOutcome
    from tenantpilot.operations.models import OperationRun
    from tenantpilot.operations.services import OperationRunService
    from tenantpilot.providers.selectors import connection_for_operations
    from tenantpilot.resources.selectors import inventory_provider_key

    now = timezone.now()
    connection = connection_for_operations(environment)
    provider_key = inventory_provider_key(environment.pk)
    run = OperationRun.objects.create(
        workspace=environment.workspace,
        environment=environment,
        connection=connection,
        type=OperationType.INVENTORY_SYNC,
        scope_key=f"env:{environment.pk}",
        initiator_label="bench",
    )
    OperationRunService.start(run.pk, worker_id="bench")
    digests = [payload_fingerprint(payload) for _type, payload in items]
    rows = InventoryItem.objects.bulk_create(
        [
            InventoryItem(
                workspace_id=environment.workspace_id,
                environment=environment,
                policy_type=policy_type,
                provider_object_id=str(payload["id"]),
                provider_key=provider_key,
                provider_connection=connection,
                odata_type=str(payload.get("@odata.type") or "")[:200],
                display_name=_display_name(payload)[:400],
                payload_hash=digest,
                metadata=item_metadata(payload),
                first_seen_at=now,
                last_seen_at=now,
                last_seen_run=run,
            )
            for (policy_type, payload), digest in zip(items, digests, strict=True)
        ],
        batch_size=1000,
    )
    versions = PolicyVersion.objects.bulk_create(
        [
            PolicyVersion(
                workspace_id=environment.workspace_id,
                environment=environment,
                item_id=row.pk,
                version_number=1,
                payload=payload,
                normalized=normalize_payload(payload),
                payload_hash=digest,
                captured_at=now,
                operation_run=run,
            )
            for row, (_type, payload), digest in zip(rows, items, digests, strict=True)
        ],
        batch_size=1000,
    )
    for row, version in zip(rows, versions, strict=True):
        row.current_version_id = version.pk
    InventoryItem.objects.bulk_update(rows, ["current_version"], batch_size=500)
    OperationRunService.complete(run.pk, outcome=RunOutcome.SUCCEEDED)


def generated_payloads(policies: int, seed: int) -> list[tuple[str, dict[str, Any]]]:
    """(policy type, payload) of a generated tenant's policies and groups."""
    from graphsim import generate_tenant

    doc = generate_tenant(tenant_id=GEN_TENANT, policies=policies, devices=0, seed=seed)
    out: list[tuple[str, dict[str, Any]]] = []
    for path, collection in doc["collections"].items():
        policy_type = PATH_TYPES.get(path)
        if policy_type is not None and isinstance(collection, list):
            out.extend((policy_type, item) for item in collection)
    return out


def build_scenario(
    user: Any, workspace: Any, index: int, *, subjects: int, drifted: int, ambiguous: int, bound: int
) -> dict[str, Any]:
    """Source and target environments, a captured profile assigned to the target, the bindings."""
    import uuid

    from bench._setup import environment_with_connection
    from tenantpilot.baselines import services as baseline_services
    from tenantpilot.baselines.models import BaselineSnapshotItem
    from tenantpilot.inventory.models import InventoryItem
    from tenantpilot.operations.models import OperationRun
    from tenantpilot.operations.runner import run_operation
    from tenantpilot.resources.selectors import inventory_item_descriptor
    from tenantpilot.resources.services import binding_create_manual

    def new_env(tenant: str, name: str) -> Any:
        return environment_with_connection(
            user, workspace, tenant_id=tenant, client_id=str(uuid.uuid4()), secret="bench-not-a-real-secret", name=name
        )

    source = new_env(SOURCE_TENANT.format(index), f"Source {subjects}")
    target = new_env(TARGET_TENANT.format(index), f"Target {subjects}")
    started = time.perf_counter()
    payloads = generated_payloads(subjects, seed=11 + index)
    policies = [(t, p) for t, p in payloads if t != "groups"][:subjects]
    groups = [(t, p) for t, p in payloads if t == "groups"]
    if len(policies) < subjects:
        raise SystemExit(f"generate_tenant made {len(policies)} policies, fewer than {subjects}")
    store_inventory(source, policies + groups)

    # The target: the same configuration under other object ids and other group ids (ids that
    # are the same in every tenant, e.g. ADMX definition ids, stay as they are).
    remap = {str(p["id"]): str(uuid.uuid4()) for _t, p in policies + groups}

    def moved(payload: dict[str, Any]) -> dict[str, Any]:
        text = GUID.sub(lambda m: remap.get(m.group(0), m.group(0)), json.dumps(payload))
        return json.loads(text)  # type: ignore[no-any-return]

    target_items: list[tuple[str, dict[str, Any]]] = []
    plan: dict[str, list[Any]] = {"drifted": [], "ambiguous": [], "missing": [], "bound": []}  # source names per kind
    n = len(policies)
    # Disjoint slices of the subjects, spread over the types (every 7th, 11th, … subject).
    order = list(range(n))
    drift_ix = set(order[0 : drifted * 5 : 5][:drifted])
    rest = [i for i in order if i not in drift_ix]
    ambiguous_ix = set(rest[1 : ambiguous * 7 : 7][:ambiguous])
    rest = [i for i in rest if i not in ambiguous_ix]
    missing_ix = set(rest[2 : ambiguous * 11 : 11][:ambiguous])
    rest = [i for i in rest if i not in missing_ix]
    bound_ix = set(rest[3 : bound * 13 : 13][:bound])
    for i, (policy_type, payload) in enumerate(policies):
        if i in missing_ix:
            plan["missing"].append(_display_name(payload))
            continue
        copied = moved(copy.deepcopy(payload))
        if i in drift_ix:
            _drift(copied, i)
            plan["drifted"].append(_display_name(payload))
        if i in bound_ix:
            _rename(copied, _display_name(payload) + " (renamed)")
            plan["bound"].append((policy_type, str(payload["id"]), str(copied["id"])))
        target_items.append((policy_type, copied))
        if i in ambiguous_ix:
            twin = moved(copy.deepcopy(payload))
            twin["id"] = str(uuid.uuid4())
            target_items.append((policy_type, twin))
            plan["ambiguous"].append(_display_name(payload))
    target_items += [(t, moved(copy.deepcopy(p))) for t, p in groups]
    store_inventory(target, target_items)
    built_s = time.perf_counter() - started

    profile = baseline_services.profile_create(actor=user, workspace=workspace, name=f"Bench baseline {subjects}")
    started = time.perf_counter()
    capture = baseline_services.baseline_capture_start(actor=user, profile=profile, source_environment=source).run
    if OperationRun.objects.filter(pk=capture.pk, status="queued").exists():
        run_operation(capture.pk)
    capture_s = time.perf_counter() - started
    capture = OperationRun.objects.get(pk=capture.pk)
    baseline_services.profile_assign(actor=user, profile=profile, environment=target)

    # The operator's bindings: each renamed resource is bound to its baseline subject.
    keys = dict(
        BaselineSnapshotItem.objects.filter(snapshot__profile=profile).values_list(
            "source_object_id", "canonical_subject_key"
        )
    )
    for _policy_type, source_id, target_id in plan["bound"]:
        item = InventoryItem.objects.get(environment=target, provider_object_id=target_id)
        binding_create_manual(
            actor=user,
            environment=target,
            descriptor=inventory_item_descriptor(item),
            canonical_subject_key=keys[source_id],
            note="bench: renamed in this tenant",
        )
    return {
        "profile_id": profile.pk,
        "target_id": target.pk,
        "subjects": n,
        "target_resources": sum(1 for t, _p in target_items if t != "groups"),
        "groups": len(groups),
        "build_s": round(built_s, 1),
        "capture_s": round(capture_s, 2),
        "capture_outcome": capture.outcome,
        "planned": {k: len(v) for k, v in plan.items()},
    }


# --------------------------------------------------------------------------------------------
# Modes


def synthetic(args: argparse.Namespace) -> dict[str, Any]:
    from bench._setup import owner_and_workspace

    user, workspace = owner_and_workspace()
    sizes = sorted({args.small, args.subjects})
    runs: dict[str, Any] = {}
    for index, size in enumerate(sizes):
        scale = size / args.subjects
        print(f"building {size} subjects …", flush=True)
        scenario = build_scenario(
            user,
            workspace,
            index,
            subjects=size,
            drifted=round(args.drifted * scale),
            ambiguous=round(args.ambiguous * scale),
            bound=round(args.bound * scale),
        )
        measured = measure_in_child(scenario["profile_id"], scenario["target_id"], trace=False)
        traced = measure_in_child(scenario["profile_id"], scenario["target_id"], trace=True)
        runs[str(size)] = {**scenario, "compare": measured, "tracemalloc_peak_mb": traced["tracemalloc_peak_mb"]}
        print(
            f"{size} subjects: core {measured['core_s']} s, whole run {measured['wall_s']} s, "
            f"{measured['queries']} queries ({measured['queries_other_than_inserts']} besides "
            f"{measured['insert_batches']} INSERT batches), peak RSS {measured['peak_rss_mb']} MB, "
            f"tracemalloc peak {traced['tracemalloc_peak_mb']} MB; counts {measured['counts']}",
            flush=True,
        )
    return {"mode": "synthetic", "sizes": runs}


def tenant(args: argparse.Namespace, tmp: Any) -> dict[str, Any]:
    from bench._setup import (
        environment_with_connection,
        generate_fixtures,
        owner_and_workspace,
        point_settings_at,
        start_simulator,
    )
    from graphsim.generator import GENERATED_CLIENT_SECRET
    from tenantpilot.baselines import services as baseline_services
    from tenantpilot.inventory.models import InventoryItem
    from tenantpilot.operations.choices import OperationType
    from tenantpilot.operations.models import OperationRun
    from tenantpilot.operations.runner import run_operation
    from tenantpilot.operations.services import operation_start
    from tenantpilot.providers.selectors import connection_for_operations

    print(f"generating tenant: {args.policies} policies …", flush=True)
    generated = generate_fixtures(tmp, [(GEN_TENANT, args.policies, 0, 7)])[GEN_TENANT]
    proc, state = start_simulator(tmp, latency_ms=0, throttling=False)
    try:
        point_settings_at(state)
        user, workspace = owner_and_workspace()
        environment = environment_with_connection(
            user,
            workspace,
            tenant_id=GEN_TENANT,
            client_id=generated["client_id"],
            secret=GENERATED_CLIENT_SECRET,
            name="Generated",
        )
        started = time.perf_counter()
        sync = operation_start(
            actor=None,
            operation_type=OperationType.INVENTORY_SYNC,
            environment=environment,
            connection=connection_for_operations(environment),
        ).run
        if OperationRun.objects.filter(pk=sync.pk, status="queued").exists():
            run_operation(sync.pk)
        sync_s = time.perf_counter() - started
        sync = OperationRun.objects.get(pk=sync.pk)
        print(f"sync (latency 0, no throttling): {sync_s:.1f} s, outcome {sync.outcome}", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    profile = baseline_services.profile_create(actor=user, workspace=workspace, name="Generated baseline")
    started = time.perf_counter()
    capture = baseline_services.baseline_capture_start(actor=user, profile=profile, source_environment=environment).run
    if OperationRun.objects.filter(pk=capture.pk, status="queued").exists():
        run_operation(capture.pk)
    capture_s = time.perf_counter() - started
    capture = OperationRun.objects.get(pk=capture.pk)
    print(f"capture: {capture_s:.1f} s, outcome {capture.outcome}, {capture.summary_counts}", flush=True)
    baseline_services.profile_assign(actor=user, profile=profile, environment=environment)
    first = measure_compare(profile.pk, environment.pk, trace=False)
    print(f"first compare (records identities): {first}", flush=True)
    second = measure_compare(profile.pk, environment.pk, trace=False)
    print(f"second compare: {second}", flush=True)
    return {
        "mode": "tenant",
        "policies": args.policies,
        "items": InventoryItem.objects.filter(environment=environment).count(),
        "sync": {"wall_s": round(sync_s, 1), "outcome": sync.outcome, "latency_ms": 0, "throttling": False},
        "capture": {"wall_s": round(capture_s, 2), "outcome": capture.outcome, "counts": capture.summary_counts},
        "first_compare": first,
        "second_compare": second,
        "capture_plus_first_compare_s": round(capture_s + first["wall_s"], 2),
        "target_s": 60,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--subjects", type=int, default=20_000)
    parser.add_argument("--small", type=int, default=2_000, help="the second size, to compare query counts")
    parser.add_argument("--drifted", type=int, default=1_000)
    parser.add_argument("--ambiguous", type=int, default=200)
    parser.add_argument("--bound", type=int, default=500)
    parser.add_argument("--tenant", action="store_true", help="sync, capture and compare a generated tenant")
    parser.add_argument("--policies", type=int, default=20_000, help="--tenant: the generated tenant's policies")
    parser.add_argument("--child", nargs=2, type=int, metavar=("PROFILE", "ENVIRONMENT"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        import django

        django.setup()
        print(json.dumps(measure_compare(args.child[0], args.child[1], trace=args.trace)))
        return 0

    tmp = prepare_environment("compare")
    from bench._setup import django_setup

    django_setup()
    load = os.getloadavg()
    result = tenant(args, tmp) if args.tenant else synthetic(args)
    result.update(
        {
            "benchmark": "compare",
            "database": os.environ["DATABASE_URL"].split(":", 1)[0],
            "load_average_at_start": [round(v, 2) for v in load],
            "targets": {"core_s_max": 0.5, "peak_rss_mb_max": 300, "tenant_capture_plus_compare_s_max": 60},
        }
    )
    path = write_result("compare-tenant" if args.tenant else "compare", result)
    print(f"load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; written {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
