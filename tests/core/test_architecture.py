"""Import and write rules that keep secrets, network calls and writes in their rooms."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "tenantpilot"
INTERFACES = ("console", "api")


def _python_files(*parts: str):
    root = SRC.joinpath(*parts)
    return [p for p in root.rglob("*.py") if "migrations" not in p.parts] if root.exists() else []


def _imports(path: Path) -> set[str]:
    """Every dotted name ``path`` imports (see :func:`_imported_names`)."""
    module = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
    return _imported_names(path.read_text(), module.removesuffix(".__init__"), is_package=path.name == "__init__.py")


def _imported_names(source: str, module: str, *, is_package: bool = False) -> set[str]:
    """Every dotted name the source imports, whatever the spelling: ``import a.b``, ``from a
    import b`` (gives ``a.b``), relative imports (resolved against ``module``), star imports
    (gives the package itself) and ``importlib.import_module("a.b")`` / ``__import__("a.b")``."""
    package = module if is_package else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                names.add(base if alias.name == "*" else f"{base}.{alias.name}")
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if called in {"import_module", "__import__"} and isinstance(node.args[0].value, str):
                names.add(node.args[0].value)
    return names


GRAPH_CLIENT_MODULES = ("tenantpilot.graph.client", "tenantpilot.graph.tokens")


def _reaches_graph_client(name: str) -> bool:
    """Whether importing ``name`` hands over the Graph client or token code: one of those
    modules or anything in them, a name the graph package re-exports from them
    (``from tenantpilot.graph import GraphClient``), or the package itself."""
    if name == "tenantpilot.graph" or any(name == m or name.startswith(m + ".") for m in GRAPH_CLIENT_MODULES):
        return True
    if not name.startswith("tenantpilot.graph."):
        return False
    parent, _, attr = name.rpartition(".")
    try:
        target = getattr(importlib.import_module(parent), attr)
    except (ImportError, AttributeError):
        return False
    origin = target.__name__ if inspect.ismodule(target) else getattr(target, "__module__", "")
    return origin in GRAPH_CLIENT_MODULES


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
        and any(_reaches_graph_client(m) for m in _imports(p))
    ]
    assert offenders == []


@pytest.mark.parametrize(
    "source",
    [
        "import tenantpilot.graph.client",
        "import tenantpilot.graph.tokens as t",
        "from tenantpilot.graph.client import GraphClient",
        "from tenantpilot.graph import client",
        "from tenantpilot.graph import tokens as t",
        "from tenantpilot.graph import GraphClient",
        "from tenantpilot.graph import TokenProvider",
        "from tenantpilot.graph import *",
        "import tenantpilot.graph",
        "from tenantpilot import graph",
        "from ..graph import client",
        "from ..graph.tokens import TokenProvider",
        "from .. import graph",
        "import importlib\nc = importlib.import_module('tenantpilot.graph.client')",
        "def f():\n    from tenantpilot.graph import client",
    ],
)
def test_the_graph_client_rule_catches_every_import_spelling(source):
    names = _imported_names(source, "tenantpilot.inventory.sync")
    assert any(_reaches_graph_client(m) for m in names), names


@pytest.mark.parametrize(
    "source",
    [
        "from tenantpilot.graph.errors import GraphError",
        "from tenantpilot.graph.reasons import ReasonCode",
        "from tenantpilot.graph import ReasonCode, GraphError",
        "from ..graph import contracts",
    ],
)
def test_the_graph_client_rule_allows_the_rest_of_the_graph_package(source):
    assert not any(_reaches_graph_client(m) for m in _imported_names(source, "tenantpilot.inventory.sync"))


_ROW_WRITES = frozenset({"save", "delete", "bulk_create", "bulk_update", "get_or_create", "update_or_create"})
_QUERYSET_STEPS = frozenset({"objects", "filter", "exclude", "all", "select_for_update", "select_related", "only"})


def _receiver_steps(node: ast.expr) -> set[str]:
    """The attribute and method names along a call chain such as ``Model.objects.filter(...).all()``."""
    steps: set[str] = set()
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            steps.add(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            steps.add(node.id)
            return steps
        else:
            return steps


def _model_writes(source: str) -> list[int]:
    """Lines that save, delete or create rows: instance writes, ``objects.create``, queryset ``update``.

    ``x.update(...)`` counts only on a queryset chain (``objects``/``filter``/…), so ``set.update``
    and ``dict.update`` do not; ``request.session`` writes are the session's, not a model's.
    """
    tree = ast.parse(source)
    # A route decorator such as ``@router.delete(...)`` declares an HTTP method; it writes nothing.
    decorators = {
        id(d) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef) for d in f.decorator_list
    }
    lines = []
    for node in ast.walk(tree):
        if id(node) in decorators or not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method, receiver = node.func.attr, _receiver_steps(node.func.value)
        if "session" in receiver:
            continue
        if (
            method in _ROW_WRITES
            or (method == "create" and "objects" in receiver)
            or (method == "update" and receiver & _QUERYSET_STEPS)
        ):
            lines.append(node.lineno)
    return lines


@pytest.mark.parametrize(
    ("source", "writes"),
    [
        ("item.save()", True),
        ("Model.objects.create(name='x')", True),
        ("Model.objects.filter(pk=1).update(name='x')", True),
        ("run.delete()", True),
        ("Model.objects.bulk_create(rows)", True),
        ("ids.users.update(x for x in y)", False),
        ("payload.update({'a': 1})", False),
        ("request.session.delete('key')", False),
        ("@router.delete('/x')\ndef f(): pass", False),
    ],
)
def test_the_model_write_rule_tells_writes_from_dict_updates(source, writes):
    assert bool(_model_writes(source)) is writes


def test_interfaces_never_write_models_directly():
    """Console views and API routes call services; they never save, create, update or delete rows."""
    offenders = []
    for interface in INTERFACES:
        for path in _python_files(interface):
            text = path.read_text()
            lines = text.splitlines()
            offenders += [f"{path.relative_to(SRC)}:{n}: {lines[n - 1].strip()}" for n in _model_writes(text)]
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
