"""Write generated tenants as graphsim fixtures in a child process (so the benchmark's own memory
never holds the tenant): ``python -m bench._generate DIR TENANT_ID POLICIES DEVICES SEED [...]``.

Prints one JSON line: per tenant id, the client id and the item count of every collection.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from graphsim import generate_tenant


def main(argv: list[str]) -> int:
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    summary = {}
    rest = argv[1:]
    for i in range(0, len(rest), 4):
        tenant_id, policies, devices, seed = rest[i], int(rest[i + 1]), int(rest[i + 2]), int(rest[i + 3])
        doc = generate_tenant(tenant_id=tenant_id, policies=policies, devices=devices, seed=seed)
        (out / f"{doc['tenantId']}.json").write_text(json.dumps(doc))
        summary[doc["tenantId"]] = {
            "client_id": doc["apps"][0]["clientId"],
            "counts": {key: len(items) for key, items in doc["collections"].items()},
        }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
