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


# The rule's and the analysis' keys, as read by the step (tests check they mirror Rule and TableSpec).
ANALYSIS_KEYS = {"chance", "bins", "primary_metric", "loss_metric"}
RULE_KEYS = {"min_sharpness", "min_surprise_frac", "min_below", "min_rise", "margin_z", "min_margin", "fit", "cutoff",
             "min_fit", "alpha"}


PUBLISHED_TABLES = (  # the published tables the run reads by default (data/published, see its README)
    {"name": "ObsScaling (pooled, FLOPs axis, 8 bins)", "file": "obsscaling_emergent_capability_eval.csv",
     "wide": True, "scale_col": "flops_1e21", "bins": 8, "chance": {"parsinlu_qa_2": 0.25}},
    {"name": "UKP BIG-bench (closed prompts, 0-shot)", "file": "ukp_on_emergence_bigbench_scores.csv",
     "where": ["prompt_type=closed", "number_of_shots=0"], "n_col": "n_examples",
     "metric_col": "exact_match_accuracy,bert_score_accuracy,edit_distance,single_bert_score",
     "primary_metric": "exact_match_accuracy"},
    {"name": "Pythia deduped (0-shot)", "file": "pythia_evals.csv", "where": ["variant=deduped", "num_fewshot=0"],
     "chance": {"arc_easy": 0.25, "arc_challenge": 0.25, "piqa": 0.5, "winogrande": 0.5, "wsc": 0.5,
                "sciq": 0.25, "logiqa": 0.25, "hendrycksTest_mean_of_57": 0.25}},
)
