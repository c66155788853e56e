"""The canary secret never leaves the credential store through the API: not in any answer of a
GET route (every list and detail route of the OpenAPI document, walked), not in the answers of
the mutations that receive it, and not in the OpenAPI document itself."""

from __future__ import annotations

import re
import uuid

from django.urls import reverse

from tenantpilot.api.main import api
from tenantpilot.resources.models import ProviderResourceBinding
from tests.api.conftest import bearer, make_token
from tests.api.support import CANARY_SECRET, seed_path_records

PARAM = re.compile(r"{(\w+)}")


def get_routes() -> list[str]:
    """Every GET path of the API, as templates (``/api/v1/w/{workspace}/…``)."""
    document = api.get_openapi_schema(path_prefix="/api/v1")
    return [path for path, operations in document["paths"].items() if "get" in operations]


def test_no_api_answer_ever_contains_the_canary_secret(client, world):
    _, text = make_token(world.owner, world.a)
    headers = bearer(text)
    records = seed_path_records(world)
    binding = ProviderResourceBinding.objects.get(pk=records["binding_id"])
    query = {
        "from": "1",
        "to": "2",
        "subject_key": binding.canonical_subject_key,
    }
    env_url = reverse("api-v1:connection-list", kwargs={"workspace": world.a.slug, "environment_id": world.a1.pk})
    created = client.post(
        env_url,
        {
            "display_name": "Canary two",
            "entra_tenant_id": world.a1.tenant_id,
            "client_id": str(uuid.uuid4()),
            "auth_type": "client_secret",
            "client_secret": CANARY_SECRET,
        },
        content_type="application/json",
        headers=headers,
    )
    assert created.status_code == 201
    replaced = client.put(
        f"{env_url}/{records['connection_id']}/credential",
        {"auth_type": "client_secret", "client_secret": CANARY_SECRET},
        content_type="application/json",
        headers=headers,
    )
    assert replaced.status_code == 200
    answers = {"create": created, "replace": replaced}

    for template in get_routes():
        url = PARAM.sub(lambda m: str(records[m.group(1)]), template)
        answers[template] = client.get(url, query, headers=headers)
    client.force_login(world.owner)
    answers["openapi"] = client.get("/api/v1/openapi.json")

    ok = [name for name, response in answers.items() if response.status_code == 200]
    assert len(ok) == len(answers) - 1  # every route answered, the created connection with 201
    for name, response in answers.items():
        assert CANARY_SECRET not in response.content.decode(), name
    # The sweep really reached the connection that holds the canary.
    connections = answers["/api/v1/w/{workspace}/environments/{environment_id}/connections"].json()
    assert connections["count"] == 2
