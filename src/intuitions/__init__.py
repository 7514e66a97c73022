"""intuitions: six intuitions about large language models, measured.

From Python (docs/python.md):

    import intuitions
    lm = intuitions.load("smollm2-135m")
    intuitions.density(lm, ["I am a researcher"]).to_frame()
    intuitions.scaling_fit("runs.csv", form="chinchilla")
    intuitions.emergence("table.csv", scale_col="params")

Each experiment's config, run function and result type are here too (`CotConfig`,
`run_cot`, `CotResult`, …). Everything is imported on first use: `import intuitions`
loads neither torch nor pandas."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXP = "intuitions.experiments"
# name -> (module, attribute): the notebook functions, then each experiment's config, run, result.
_LAZY: dict[str, tuple[str, str]] = {
    "load": ("intuitions.api", "load"),
    "density": ("intuitions.api", "density"),
    "scaling_fit": ("intuitions.api", "scaling_fit"),
    "emergence": ("intuitions.api", "emergence"),
    "Scorer": ("intuitions.models.base", "Scorer"),
    "TokenScores": ("intuitions.models.base", "TokenScores"),
    "score_texts": ("intuitions.models.base", "score_texts"),
    "score_continuations": ("intuitions.models.base", "score_continuations"),
    "UserError": ("intuitions.errors", "UserError"),
    # density (intuition 3): `density` above is its run on texts
    "run_density": (f"{_EXP}.density", "run"),
    "DensityResult": (f"{_EXP}.density", "DensityResult"),
    # multitask (1)
    "run_multitask": (f"{_EXP}.multitask", "run"),
    "MultitaskResult": (f"{_EXP}.multitask", "MultitaskResult"),
    # icl (2, 6)
    "IclDesign": (f"{_EXP}.icl", "Design"),
    "run_icl": (f"{_EXP}.icl", "run_jobs"),
    "IclResult": (f"{_EXP}.icl", "IclResult"),
    # cot (3)
    "CotConfig": (f"{_EXP}.cot", "CotConfig"),
    "run_cot": (f"{_EXP}.cot", "run"),
    "CotResult": (f"{_EXP}.cot", "CotResult"),
    # scaling (4): `scaling_fit` above reads a table and runs it
    "ScalingRequest": (f"{_EXP}.scaling", "ScalingRequest"),
    "run_scaling": (f"{_EXP}.scaling", "run"),
    "ScalingResult": (f"{_EXP}.scaling", "ScalingResult"),
    # emergence (5): `emergence` above reads a table and analyses it
    "analyze_emergence": (f"{_EXP}.emergence", "analyze"),
    "EmergenceAnalysis": (f"{_EXP}.emergence", "Analysis"),
}

__all__ = [  # _LAZY's names (a test keeps them equal), spelled out for linters and type checkers
    "__version__", "load", "density", "scaling_fit", "emergence", "Scorer", "TokenScores", "score_texts",
    "score_continuations", "UserError", "run_density", "DensityResult", "run_multitask", "MultitaskResult",
    "IclDesign", "run_icl", "IclResult", "CotConfig", "run_cot", "CotResult", "ScalingRequest", "run_scaling",
    "ScalingResult", "analyze_emergence", "EmergenceAnalysis",
]

if TYPE_CHECKING:
    from intuitions.api import density, emergence, load, scaling_fit
    from intuitions.errors import UserError
    from intuitions.experiments.cot import CotConfig, CotResult
    from intuitions.experiments.cot import run as run_cot
    from intuitions.experiments.density import DensityResult
    from intuitions.experiments.density import run as run_density
    from intuitions.experiments.emergence import Analysis as EmergenceAnalysis
    from intuitions.experiments.emergence import analyze as analyze_emergence
    from intuitions.experiments.icl import Design as IclDesign
    from intuitions.experiments.icl import IclResult
    from intuitions.experiments.icl import run_jobs as run_icl
    from intuitions.experiments.multitask import MultitaskResult
    from intuitions.experiments.multitask import run as run_multitask
    from intuitions.experiments.scaling import ScalingRequest, ScalingResult
    from intuitions.experiments.scaling import run as run_scaling
    from intuitions.models.base import Scorer, TokenScores, score_continuations, score_texts


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'intuitions' has no attribute {name!r}")
    module, attr = _LAZY[name]
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value  # once imported, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
