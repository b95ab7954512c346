"""Tests of the public API: every module declares __all__, and every exported name is documented."""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "tncost"


def _module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(parts))
    return names


MODULES = _module_names()


def _documented_assignments(path: Path) -> tuple[set[str], set[str]]:
    """Names assigned at module level in ``path``, and those with a ``#:`` comment or a string after them."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    body = ast.parse(source).body
    assigned: set[str] = set()
    documented: set[str] = set()
    for position, node in enumerate(body):
        if isinstance(node, ast.Assign):
            targets = [target.id for target in node.targets if isinstance(target, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            targets = [node.target.id]
        else:
            continue
        assigned.update(targets)
        following = body[position + 1] if position + 1 < len(body) else None
        string_after = (
            isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        )
        comment_before = node.lineno >= 2 and lines[node.lineno - 2].lstrip().startswith("#:")
        if string_after or comment_before:
            documented.update(targets)
    return assigned, documented


ASSIGNMENTS = {path: _documented_assignments(path) for path in sorted(PACKAGE.rglob("*.py"))}


def _has_own_docstring(obj: object) -> bool:
    if isinstance(obj, click.Command):
        return bool((obj.help or "").strip())
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    if not (doc or "").strip():
        return False
    # A dataclass without a docstring gets its signature as __doc__.
    return not (inspect.isclass(obj) and doc.startswith(f"{obj.__name__}("))


def _is_documented_data(name: str) -> bool:
    if name.startswith("__") and name.endswith("__"):
        return True  # __version__ and the like
    places = [documented for assigned, documented in ASSIGNMENTS.values() if name in assigned]
    return any(name in documented for documented in places)


def test_package_imports_from_checkout():
    import tncost

    assert tncost.__file__ is not None, (
        "tncost was imported as a namespace package, so tncost/__init__.py did not run; "
        "reinstall the checkout with pip install -e ."
    )


def test_modules_found():
    assert "tncost" in MODULES
    assert "tncost.network" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_module_has_all(name):
    module = importlib.import_module(name)
    assert isinstance(getattr(module, "__all__", None), (list, tuple)), f"{name} has no __all__"


@pytest.mark.parametrize("name", MODULES)
def test_all_has_no_duplicates(name):
    exported = list(getattr(importlib.import_module(name), "__all__", ()))
    assert len(exported) == len(set(exported))


@pytest.mark.parametrize("name", MODULES)
def test_exports_resolve(name):
    module = importlib.import_module(name)
    missing = [export for export in getattr(module, "__all__", ()) if not hasattr(module, export)]
    assert missing == []


@pytest.mark.parametrize("name", MODULES)
def test_exports_documented(name):
    module = importlib.import_module(name)
    undocumented = []
    for export in getattr(module, "__all__", ()):
        # Constants and type aliases are assignments, while functions and classes carry docstrings.
        if any(export in assigned for assigned, _ in ASSIGNMENTS.values()):
            if not _is_documented_data(export):
                undocumented.append(export)
        elif not _has_own_docstring(getattr(module, export, None)):
            undocumented.append(export)
    assert undocumented == [], f"{name}: exported without a docstring or #: comment"


@pytest.mark.parametrize("name", MODULES)
def test_module_docstring(name):
    assert (importlib.import_module(name).__doc__ or "").strip(), f"{name} has no module docstring"


def _imported_modules(statement: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True)
    return set(result.stdout.split())


def test_import_skips_matplotlib():
    modules = _imported_modules("import tncost; assert tncost.__file__")
    assert "tncost.planner" in modules
    assert "matplotlib" not in modules


def test_cli_import_skips_matplotlib():
    modules = _imported_modules("import tncost.cli")
    assert "matplotlib" not in modules
