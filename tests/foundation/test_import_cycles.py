"""No import cycles, between files or between folders (issue 16).

A cycle means two modules cannot be understood, tested or changed apart, and
the order they happen to be imported in decides whether the app starts. The
test reads the imports every module makes when it is loaded (top level, not
inside functions and not under `if TYPE_CHECKING:`) and fails on any cycle, naming
it. It also imports every module, so a module that only breaks when imported
first is caught too.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "academy"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path) -> set[str]:
    """The academy modules `name` imports, when loaded or inside a function (a function-level
    import that closes a loop is a cycle postponed, not avoided)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if not isinstance(node, ast.Import | ast.ImportFrom):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    children = getattr(node, field, None)
                    if isinstance(children, list):
                        visit([child for child in children if isinstance(child, ast.stmt)])
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)
                continue
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    package = name if is_package else name.rpartition(".")[0]
                    for _ in range(node.level - 1):
                        package = package.rpartition(".")[0]
                    base = f"{package}.{base}" if base else package
                # `from academy.services import audit` names a module: that is the edge.
                # A name defined by the package itself is an edge to its __init__.
                for alias in node.names:
                    submodule = f"{base}.{alias.name}"
                    found.add(submodule if submodule in MODULES else base)

    visit(tree.body)
    return {module for module in found if module in MODULES and module != name}


def _graph() -> dict[str, set[str]]:
    return {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one node (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0

    def connect(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(groups)


def _folder(module: str) -> str:
    """The folder a module lives in: academy.services.certificates.issuing -> its package."""
    path = MODULES[module]
    return _module_name(path.parent / "__init__.py") if path.name != "__init__.py" else module


def test_no_import_cycle_between_files():
    assert _cycles(_graph()) == []


def test_no_import_cycle_between_folders():
    """A package may use another, or be used by it, not both (edges to a folder's own
    ancestors are how Python loads it and do not count)."""
    folders: dict[str, set[str]] = {}
    for module, imported in _graph().items():
        here = _folder(module)
        for target in imported:
            there = _folder(target)
            if (
                there != here
                and not here.startswith(there + ".")
                and not there.startswith(here + ".")
            ):
                folders.setdefault(here, set()).add(there)
    assert _cycles(folders) == []


def test_the_cycle_finder_finds_a_cycle():
    """It can fail: a -> b -> c -> a is reported once, d alone is not."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_imports_on_its_own(module):
    """Each module imported first, in a fresh interpreter, as a worker or a CLI would."""
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_every_module_imports_in_this_process():
    for module in MODULES:
        importlib.import_module(module)
