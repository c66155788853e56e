"""The README's curl examples of the REST API work against the demo workspace ``seed_demo`` makes.

The shell block after "Against `make demo`" is read from README.md and each ``curl`` line is
replayed through the Django test client (``VAR=$(curl … | first_id)`` lines take the first
item's id): every request must answer 2xx, so a renamed route, a wrong slug or an id the demo
does not create fails here.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tenantpilot.authz.roles import Role
from tenantpilot.baselines.models import BaselineProfile
from tenantpilot.demo import DEMO_GOLDEN_TENANT_ID, DEMO_PROFILE_NAME, DEMO_WORKSPACE_SLUG, seed_demo
from tenantpilot.tenancy.models import ManagedEnvironment, Workspace
from tests.api.conftest import make_token
from tests.api.support import compare_result
from tests.baselines import factories as bf
from tests.support.network import no_outbound_connections

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_curl_block() -> list[str]:
    """The lines of the shell block that follows "Against `make demo`" in the README."""
    text = README.read_text(encoding="utf-8")
    start = text.index("Against `make demo`")
    block = re.search(r"```sh\n(.*?)```", text[start:], re.DOTALL)
    assert block is not None, "the README's demo curl block is missing"
    return block.group(1).splitlines()


def _expand(text: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$([A-Z_]+)", lambda m: variables.get(m.group(1), m.group(0)), text)


def _curl(client: Client, line: str, variables: dict[str, str]) -> Any:
    args = shlex.split(_expand(line, variables))
    assert args[0] == "curl", line
    method, headers, body, url = "GET", {}, "", ""
    rest = iter(args[1:])
    for arg in rest:
        if arg == "-X":
            method = next(rest)
        elif arg == "-H":
            name, value = next(rest).split(":", 1)
            headers[name.strip()] = value.strip()
        elif arg == "-d":
            body = next(rest)
        elif arg == "-w":
            next(rest)
        elif arg != "-s":
            url = arg
    assert url.startswith("http://127.0.0.1:8000/api/v1/"), line
    path = url.removeprefix("http://127.0.0.1:8000")
    content_type = headers.pop("Content-Type", "application/json")
    return client.generic(method, path, data=body, content_type=content_type, headers=headers)


@pytest.mark.django_db
def test_the_readme_curl_examples_answer_against_the_demo_workspace():
    seed_demo()
    workspace = Workspace.objects.get(slug=DEMO_WORKSPACE_SLUG)
    owner = workspace.memberships.get(role=Role.OWNER, user__username="owner@demo.local").user
    # The export line needs the demo's first compare of Fabrikam: record one as that run would.
    profile = BaselineProfile.objects.get(workspace=workspace, name=DEMO_PROFILE_NAME)
    drifted = ManagedEnvironment.objects.get(workspace=workspace, display_name__startswith="Fabrikam")
    result = compare_result(drifted)
    result.profile, result.snapshot = profile, bf.snapshot(profile)
    result.save()
    _, text = make_token(owner, workspace)
    variables = {"TOKEN": text}
    client = Client()
    answered = 0
    with no_outbound_connections():
        for line in readme_curl_block():
            line = line.split("   #", 1)[0].strip()
            assignment = re.fullmatch(r'([A-Z_]+)="?(.*?)"?', line) if "$(" not in line else None
            if assignment and not line.startswith("curl"):
                # TOKEN stays the real one; API and AUTH come from the README.
                variables.setdefault(assignment.group(1), _expand(assignment.group(2), variables))
                continue
            captured = re.fullmatch(r"([A-Z_]+)=\$\((curl .*) \| first_id\)", line)
            command = captured.group(2) if captured else line
            if not command.startswith("curl"):
                continue
            response = _curl(client, command, variables)
            assert 200 <= response.status_code < 300, f"{line}: {response.status_code} {response.content[:300]!r}"
            answered += 1
            if captured:
                variables[captured.group(1)] = str(response.json()["items"][0]["id"])
    golden = ManagedEnvironment.objects.get(workspace=workspace, tenant_id=DEMO_GOLDEN_TENANT_ID)
    assert (variables["GOLDEN"], variables["DRIFTED"]) == (str(golden.pk), str(drifted.pk))
    assert answered >= 10
