"""Small fits for the emergence experiment: a straight line with prediction intervals, a
logistic curve, and a two-parameter power law. Pure numpy/scipy, deterministic (multi-start
from a fixed grid, never a random restart).

Every fit answers `predict(x) -> Prediction(mean, se)`, where `se` is the standard error of
the fitted curve at x (the uncertainty of the fit itself, not of a new measurement there);
callers add the new point's own noise when they build an interval for it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize
from scipy import stats as st

Z95 = float(st.norm.ppf(0.975))


def quantile(conf: float, dof: float) -> float:
    """Two-sided multiplier for a `conf` interval: Student t with `dof`, normal when dof is inf,
    nan when dof is nan (no interval can be stated)."""
    if math.isnan(dof):
        return float("nan")
    p = 0.5 + conf / 2
    return float(st.norm.ppf(p)) if math.isinf(dof) else float(st.t.ppf(p, dof))


@dataclass(frozen=True)
class Prediction:
    mean: np.ndarray
    se: np.ndarray  # nan where the fit cannot say


@dataclass(frozen=True)
class LineFit:
    """y = intercept + slope·x by (weighted) least squares."""

    intercept: float
    slope: float
    cov: tuple[tuple[float, float], tuple[float, float]]
    n: int
    dof: int
    noise_var: float  # variance of a new point: residual variance (unknown sigma), else nan
    interval_dof: float  # for `quantile`: inf = normal (errors known), nan = no interval

    def predict(self, x) -> Prediction:
        x = np.asarray(x, float)
        mean = self.intercept + self.slope * x
        c = np.asarray(self.cov)
        var = c[0, 0] + 2 * c[0, 1] * x + c[1, 1] * x * x
        return Prediction(mean, np.sqrt(np.maximum(var, 0.0)))


def fit_line(x, y, sigma=None) -> LineFit:
    """Weighted least squares when per-point sigma is known, ordinary otherwise.

    With known sigma the covariance is inflated by the reduced chi² when that exceeds 1:
    the stated errors are a floor, and scatter beyond them must widen the interval too."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = len(x)
    if n < 2 or np.ptp(x) == 0:
        raise ValueError("a line needs at least two distinct x values")
    X = np.column_stack([np.ones(n), x])
    known = sigma is not None and bool(np.all(np.asarray(sigma, float) > 0))  # nan > 0 is False
    w = 1.0 / np.asarray(sigma, float) ** 2 if known else np.ones(n)
    xtwx = X.T @ (X * w[:, None])
    beta = np.linalg.solve(xtwx, X.T @ (w * y))
    resid = y - X @ beta
    dof = n - 2
    base = np.linalg.inv(xtwx)
    if known:
        chi2 = float(np.sum(w * resid**2) / dof) if dof > 0 else 1.0
        inflate = max(1.0, chi2)
        cov = base * inflate
        interval_dof = float(dof) if inflate > 1.0 else math.inf
        noise_var = float("nan")
    else:
        if dof <= 0:
            s2 = float("nan")
        else:
            s2 = float(np.sum(resid**2) / dof)
        cov = base * s2
        interval_dof = float(dof) if dof > 0 else float("nan")
        noise_var = s2
    return LineFit(float(beta[0]), float(beta[1]), ((float(cov[0, 0]), float(cov[0, 1])),
                   (float(cov[1, 0]), float(cov[1, 1]))), n, dof, noise_var, interval_dof)


def logistic(t):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(t, float)))  # overflow-free 1/(1+e^-t)


def sigmoid(x, x0: float | np.ndarray, k: float | np.ndarray, floor: float, ceiling: float):
    """floor + (ceiling - floor) / (1 + exp(-k (x - x0))); k > 0 means rising in x."""
    return floor + (ceiling - floor) * logistic(k * (np.asarray(x, float) - x0))


