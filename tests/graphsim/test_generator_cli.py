"""The large-tenant generator and the command line."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx

from graphsim import GraphSimulator, generate_tenant
from graphsim.fixtures_catalog import GOLDEN_CLIENT_ID, GOLDEN_TENANT_ID

SRC = Path(__file__).resolve().parents[2] / "src"
TID = "0badc0de-0000-4000-8000-000000000001"


def test_generator_shape_and_determinism() -> None:
    doc = generate_tenant(tenant_id=TID, policies=2000, devices=500, seed=7)
    collections = doc["collections"]
    policy_keys = [k for k in collections if k not in ("groups", "deviceManagement/managedDevices")]
    assert sum(len(collections[k]) for k in policy_keys) == 2000
    assert len(collections["deviceManagement/managedDevices"]) == 500
    assert all(len(collections[k]) > 0 for k in policy_keys)
    targets = {a["target"]["@odata.type"] for k in policy_keys for i in collections[k] for a in i["assignments"]}
    assert "#microsoft.graph.allDevicesAssignmentTarget" in targets
    assert "#microsoft.graph.groupAssignmentTarget" in targets
    again = generate_tenant(tenant_id=TID, policies=2000, devices=500, seed=7)
    assert (
        again["collections"]["deviceManagement/managedDevices"][42]
        == collections["deviceManagement/managedDevices"][42]
    )


def test_generated_huge_tenant_pages_through_50k_devices() -> None:
    # No wall-clock bound here: on a loaded machine generation alone takes ~10 s, so a time
    # limit would test the machine, not the generator (its speed belongs in a benchmark).
    doc = generate_tenant(tenant_id=TID, policies=20000, devices=50000)
    client_id = doc["apps"][0]["clientId"]
    with GraphSimulator([doc]) as sim:
        token = sim.mint_access_token(TID, client_id)
        with httpx.Client(
            base_url=sim.graph_base,
            verify=ssl.create_default_context(cafile=sim.ca_path),
            headers={"Authorization": f"Bearer {token}"},
        ) as c:
            url: str | None = "/v1.0/deviceManagement/managedDevices?$select=id,complianceState"
            seen, pages = 0, 0
            while url:
                page = c.get(url).json()
                seen += len(page["value"])
                pages += 1
                url = page.get("@odata.nextLink")
            assert (seen, pages) == (50000, 50)
            summary = c.get("/v1.0/deviceManagement/deviceCompliancePolicyDeviceStateSummary").json()
            counted = sum(v for k, v in summary.items() if k.endswith("Count"))
            assert counted == 50000
            first = c.get("/beta/deviceManagement/configurationPolicies?$expand=assignments").json()
            assert len(first["value"]) == 25 and first["@odata.nextLink"]


def test_cli_serves_and_writes_state_file(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "graphsim", "--ca-dir", str(tmp_path), "--latency-ms", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        state_file = tmp_path / "graphsim.json"
        deadline = time.monotonic() + 120  # a generous bound for a loaded machine, not a speed test
        while not state_file.exists():
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline
            time.sleep(0.05)
        state = json.loads(state_file.read_text())
        assert state["ca_path"] == str(tmp_path / "graphsim-ca.pem")
        url = f"{state['authority_base']}/{GOLDEN_TENANT_ID}/v2.0/.well-known/openid-configuration"
        assert httpx.get(url, verify=ssl.create_default_context(cafile=state["ca_path"])).status_code == 200
        apps = {a["client_id"] for t in state["tenants"] for a in t["apps"]}
        assert GOLDEN_CLIENT_ID in apps
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert "graph_base:" in output and GOLDEN_TENANT_ID in output
    assert not (tmp_path / "graphsim.json").exists()


def test_cli_rejects_missing_fixtures_folder(tmp_path: Path) -> None:
    from graphsim.cli import main

    assert main(["--fixtures", str(tmp_path / "missing")]) == 2
