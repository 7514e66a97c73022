"""The measures behind intuition 5 (`experiments/emergence.py` combines them per task):
BIG-bench linearity and breakthroughness, the emergence scale, the extrapolation test, and
the rule that calls a metric emergent.

All measures work on the metric *oriented* so that higher is better (losses and distances are
negated), so one rule serves accuracies and losses alike; tables and figures show raw values.
Nothing here is random: fits are deterministic, intervals analytic (95%)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as st

from intuitions.errors import UserError
from intuitions.fit import sigmoid as sf

Z95 = sf.Z95

# Metric vocabulary. Names not listed fall back to a suffix test (…_acc, …_exact_match → discontinuous).
CONTINUOUS = {"loss", "nll", "logprob", "answer_logprob", "log_likelihood", "loglikelihood", "edit_distance",
              "bleu", "rouge", "chrf", "bert_score", "single_bert_score", "bleurt", "token_accuracy",
              "per_token_accuracy", "brier", "ppl", "perplexity", "word_perplexity", "byte_perplexity",
              "bits_per_byte", "calibration_multiple_choice_brier_score", "log_likelihood_ratio"}
DISCONTINUOUS_SUFFIXES = ("exact_match", "acc", "accuracy", "acc_norm", "choice_accuracy", "grade", "em",
                          "exact_str_match", "correct")
LOWER_BETTER = ("loss", "nll", "ppl", "perplexity", "edit_distance", "brier", "bits_per_byte", "error")
PRIMARY_ORDER = ("exact_match", "choice_accuracy", "multiple_choice_grade", "exact_str_match", "acc",
                 "accuracy", "exact_match_accuracy")


@dataclass(frozen=True)
class Rule:
    """The thresholds of the emergence call (each is a CLI option of the same name)."""

    min_sharpness: float = 2.0  # breakthroughness / linearity; exactly 1 for a straight line
    min_surprise_frac: float = 0.25  # under-prediction as a share of the total rise |I(y)|
    min_below: int = 2  # smaller sizes at chance before the emergence scale
    min_rise: float = 0.1  # a bounded score must rise this share of the way from chance to its best
    # "above chance" means above chance + margin_z · stderr; None = Bonferroni over the n sizes
    # (z of a 95% family-wise interval), so one lucky size in a flat series does not count.
    margin_z: float | None = None
    min_margin: float = 0.0  # ... and above chance + min_margin (metric units)
    fit: str = "linear"  # trend for the extrapolation test: linear (in log scale) | sigmoid
    cutoff: float | None = None  # fit on sizes below this scale; None = automatic
    min_fit: int = 2  # fewest sizes a trend is fitted to
    alpha: float = 0.05  # family-wise error over the tasks of a source (Holm) for "unpredicted"

    def __post_init__(self):
        if self.fit not in ("linear", "sigmoid"):
            raise UserError(f"--fit must be linear or sigmoid, got {self.fit!r}")
        if self.min_fit < 2:
            raise UserError("--min-fit must be at least 2")
        for name in ("min_sharpness", "min_surprise_frac", "min_below", "min_margin", "min_rise"):
            if not getattr(self, name) >= 0:
                raise UserError(f"--{name.replace('_', '-')} must be >= 0, got {getattr(self, name)}")
        if self.margin_z is not None and not self.margin_z >= 0:
            raise UserError(f"--margin-z must be >= 0, got {self.margin_z}")
        if self.cutoff is not None and not self.cutoff > 0:
            raise UserError("--cutoff must be a positive scale")

    def text(self) -> str:
        cut = f"below scale {self.cutoff:g}" if self.cutoff else (
            f"before the emergence scale when at least {self.min_fit} sizes lie there, else the smaller half "
            f"(at least {self.min_fit})")
        z = f"{self.margin_z:g}" if self.margin_z is not None else "z"
        zdef = "" if self.margin_z is not None else (
            ", z = the two-sided 95% normal quantile Bonferroni-corrected over the n sizes (2.77 for 9)")
        return (f"A task is called emergent (Wei et al. 2022) when three things hold for its primary metric, "
                f"oriented so higher is better: (1) clearly present in larger models: it improves by at least "
                f"{self.min_rise:g} of the range from chance to the best score (a bounded score), and every size "
                f"from an emergence scale on scores above chance + max({self.min_margin:g}, {z}·stderr){zdef}; "
                f"(2) absent in smaller ones: at least {self.min_below} smaller sizes are not above that; (3) not "
                f"predicted: a {self.fit} trend in log-scale fitted on the sizes {cut} under-predicts some larger "
                f"size, the surprise is at least {self.min_surprise_frac:g} of the rise, and the p-value of the "
                f"surprise (Bonferroni over the predicted sizes) stays below {self.alpha:g} after Holm's "
                f"correction over every task of the source. Stderr is the table's, or binomial from the number "
                f"of items; with neither, {NOISE_FLOOR:g} of a bounded score's range, or a straight line's "
                f"residual scatter for other metrics. Sharpness and breakthroughness are reported, not required. "
                f"A task is emergent in exact match only when a continuous metric of it exists and none is "
                f"under-predicted.")


@dataclass(frozen=True)
class Options:
    rule: Rule = field(default_factory=Rule)
    chance: dict = field(default_factory=dict)  # task -> chance; key "*" for every task
    primary_metric: str | None = None
    continuous: tuple[str, ...] = ()
    discontinuous: tuple[str, ...] = ()
    lower_better: tuple[str, ...] = ()
    loss_metric: str | None = None
    bins: int | None = None  # pool models into this many log-scale bins (many families, one axis)


def metric_kind(name: str, opts: Options) -> str:
    if name in opts.continuous:
        return "continuous"
    if name in opts.discontinuous:
        return "discontinuous"
    low = name.lower()
    if low in CONTINUOUS or "token_acc" in low or "logprob" in low or low.endswith(("_loss", "perplexity", "ppl")):
        return "continuous"
    return "discontinuous" if low.endswith(DISCONTINUOUS_SUFFIXES) else "continuous"


def higher_is_better(name: str, opts: Options) -> bool:
    if name in opts.lower_better:
        return False
    low = name.lower()
    return not any(w in low for w in LOWER_BETTER)  # e.g. calibration_multiple_choice_brier_score


# -- series -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Series:
    family: str
    task: str
    metric: str
    kind: str
    higher_is_better: bool
    scale: np.ndarray
    value: np.ndarray  # raw
    sigma: np.ndarray  # noise of each point, raw units; nan unknown
    n_models: np.ndarray
    chance: float  # raw; nan unknown
    chance_source: str
    ceiling: float  # the best possible raw value (1 for accuracy, 0 for an error rate); nan unknown
    full_range: float  # width of a bounded score's scale (1, or 100 for percentages); nan unbounded
    percent_rescaled: float | None = None  # the largest raw value, when percent values were divided by 100

    @property
    def sign(self) -> float:
        return 1.0 if self.higher_is_better else -1.0


def _row_sigma(g: pd.DataFrame, kind: str) -> np.ndarray:
    """Stated stderr; for a proportion with a known n, never below the Agresti-Coull
    standard error, because at 0 or 1 the plug-in sqrt(p(1-p)/n) claims zero noise."""
    se = g["stderr"].to_numpy(float)
    p, n = g["value"].to_numpy(float), g["n"].to_numpy(float)
    ok = (kind == "discontinuous") & (p >= 0) & (p <= 1) & (n > 0)
    n_ac = np.where(ok, n, 0) + 4
    p_ac = (np.where(ok, p, 0) * np.where(ok, n, 0) + 2) / n_ac
    ac = np.where(ok, np.sqrt(p_ac * (1 - p_ac) / n_ac), np.nan)
    return np.where(np.isfinite(se), np.fmax(se, ac), ac)


def make_series(g: pd.DataFrame, family: str, task: str, metric: str, opts: Options) -> Series:
    kind = metric_kind(metric, opts)
    if kind == "continuous" and _explicit_chance(task, metric, opts) and g["value"].between(0, 100).all():
        kind = "discontinuous"  # a chance level given for it makes it a bounded score
    g = g.assign(_sigma=_row_sigma(g, kind))
    if opts.bins:
        edges = np.linspace(np.log10(g["scale"].min()), np.log10(g["scale"].max()) + 1e-9, opts.bins + 1)
        key = np.clip(np.digitize(np.log10(g["scale"]), edges) - 1, 0, opts.bins - 1)
    else:
        key = g["scale"].to_numpy()
    pts = []
    for _, b in g.groupby(key, sort=True):
        k = len(b)
        sig = b["_sigma"].to_numpy(float)
        within = float(np.sqrt(np.sum(sig**2)) / k) if np.all(np.isfinite(sig)) else np.nan
        # pandas types a Series' std/mean as possibly a Series; on one column they are floats
        between = float(b["value"].std(ddof=1) / math.sqrt(k)) if k > 1 else np.nan  # pyright: ignore[reportArgumentType]
        pts.append((float(np.exp(np.log(b["scale"]).mean())), float(b["value"].mean()),  # pyright: ignore[reportArgumentType]
                    float(np.nanmax([within, between])) if np.isfinite([within, between]).any() else np.nan, k))
    scale, value, sigma, n_models = (np.array(c) for c in zip(*pts))
    chance, source = _chance(g, task, kind, opts)
    hib = higher_is_better(metric, opts)
    has_ceiling = bool(g["ceiling"].notna().any())
    ceiling = float(g["ceiling"].median()) if has_ceiling else _best_possible(value, kind, hib)  # pyright: ignore[reportArgumentType]  # pandas: a float
    bounded = kind == "discontinuous" and value.min() >= 0 and value.max() <= 100
    full_range = (1.0 if value.max() <= 1 else 100.0) if bounded else float("nan")
    rescaled = None
    if bounded and value.max() > 1 and math.isfinite(chance) and chance <= 1:
        # Percent values with a chance level given as a fraction: compared as they stand, every
        # size would sit far above chance. Read the values as percent (a note says so).
        rescaled = float(value.max())
        value, sigma, full_range = value / 100, sigma / 100, 1.0
        ceiling = ceiling / 100 if ceiling > 1 else ceiling
    return Series(family, task, metric, kind, hib, scale, value, sigma,
                  n_models.astype(int), chance, source, ceiling, full_range, rescaled)


def _explicit_chance(task: str, metric: str, opts: Options) -> bool:
    """--chance names this task (or every task, for a metric not known to be continuous)."""
    if metric in opts.continuous:
        return False
    low = metric.lower()
    known_continuous = low in CONTINUOUS or "logprob" in low or low.endswith(("_loss", "perplexity", "ppl"))
    return task in opts.chance or ("*" in opts.chance and not known_continuous)


def _best_possible(value: np.ndarray, kind: str, hib: bool) -> float:
    """A discontinuous score lives in [0, 1] (or in percent): its best is the far end."""
    if kind != "discontinuous" or value.min() < 0 or value.max() > 100:
        return float("nan")
    top = 1.0 if value.max() <= 1 else 100.0
    return top if hib else 0.0


def _chance(g: pd.DataFrame, task: str, kind: str, opts: Options) -> tuple[float, str]:
    if kind != "discontinuous":
        return float("nan"), "none (continuous metric)"
    if task in opts.chance:
        return float(opts.chance[task]), "option"
    if bool(g["chance"].notna().any()):
        return float(g["chance"].median()), "table"  # pyright: ignore[reportArgumentType]  # pandas: a float
    if "*" in opts.chance:
        return float(opts.chance["*"]), "option"
    return float("nan"), "smallest model (no chance level given)"


# -- measures -----------------------------------------------------------------------------

@dataclass(frozen=True)
class BigBench:
    improvement: float  # I(y) = sign(argmax - argmin) · (max - min)
    linearity: float  # I / sqrt(mean z²)
    breakthroughness: float  # I / sqrt(median z²); inf when most steps are exactly flat
    sharpness: float  # breakthroughness / linearity = sqrt(mean z² / median z²)


def bigbench_measures(y) -> BigBench:
    """BIG-bench (Srivastava et al. 2022, sec. 3.4) on values sorted by scale."""
    y = np.asarray(y, float)
    z = np.diff(y)
    i = float(np.sign(np.argmax(y) - np.argmin(y)) * (y.max() - y.min()))
    if i == 0 or len(z) == 0:
        return BigBench(0.0, 0.0, 0.0, 0.0)
    mean2, med2 = float(np.mean(z**2)), float(np.median(z**2))
    lin = i / math.sqrt(mean2)
    brk = i / math.sqrt(med2) if med2 > 0 else math.copysign(math.inf, i)
    return BigBench(i, lin, brk, math.sqrt(mean2 / med2) if med2 > 0 else math.inf)


NOISE_FLOOR = 0.02  # noise of a bounded score with no stderr and no n, as a share of its range


def point_noise(y, sigma, full_range: float = float("nan"), x=None) -> np.ndarray:
    """Noise per point: the stated stderr (or the binomial one from n). With neither, never
    the series' own step sizes (a flat-then-jump series has tiny steps and would look
    precise): a bounded score gets NOISE_FLOOR of its range (a proportion near 0.5 over ~600
    items); another metric the residual scatter of a straight line in log-scale through all
    sizes (a jump inflates it, so it cannot favour one). Floored at 1% of the span."""
    y, sigma = np.asarray(y, float), np.asarray(sigma, float)
    if math.isfinite(full_range):
        own = NOISE_FLOOR * full_range
    elif len(y) > 2:
        xx = np.log10(np.asarray(x, float)) if x is not None else np.arange(len(y), dtype=float)
        res = y - np.polyval(np.polyfit(xx, y, 1), xx)
        own = float(np.sqrt(np.sum(res**2) / (len(y) - 2)))
    else:
        own = 0.0
    floor = 0.01 * float(np.ptp(y))
    out = np.maximum(np.where(np.isfinite(sigma), sigma, own), floor)
    return np.where(out > 0, out, np.nan)


@dataclass(frozen=True)
class Onset:
    index: int | None  # of the emergence scale
    n_below: int  # smaller sizes not above the threshold
    baseline: float  # oriented chance used


def margin_z(rule: Rule, n: int) -> float:
    return rule.margin_z if rule.margin_z is not None else sf.quantile(1 - 0.05 / n, math.inf)


def onset(y, noise, baseline: float, rule: Rule) -> Onset:
    margin = np.maximum(rule.min_margin, margin_z(rule, len(y)) * np.nan_to_num(noise, nan=0.0))
    above = np.asarray(y) > baseline + margin
    idx = None
    for k in range(len(above) - 1, -1, -1):  # the longest run of "above" that reaches the largest size
        if not above[k]:
            break
        idx = k
    return Onset(idx, 0 if idx is None else int((~above[:idx]).sum()), baseline)


@dataclass(frozen=True)
class SurprisePoint:
    scale: float
    actual: float  # raw
    predicted: float  # raw
    surprise: float  # oriented actual - predicted: > 0 means better than the small models foretold
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class Extrapolation:
    fit: str
    cutoff: float  # sizes below were fitted, the rest predicted
    n_fit: int
    points: tuple[SurprisePoint, ...]
    best: SurprisePoint  # the held-out size with the highest lower bound (the clearest miss)
    p_value: float = 1.0  # one-sided p of the largest under-prediction, Bonferroni over the predicted sizes


def choose_fit_count(n: int, onset_index: int | None, scale, rule: Rule) -> int:
    if rule.cutoff is not None:
        return int(np.sum(np.asarray(scale) < rule.cutoff))
    if onset_index is not None and onset_index >= rule.min_fit:
        return onset_index
    return max(rule.min_fit, math.ceil(n / 2))


def extrapolate(s: Series, yo, noise, n_fit: int, rule: Rule, floor: float, ceiling: float) -> Extrapolation | None:
    if n_fit < rule.min_fit or n_fit >= len(yo):
        return None
    x = np.log10(s.scale)
    known = bool(np.all(np.isfinite(noise[:n_fit])))
    sig = noise[:n_fit] if known else None
    conf = 1 - 0.05 / (len(yo) - n_fit)  # family-wise over the held-out sizes (Bonferroni)
    try:
        if rule.fit == "sigmoid":
            f = sf.fit_sigmoid(x[:n_fit], yo[:n_fit], floor=floor if math.isfinite(floor) else None,
                               ceiling=ceiling if math.isfinite(ceiling) else None, sigma=sig)
            noise_var = f.rss / f.dof if not known and f.dof > 0 else np.nan
        else:
            f = sf.fit_line(x[:n_fit], yo[:n_fit], sig)
            noise_var = f.noise_var
    except ValueError:
        return None
    pred = f.predict(x[n_fit:])
    own = np.sqrt(np.where(np.isfinite(noise[n_fit:]), noise[n_fit:] ** 2, noise_var))
    if rule.fit == "sigmoid" and isinstance(f, sf.SigmoidFit) and f.free == ("x0", "k"):
        band_lo, band_hi = sf.sigmoid_band(x[:n_fit], yo[:n_fit], sig, f.floor, f.ceiling, x[n_fit:], conf)
        q = sf.quantile(conf, math.inf if known else max(f.dof, 1))
        lo, hi = band_lo - q * own, band_hi + q * own
    else:
        half = sf.quantile(conf, f.interval_dof) * np.sqrt(pred.se**2 + own**2)
        lo, hi = pred.mean - half, pred.mean + half
    act = yo[n_fit:]
    pts = tuple(SurprisePoint(float(s.scale[n_fit + i]), float(s.value[n_fit + i]), float(s.sign * pred.mean[i]),
                              float(act[i] - pred.mean[i]), float(act[i] - hi[i]), float(act[i] - lo[i]))
                for i in range(len(act)))
    best = max(pts, key=lambda p: (p.ci_low if math.isfinite(p.ci_low) else -math.inf, p.surprise))
    # Two-sided p-value of the surprise, Bonferroni over the predicted sizes: below 0.05 exactly
    # when the interval above excludes 0. Its half-width is q·sd, q the (1 - 0.05/m) quantile.
    band = rule.fit == "sigmoid" and getattr(f, "free", None) == ("x0", "k")
    dof = (math.inf if known else max(f.dof, 1)) if band else f.interval_dof
    sd = (hi - lo) / (2 * sf.quantile(conf, dof))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (act - (lo + hi) / 2) / sd
    tail = st.norm.sf(t) if math.isinf(dof) else st.t.sf(t, dof)
    p_value = float(min(1.0, 2 * len(act) * float(np.min(np.where(np.isfinite(t), tail, 1.0)))))
    return Extrapolation(rule.fit, float(s.scale[n_fit]), n_fit, pts, best, p_value)


@dataclass(frozen=True)
class MetricMeasures:
    metric: str
    kind: str
    higher_is_better: bool
    scales: list[float]
    values: list[float]
    stderr: list[float]  # per point, as used (stated, binomial, or the series' own scatter)
    n_models: list[int]
    improvement: float
    linearity: float
    breakthroughness: float
    sharpness: float
    chance: float | None
    chance_source: str
    emergence_scale: float | None
    n_below: int
    extrapolation: Extrapolation | None
    criteria: dict  # improves, absent_when_small, concentrated, unpredicted (None: not applicable)
    jump: bool  # concentrated and unpredicted
    emergent: bool  # all four criteria


def measure(s: Series, rule: Rule) -> MetricMeasures:
    yo = s.sign * s.value
    noise = point_noise(s.value, s.sigma, s.full_range, s.scale)
    bb = bigbench_measures(yo)
    disc = s.kind == "discontinuous"
    ons = None
    if disc:
        base = s.sign * s.chance if math.isfinite(s.chance) else float(yo[0])
        ons = onset(yo, noise, base, rule)
    ceiling = s.sign * s.ceiling if math.isfinite(s.ceiling) else float("nan")
    floor = ons.baseline if ons is not None else float("nan")
    n_fit = choose_fit_count(len(yo), ons.index if ons else None, s.scale, rule)
    ex = extrapolate(s, yo, noise, n_fit, rule, floor, ceiling)
    unpredicted = bool(ex is not None and ex.best.ci_low > 0
                       and ex.best.surprise >= rule.min_surprise_frac * abs(bb.improvement))
    absent = None if ons is None else bool(ons.index is not None and ons.n_below >= rule.min_below)
    # A rise from 0 to 0.002 exact match (or from 91% to 97%) can be "significant" and still
    # not be an ability appearing: demand a share of the way from chance to the best score.
    span = s.full_range if math.isfinite(s.full_range) else 0.0
    if span and math.isfinite(s.chance) and math.isfinite(s.ceiling):
        span = abs(s.ceiling - s.chance)
    material = bb.improvement > 0 and bb.improvement >= rule.min_rise * span
    # Sharpness is a measure, not a criterion: a score at 0 for three sizes that then reaches
    # 0.32 and 0.50 keeps rising after its jump, and is emergent all the same (Wei et al. 2022).
    crit = {"improves": bool(material), "absent_when_small": absent,
            "concentrated": bb.sharpness >= rule.min_sharpness, "unpredicted": unpredicted}
    jump = bool(crit["improves"] and unpredicted)
    return MetricMeasures(
        s.metric, s.kind, s.higher_is_better, s.scale.tolist(), s.value.tolist(), noise.tolist(),
        s.n_models.tolist(), bb.improvement, bb.linearity, bb.breakthroughness, bb.sharpness,
        float(s.chance) if math.isfinite(s.chance) else (float(s.sign * ons.baseline) if ons else None),
        s.chance_source, float(s.scale[ons.index]) if ons and ons.index is not None else None,
        ons.n_below if ons else 0, ex, crit, jump, bool(jump and absent))
