"""`[options.emergence]` in run.toml: what the emergence step reads (light: no heavy imports).

The rule thresholds mirror `measures.Rule` and the table keys `readers.TableSpec` (a test
checks they agree)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EmergenceTable:
    """One `[[options.emergence.tables]]` entry: where to read it, and how to analyse it."""

    path: str
    name: str | None = None  # shown instead of the file name
    # how to read it (readers.TableSpec; the `intuitions emergence` flags without dashes)
    scale_col: str | None = None
    task_col: str = "task"
    metric_col: str = "value"
    metric_name_col: str | None = None
    model_col: str | None = None
    family_col: str | None = None
    stderr_col: str | None = None
    chance_col: str | None = None
    n_col: str | None = None
    step_col: str | None = None
    all_checkpoints: bool = False
    wide: bool = False
    tasks: tuple[str, ...] | str = ()
    where: tuple[str, ...] | str = ()
    scales: tuple[str, ...] | str = ()
    shots: int | None = None
    # how to analyse it
    chance: float | dict[str, float] | None = None
    bins: int | None = None
    primary_metric: str | None = None
    loss_metric: str | None = None


@dataclass(frozen=True)
class EmergenceOptions:
    published: bool = True  # also analyse the published tables (ObsScaling, BIG-bench, Pythia) unless `tables` is set
    # analysis of the ladder
    chance: float | dict[str, float] | None = None  # chance level, one number or per task ("*": every task)
    bins: int | None = None  # pool models into this many log-scale bins
    primary_metric: str | None = None
    loss_metric: str | None = None
    # the rule's thresholds (measures.Rule; the same defaults)
    min_sharpness: float = 2.0
    min_surprise_frac: float = 0.25
    min_below: int = 2
    min_rise: float = 0.1
    margin_z: float | None = None
    min_margin: float = 0.0
    fit: str = "linear"
    cutoff: float | None = None
    min_fit: int = 2
    alpha: float = 0.05  # family-wise error over a source's tasks (Holm)
    # external tables, each analysed like the ladder with the same rule
    tables: tuple[EmergenceTable, ...] = ()


RULE_FIELDS = ("min_sharpness", "min_surprise_frac", "min_below", "min_rise", "margin_z", "min_margin", "fit",
               "cutoff", "min_fit", "alpha")
OPTIONS = EmergenceOptions