@dataclass(frozen=True)
class SigmoidFit:
    x0: float
    k: float
    floor: float
    ceiling: float
    free: tuple[str, ...]  # which of x0, k, floor, ceiling were fitted (the rest were fixed)
    cov: tuple[tuple[float, ...], ...]  # over `free`, in that order; nan when unidentified
    rss: float
    n: int
    dof: int
    interval_dof: float  # as in LineFit

    def params(self) -> dict[str, float]:
        return {"x0": self.x0, "k": self.k, "floor": self.floor, "ceiling": self.ceiling}

    def predict(self, x) -> Prediction:
        x = np.asarray(x, float)
        p = self.params()
        mean = sigmoid(x, **p)
        cov = np.asarray(self.cov, float)
        if cov.size == 0 or not np.all(np.isfinite(cov)):
            return Prediction(mean, np.full_like(mean, np.nan))
        grad = np.stack([_partial(x, p, name) for name in self.free], axis=-1)
        var = np.einsum("...i,ij,...j->...", grad, cov, grad)
        return Prediction(mean, np.sqrt(np.maximum(var, 0.0)))


def _partial(x, p: dict, name: str):
    s = logistic(p["k"] * (x - p["x0"]))
    span = p["ceiling"] - p["floor"]
    if name == "x0":
        return -span * s * (1 - s) * p["k"]
    if name == "k":
        return span * s * (1 - s) * (x - p["x0"])
    if name == "floor":
        return 1 - s
    return s  # ceiling


