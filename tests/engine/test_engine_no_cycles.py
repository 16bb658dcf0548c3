"""engine has no import cycle, counting imports inside functions (grimp sees those too)."""

import grimp


def _cycles(graph) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
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


def _describe(graph, component: list[str]) -> str:
    lines = []
    for a in component:
        for b in component:
            if a != b and graph.direct_import_exists(importer=a, imported=b):
                for d in graph.get_import_details(importer=a, imported=b):
                    lines.append(f"{a}:{d['line_number']} {d['line_contents'].strip()}")
    return "\n".join(lines)


def test_the_engine_import_graph_has_no_cycle():
    graph = grimp.build_graph("engine", include_external_packages=False)
    assert "engine.network" in graph.modules and "engine.geometry" in graph.modules
    cycles = _cycles(graph)
    assert not cycles, "import cycles in engine:\n" + "\n\n".join(
        _describe(graph, c) for c in cycles
    )


def test_the_cycle_finder_finds_a_lazy_import_cycle(tmp_path, monkeypatch):
    """The check can fail: a package whose modules import each other inside a function."""
    package = tmp_path / "cyclic_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from . import b\n    return b\n")
    (package / "b.py").write_text("from . import a\n")
    (package / "c.py").write_text("from . import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("cyclic_pkg", include_external_packages=False)
    assert _cycles(graph) == [["cyclic_pkg.a", "cyclic_pkg.b"]]
