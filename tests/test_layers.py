"""The import graph runs downward only: a module imports from its own layer or below, never
above, and there are no cycles between modules. Checked on the source with `ast` (imports
inside functions count too: a lazy import is still a dependency)."""

from __future__ import annotations

import ast
from pathlib import Path

import intuitions

SRC = Path(intuitions.__file__).parent

# Bottom to top. A module belongs to the first (longest) prefix that names it.
LAYERS: list[tuple[str, ...]] = [
    ("intuitions.errors", "intuitions.paths", "intuitions.textio", "intuitions.console", "intuitions.stats",
     "intuitions.verdict", "intuitions.results", "intuitions.plots", "intuitions.raycluster"),
    ("intuitions.fit", "intuitions.world", "intuitions.datasets", "intuitions.data"),
    ("intuitions.models",),
    ("intuitions.family", "intuitions.testing"),
    ("intuitions.experiments.contract", "intuitions.experiments.audit", "intuitions.experiments"),
    ("intuitions.experiments.cot", "intuitions.experiments.icl", "intuitions.experiments.multitask",
     "intuitions.experiments.density", "intuitions.experiments.scaling", "intuitions.experiments.emergence"),
    ("intuitions.report",),
    ("intuitions.run",),
    ("intuitions.commands",),
    ("intuitions.cli",),
    ("intuitions", "intuitions.api"),  # the notebook API: everything below, lazily
]


def layer_of(module: str) -> int:
    best, best_len = None, -1
    for i, prefixes in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best_len:
                best, best_len = i, len(p)
    assert best is not None, f"{module} is in no layer: add it to LAYERS"
    return best


def modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports(module: str, path: Path, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        for n in names:
            while n and n not in known:
                n = n.rpartition(".")[0]
            if n and n != module and n.startswith("intuitions"):
                found.add(n)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {m: imports(m, p, known) for m, p in mods.items()}


def _is_ancestor(a: str, b: str) -> bool:
    return b.startswith(a + ".")


def test_imports_run_downward_only():
    upward = []
    for m, deps in graph().items():
        for d in deps:
            if _is_ancestor(d, m) and d in ("intuitions", "intuitions.experiments"):
                # a package's own __init__ is imported with any submodule; allowed only where it is light
                if d == "intuitions":
                    continue
            if layer_of(d) > layer_of(m):
                upward.append(f"{m} (layer {layer_of(m)}) imports {d} (layer {layer_of(d)})")
    assert not upward, "\n".join(sorted(upward))


def test_no_import_cycles():
    g = graph()
    # Edges into a package's own __init__ from its submodules are how Python imports work, not a cycle
    # of ours; every other edge counts.
    edges = {m: {d for d in deps if not _is_ancestor(d, m)} for m, deps in g.items()}
    index, low, stack, on, cycles = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    assert not cycles, "\n".join(" <-> ".join(c) for c in cycles)


def test_only_the_cli_imports_commands():
    bad = [m for m, deps in graph().items() for d in deps
           if d.startswith("intuitions.commands") and not m.startswith(("intuitions.commands", "intuitions.cli"))]
    assert not bad, bad


def test_nothing_outside_a_package_names_one_experiment():
    """Outside experiments/<name>/, only the registry and the front doors (the CLI, the notebook
    API) name a single experiment."""
    names = ("cot", "icl", "multitask", "density", "scaling", "emergence")
    bad = []
    for m, deps in graph().items():
        if m.startswith(("intuitions.experiments.", "intuitions.commands", "intuitions.cli", "intuitions.api")) or (
                m in ("intuitions", "intuitions.experiments")):
            continue
        bad += [f"{m} imports {d}" for d in deps if any(d.startswith(f"intuitions.experiments.{n}") for n in names)]
    assert not bad, bad
