"""Architecture: the identity core is pure (no Django) and provider-neutral (no Microsoft)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

RESOURCES = Path(__file__).resolve().parents[2] / "src" / "tenantpilot" / "resources"
ADAPTERS = RESOURCES / "adapters"
# Provider knowledge may live only in a provider's adapter and in the registry that names it.
PROVIDER_AWARE = {ADAPTERS / "microsoft.py", ADAPTERS / "__init__.py"}
# The Django rooms of the app (added by another step) may import Django; everything else is pure.
DJANGO_ROOMS = {"models.py", "services.py", "selectors.py", "policies.py", "admin.py", "apps.py"}
CORE = ("choices.py", "identity.py", "keys.py", "descriptors.py", "__init__.py")


def _python_files() -> list[Path]:
    return sorted(p for p in RESOURCES.rglob("*.py") if "migrations" not in p.parts)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_modules_exist():
    assert all((RESOURCES / name).exists() for name in CORE)


def test_non_adapter_modules_never_mention_microsoft():
    offenders = [
        f"{path.relative_to(RESOURCES)}:{lineno}"
        for path in _python_files()
        if path not in PROVIDER_AWARE
        for lineno, line in enumerate(path.read_text().splitlines(), 1)
        if "microsoft" in line.lower()
    ]
    assert offenders == []


def test_pure_modules_never_import_django():
    offenders = [
        str(path.relative_to(RESOURCES))
        for path in _python_files()
        if path.name not in DJANGO_ROOMS and any(m == "django" or m.startswith("django.") for m in _imports(path))
    ]
    assert offenders == []


@pytest.mark.parametrize("name", [n for n in CORE if n != "__init__.py"])
def test_core_modules_do_not_depend_on_adapters(name):
    assert not any(m.startswith("tenantpilot.resources.adapters") for m in _imports(RESOURCES / name))