def fit_sigmoid(x, y, *, floor: float | None = None, ceiling: float | None = None,
                sigma=None) -> SigmoidFit:
    """Fit a rising logistic in x. Fixing floor (chance) and ceiling (the metric's maximum)
    leaves two parameters, which is what a handful of sizes can support; whatever stays
    free is bounded so a flat series cannot send it to infinity.

    Starts from a fixed grid of midpoints and slopes and keeps the lowest weighted residual."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = len(x)
    if n < 2:
        raise ValueError("a sigmoid needs at least two points")
    span_x = float(np.ptp(x)) or 1.0
    lo_y, hi_y = float(y.min()), float(y.max())
    span_y = max(hi_y - lo_y, 1e-9)
    known = sigma is not None and bool(np.all(np.asarray(sigma, float) > 0))  # nan > 0 is False
    w = 1.0 / np.asarray(sigma, float) if known else np.ones(n)
    free = ["x0", "k"] + (["floor"] if floor is None else []) + (["ceiling"] if ceiling is None else [])
    # Bounds: the midpoint may lie two spans beyond the data either way (that is how a fit on
    # small models says "not yet"); slopes from nearly flat to a step within 1/200 span.
    lb = {"x0": x.min() - 2 * span_x, "k": 0.05 / span_x, "floor": lo_y - span_y, "ceiling": lo_y}
    ub = {"x0": x.max() + 2 * span_x, "k": 200.0 / span_x, "floor": hi_y, "ceiling": hi_y + 2 * span_y}
    if floor is not None and ceiling is not None and ceiling <= floor:
        raise ValueError("ceiling must exceed floor")

    def unpack(theta):
        p = dict(zip(free, theta))
        return (p["x0"], p["k"], p.get("floor", floor), p.get("ceiling", ceiling))

    def resid(theta):
        return w * (sigmoid(x, *unpack(theta)) - y)

    best = None
    for x0_start in np.linspace(x.min() - span_x, x.max() + span_x, 7):
        for k_start in (1.0 / span_x, 8.0 / span_x):
            start = {"x0": x0_start, "k": k_start, "floor": lo_y, "ceiling": hi_y + 1e-6}
            theta0 = [float(np.clip(start[f], lb[f] + 1e-12, ub[f] - 1e-12)) for f in free]
            try:
                r = optimize.least_squares(resid, theta0, bounds=([lb[f] for f in free], [ub[f] for f in free]))
            except ValueError:
                continue
            if best is None or r.cost < best.cost - 1e-12:
                best = r
    if best is None:
        raise ValueError("sigmoid fit failed from every start")
    x0, k, fl, ce = unpack(best.x)
    dof = n - len(free)
    rss = float(np.sum(best.fun**2))
    cov = _covariance(best.jac, rss, dof, known)
    interval_dof = math.inf if known and (dof <= 0 or rss / dof <= 1) else (float(dof) if dof > 0 else float("nan"))
    return SigmoidFit(float(x0), float(k), float(fl), float(ce), tuple(free), cov, rss, n, dof, interval_dof)


def sigmoid_band(x, y, sigma, floor: float, ceiling: float, x_new, conf: float = 0.95):
    """Profile-likelihood band for predictions of a sigmoid with fixed floor and ceiling.

    On a flat stretch (all the small models at chance) the midpoint is unidentified and the
    delta method has no covariance to offer; the honest answer is the range of predictions of
    every (x0, k) the data cannot reject: weighted chi² within the conf quantile of chi²(1)
    of the best. A dense deterministic grid is cheap because two parameters broadcast."""
    x, y, x_new = (np.asarray(v, float) for v in (x, y, x_new))
    known = sigma is not None and bool(np.all(np.asarray(sigma, float) > 0))
    w = 1.0 / np.asarray(sigma, float) ** 2 if known else np.ones(len(x))
    span = float(np.ptp(x)) or 1.0
    x0 = np.linspace(x.min() - 2 * span, x.max() + 2 * span, 161)[:, None, None]
    k = np.geomspace(0.05 / span, 200.0 / span, 80)[None, :, None]
    chi2 = np.sum(w * (sigmoid(x[None, None, :], x0, k, floor, ceiling) - y) ** 2, axis=-1)
    dof = len(x) - 2
    scale = 1.0
    if not known:
        if dof <= 0:
            nan = np.full(len(x_new), np.nan)
            return nan, nan
        scale = float(chi2.min()) / dof
    elif dof > 0:
        scale = max(1.0, float(chi2.min()) / dof)
    ok = chi2 <= chi2.min() + float(st.chi2.ppf(conf, 1)) * scale
    pred = sigmoid(x_new[None, None, :], x0, k, floor, ceiling)[ok]
    return pred.min(axis=0), pred.max(axis=0)


def _covariance(jac, rss: float, dof: int, known_sigma: bool) -> tuple[tuple[float, ...], ...]:
    m = jac.shape[1]
    nan = tuple(tuple(float("nan") for _ in range(m)) for _ in range(m))
    if dof <= 0 and not known_sigma:
        return nan
    try:
        base = np.linalg.inv(jac.T @ jac)
    except np.linalg.LinAlgError:
        return nan
    if not np.all(np.isfinite(base)) or np.linalg.cond(jac.T @ jac) > 1e12:
        return nan  # a flat stretch leaves the midpoint unidentified: say so, do not guess
    scale = max(1.0, rss / dof) if known_sigma and dof > 0 else (1.0 if known_sigma else rss / dof)
    return tuple(tuple(float(v) for v in row) for row in base * scale)


@dataclass(frozen=True)
class PowerLawFit:
    """loss = a · scale^(-b), fitted as a line in log-log space."""

    a: float
    b: float
    line: LineFit

    def predict(self, scale) -> Prediction:
        p = self.line.predict(np.log(np.asarray(scale, float)))
        mean = np.exp(p.mean)
        return Prediction(mean, mean * p.se)  # delta method from log space


def fit_power_law(scale, loss, sigma=None) -> PowerLawFit:
    scale, loss = np.asarray(scale, float), np.asarray(loss, float)
    if np.any(scale <= 0) or np.any(loss <= 0):
        raise ValueError("a power law needs positive scales and losses")
    log_sigma = None if sigma is None else np.asarray(sigma, float) / loss
    line = fit_line(np.log(scale), np.log(loss), log_sigma)
    return PowerLawFit(float(math.exp(line.intercept)), float(-line.slope), line)
