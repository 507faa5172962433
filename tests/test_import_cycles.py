"""No import cycle between the project's modules, and dependencies point one way.

Static analysis of every ``import`` in the source, function-level and ``TYPE_CHECKING`` ones
included: an import hidden in a function still makes a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

from warehouse.settings import REPO_ROOT

PACKAGES = ("hotrod", "orchestration", "extractors", "warehouse", "sandbox", "benchmarks")
PRODUCT = ("hotrod", "orchestration", "extractors", "warehouse")
# What each package may import of the others (the CLI on top, the warehouse at the bottom).
ALLOWED = {
    "hotrod": {"orchestration", "extractors", "warehouse"},
    "orchestration": {"extractors", "warehouse"},
    "extractors": {"warehouse"},
    "warehouse": set(),
    "sandbox": {"warehouse"},
    # the real-time stage drives Dagster with the project's own instance config
    "benchmarks": {"sandbox", "extractors", "warehouse", "orchestration"},
}


def _modules(root: Path = REPO_ROOT) -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module an import names (``a.b.c`` may be the module or a name in ``a.b``)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        deps: set[str] = set()
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*anchor, *([base] if base else [])])
                targets = [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            deps |= {t for t in (_resolve(name, modules) for name in targets) if t}
        deps.discard(module)
        graph[module] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_analysis_sees_function_level_imports(tmp_path):
    (tmp_path / "hotrod").mkdir()
    (tmp_path / "hotrod" / "__init__.py").write_text("")
    (tmp_path / "hotrod" / "a.py").write_text("def f():\n    from hotrod.b import g\n")
    (tmp_path / "hotrod" / "b.py").write_text("from hotrod import a\n")
    graph = import_graph(_modules(tmp_path))
    assert cycles(graph) == [["hotrod.a", "hotrod.b"]]


def test_no_import_cycle_between_the_project_modules():
    graph = import_graph(_modules())
    assert len(graph) > 100
    assert cycles(graph) == []


def test_packages_depend_one_way():
    graph = import_graph(_modules())
    wrong = sorted(
        f"{module} -> {dep}"
        for module, deps in graph.items()
        for dep in deps
        if (mine := module.split(".")[0]) != (theirs := dep.split(".")[0])
        and theirs not in ALLOWED[mine]
    )
    assert wrong == []


def test_the_product_imports_no_sandbox_and_no_benchmarks():
    graph = import_graph(_modules())
    leaks = sorted(
        f"{module} -> {dep}"
        for module, deps in graph.items()
        if module.split(".")[0] in PRODUCT
        for dep in deps
        if dep.split(".")[0] in ("sandbox", "benchmarks")
    )
    assert leaks == []
