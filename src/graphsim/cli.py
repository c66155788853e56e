"""Command line: ``python -m graphsim`` / ``graphsim.cli.main(argv)``."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from .control import CONTROL_COMMANDS, STATE_FILE, ControlServer, control_main, tenant_resolver
from .server import FIXTURES_DIR, GraphSimulator


def build_parser() -> argparse.ArgumentParser:
    """The CLI's argument parser."""
    parser = argparse.ArgumentParser(
        prog="graphsim",
        description="Serve the Microsoft identity + Graph simulator. "
        f"Change a running one's tenants with `graphsim {{{','.join(CONTROL_COMMANDS)}}} --help`.",
    )
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


def _write_state(state_path: Path, state: dict[str, Any]) -> None:
    """Write the state file atomically, readable by its owner only (it holds the control token)."""
    tmp = state_path.with_suffix(".json.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(state, indent=2))
    os.replace(tmp, state_path)


def main(argv: list[str] | None = None) -> int:
    """Start the simulator, print where it listens, and serve until SIGINT/SIGTERM; or, with
    ``list``/``change``/``rename``/``delete`` first, change the tenants of a running one."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] and argv[0] in CONTROL_COMMANDS:
        return control_main(argv)
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
        control = ControlServer(tenant_resolver(sim)).start()
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
            _write_state(state_path, {**sim.state(), "control": control.state()})
        print(f"authority_base: {sim.authority_base}")
        print(f"graph_base:     {sim.graph_base}")
        print(f"ca_path:        {sim.ca_path}")
        if state_path is not None:
            print(f"state_file:     {state_path}")
        for tenant in sim.tenants:
            apps = ", ".join(str(a.get("clientId")) for a in tenant.apps)
            print(f"tenant {tenant.tenant_id}  {tenant.display_name}  apps: {apps}")
        print(f"control:        {control.url} (token in the state file)")
        print("graphsim: serving; Ctrl+C to stop", flush=True)
        while not stop.wait(0.2):
            pass
    finally:
        control.stop()
        sim.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if state_path is not None:
            state_path.unlink(missing_ok=True)
    return 0
