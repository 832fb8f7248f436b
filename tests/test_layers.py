"""The import rules of STYLE.md: layers point one way (UI and API → services → db)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.factories import PROJECT_ROOT

#: For each package, the top-level modules or packages it must never import.
FORBIDDEN: dict[str, set[str]] = {
    "pages": {"db", "workers", "cli"},
    "components": {"db", "pages", "workers", "cli", "api"},
    "api": {"db", "pages", "components", "app", "workers", "cli"},
    "services": {
        "dash",
        "dash_bootstrap_components",
        "flask",
        "pages",
        "components",
        "api",
        "app",
        "webcontext",
        "webauth",
        "workers",
        "cli",
    },
    "db": {"services", "pages", "components", "api", "app", "workers", "cli"},
    "workers": {"pages", "components", "api", "app", "dash", "flask", "cli"},
}


def imported_roots(path: Path) -> set[str]:
    """The top-level names of every module `path` imports (absolute imports only)."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def modules_of(package: str) -> list[Path]:
    return sorted(
        path
        for path in (PROJECT_ROOT / package).rglob("*.py")
        if "migrations" not in path.relative_to(PROJECT_ROOT).parts
    )


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_nothing_from_the_layers_above_it(package: str) -> None:
    modules = modules_of(package)
    assert modules, f"no modules found in {package}/"
    broken = {
        str(path.relative_to(PROJECT_ROOT)): sorted(imported_roots(path) & FORBIDDEN[package])
        for path in modules
    }
    assert {module: names for module, names in broken.items() if names} == {}


def test_the_rule_catches_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "page.py"
    module.write_text("from db.models import User\nimport flask\nfrom . import sibling\n")
    assert imported_roots(module) == {"db", "flask"}
