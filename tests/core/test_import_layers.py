"""Import layers (DESIGN rule 10): the import-linter contracts hold, and every import of a
TenantPilot module sits at the top of its module.

The contracts live in ``pyproject.toml`` (``[tool.importlinter]``): apps are layered with
``core`` at the bottom, only ``providers.gateway`` imports the Graph client and token code, the
console never imports ``graph``, and no two sibling packages or modules import each other.
A function-level import would hide a cycle from a reader (never from import-linter, which
counts it), so the only ones allowed are in an ``AppConfig.ready()``, where Django requires
them, and each says why.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "tenantpilot"
CONTRACT_IDS = {"layers", "graph-client", "interfaces-no-graph", "no-cycles"}
# Where a ready() must say why it imports lazily.
READY_REASON = "not at the top"


def test_the_import_contracts_are_kept():
    """``lint-imports`` (the same command ``make lint`` runs) passes on the source tree."""
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_every_contract_is_configured():
    """The rules this test stands for are all present (a deleted contract would pass silently)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert config["root_package"] == "tenantpilot"
    assert {c["id"] for c in config["contracts"]} >= CONTRACT_IDS


def _module_name(path: Path) -> tuple[str, bool]:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts).removesuffix(".__init__"), path.name == "__init__.py"


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    package = (module if is_package else module.rpartition(".")[0]).split(".")
    anchor = package[: len(package) - (node.level - 1)]
    return ".".join([*anchor, *([node.module] if node.module else [])])


def _nested_imports(tree: ast.Module, module: str, is_package: bool) -> list[tuple[ast.AST, str, list[ast.AST]]]:
    """Every import inside a function or class body: (import node, imported module, enclosing defs).

    Module-level imports (also under ``if TYPE_CHECKING:`` or ``try:``) are not listed.
    """
    found: list[tuple[ast.AST, str, list[ast.AST]]] = []

    def visit(node: ast.AST, enclosing: list[ast.AST]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                visit(child, [*enclosing, child])
            elif isinstance(child, (ast.Import, ast.ImportFrom)) and enclosing:
                names = (
                    [alias.name for alias in child.names]
                    if isinstance(child, ast.Import)
                    else [_resolve(child, module, is_package)]
                )
                found.extend((child, name, enclosing) for name in names)
            else:
                visit(child, enclosing)

    visit(tree, [])
    return found


def _allowed(path: Path, source: str, enclosing: list[ast.AST]) -> bool:
    """Only inside ``ready()`` of an ``AppConfig`` in ``apps.py``, and only with a stated reason."""
    if path.name != "apps.py" or len(enclosing) != 2:
        return False
    config, method = enclosing
    if not (isinstance(config, ast.ClassDef) and isinstance(method, ast.FunctionDef) and method.name == "ready"):
        return False
    if not any(isinstance(base, ast.Name) and base.id == "AppConfig" for base in config.bases):
        return False
    return READY_REASON in (ast.get_source_segment(source, method) or "")


def _offenders(path: Path, source: str) -> list[str]:
    module, is_package = _module_name(path)
    return [
        f"{path.relative_to(SRC.parent)}:{getattr(node, 'lineno', '?')} imports {name}"
        for node, name, enclosing in _nested_imports(ast.parse(source), module, is_package)
        if (name == "tenantpilot" or name.startswith("tenantpilot.")) and not _allowed(path, source, enclosing)
    ]


def test_no_function_level_import_of_a_tenantpilot_module():
    offenders = [
        line
        for path in sorted(SRC.rglob("*.py"))
        if "migrations" not in path.parts
        for line in _offenders(path, path.read_text())
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("filename", "source"),
    [
        ("services.py", "def f():\n    from tenantpilot.operations.models import OperationRun\n"),
        ("services.py", "def f():\n    import tenantpilot.graph.client\n"),
        ("services.py", "def f():\n    from .tasks import operation_run_task\n"),
        ("services.py", "def f():\n    from . import tasks\n"),
        ("services.py", "class C:\n    def m(self):\n        from ..providers import models\n"),
        ("services.py", "def f():\n    def g():\n        from tenantpilot.core.errors import NotFound\n"),
        ("services.py", "def f():\n    if True:\n        from tenantpilot import demo\n"),
        ("services.py", "async def f():\n    from tenantpilot.core import db\n"),
        ("services.py", "class C:\n    from tenantpilot.core.errors import NotFound\n"),
        # ready() is the only place, and it must say why.
        ("apps.py", "class A(AppConfig):\n    def ready(self):\n        from .registry import autodiscover\n"),
        ("apps.py", "class A(AppConfig):\n    def setup(self):\n        # not at the top\n        from . import x\n"),
        ("apps.py", "def ready():\n    # not at the top\n    from . import x\n"),
    ],
)
def test_the_rule_catches_function_level_imports(filename, source):
    assert _offenders(SRC / "operations" / filename, source)


@pytest.mark.parametrize(
    ("filename", "source"),
    [
        ("services.py", "from tenantpilot.operations.models import OperationRun\n"),
        ("services.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .models import OperationRun\n"),
        ("services.py", "def f():\n    import json\n    from django.db import transaction\n"),
        (
            "apps.py",
            "class A(AppConfig):\n    def ready(self):\n"
            '        """Imports here, not at the top: Django loads apps.py before the models."""\n'
            "        from .registry import autodiscover\n",
        ),
    ],
)
def test_the_rule_allows_top_level_and_documented_ready_imports(filename, source):
    assert _offenders(SRC / "operations" / filename, source) == []
