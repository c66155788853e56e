"""Benchmark: health-check 200 environments with 4 real worker processes.

``python -m bench.health_checks [--environments 200] [--workers 4] [--latency-ms 20]``
(SQLite in a temp dir by default; ``scripts/with-postgres .venv/bin/python -m bench.health_checks``
for PostgreSQL.)

Starts one system health-check run per environment through ``operation_start`` (queued in the
django-tasks-db table), then spawns ``tenantpilot worker`` processes and measures until every run
is completed. Asserts that no run is duplicated or lost: exactly one run per environment, every run
completed, each executed by exactly one task.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from collections import Counter

from bench._setup import (
    ROOT,
    environment_with_connection,
    generate_fixtures,
    owner_and_workspace,
    point_settings_at,
    prepare_environment,
    start_simulator,
    write_result,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--environments", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args(argv)

    os.environ["BENCH_SETTINGS"] = "tenantpilot.settings.base"  # the real django-tasks-db backend
    os.environ.setdefault("TENANTPILOT_LOG_LEVEL", "WARNING")
    tmp = prepare_environment("health")
    from bench._setup import django_setup

    django_setup()
    from django_tasks_db.models import DBTaskResult

    from graphsim.generator import GENERATED_CLIENT_SECRET
    from tenantpilot.operations.choices import OperationType, RunStatus
    from tenantpilot.operations.models import OperationRun
    from tenantpilot.operations.services import operation_start
    from tenantpilot.providers.selectors import connection_for_operations

    tenant_ids = [str(uuid.UUID(int=0xBE000000 + i, version=4)) for i in range(args.environments)]
    generated = generate_fixtures(tmp, [(tenant_id, 0, 0, i) for i, tenant_id in enumerate(tenant_ids)])
    proc, state = start_simulator(tmp, latency_ms=args.latency_ms, throttling=False)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        point_settings_at(state)
        user, workspace = owner_and_workspace()
        environments = [
            environment_with_connection(
                user,
                workspace,
                tenant_id=tenant_id,
                client_id=generated[tenant_id]["client_id"],
                secret=GENERATED_CLIENT_SECRET,
                name=f"Env {i:03d}",
            )
            for i, tenant_id in enumerate(tenant_ids)
        ]
        for environment in environments:
            operation_start(
                actor=None,
                operation_type=OperationType.PROVIDER_HEALTH_CHECK,
                environment=environment,
                connection=connection_for_operations(environment),
            )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tenantpilot.settings.base",
            "TENANTPILOT_GRAPH_AUTHORITY_BASE": state["authority_base"],
            "TENANTPILOT_GRAPH_BASE": state["graph_base"],
            "TENANTPILOT_GRAPH_CA_BUNDLE": state["ca_path"],
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        }
        started = time.monotonic()
        for _ in range(args.workers):
            workers.append(
                subprocess.Popen(
                    [sys.executable, "-m", "tenantpilot.cli", "worker", "--no-startup-delay", "--interval", "0.05"],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        while OperationRun.objects.exclude(status=RunStatus.COMPLETED).exists():
            if time.monotonic() - started > args.timeout:
                raise SystemExit("timed out waiting for the runs")
            if any(w.poll() is not None for w in workers):
                raise SystemExit("a worker exited early")
            time.sleep(0.1)
        elapsed = time.monotonic() - started
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
        proc.terminate()
        proc.wait(timeout=10)

    runs = list(OperationRun.objects.values("pk", "environment_id", "status", "outcome", "worker_id", "task_id"))
    per_env = Counter(r["environment_id"] for r in runs)
    tasks = Counter(DBTaskResult.objects.values_list("status", flat=True))
    by_worker = Counter(r["worker_id"] for r in runs)
    outcomes = Counter(r["outcome"] for r in runs)
    assert len(runs) == args.environments, f"expected {args.environments} runs, found {len(runs)}"
    assert set(per_env.values()) == {1}, "an environment got more than one run"
    assert all(r["status"] == RunStatus.COMPLETED for r in runs), "a run was lost"
    assert len({r["task_id"] for r in runs}) == len(runs), "two runs share a task"
    assert tasks.get("SUCCESSFUL", 0) == len(runs) and sum(tasks.values()) == len(runs), f"tasks: {dict(tasks)}"
    result = {
        "benchmark": "health_checks",
        "environments": args.environments,
        "workers": args.workers,
        "latency_ms": args.latency_ms,
        "database": os.environ["DATABASE_URL"].split(":", 1)[0],
        "wall_s": round(elapsed, 2),
        "runs_per_second": round(len(runs) / elapsed, 2),
        "outcomes": dict(outcomes),
        "runs_by_worker": sorted(by_worker.values(), reverse=True),
        "duplicates": 0,
        "lost": 0,
    }
    path = write_result("health_checks", result)
    print(
        f"{len(runs)} health checks with {args.workers} workers on {result['database']}: {result['wall_s']} s, "
        f"{result['runs_per_second']} runs/s; outcomes {dict(outcomes)}; per worker {result['runs_by_worker']}; "
        "no duplicate, no lost run"
    )
    print(f"written {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
