"""Readers for per-size evaluation results, all normalised to one long frame.

Columns of the frame every reader returns (one row per model × task × metric):
    family, model, scale, task, metric, value, stderr, chance, n, ceiling, preferred
`stderr`, `chance`, `n`, `ceiling` are nan when unknown; `preferred` marks the metric a
benchmark itself prefers (BIG-bench's `preferred_score`).

Sources: long or wide CSV/TSV/Parquet tables, BIG-bench `scores_<family>_<model>.json`,
lm-evaluation-harness `results_*.json`, and the ladder's `evals.csv`. Anything malformed is a
`UserError` with one line that says what to change."""

# pandas annotates df[col] as a union of scalars, arrays and frames; these readers index DataFrames
# by column name only, so the union's other members are false alarms here (and only here):
# pyright: reportAttributeAccessIssue=false, reportCallIssue=false, reportArgumentType=false
# pyright: reportIndexIssue=false, reportOperatorIssue=false, reportReturnType=false
# pyright: reportAssignmentType=false, reportGeneralTypeIssues=false

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import pandas as pd

from intuitions.errors import BadData, UserError

COLUMNS = ["family", "model", "scale", "task", "metric", "value", "stderr", "chance", "n", "ceiling", "preferred"]
# Tried in order when --scale-col is not given: size first (the usual emergence axis), compute second.
SCALE_GUESSES = ["params", "parameters", "n_params", "params_total", "total_params", "num_params",
                 "non_embedding_params", "params_b", "params_B", "params_B_nominal", "scale", "size",
                 "flops", "FLOPs", "compute", "flops_1e21"]
MODEL_GUESSES = ["model", "member", "model_name", "name"]
NON_TASK_PREFIXES = ("param", "token", "flop", "compute", "step", "size", "n_", "scale", "year")
OVERALL_TASKS = ("overall", "all", "total", "_overall", "*")


@dataclass(frozen=True)
class TableSpec:
    """How to read one source. Field names are the CLI flags without dashes."""

    path: str
    scale_col: str | None = None
    task_col: str = "task"
    metric_col: str = "value"  # the value column; a comma list makes each column one metric
    metric_name_col: str | None = None  # column that names the metric; default `metric` if present
    model_col: str | None = None
    family_col: str | None = None
    stderr_col: str | None = None
    chance_col: str | None = None
    n_col: str | None = None
    step_col: str | None = None  # keep each model's last step (default `step` if present)
    all_checkpoints: bool = False  # keep every step: each (model, step) becomes a point
    wide: bool = False
    tasks: tuple[str, ...] = ()  # wide tables: the task columns (default: every numeric one)
    where: tuple[str, ...] = ()  # "col=value" or "col!=value", all must hold
    scales: tuple[str, ...] = ()  # "model=scale" for JSON results that do not state a size
    shots: int | None = None  # BIG-bench / lm-eval: which number_of_shots to keep

    @classmethod
    def from_options(cls, opts: dict) -> "TableSpec":
        """From a run.toml table (`path` plus any field above; lists for tuple fields)."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(opts) - names)
        if unknown:
            raise UserError(f"unknown emergence table option(s) {', '.join(unknown)} "
                            f"(known: {', '.join(sorted(names))})")
        if "path" not in opts:
            raise UserError("an emergence table needs a `path`")
        kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in opts.items()}
        for k in ("tasks", "where", "scales"):
            if isinstance(kw.get(k), str):
                kw[k] = tuple(x for x in kw[k].split(",") if x)
        return cls(**kw)


@dataclass(frozen=True)
class Loaded:
    frame: pd.DataFrame
    source: str
    kind: str  # table | bigbench | lm-eval | ladder
    dropped: int = 0  # rows without a usable scale or value
    notes: tuple[str, ...] = field(default_factory=tuple)


def load(spec: TableSpec) -> Loaded:
    path = Path(spec.path)
    if not path.exists():
        raise UserError(f"no such file or directory: {path}")
    if path.is_dir():
        files = sorted(path.rglob("scores_*.json")) + sorted(path.rglob("results*.json"))
        if not files:
            raise UserError(f"{path} has no scores_*.json (BIG-bench) or results*.json (lm-eval) files")
        return _load_json(files, spec, str(path))
    if path.suffix.lower() == ".json":
        return _load_json([path], spec, str(path))
    return _load_table(_read_frame(path), spec, str(path))


def load_frame(df: pd.DataFrame, spec: TableSpec, source: str = "DataFrame") -> Loaded:
    """A table already in memory (the Python API), read as `load` reads a file; `spec.path`
    is not used."""
    return _load_table(df, spec, source)


def ladder_path(preset: str) -> Path:
    from intuitions import paths

    return paths.family_root() / preset / "evals.csv"


def load_ladder(preset: str, scale_col: str | None = None, all_checkpoints: bool = False) -> Loaded:
    """The ladder's evals.csv: final member checkpoints by default, params as the size axis."""
    path = ladder_path(preset)
    if not path.exists():
        raise UserError(f"no ladder evaluations at {path}: train it first (intuitions train --preset {preset})")
    scale = scale_col or ("flops" if all_checkpoints else "params")
    spec = TableSpec(path=str(path), scale_col=scale, model_col="member", step_col="step",
                     all_checkpoints=all_checkpoints, metric_name_col="metric")
    loaded = _load_table(_ladder_rows(_read_frame(path), all_checkpoints), spec, f"family:{preset}")
    return Loaded(loaded.frame, loaded.source, "ladder", loaded.dropped, loaded.notes)


