"""One module per subcommand; each has `register(app)`. A module that fails to import
because an optional part is missing must not break the other commands."""

import importlib

COMMANDS = [
    "density", "models", "world", "train", "multitask", "icl", "cot",
    "scaling", "emergence", "run", "report",
]


def register_all(app) -> None:
    for name in COMMANDS:
        try:
            mod = importlib.import_module(f"intuitions.commands.{name}")
        except ModuleNotFoundError as e:
            if e.name and e.name.startswith("intuitions.commands"):
                continue  # not written yet
            raise
        mod.register(app)
