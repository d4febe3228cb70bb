"""No import cycle anywhere in crm/ and workers/, not even inside one package.

A cycle is a group of modules each reachable from the others through imports (a strongly
connected component of grimp's import graph, which counts imports inside functions too;
imports under `if TYPE_CHECKING:` are left out: they name types for mypy and never run). Run
alone: `.venv/bin/python -m pytest -q tests/unit/test_import_cycles.py`.
"""
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]


def _import_graph() -> dict[str, set[str]]:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph("crm", "workers", cache_dir=None, exclude_type_checking_imports=True)
    return {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module (or a module that
    imports itself), iterative so that a deep chain cannot hit the recursion limit."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            module, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[module] = min(low[module], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[module])
            if low[module] == index[module]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == module:
                        break
                if len(component) > 1 or module in edges[module]:
                    found.append(sorted(component))
    return found


def _one_loop(component: list[str], edges: dict[str, set[str]]) -> list[str]:
    """A shortest loop through the component's first module, to show how the cycle closes."""
    members = set(component)
    first = component[0]
    paths = {first: [first]}
    queue = [first]
    while queue:
        module = queue.pop(0)
        for child in sorted(edges[module] & members):
            if child == first:
                return paths[module] + [first]
            if child not in paths:
                paths[child] = paths[module] + [child]
                queue.append(child)
    return component


def test_cycle_finder_sees_direct_and_transitive_cycles():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}, "f": set()}
    assert sorted(_cycles(edges)) == [["a", "b", "c"], ["e"]]
    assert _one_loop(["a", "b", "c"], edges) == ["a", "b", "c", "a"]


def test_no_import_cycles():
    edges = _import_graph()
    assert "crm.web.agent.views" in edges  # the graph is the project's, not an empty one
    cycles = _cycles(edges)
    for component in cycles:
        print("import cycle:", " -> ".join(_one_loop(component, edges)),
              f"({len(component)} modules: {', '.join(component)})")
    assert not cycles, f"{len(cycles)} import cycle(s), printed above"
