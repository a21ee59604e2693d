"""The package's layering: imports point down the pipeline, never up, and never in a circle.

Every module under chessgru/ is parsed with ``ast`` (nothing is imported), so the test is
fast and sees function-local imports as well as the top-level ones (not those made by
name through importlib, as cli.py does for the commands). The layers, top down: cli;
commands and gui; evaluation; predict and training; games; model; and under them all the
shared helpers (errors, paths, atomic, progress). library and analysis (to come) sit
above games and model.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "chessgru"

#: What stays at the top of the package; everything else lives in a stage's folder.
TOP_LEVEL = {"__init__", "__main__", "cli", "errors", "paths", "atomic", "progress", "predict"}
#: Layer -> layers it must not import (TYPE_CHECKING-only imports count too).
FORBIDDEN = {
    "games": {"training", "evaluation", "predict", "library", "analysis", "commands", "gui"},
    "model": {"training", "evaluation", "predict", "library", "analysis", "commands", "gui"},
    "training": {"evaluation", "commands", "gui"},
    "evaluation": {"commands", "gui"},
    "predict": {"training", "evaluation", "commands", "gui"},
}
#: The helpers every layer may use; they use no layer.
HELPERS = {"errors", "paths", "atomic", "progress"}


@dataclass(frozen=True)
class Import:
    source: str  # importing module, dotted
    target: str  # imported chessgru module (or package), dotted
    line: int
    type_only: bool  # inside `if TYPE_CHECKING:`

    def __str__(self) -> str:
        kind = " (TYPE_CHECKING)" if self.type_only else ""
        return f"{self.source}:{self.line} imports {self.target}{kind}"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(name: str, path: Path, modules: dict[str, Path]) -> Iterator[Import]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def walk(node: ast.AST, type_only: bool) -> Iterator[Import]:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                yield from walk(child, True)
            for child in node.orelse:
                yield from walk(child, type_only)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, node.lineno, type_only)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"  # `from pkg import module` imports the module
                yield Import(name, sub if sub in modules else base, node.lineno, type_only)
        for child in ast.iter_child_nodes(node):
            yield from walk(child, type_only)

    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for found in walk(tree, False):
        if found.target == "chessgru" or found.target.startswith("chessgru."):
            yield found


def _all_imports() -> list[Import]:
    modules = _modules()
    return [found for name, path in modules.items() for found in _imports(name, path, modules)]


def _layer(module: str) -> str:
    """chessgru.games.corpus -> games; chessgru.predict -> predict; chessgru -> chessgru."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph ``edges`` as a path [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_top_level_holds_only_the_entry_points_and_shared_helpers() -> None:
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top == TOP_LEVEL, f"new top-level modules belong in a stage's folder: {top - TOP_LEVEL}"


def _points_up(i: Import) -> bool:
    source, target = _layer(i.source), _layer(i.target)
    if source in HELPERS:
        return target not in (source, "chessgru")  # chessgru/__init__.py: the version
    return target in FORBIDDEN.get(source, set())


def test_lower_layers_never_import_higher_ones() -> None:
    bad = [str(i) for i in _all_imports() if _points_up(i)]
    assert not bad, "imports pointing up the layers:\n" + "\n".join(bad)


def test_only_the_cli_imports_commands_and_only_commands_import_gui() -> None:
    bad = []
    for i in _all_imports():
        source, target = _layer(i.source), _layer(i.target)
        if source == target:  # inside a folder (commands/common.py, gui/*)
            continue
        if (target == "commands" and i.source != "chessgru.cli") or (
            target == "gui" and source != "commands"
        ):
            bad.append(str(i))
    assert not bad, "\n".join(bad)


def test_no_import_cycle_between_folders() -> None:
    # Every import counts here, TYPE_CHECKING-only ones included: a type-only import
    # that points back up is still a layering error, and would hide a cycle.
    edges: dict[str, set[str]] = {}
    for i in _all_imports():
        if _layer(i.source) != _layer(i.target):
            edges.setdefault(_layer(i.source), set()).add(_layer(i.target))
    cycle = _cycle(edges)
    assert cycle is None, " -> ".join(cycle or [])


def test_no_import_cycle_between_modules() -> None:
    # Module by module, TYPE_CHECKING-only imports are left out: they never run, so they
    # cannot make an import order fail (the folder-level test above still counts them).
    # Function-local imports count: they run, only later. Importing a module also imports
    # its package's __init__; those implicit edges are left out (the __init__s import
    # nothing).
    edges: dict[str, set[str]] = {}
    for i in _all_imports():
        if not i.type_only and i.source != i.target:
            edges.setdefault(i.source, set()).add(i.target)
    cycle = _cycle(edges)
    assert cycle is None, " -> ".join(cycle or [])


def test_package_inits_import_nothing() -> None:
    """Importing one module of a folder never loads its siblings (nor torch with them)."""
    busy = []
    for init in PACKAGE.rglob("__init__.py"):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        if any(isinstance(n, ast.Import | ast.ImportFrom) for n in ast.walk(tree)):
            busy.append(str(init.relative_to(ROOT)))
    assert not busy, busy
