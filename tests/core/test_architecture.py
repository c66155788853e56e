"""Import and write rules that keep secrets, network calls and writes in their rooms."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "tenantpilot"
INTERFACES = ("console", "api")


def _python_files(*parts: str):
    root = SRC.joinpath(*parts)
    return [p for p in root.rglob("*.py") if "migrations" not in p.parts] if root.exists() else []


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("interface", INTERFACES)
def test_interfaces_never_import_graph(interface):
    offenders = [
        str(p) for p in _python_files(interface) if any(m.startswith("tenantpilot.graph") for m in _imports(p))
    ]
    assert offenders == []


def test_only_the_gateway_imports_the_graph_client():
    allowed = {SRC / "providers" / "gateway.py"}
    offenders = [
        str(p)
        for p in _python_files()
        if p not in allowed
        and "graph" not in p.relative_to(SRC).parts[:1]
        and any(m in {"tenantpilot.graph.client", "tenantpilot.graph.tokens"} for m in _imports(p))
    ]
    assert offenders == []


def test_interfaces_never_write_models_directly():
    """Console views and API routes call services; they never save, create, update or delete rows."""
    write = re.compile(r"\.(save|delete|bulk_create|update|get_or_create|update_or_create)\(|objects\.create\(")
    offenders = []
    for interface in INTERFACES:
        for path in _python_files(interface):
            for lineno, line in enumerate(path.read_text().splitlines(), 1):
                if write.search(line) and "session" not in line:
                    offenders.append(f"{path.relative_to(SRC)}:{lineno}: {line.strip()}")
    assert offenders == []


def test_feature_code_has_no_raw_capability_strings():
    from tenantpilot.authz.capabilities import Capability

    values = {c.value for c in Capability}
    offenders = []
    for path in _python_files():
        if path.parts[-2] == "authz" and path.name == "capabilities.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in values:
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}: {node.value!r}")
    for template in SRC.rglob("*.html"):
        text = template.read_text()
        offenders += [f"{template.relative_to(SRC)}: {v!r}" for v in values if f'"{v}"' in text or f"'{v}'" in text]
    assert offenders == []


def test_feature_code_never_compares_role_names():
    """Roles become capabilities in authz.roles; feature code does not branch on role strings."""
    pattern = re.compile(r"""role\s*(==|!=|in)\s*["'](owner|manager|operator|readonly)["']""")
    offenders = [
        f"{p.relative_to(SRC)}:{i}"
        for p in _python_files()
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


def test_only_the_credential_manager_decrypts():
    allowed = {SRC / "providers" / "credentials.py"}
    offenders = []
    for path in _python_files():
        if path in allowed:
            continue
        text = path.read_text()
        if "cryptography.fernet" in text or ".decrypt(" in text:
            offenders.append(str(path.relative_to(SRC)))
    assert offenders == []


def test_only_the_gateway_reads_decrypted_credentials():
    allowed = {SRC / "providers" / "credentials.py", SRC / "providers" / "gateway.py"}
    offenders = [
        str(p.relative_to(SRC)) for p in _python_files() if p not in allowed and "credential_material" in p.read_text()
    ]
    assert offenders == []


def test_the_graph_package_stays_free_of_django():
    offenders = [str(p) for p in _python_files("graph") if any(m.startswith("django") for m in _imports(p))]
    assert offenders == []
