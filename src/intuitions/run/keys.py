"""What a cached step's key is made of: the source of the code it runs (found without
importing it), the package version, and a cheap identity of the real models it reads."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from intuitions.experiments.contract import StepContext
from intuitions.results import to_jsonable, versions
from intuitions.run.config import canonical_hash


def one_line(e: BaseException) -> str:
    text = " ".join(f"{type(e).__name__}: {e}".split())
    return text if len(text) <= 300 else text[:297] + "..."



def code_hash(module: str) -> str:
    """Hash of the source of a module and of every `intuitions` module it imports, directly
    or not (parent packages included): editing an experiment or a helper it uses
    invalidates its cached step; editing another experiment or the report does not."""
    files = _source_closure(module)
    if not files:
        return "missing"
    return canonical_hash({name: path.read_bytes().hex() for name, path in sorted(files.items())})[:16]


def _origin(module: str) -> Path | None:
    """The source file of a module, found without importing it (importing a package here
    would pull in torch just to hash a file)."""
    import intuitions

    if module == "intuitions" or module.startswith("intuitions."):
        base = Path(intuitions.__file__).parent.joinpath(*module.split(".")[1:])
        for cand in (base.with_suffix(".py"), base / "__init__.py"):
            if cand.is_file():
                return cand
        return None
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError, AttributeError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _imports(module: str, path: Path) -> set[str]:
    """Absolute names of the `intuitions` modules a source file imports (anywhere in it)."""
    import ast

    try:
        tree = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)  # `from pkg import submodule`
    return {m for m in found if m == "intuitions" or m.startswith("intuitions.")}


def _source_closure(module: str) -> dict[str, Path]:
    seen: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        origin = _origin(name)
        if origin is None:
            if name == module:
                return {}
            continue
        seen[name] = origin
        parents = [name.rsplit(".", i)[0] for i in range(1, name.count(".") + 1)]
        todo += [p for p in parents if p.startswith("intuitions")]
        todo += sorted(_imports(name, origin))
    return seen


def package_version() -> str:
    return versions().get("intuitions", "unknown")


def model_files(names: tuple[str, ...]) -> dict[str, dict]:
    """Which requested real models are installed, and a cheap identity for each."""
    from intuitions.models import zoo

    out = {}
    for name in names:
        try:
            path = zoo.ZOO[name].locate()
        except Exception as e:  # a broken install is "not installed", said in the report
            out[name] = {"installed": False, "why": one_line(e)}
            continue
        if path is None:
            out[name] = {"installed": False, "why": f"not installed: {zoo.ZOO[name].install}"}
        else:
            out[name] = {"installed": True, "file": path.name, "bytes": path.stat().st_size}
    return out


def context_inputs(ctx: StepContext) -> dict:
    d = to_jsonable(ctx)
    d.pop("out")
    d.pop("progress", None)  # how the step reports, not what it computes
    return d
