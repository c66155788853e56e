"""Benchmark: inventory sync + compliance snapshot of one large generated tenant.

``python -m bench.inventory_sync [--policies 20000] [--devices 50000] [--latency-ms 20] [--side-by-side]``

The simulator (a separate process, so its memory is not counted) serves a ``generate_tenant``
document with 20 ms latency per request and Intune's throttle buckets switched on. Each run is
enqueued the product's way and executed by a real ``tenantpilot worker --batch`` process on the
default settings (``tenantpilot.settings.base``; ``BENCH_SETTINGS`` overrides). Reports the run's
wall time, requests, the worker's peak RSS and the lower bound of the cheapest request plan Graph
allows (:func:`lower_bound`). ``--side-by-side`` then runs IntuneCD's backup of the same tenant on
the same simulator (after one throttle window) and prints the ratio.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from collections import Counter
from typing import Any

from bench._setup import (
    INTUNECD_VERSION,
    environment_with_connection,
    generate_fixtures,
    owner_and_workspace,
    point_settings_at,
    prepare_environment,
    run_intunecd_backup,
    run_worker_until_idle,
    start_simulator,
    write_result,
)

TENANT_ID = "b0000000-0000-4000-8000-00000000be01"

# The cheapest request plan Graph allows, per collection (src/tenantpilot/graph/PLAN.md), written
# out here on purpose rather than read from TenantPilot's specs, so that the bound cannot follow
# our own plan: (documented throttle bucket, largest page, per-item reads that cannot be expanded,
# page size when the per-item read is expanded on the list instead — None: not expandable).
CHEAPEST_PLAN: dict[str, tuple[str, int, int, int | None]] = {
    "deviceManagement/deviceConfigurations": ("deviceConfiguration", 1000, 0, None),
    "deviceManagement/deviceCompliancePolicies": ("deviceConfiguration", 1000, 0, None),
    "deviceManagement/configurationPolicies": ("deviceConfigV2", 1000, 1, 2),
    "deviceManagement/groupPolicyConfigurations": ("deviceConfiguration", 1000, 1, None),
    "deviceManagement/deviceEnrollmentConfigurations": ("enrollment", 1000, 0, None),
    "deviceAppManagement/iosManagedAppProtections": ("managedApps", 1000, 0, None),
    "deviceAppManagement/androidManagedAppProtections": ("managedApps", 1000, 0, None),
    "deviceManagement/roleScopeTags": ("rbac", 1000, 0, None),
    "deviceManagement/assignmentFilters": ("deviceConfiguration", 1000, 0, None),
    "groups": ("directory", 999, 0, None),
}


def _bound_for(counts: dict[str, int], latency_s: float, plans: dict[str, str]) -> dict[str, Any]:
    """The bound of one plan choice: ``plans`` maps a collection to "expand" (list-level
    ``$expand`` at the expanded page size) or "hybrid" (the expand chain from the first page while
    ``$batch`` reads from the end, through the same bucket); every other collection is read with
    its page size plus one ``$batch`` inner request per per-item read."""
    from tenantpilot.inventory.pacing import INTUNE_LIMITS

    per_bucket: Counter[str] = Counter()
    hybrid: dict[str, tuple[int, int, int]] = {}  # bucket -> (items, per-item reads, expanded page)
    chains: dict[str, float] = {}
    posts = pages_total = 0
    for key, (bucket, page, sub_reads, expanded_page) in CHEAPEST_PLAN.items():
        n = counts.get(key, 0)
        plan = plans.get(key) if expanded_page else None
        if plan == "expand" and expanded_page:
            pages, inner = max(1, math.ceil(n / expanded_page)), 0
        else:
            pages, inner = max(1, math.ceil(n / page)), n * sub_reads
            # each $batch of ≤ 20 runs concurrently with the others: one round trip per page at least
            posts += math.ceil(n / 20) * sub_reads
            if plan == "hybrid" and expanded_page:
                hybrid[bucket] = (n, sub_reads, expanded_page)
        per_bucket[bucket] += pages + inner
        pages_total += pages
        chains[key] = (pages + (1 if inner else 0)) * latency_s
    throttle: dict[str, float] = {}
    for bucket, requests in per_bucket.items():
        limit = INTUNE_LIMITS[bucket]
        excess = requests - limit.capacity
        if bucket not in hybrid:
            throttle[bucket] = max(0.0, excess / limit.rate)
            continue
        # Hybrid: the chain's c pages (one after another: c ≤ T / latency) read e items for one
        # token each instead of e × s, so after T seconds it has saved (s·e − 1)·T / latency
        # tokens; the $batch side spends the rest of the bucket (capacity + rate·T).
        n, s, e = hybrid[bucket]
        saved_per_s = (s * e - 1) / latency_s if latency_s > 0 else math.inf
        t = max(0.0, excess / (limit.rate + saved_per_s)) if saved_per_s != math.inf else 0.0
        if latency_s <= 0 or t / latency_s * e >= n:
            # the chain alone reads every item first: it is the expand plan
            all_chain = requests - n * s + math.ceil(n / e)
            t = max(math.ceil(n / e) * latency_s, max(0.0, (all_chain - limit.capacity) / limit.rate))
        throttle[bucket] = t
    latency_chain = max(chains.values())
    return {
        "plan": next(iter(set(plans.values())), "batch"),
        "plan_expands": sorted(k for k, v in plans.items() if v == "expand"),
        "plan_hybrid": sorted(k for k, v in plans.items() if v == "hybrid"),
        "requests_by_bucket": dict(per_bucket),
        "throttle_bound_s_by_bucket": {k: round(v, 2) for k, v in throttle.items()},
        "latency_chain_bound_s": round(latency_chain, 2),
        "list_pages": pages_total,
        "batch_posts": posts,
        "lower_bound_s": round(max([latency_chain, *throttle.values()]), 2),
    }


def lower_bound(collection_counts: dict[str, int], latency_s: float) -> dict[str, Any]:
    """The fastest any client can read this tenant under Graph's documented limits.

    For every collection the plan Graph allows (graph/PLAN.md) is costed per throttle bucket
    (first ``capacity`` requests free, then ``capacity / window`` per second) and per latency
    chain (a collection's pages follow ``@odata.nextLink`` one after another). Where Graph offers
    more than one plan (settings catalog: ``$batch`` per policy; list-level ``$expand=settings``
    at ≤ 2 per page; or both at once, the hybrid) the cheapest is the bound. The hybrid's bound
    counts both limits: the chain's pages are sequential round trips, and chain pages plus
    ``$batch`` inner requests share the bucket's tokens. Every generated collection counts, app
    protection included.
    """
    counts = dict(collection_counts)
    counts["deviceManagement/deviceEnrollmentConfigurations"] = (
        counts.get("deviceManagement/deviceEnrollmentConfigurations", 0) + 5
    )
    counts["deviceManagement/roleScopeTags"] = counts.get("deviceManagement/roleScopeTags", 0) + 1
    sc = "deviceManagement/configurationPolicies"
    candidates = [
        _bound_for(counts, latency_s, {}),
        _bound_for(counts, latency_s, {sc: "expand"}),
        _bound_for(counts, latency_s, {sc: "hybrid"}),
    ]
    return min(candidates, key=lambda b: b["lower_bound_s"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=20_000)
    parser.add_argument("--devices", type=int, default=50_000)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument(
        "--side-by-side",
        action="store_true",
        help="also run IntuneCD's backup on the same simulator and print the ratio",
    )
    args = parser.parse_args(argv)

    tmp = prepare_environment("inventory")
    print(f"generating tenant: {args.policies} policies, {args.devices} devices …", flush=True)
    generated = generate_fixtures(tmp, [(TENANT_ID, args.policies, args.devices, 7)])[TENANT_ID]
    bound = lower_bound(generated["counts"], args.latency_ms / 1000)
    client_id = generated["client_id"]
    proc, state = start_simulator(tmp, latency_ms=args.latency_ms, throttling=True)
    try:
        from bench._setup import django_setup

        point_settings_at(state)
        django_setup()
        from graphsim.generator import GENERATED_CLIENT_SECRET
        from tenantpilot.inventory.models import InventoryItem, PolicyVersion
        from tenantpilot.operations.choices import OperationType
        from tenantpilot.operations.models import OperationRun
        from tenantpilot.operations.services import operation_start
        from tenantpilot.providers.selectors import connection_for_operations

        user, workspace = owner_and_workspace()
        environment = environment_with_connection(
            user, workspace, tenant_id=TENANT_ID, client_id=client_id, secret=GENERATED_CLIENT_SECRET, name="Bench"
        )
        timings: dict[str, Any] = {}
        for kind in (OperationType.INVENTORY_SYNC, OperationType.COMPLIANCE_SNAPSHOT):
            run = operation_start(
                actor=None,
                operation_type=kind,
                environment=environment,
                connection=connection_for_operations(environment),
            ).run
            worker = run_worker_until_idle()  # a real `tenantpilot worker --batch` process
            run = OperationRun.objects.get(pk=run.pk)
            run_s = (run.finished_at - run.started_at).total_seconds() if run.finished_at and run.started_at else None
            timings[kind.value] = {
                "wall_s": round(run_s, 2) if run_s is not None else None,
                "worker_process_wall_s": worker["wall_s"],
                "worker_peak_rss_mb": worker["peak_rss_mb"],
                "worker_exit_code": worker["exit_code"],
                "outcome": run.outcome,
                "reason_code": run.reason_code,
                "summary_counts": run.summary_counts,
            }
            print(
                f"{kind.value}: {timings[kind.value]['wall_s']} s in the run "
                f"(worker process {worker['wall_s']} s, peak RSS {worker['peak_rss_mb']} MB), outcome {run.outcome}",
                flush=True,
            )
        sync = timings["inventory.sync"]
        result: dict[str, Any] = {
            "benchmark": "inventory_sync",
            "settings": os.environ["DJANGO_SETTINGS_MODULE"],
            "policies": args.policies,
            "devices": args.devices,
            "latency_ms": args.latency_ms,
            "database": os.environ["DATABASE_URL"].split(":", 1)[0],
            "inventory_sync": sync,
            "compliance_snapshot": timings["compliance.snapshot"],
            "items": InventoryItem.objects.filter(environment=environment).count(),
            "versions": PolicyVersion.objects.filter(environment=environment).count(),
            "requests": sync["summary_counts"].get("requests"),
            "lower_bound": bound,
            "ratio_to_lower_bound": round(sync["wall_s"] / bound["lower_bound_s"], 2)
            if bound["lower_bound_s"] and sync["wall_s"]
            else None,
            "peak_rss_mb": max(t["worker_peak_rss_mb"] for t in timings.values()),
            "targets": {"ratio_max": 1.3, "peak_memory_mb_max": 300, "intunecd_ratio_min": 5},
        }
        if args.side_by_side:
            window = 20.0  # let the throttle buckets refill: IntuneCD starts with the budget we had
            time.sleep(window)
            icd = run_intunecd_backup(
                state, tenant_id=TENANT_ID, client_id=client_id, secret=GENERATED_CLIENT_SECRET, out=tmp / "intunecd"
            )
            result["intunecd"] = icd
            # A module that failed only logs and goes on, which would flatter IntuneCD: every
            # generated policy must have been saved for the ratio to count.
            icd["complete"] = icd["files"] >= args.policies
            result["intunecd_ratio"] = round(icd["wall_s"] / sync["wall_s"], 2) if sync["wall_s"] else None
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    path = write_result("inventory_sync", result)
    print(
        f"inventory sync: {sync['wall_s']} s for {result['items']} items, {result['requests']} requests "
        f"(retries {sync['summary_counts'].get('retries')}, throttled {sync['summary_counts'].get('throttled')}); "
        f"lower bound {bound['lower_bound_s']} s ({bound['plan']} plan) "
        f"→ ratio {result['ratio_to_lower_bound']}"
    )
    print(f"compliance snapshot: {timings['compliance.snapshot']['wall_s']} s for {args.devices} devices")
    print(f"worker peak RSS {result['peak_rss_mb']} MB")
    if "intunecd" in result:
        print(
            f"IntuneCD {INTUNECD_VERSION} backup: {result['intunecd']['wall_s']} s "
            f"(exit {result['intunecd']['exit_code']}, {result['intunecd']['files']} files) "
            f"→ TenantPilot is {result['intunecd_ratio']}× faster"
        )
        if not result["intunecd"]["complete"]:
            print(
                f"IntuneCD did NOT save every policy ({result['intunecd']['files']} files for {args.policies} "
                f"policies; by folder {result['intunecd']['files_by_folder']}): the ratio does not count, "
                f"see {result['intunecd']['log']}"
            )
    print(f"written {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
