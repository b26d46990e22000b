"""The layers import-linter cannot check: ``contracts.py`` and ``settings.py`` are leaves, and nothing imports ``app.py``.

import-linter takes packages as roots, not top-level modules (see pyproject.toml),
so these are read here with ``ast``: every import statement, at any depth.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from settings import PROJECT_ROOT

SKIPPED_DIRS = {".venv", "var", "node_modules", "__pycache__"}
LEAVES = ("contracts.py", "settings.py")


def _project_modules() -> set[str]:
    """Top-level names of the project: its packages and its root modules."""
    packages = {p.parent.name for p in PROJECT_ROOT.glob("*/__init__.py") if p.parent.name not in SKIPPED_DIRS}
    modules = {p.stem for p in PROJECT_ROOT.glob("*.py")}
    return packages | modules


def _python_files() -> list[Path]:
    files = []
    for path in PROJECT_ROOT.rglob("*.py"):
        parts = path.relative_to(PROJECT_ROOT).parts
        if any(part.startswith(".") or part in SKIPPED_DIRS for part in parts[:-1]):
            continue
        files.append(path)
    return files


def _imports(path: Path) -> list[tuple[str, bool]]:
    """Every absolute module an import statement of ``path`` names, and whether it is at module level."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    top_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top_level) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: inside its own package
                found.append(("." * node.level + (node.module or ""), id(node) in top_level))
            else:
                assert node.module is not None
                found.append((node.module, id(node) in top_level))
    return found


def _root(module: str) -> str:
    return module.split(".")[0]


def test_the_project_is_found():
    project = _project_modules()
    assert {"rules", "answering", "safety", "index", "webapp", "tests", "contracts", "settings", "app"} <= project
    files = {p.relative_to(PROJECT_ROOT).as_posix() for p in _python_files()}
    assert {"app.py", "contracts.py", "settings.py", "rules/files.py", "tests/unit/test_layers.py"} <= files
    assert not any(f.startswith(".venv/") for f in files)


@pytest.mark.parametrize("leaf", LEAVES)
def test_contracts_and_settings_import_no_project_module(leaf):
    imports = _imports(PROJECT_ROOT / leaf)
    assert imports, f"{leaf} has no imports: is the parser reading it?"
    assert not [m for m, _ in imports if m.startswith(".")], "a top-level module has nothing to import relatively"
    project = [m for m, _ in imports if _root(m) in _project_modules()]
    assert project == [], f"{leaf} imports the project's {project}: it must stay a leaf"
    # at module level only the standard library (settings loads the bundled model's package lazily, in a function)
    third_party = [m for m, top in imports if top and _root(m) not in sys.stdlib_module_names and m != "__future__"]
    assert third_party == [], f"{leaf} imports {third_party} at module level"


def test_contracts_and_settings_do_not_import_each_other():
    for leaf in LEAVES:
        others = {Path(other).stem for other in LEAVES if other != leaf}
        assert not [m for m, _ in _imports(PROJECT_ROOT / leaf) if _root(m) in others], leaf


def test_no_module_imports_app():
    importers = [
        path.relative_to(PROJECT_ROOT).as_posix()
        for path in _python_files()
        if path.name != "app.py" or path.parent != PROJECT_ROOT
        for module, _ in _imports(path)
        if module == "app" or module.startswith("app.")
    ]
    assert importers == [], f"app.py is the entry point; these import it: {importers}"


def test_the_import_reader_sees_nested_and_from_imports(tmp_path):
    """The checks above would pass vacuously if ``_imports`` missed a form of import."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os.path\nfrom json import loads\n\ndef f():\n    import app\n    from . import sibling\n", encoding="utf-8"
    )
    assert _imports(sample) == [("os.path", True), ("json", True), ("app", False), (".", False)]
