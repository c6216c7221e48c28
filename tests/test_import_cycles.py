"""The repository's modules import one another without cycles, and the engine's modules stay small.

The graph counts every import of a project module, at module level or inside a function (a
function-level import is still a dependency); ``from package import name`` counts as an import
of the submodule when ``package.name`` is one, else of the package's ``__init__``."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("spikenet", "neurons", "learning_rules", "hardware", "experiments", "benchmarks")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in files else base for alias in node.names]
            for target in targets:
                while target and target not in files:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles_anywhere():
    graph = import_graph()
    assert len(graph) > 80  # the scan sees the repository
    assert cycles(graph) == []


def test_the_scan_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_description_does_not_import_the_engine():
    graph = import_graph()
    for module in ("spikenet.network", "spikenet.connectivity", "spikenet.monitors", "spikenet.synapses"):
        assert not any(target.startswith("spikenet.engine") for target in graph[module]), module


def test_engine_modules_are_small():
    sizes = {p.name: len(p.read_text().splitlines()) for p in (ROOT / "spikenet" / "engine").glob("*.py")}
    assert len(sizes) >= 8
    assert max(sizes.values()) <= 320, sizes


def test_dependencies_point_one_way():
    """ARCHITECTURE: experiments -> {hardware, learning_rules, neurons} -> spikenet; spikenet
    imports none of the other folders (it runs any model that follows its protocol)."""
    graph = import_graph()
    for module, targets in graph.items():
        if module.startswith("spikenet"):
            assert all(t.split(".")[0] == "spikenet" for t in targets), (module, targets)
        if module.split(".")[0] in ("hardware", "learning_rules", "neurons"):
            assert not any(t.split(".")[0] == "experiments" for t in targets), (module, targets)
