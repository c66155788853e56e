"""Intune script bodies as Graph serves them: null in list answers, filled on a GET by id — also
inside ``$batch`` (graph/PLAN.md section 9: a real list answer writes ``"scriptContent": null``)."""

from __future__ import annotations

import httpx
import pytest

from graphsim import GraphSimulator
from graphsim.fixtures_catalog import GOLDEN_TENANT_ID

# Collection -> the body properties Graph withholds from its list answers.
BODIES = {
    "deviceManagement/deviceManagementScripts": ("scriptContent",),
    "deviceManagement/deviceShellScripts": ("scriptContent",),
    "deviceManagement/deviceCustomAttributeShellScripts": ("scriptContent",),
    "deviceManagement/deviceHealthScripts": ("detectionScriptContent", "remediationScriptContent"),
    "deviceManagement/deviceComplianceScripts": ("detectionScriptContent",),
}


def _stored(sim: GraphSimulator, key: str) -> dict[str, dict]:
    return {str(item["id"]): item for item in sim.tenant(GOLDEN_TENANT_ID).collections[key]}


@pytest.mark.parametrize("key", sorted(BODIES))
def test_list_answers_write_the_script_bodies_as_null(graphsim: GraphSimulator, golden: httpx.Client, key) -> None:
    stored = _stored(graphsim, key)
    assert stored and all(item.get(field) for item in stored.values() for field in BODIES[key]), "fixture has bodies"
    listing = golden.get(f"/beta/{key}").json()["value"]
    assert {item["id"] for item in listing} == set(stored)
    for item in listing:
        assert all(field in item and item[field] is None for field in BODIES[key]), item["id"]
        assert item["displayName"] == stored[item["id"]]["displayName"]  # everything else is answered
    selected = golden.get(f"/beta/{key}?$select=id,{BODIES[key][0]}").json()["value"]
    assert all(item[BODIES[key][0]] is None for item in selected), "$select does not reveal the body"


@pytest.mark.parametrize("key", sorted(BODIES))
def test_a_get_by_id_answers_the_bodies_also_inside_batch(graphsim: GraphSimulator, golden: httpx.Client, key) -> None:
    stored = _stored(graphsim, key)
    object_id = next(iter(stored))
    single = golden.get(f"/beta/{key}/{object_id}")
    assert single.status_code == 200, single.text
    body = single.json()
    assert body["@odata.context"] == f"https://graph.microsoft.com/beta/$metadata#{key}/$entity"
    for field in BODIES[key]:
        assert body[field] == stored[object_id][field]
    requests = [
        {"id": 1, "method": "GET", "url": f"/{key}/{object_id}"},
        {"id": "list", "method": "GET", "url": f"/{key}"},
    ]
    answer = golden.post("/beta/$batch", json={"requests": requests})
    assert answer.status_code == 200, answer.text
    by_id = {r["id"]: r for r in answer.json()["responses"]}
    assert by_id[1]["status"] == 200
    assert all(by_id[1]["body"][field] == stored[object_id][field] for field in BODIES[key])
    assert all(item[field] is None for item in by_id["list"]["body"]["value"] for field in BODIES[key])
