"""The layout holds: no import cycle among the project's modules, and no module reaches
into another's private names.

Imports are read from the source (ast), so lazy imports inside functions count too. An
import of `a.b.c` from outside the package `a.b` also runs `a.b`'s __init__, so it is an
edge to that package as well: that is how a package that re-exports its submodules
(cases.lifecycle) closes a cycle at run time.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("arbitration", "cases", "evidence", "analytics")


def _modules() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(module: str) -> Iterator[tuple[ast.AST, str, list[str]]]:
    """(node, imported module, names) for every import statement in `module`."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield node, target, [alias.name for alias in node.names]


def _project_module(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _edges(module: str) -> set[str]:
    targets: set[str] = set()
    for _node, target, names in _imports(module):
        for full in [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES] or [target]:
            found = _project_module(full)
            if found is None:
                continue
            targets.add(found)
            # Importing a submodule from outside its package runs the package first.
            parent = found.rpartition(".")[0]
            while parent:
                if parent in MODULES and not (module + ".").startswith(parent + "."):
                    targets.add(parent)
                parent = parent.rpartition(".")[0]
    targets.discard(module)
    return targets


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def graph() -> dict[str, set[str]]:
    return {m: _edges(m) for m in MODULES if ".migrations." not in f"{m}."}


def test_no_import_cycle_among_the_projects_modules() -> None:
    modules = graph()
    cycles = _cycles({m: {t for t in deps if t in modules} for m, deps in modules.items()})
    assert cycles == [], "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_a_cycle_through_a_package() -> None:
    # The shape that broke at run time while cases.lifecycle became a package: a module
    # imports a submodule of a package whose __init__ imports the module back.
    assert _cycles({"a": {"p.x", "p"}, "p": {"p.y"}, "p.x": set(), "p.y": {"a"}}) == [
        ["a", "p", "p.y"]
    ]


def test_no_module_imports_a_private_name_from_another() -> None:
    offenders = []
    for path in [*MODULES.values(), *(ROOT / "tests").rglob("*.py")]:
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                private = [
                    a.name for a in node.names if a.name.startswith("_") and a.name != "__version__"
                ]
                if private and (node.module or "").split(".")[0] != "__future__":
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {private}")
            elif isinstance(node, ast.Import):
                private = [
                    a.name for a in node.names if any(p.startswith("_") for p in a.name.split("."))
                ]
                if private:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {private}")
    assert offenders == []


def test_the_task_modules_are_imported_by_no_service() -> None:
    """Tasks import services; services name tasks (arbitration.jobs), never import them."""
    tasks = {m for m in MODULES if m.rpartition(".")[2] == "tasks"}
    importers = {m for m, deps in graph().items() if deps & tasks}
    assert importers == set(), importers