def _ladder_rows(df: pd.DataFrame, all_checkpoints: bool) -> pd.DataFrame:
    """The ladder tags rows final | branch | checkpoint. Sizes compare fully trained members
    (kind final); across checkpoints a decayed branch is a different model from the
    stable-rate checkpoint at the same step, so it gets its own name."""
    if "kind" not in df.columns or "member" not in df.columns:
        return df
    if not all_checkpoints:
        final = df[df["kind"] == "final"]
        return final if not final.empty else df
    branch = df["kind"] == "branch"
    return df.assign(member=df["member"].astype(str).where(~branch, df["member"].astype(str) + "/branch"))


# -- tables -------------------------------------------------------------------------------

def _read_frame(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix in (".csv", ".tsv", ".txt"):
            return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    except (OSError, ValueError, pd.errors.ParserError) as e:
        raise UserError(f"cannot read {path}: {' '.join(str(e).split())[:200]}") from None
    except Exception as e:  # pyarrow raises its own types for a corrupt parquet file
        raise UserError(f"cannot read {path}: {type(e).__name__}: {' '.join(str(e).split())[:200]}") from None
    raise UserError(f"{path}: unknown table type {suffix!r} (use .csv, .tsv, .parquet or BIG-bench/lm-eval .json)")


def _need(df: pd.DataFrame, col: str, what: str, src: str) -> str:
    if col not in df.columns:
        raise BadData(f"{src}: no {what} column {col!r} (columns: {', '.join(map(str, df.columns))})")
    return col


def _guess(df: pd.DataFrame, candidates, given: str | None, what: str, src: str) -> str | None:
    if given:
        return _need(df, given, what, src)
    return next((c for c in candidates if c in df.columns), None)


def _numeric(series: pd.Series, col: str, src: str) -> pd.Series:
    out = pd.to_numeric(series, errors="coerce")
    bad = out.isna() & series.notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise BadData(f"{src}: column {col!r} has a non-numeric value {series.iloc[i]!r} (data row {i + 1})")
    return out.astype(float)


def _apply_where(df: pd.DataFrame, where, src: str) -> pd.DataFrame:
    for clause in where:
        m = re.fullmatch(r"\s*([^!=]+?)\s*(!=|=)\s*(.*?)\s*", clause)
        if not m:
            raise UserError(f"--where wants COL=VALUE or COL!=VALUE, got {clause!r}")
        col, op, val = m.groups()
        _need(df, col, "--where", src)
        as_text = df[col].astype(str)
        num = pd.to_numeric(pd.Series([val]), errors="coerce").iloc[0]
        hit = as_text == val
        if not math.isnan(num):  # 0 matches 0.0 in a float column
            hit |= pd.to_numeric(df[col], errors="coerce") == num
        df = df[hit if op == "=" else ~hit]
    if df.empty:
        raise BadData(f"{src}: no rows left after --where {' '.join(where)}")
    return df


def _load_table(df: pd.DataFrame, spec: TableSpec, src: str) -> Loaded:
    if df.empty:
        raise BadData(f"{src}: the table has no rows")
    df = _apply_where(df, spec.where, src)
    model = _guess(df, MODEL_GUESSES, spec.model_col, "model", src)
    scale = _guess(df, SCALE_GUESSES, spec.scale_col, "scale", src)
    if scale is None:
        raise BadData(f"{src}: no scale column found; name one with --scale-col "
                      f"(columns: {', '.join(map(str, df.columns))})")
    step = _guess(df, ["step"], spec.step_col, "step", src)
    if model is None:
        df = df.assign(_model=df[scale].astype(str))
        model = "_model"
    notes = []
    if step is not None and not spec.all_checkpoints:
        steps = _numeric(df[step], step, src)
        last = steps.groupby(df[model]).transform("max")
        if (steps != last).any():
            notes.append(f"kept each model's last {step!r} (use all checkpoints with --all-checkpoints)")
        df = df[steps == last]
    elif step is not None:
        df = df.assign(**{model: df[model].astype(str) + "@" + df[step].astype(str)})
    family = _guess(df, [], spec.family_col, "family", src)
    common = {"family": df[family].astype(str) if family else "", "model": df[model].astype(str),
              "scale": _numeric(df[scale], scale, src)}
    long = (_wide_to_long(df, spec, common, src, {model, scale, family, step}) if spec.wide
            else _long(df, spec, common, src))
    return _finish(long, src, "table", notes)


def _optional(df, spec_col, default, what, src):
    col = _guess(df, [default], spec_col, what, src)
    return _numeric(df[col], col, src) if col else np.nan


def _long(df, spec: TableSpec, common: dict, src: str) -> pd.DataFrame:
    _need(df, spec.task_col, "task (--task-col)", src)
    value_cols = [c.strip() for c in spec.metric_col.split(",") if c.strip()]
    if not value_cols:
        raise UserError("--metric-col is empty")
    for c in value_cols:
        _need(df, c, "value (--metric-col)", src)
    if len(value_cols) > 1 and (spec.stderr_col or spec.metric_name_col):
        raise UserError("--stderr-col and --metric-name-col need a single --metric-col (one value column)")
    name_col = _guess(df, ["metric"], spec.metric_name_col, "metric name", src) if len(value_cols) == 1 else None
    if name_col in value_cols:
        name_col = None
    extra = {"stderr": _optional(df, spec.stderr_col, "stderr", "stderr", src) if len(value_cols) == 1 else np.nan,
             "chance": _optional(df, spec.chance_col, "chance", "chance", src),
             "n": _optional(df, spec.n_col, "n", "n", src)}
    parts = []
    for c in value_cols:
        metric = df[name_col].astype(str) if name_col else c
        parts.append(pd.DataFrame({**common, "task": df[spec.task_col].astype(str), "metric": metric,
                                   "value": _numeric(df[c], c, src), **extra}))
    return pd.concat(parts, ignore_index=True)


# Wide columns named <task>_<metric> are split on a known metric suffix, so `ipa_2_exact_match`
# and `ipa_2_bleu` become one task with two metrics (the metric test needs the pair).
WIDE_SUFFIXES = ("exact_match", "acc_norm", "acc", "accuracy", "bleu", "rouge", "edit_distance",
                 "logprob", "loss", "f1", "em")


def split_task_metric(col: str) -> tuple[str, str]:
    for suffix in WIDE_SUFFIXES:
        if col.endswith("_" + suffix) and len(col) > len(suffix) + 1:
            return col[: -len(suffix) - 1], suffix
    return col, "value"


def _wide_to_long(df, spec: TableSpec, common: dict, src: str, used: set) -> pd.DataFrame:
    if spec.tasks:
        cols = [_need(df, c, "task (--tasks)", src) for c in spec.tasks]
    else:
        skip = used | {spec.stderr_col, spec.chance_col, spec.n_col}
        cols = [c for c in df.columns if c not in skip and pd.api.types.is_numeric_dtype(df[c])
                and not str(c).lower().startswith(NON_TASK_PREFIXES)]
    if not cols:
        raise BadData(f"{src}: --wide found no numeric task columns; list them with --tasks")
    chance = _optional(df, spec.chance_col, "chance", "chance", src)
    parts = []
    for c in cols:
        task, metric = split_task_metric(str(c))
        parts.append(pd.DataFrame({**common, "task": task, "metric": metric, "value": _numeric(df[c], c, src),
                                   "stderr": np.nan, "chance": chance, "n": np.nan}))
    return pd.concat(parts, ignore_index=True)


def _finish(long: pd.DataFrame, src: str, kind: str, notes: list[str]) -> Loaded:
    for col in COLUMNS:
        if col not in long.columns:
            long[col] = np.nan if col not in ("preferred",) else False
    long["preferred"] = long["preferred"].fillna(False).astype(bool)
    for col in ("scale", "value"):  # a number past 1.8e308 reads as inf: say so, never "without a scale"
        inf = np.isinf(long[col].astype(float))
        if inf.any():
            row = long[inf].iloc[0]
            raise BadData(f"{src}: {int(inf.sum())} row(s) have an infinite {col} (inf, or past 1.8e308, the "
                          f"largest float; e.g. model {row['model']!r}, task {row['task']!r}): rescale the column")
    usable = np.isfinite(long["scale"]) & np.isfinite(long["value"])
    dropped = int((~usable).sum())
    long = long[usable]
    if long.empty:
        raise BadData(f"{src}: no row has both a scale and a value")
    if (long["scale"] <= 0).any():
        bad = long.loc[long["scale"] <= 0, "model"].iloc[0]
        worst = long.loc[long["scale"] <= 0, "scale"].iloc[0]
        raise BadData(f"{src}: scales must be positive (model {bad!r} has {worst:g})")
    key = ["family", "model", "task", "metric"]
    dup = long.duplicated(key, keep=False)
    if dup.any():
        row = long[dup].iloc[0]
        raise BadData(f"{src}: {int(dup.sum())} rows repeat a model/task/metric (e.g. {row['model']!r}, "
                      f"{row['task']!r}, {row['metric']!r}); pick one condition with --where COL=VALUE")
    if dropped:
        notes.append(f"dropped {dropped} rows without a scale or value")
    return Loaded(long[COLUMNS].reset_index(drop=True), src, kind, dropped, tuple(notes))


# -- JSON results -------------------------------------------------------------------------

def _read_json(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UserError(f"cannot read {path}: {' '.join(str(e).split())[:200]}") from None
    if not isinstance(doc, dict):
        raise BadData(f"{path}: expected a JSON object")
    return doc


def _load_json(files: list[Path], spec: TableSpec, src: str) -> Loaded:
    scales = _scale_map(spec.scales)
    rows, notes, kinds = [], [], set()
    for f in files:
        doc = _read_json(f)
        if isinstance(doc.get("scores"), list) and isinstance(doc.get("model"), dict):
            rows += _bigbench_rows(doc, f, spec, scales)
            kinds.add("bigbench")
        elif isinstance(doc.get("results"), dict):
            rows += _lm_eval_rows(doc, f, spec, scales)
            kinds.add("lm-eval")
        else:
            raise BadData(f"{f}: neither BIG-bench scores (`model` + `scores[]`) nor lm-eval results (`results`)")
    if not rows:
        raise BadData(f"{src}: the result files hold no numeric scores")
    df = pd.DataFrame(rows)
    df = _pick_shots(df, spec.shots, src, notes)
    df = _apply_where(df, spec.where, src) if spec.where else df
    return _finish(df.drop(columns=["shots"]), src, "+".join(sorted(kinds)), notes)


def _scale_map(items) -> dict[str, float]:
    out = {}
    for item in items:
        name, sep, val = item.rpartition("=")
        try:
            out[name] = float(val)
        except ValueError:
            name = ""
        if not sep or not name:
            raise UserError(f"--scales wants MODEL=NUMBER, got {item!r}")
    return out


_SIZE = re.compile(r"(?<![a-z0-9.])(\d+(?:\.\d+)?)\s*([kmbt])(?![a-z])", re.IGNORECASE)


def scale_from_name(name: str) -> float:
    """'pythia-160m' → 1.6e8; 'llama/13B' → 1.3e10; nan when the name states no size."""
    hits = _SIZE.findall(name)
    if not hits:
        return float("nan")
    num, unit = hits[-1]
    return float(num) * {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}[unit.lower()]


def _resolve_scale(model: str, stated, scales: dict, path: Path) -> float:
    for v in (scales.get(model), stated, scale_from_name(model)):
        if v is not None and isinstance(v, (int, float)) and math.isfinite(v) and v > 0:
            return float(v)
    raise BadData(f"{path}: no size for model {model!r}; give it with --scales {model}=NUMBER")


def _bigbench_rows(doc: dict, path: Path, spec: TableSpec, scales: dict) -> list[dict]:
    m = doc["model"]
    name = str(m.get("model_name", path.stem))
    key = spec.scale_col or next((k for k in ("non_embedding_params", "total_params") if k in m), None)
    scale = _resolve_scale(name, m.get(key) if key else None, scales, path)
    task_default = str((doc.get("task") or {}).get("task_name") or
                       (path.parents[1].name if path.parent.name == "results" else path.stem))
    rows = []
    for s in doc["scores"]:
        if not isinstance(s, dict) or not isinstance(s.get("score_dict"), dict):
            raise BadData(f"{path}: a scores[] entry has no score_dict")
        task = str(s.get("subtask_description") or task_default)
        preferred = s.get("preferred_score")
        for metric, v in s["score_dict"].items():
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                continue
            is_pref = metric == preferred
            rows.append({"family": str(m.get("model_family", "")), "model": name, "scale": scale, "task": task,
                         "metric": metric, "value": float(v), "stderr": np.nan, "n": np.nan,
                         "chance": _num(s.get("low_score")) if is_pref else np.nan,
                         "ceiling": _num(s.get("high_score")) if is_pref else np.nan,
                         "preferred": is_pref, "shots": s.get("number_of_shots", 0)})
    return rows


def _num(v) -> float:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else np.nan


def _lm_eval_rows(doc: dict, path: Path, spec: TableSpec, scales: dict) -> list[dict]:
    cfg = doc.get("config") or {}
    args = str(cfg.get("model_args") or "")
    pretrained = re.search(r"pretrained=([^,]+)", args)
    name = str(doc.get("model_name") or (pretrained.group(1) if pretrained else path.parent.name))
    scale = _resolve_scale(name, cfg.get("model_num_parameters"), scales, path)
    shots_of = doc.get("n-shot") or {}
    samples = doc.get("n-samples") or {}
    rows = []
    for task, res in doc["results"].items():
        if not isinstance(res, dict):
            continue
        n = (samples.get(task) or {}).get("effective", np.nan) if isinstance(samples.get(task), dict) else np.nan
        for key, v in res.items():
            metric, _, filt = key.partition(",")
            if metric.endswith("_stderr") or not isinstance(v, (int, float)) or isinstance(v, bool):
                continue
            se = res.get(f"{metric}_stderr" + (f",{filt}" if filt else ""))
            label = metric if filt in ("", "none") else f"{metric}[{filt}]"
            rows.append({"family": "", "model": name, "scale": scale, "task": str(task), "metric": label,
                         "value": float(v), "stderr": _num(se), "n": _num(n), "chance": np.nan,
                         "ceiling": np.nan, "preferred": False,
                         "shots": shots_of.get(task, cfg.get("num_fewshot", 0)) or 0})
    return rows


def _pick_shots(df: pd.DataFrame, shots: int | None, src: str, notes: list[str]) -> pd.DataFrame:
    df = df.assign(shots=pd.to_numeric(df["shots"], errors="coerce").fillna(0).astype(int))
    have = sorted(df["shots"].unique().tolist())
    if shots is None:
        if len(have) > 1:
            notes.append(f"number of shots: kept {have[0]} of {have} (choose with --shots)")
        shots = have[0]
    elif shots not in have:
        raise BadData(f"{src}: no results with {shots} shots (have {have})")
    return df[df["shots"] == shots]
