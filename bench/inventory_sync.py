"""Benchmark: inventory sync + compliance snapshot of one large generated tenant.

``python -m bench.inventory_sync [--policies 20000] [--devices 50000] [--latency-ms 20] [--tracemalloc]``

The simulator (a separate process, so its memory is not counted) serves a ``generate_tenant``
document with 20 ms latency per request and Intune's throttle buckets switched on. Reports wall
time, requests, peak memory and the lower bound: for every Intune throttle bucket the time the
documented budget needs for the requests that bucket must serve (first ``capacity`` free, then
``capacity / window`` per second), and the longest chain of requests that cannot overlap (a
collection's pages follow ``@odata.nextLink`` one after another) × latency; the bound is the
larger of the two.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import time
import tracemalloc
from collections import Counter
from typing import Any

from bench._setup import (
    environment_with_connection,
    generate_fixtures,
    owner_and_workspace,
    point_settings_at,
    prepare_environment,
    start_simulator,
    write_result,
)

TENANT_ID = "b0000000-0000-4000-8000-00000000be01"
PAGE_SIZES = {"deviceManagement/configurationPolicies": 25}
SETTINGS_PAGE = 25


def lower_bound(collection_counts: dict[str, int], latency_s: float) -> dict[str, Any]:
    """The fastest a sync can possibly be against this tenant, from the documented limits."""
    from tenantpilot.inventory.choices import POLICY_TYPE_SPECS
    from tenantpilot.inventory.pacing import INTUNE_LIMITS

    counts = dict(collection_counts)
    counts["deviceManagement/deviceEnrollmentConfigurations"] = (
        counts.get("deviceManagement/deviceEnrollmentConfigurations", 0) + 5
    )
    counts["deviceManagement/roleScopeTags"] = counts.get("deviceManagement/roleScopeTags", 0) + 1
    per_bucket: Counter[str] = Counter()
    chains: dict[str, float] = {}
    batch_posts = 0
    pages_total = 0
    for spec in POLICY_TYPE_SPECS.values():
        key = next(
            k
            for k in (f"deviceManagement/{spec.policy_type.value}", f"deviceAppManagement/{spec.policy_type.value}")
            if k in counts or k.endswith(spec.policy_type.value)
        )
        n = counts.get(key, 0)
        pages = max(1, math.ceil(n / PAGE_SIZES.get(key, 1000)))
        inner = n * len(spec.sub_resources)
        per_bucket[spec.bucket] += pages + inner
        batch_posts += math.ceil(n / 20) * len(spec.sub_resources)
        pages_total += pages
        chains[spec.policy_type.value] = pages * latency_s
    throttle = {
        bucket: max(0.0, (requests - INTUNE_LIMITS[bucket].capacity) / INTUNE_LIMITS[bucket].rate)
        for bucket, requests in per_bucket.items()
    }
    latency_chain = max(chains.values())
    return {
        "requests_by_bucket": dict(per_bucket),
        "throttle_bound_s_by_bucket": {k: round(v, 2) for k, v in throttle.items()},
        "latency_chain_bound_s": round(latency_chain, 2),
        "list_pages": pages_total,
        "batch_posts": batch_posts,
        "lower_bound_s": round(max([latency_chain, *throttle.values()]), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policies", type=int, default=20_000)
    parser.add_argument("--devices", type=int, default=50_000)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--tracemalloc", action="store_true", help="also measure Python allocations (slower)")
    args = parser.parse_args(argv)

    tmp = prepare_environment("inventory")
    from bench._setup import django_setup

    django_setup()
    from graphsim.generator import GENERATED_CLIENT_SECRET
    from tenantpilot.inventory.models import InventoryItem, PolicyVersion
    from tenantpilot.operations.choices import OperationType
    from tenantpilot.operations.models import OperationRun
    from tenantpilot.operations.runner import run_operation
    from tenantpilot.operations.services import operation_start
    from tenantpilot.providers.selectors import connection_for_operations

    print(f"generating tenant: {args.policies} policies, {args.devices} devices …", flush=True)
    generated = generate_fixtures(tmp, [(TENANT_ID, args.policies, args.devices, 7)])[TENANT_ID]
    bound = lower_bound(generated["counts"], args.latency_ms / 1000)
    client_id = generated["client_id"]
    proc, state = start_simulator(tmp, latency_ms=args.latency_ms, throttling=True)
    try:
        point_settings_at(state)
        user, workspace = owner_and_workspace()
        environment = environment_with_connection(
            user, workspace, tenant_id=TENANT_ID, client_id=client_id, secret=GENERATED_CLIENT_SECRET, name="Bench"
        )
        rss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if args.tracemalloc:
            tracemalloc.start()
        timings: dict[str, Any] = {}
        for kind in (OperationType.INVENTORY_SYNC, OperationType.COMPLIANCE_SNAPSHOT):
            started = time.monotonic()
            run = operation_start(
                actor=None,
                operation_type=kind,
                environment=environment,
                connection=connection_for_operations(environment),
            ).run
            run_operation(run.pk)
            run = OperationRun.objects.get(pk=run.pk)
            timings[kind.value] = {
                "wall_s": round(time.monotonic() - started, 2),
                "outcome": run.outcome,
                "reason_code": run.reason_code,
                "summary_counts": run.summary_counts,
            }
            print(f"{kind.value}: {timings[kind.value]['wall_s']} s, outcome {run.outcome}", flush=True)
        traced_peak_mb = None
        if args.tracemalloc:
            traced_peak_mb = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
            tracemalloc.stop()
        rss_peak_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        sync = timings["inventory.sync"]
        result = {
            "benchmark": "inventory_sync",
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
            if bound["lower_bound_s"]
            else None,
            "peak_rss_mb": rss_peak_mb,
            "rss_before_sync_mb": round(rss_before_kb / 1024, 1),
            "tracemalloc_peak_mb": traced_peak_mb,
            "targets": {"ratio_max": 1.5, "peak_memory_mb_max": 300},
        }
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    path = write_result("inventory_sync", result)
    print(
        f"inventory sync: {sync['wall_s']} s for {result['items']} items, {result['requests']} requests "
        f"(retries {sync['summary_counts'].get('retries')}, throttled {sync['summary_counts'].get('throttled')}); "
        f"lower bound {bound['lower_bound_s']} s → ratio {result['ratio_to_lower_bound']}"
    )
    print(f"compliance snapshot: {timings['compliance.snapshot']['wall_s']} s for {args.devices} devices")
    print(
        f"peak RSS {rss_peak_mb} MB (before sync {result['rss_before_sync_mb']} MB); tracemalloc peak {traced_peak_mb} MB"
    )
    print(f"written {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
