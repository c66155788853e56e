"""Command line: ``python -m graphsim`` / ``graphsim.cli.main(argv)``."""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
from pathlib import Path
from types import FrameType

from .server import FIXTURES_DIR, GraphSimulator

STATE_FILE = "graphsim.json"


def build_parser() -> argparse.ArgumentParser:
    """The CLI's argument parser."""
    parser = argparse.ArgumentParser(prog="graphsim", description="Serve the Microsoft identity + Graph simulator.")
    parser.add_argument(
        "--fixtures", type=Path, default=FIXTURES_DIR, help="folder of tenant fixtures (default: shipped)"
    )
    parser.add_argument("--port-login", type=int, default=0, help="login host port (0 = a free port)")
    parser.add_argument("--port-graph", type=int, default=0, help="Graph host port (0 = a free port)")
    parser.add_argument("--latency-ms", type=int, default=0, help="latency added to every Graph request")
    parser.add_argument("--throttling", action="store_true", help="enable the Intune token buckets")
    parser.add_argument(
        "--ca-dir",
        type=Path,
        default=None,
        help=f"write the CA PEM (graphsim-ca.pem) and the state file ({STATE_FILE}) here",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Start the simulator, print where it listens, and serve until SIGINT/SIGTERM."""
    args = build_parser().parse_args(argv)
    if not args.fixtures.is_dir():
        print(f"graphsim: fixtures folder not found: {args.fixtures}", flush=True)
        return 2
    try:
        sim = GraphSimulator.from_directory(
            args.fixtures,
            throttling=args.throttling,
            latency_ms=args.latency_ms,
            ca_dir=args.ca_dir,
            port_login=args.port_login,
            port_graph=args.port_graph,
        )
        sim.start()
    except (OSError, ValueError) as exc:
        print(f"graphsim: cannot start: {exc}", flush=True)
        return 1
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    state_path: Path | None = None
    try:
        if args.ca_dir is not None:
            state_path = Path(args.ca_dir) / STATE_FILE
            tmp = state_path.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(sim.state(), indent=2), encoding="utf-8")
            os.replace(tmp, state_path)
        print(f"authority_base: {sim.authority_base}")
        print(f"graph_base:     {sim.graph_base}")
        print(f"ca_path:        {sim.ca_path}")
        if state_path is not None:
            print(f"state_file:     {state_path}")
        for tenant in sim.tenants:
            apps = ", ".join(str(a.get("clientId")) for a in tenant.apps)
            print(f"tenant {tenant.tenant_id}  {tenant.display_name}  apps: {apps}")
        print("graphsim: serving; Ctrl+C to stop", flush=True)
        while not stop.wait(0.2):
            pass
    finally:
        sim.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if state_path is not None:
            state_path.unlink(missing_ok=True)
    return 0
