"""Fidelity cases a second Microsoft-facing client depends on (issue 10 item 4; graph/PLAN.md):
numeric $batch ids, @odata.context as Graph writes it, $select/$expand refusals, and the page
Graph cuts when a list expands ``settings``."""

from __future__ import annotations

import httpx

from graphsim import GraphSimulator
from graphsim.fixtures_catalog import GOLDEN_ADMX_EDGE_ID, GOLDEN_LOGON_BANNER_ID, GOLDEN_TENANT_ID

POLICIES = "deviceManagement/configurationPolicies"
GRAPH_CONTEXT = "https://graph.microsoft.com/beta/$metadata#"


def test_numeric_batch_ids_are_answered_as_numbers(golden: httpx.Client) -> None:
    requests = [
        {"id": 1, "method": "GET", "url": f"{POLICIES}/{GOLDEN_LOGON_BANNER_ID}/settings?&top=1000"},
        {"id": 2, "method": "GET", "url": f"{POLICIES}/{GOLDEN_LOGON_BANNER_ID}/assignments"},
        {"id": "three", "method": "GET", "url": POLICIES},
    ]
    response = golden.post("/beta/$batch", json={"requests": requests})
    assert response.status_code == 200, response.text
    by_id = {r["id"]: r for r in response.json()["responses"]}
    assert set(by_id) == {1, 2, "three"}  # same JSON type as sent: int stays int
    assert all(r["status"] == 200 for r in by_id.values())
    assert by_id[1]["body"]["@odata.context"] == f"{GRAPH_CONTEXT}{POLICIES}('{GOLDEN_LOGON_BANNER_ID}')/settings"


def test_batch_ids_that_are_neither_string_nor_number_are_refused(golden: httpx.Client) -> None:
    for bad in (True, None, [1], 1.5):
        response = golden.post("/beta/$batch", json={"requests": [{"id": bad, "method": "GET", "url": POLICIES}]})
        assert response.status_code == 400, bad
        assert response.json()["error"]["message"] == "Invalid batch payload format."
    duplicate = [{"id": 1, "method": "GET", "url": POLICIES}, {"id": "1", "method": "GET", "url": POLICIES}]
    assert golden.post("/beta/$batch", json={"requests": duplicate}).status_code == 400


def test_odata_context_is_written_as_graph_writes_it(golden: httpx.Client) -> None:
    listing = golden.get(f"/beta/{POLICIES}?$expand=assignments").json()
    assert listing["@odata.context"] == f"{GRAPH_CONTEXT}{POLICIES}"
    banner = next(p for p in listing["value"] if p["id"] == GOLDEN_LOGON_BANNER_ID)
    assert banner["assignments@odata.context"] == f"{GRAPH_CONTEXT}{POLICIES}('{GOLDEN_LOGON_BANNER_ID}')/assignments"
    single = golden.get(f"/beta/{POLICIES}/{GOLDEN_LOGON_BANNER_ID}").json()
    assert single["@odata.context"] == f"{GRAPH_CONTEXT}{POLICIES}/$entity"


def test_fixture_supplied_odata_context_is_kept_verbatim(graphsim: GraphSimulator, golden: httpx.Client) -> None:
    tenant = graphsim._tenant_by_id(GOLDEN_TENANT_ID)
    assert tenant is not None
    supplied = "https://graph.microsoft.com/beta/$metadata#deviceManagement/configurationPolicies('x')/assignments"
    for item in tenant.collections[POLICIES]:
        if item["id"] == GOLDEN_LOGON_BANNER_ID:
            item["assignments@odata.context"] = supplied
    listing = golden.get(f"/beta/{POLICIES}?$expand=assignments").json()
    banner = next(p for p in listing["value"] if p["id"] == GOLDEN_LOGON_BANNER_ID)
    assert banner["assignments@odata.context"] == supplied
    plain = golden.get(f"/beta/{POLICIES}").json()
    assert all("assignments@odata.context" not in p for p in plain["value"])  # never without $expand


def test_unknown_select_and_expand_are_refused_with_graphs_error(golden: httpx.Client) -> None:
    response = golden.get(f"/beta/{POLICIES}?$select=id,nosuchproperty")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "BadRequest"
    assert error["message"] == (
        "Could not find a property named 'nosuchproperty' on type 'microsoft.graph.deviceManagementConfigurationPolicy'."
    )
    assert {"date", "request-id", "client-request-id"} <= set(error["innerError"])
    response = golden.get("/beta/deviceManagement/deviceConfigurations?$expand=settings")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Could not find a property named 'settings' on type 'microsoft.graph.deviceConfiguration'."
    )
    assert golden.get(f"/beta/{POLICIES}?$select=id,name,settingCount").status_code == 200


def test_list_expanding_settings_is_cut_to_two_items_per_page(golden: httpx.Client) -> None:
    first = golden.get(f"/beta/{POLICIES}?$expand=settings,assignments&$top=999").json()
    assert len(first["value"]) <= 2 and "@odata.nextLink" in first
    total = len(golden.get(f"/beta/{POLICIES}?$top=1000").json()["value"])
    seen, link, pages = list(first["value"]), first.get("@odata.nextLink"), 1
    while link:
        page = golden.get(link).json()
        seen += page["value"]
        link, pages = page.get("@odata.nextLink"), pages + 1
    assert len(seen) == total and pages == -(-total // 2)
    banner = next(p for p in seen if p["id"] == GOLDEN_LOGON_BANNER_ID)
    assert len(banner["settings"]) == 2 and "assignments" in banner


def test_admx_definition_values_expand_is_answered_empty(golden: httpx.Client) -> None:
    expanded = golden.get(
        f"/beta/deviceManagement/groupPolicyConfigurations/{GOLDEN_ADMX_EDGE_ID}?$expand=definitionValues"
    )
    assert expanded.status_code == 200
    assert expanded.json()["definitionValues"] == []
    direct = golden.get(
        f"/beta/deviceManagement/groupPolicyConfigurations/{GOLDEN_ADMX_EDGE_ID}/definitionValues"
        "?$expand=definition,presentationValues"
    ).json()
    assert direct["value"] and all("definition" in v and "presentationValues" in v for v in direct["value"])


def test_select_matches_property_names_case_insensitively(golden: httpx.Client) -> None:
    response = golden.get("/beta/deviceManagement/deviceConfigurations?$select=id,displayname")
    assert response.status_code == 200, response.text
    assert all(
        set(item) <= {"id", "displayName", "@odata.type"} and "displayName" in item for item in response.json()["value"]
    )


def test_filter_accepts_a_parenthesized_type_cast_operand(golden: httpx.Client) -> None:
    query = "(microsoft.graph.managedApp/appAvailability) eq null or isAssigned eq true"
    response = golden.get("/beta/deviceAppManagement/mobileApps", params={"$filter": query})
    assert response.status_code == 200, response.text
    assert response.json()["value"], "apps without appAvailability match 'eq null'"
