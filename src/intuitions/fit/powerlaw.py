"""Power-law scaling fits, the way Chinchilla (Hoffmann et al., 2022) and its replication
(Besiroglu et al., 2024) fit them.

Every form is  L = E + sum_k A_k * x_k^(-alpha_k),  fitted in log space as
    log L_hat = logsumexp(e, a_1 - alpha_1 log x_1, ...)   with e = log E, a_k = log A_k,
so every parameter stays positive without bounds and the loss sees relative errors.
The objective is the Huber loss (delta ~ 1e-3: close to L1, robust to the few odd runs)
between log L_hat and log L, summed over points.

Speed: thousands of starting points are scored in one vectorised pass, only the best few
go to L-BFGS (with an analytic gradient); each bootstrap refit starts cold from the best
point of a coarse grid scored on its resample, and resamples that repeat reuse their refit."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy.optimize import minimize

from intuitions.errors import BadData

VARIABLES = ("params", "tokens", "compute")


@dataclass(frozen=True)
class Form:
    name: str
    formula: str
    variables: tuple[str, ...]  # which of VARIABLES each power term uses
    coefs: tuple[str, ...]  # public names of the coefficients A_k
    exponents: tuple[str, ...]  # public names of the exponents alpha_k

    @property
    def n_params(self) -> int:
        return 1 + 2 * len(self.variables)

    @property
    def names(self) -> tuple[str, ...]:
        return ("E",) + tuple(itertools.chain(*zip(self.coefs, self.exponents)))


FORMS = {
    "params": Form("params", "L(N) = E + A·N^-alpha", ("params",), ("A",), ("alpha",)),
    "tokens": Form("tokens", "L(D) = E + B·D^-beta", ("tokens",), ("B",), ("beta",)),
    "chinchilla": Form("chinchilla", "L(N,D) = E + A·N^-alpha + B·D^-beta",
                       ("params", "tokens"), ("A", "B"), ("alpha", "beta")),
    "compute": Form("compute", "L(C) = E + a·C^-b", ("compute",), ("a",), ("b",)),
}
ALIASES = {"n": "params", "l(n)": "params", "d": "tokens", "l(d)": "tokens", "nd": "chinchilla",
           "l(n,d)": "chinchilla", "c": "compute", "l(c)": "compute"}


def get_form(name: str) -> Form:
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in FORMS:
        raise BadData(f"unknown form {name!r}; choose one of {', '.join(FORMS)}")
    return FORMS[key]


@dataclass(frozen=True)
class Grid:
    """Starting points; the default is the Chinchilla / Epoch grid (4,500 starts for L(N,D))."""
    e: tuple[float, ...] = (-1.0, -0.5, 0.0, 0.5, 1.0)
    coef: tuple[float, ...] = (0.0, 5.0, 10.0, 15.0, 20.0, 25.0)  # log A_k
    exponent: tuple[float, ...] = (0.0, 0.5, 1.0, 1.5, 2.0)

    def starts(self, form: Form) -> np.ndarray:
        axes = [self.e] + [self.coef, self.exponent] * len(form.variables)
        return np.array(list(itertools.product(*axes)), float).reshape(-1, form.n_params)


@dataclass(frozen=True)
class FitOptions:
    delta: float = 1e-3  # Huber threshold on log-loss residuals
    grid: Grid = field(default_factory=Grid)
    refine: int = 64  # best grid starts handed to L-BFGS
    bootstrap: int = 1000  # refits on resampled points (0: no intervals)
    seed: int = 0
    level: float = 0.95
    maxiter: int = 2000
    # Large tables: the grid is scored and refined on a seeded subsample of this many points,
    # then the best `polish` distinct solutions are refined on every point (a fit of 100,000 rows took
    # 142 s and 4.2 GB scoring 4,500 starts on all of them). Tables this small are fitted as before.
    subsample: int = 4096
    polish: int = 2
    # Bootstrap work cap, in point-refits (refits x points): past it a large table gets fewer
    # refits, at least `min_bootstrap` (recorded; intervals at 100k points are narrow anyway).
    max_boot_work: float = 1e7  # measured: 100 refits of a 100k-row table take ~55 s on 2 cores
    min_bootstrap: int = 100
    # Tight tolerances on purpose: the replication traced Chinchilla's odd published fit to an
    # optimiser that stopped early on this flat objective.
    ftol: float = 1e-15
    gtol: float = 1e-10
    # Bootstrap refits start cold: from the best start of `boot_grid` scored on the resample,
    # not from the full data's optimum (a warm start sits in the best basin and understates
    # how far a resample can move the law when points barely outnumber parameters).
    cold: bool = True
    boot_grid: Grid = field(default_factory=lambda: Grid(coef=(0.0, 10.0, 20.0), exponent=(0.0, 0.5, 1.0, 2.0)))


# ---------------------------------------------------------------- objective


def features(form: Form, columns: dict[str, np.ndarray]) -> np.ndarray:
    """log x_k per point, [n, K]."""
    return np.stack([np.log(np.asarray(columns[v], float)) for v in form.variables], axis=1)


def _terms(theta: np.ndarray, X: np.ndarray) -> np.ndarray:
    """[..., n, K+1] terms of the log-sum-exp: e, then a_k - alpha_k log x_k."""
    theta = np.asarray(theta, float)
    e = theta[..., 0:1]
    a, alpha = theta[..., 1::2], theta[..., 2::2]
    lead = theta.shape[:-1]
    ts = [np.broadcast_to(e[..., None, :], lead + (X.shape[0], 1))]
    ts.append(a[..., None, :] - alpha[..., None, :] * X)
    return np.concatenate(ts, axis=-1)


def log_predict(theta: np.ndarray, X: np.ndarray) -> np.ndarray:
    """log L_hat for each parameter vector in `theta` ([..., P]) at each point: [..., n]."""
    t = _terms(theta, X)
    m = t.max(axis=-1)
    return m + np.log(np.exp(t - m[..., None]).sum(axis=-1))


def huber(r: np.ndarray, delta: float) -> np.ndarray:
    c = np.clip(r, -delta, delta)
    return c * (r - 0.5 * c)  # = r²/2 inside ±delta, delta(|r| - delta/2) outside


def objective_batch(thetas: np.ndarray, X: np.ndarray, y: np.ndarray, delta: float) -> np.ndarray:
    """Objective of many parameter vectors at once: [S, P] -> [S] (one numpy pass)."""
    return huber(log_predict(thetas, X) - y, delta).sum(axis=-1)


def objective_grad(theta: np.ndarray, X: np.ndarray, y: np.ndarray, w: np.ndarray,
                   delta: float) -> tuple[float, np.ndarray]:
    """Weighted objective and its exact gradient (weights = bootstrap counts).
    Written out by hand, not via _terms: L-BFGS calls it ~10^5 times per bootstrap."""
    e, a, alpha = theta[0], theta[1::2], theta[2::2]
    t = a - X * alpha  # [n, K]
    m = np.maximum(t.max(axis=1), e)
    s = np.exp(t - m[:, None])
    s0 = np.exp(e - m)
    z = s0 + s.sum(axis=1)
    r = m + np.log(z) - y
    c = np.clip(r, -delta, delta)  # Huber'(r)
    psi = w * c / z  # chain rule through the softmax weights s/z
    grad = np.empty_like(theta)
    grad[0] = psi @ s0
    grad[1::2] = psi @ s
    grad[2::2] = -(psi @ (s * X))
    return float(w @ (c * (r - 0.5 * c))), grad


def bounds(n_params: int) -> list[tuple[float | None, float | None]]:
    """Exponents >= 0: a law whose loss grows with size is no scaling law (unbounded, a
    two-member ladder fitted alpha = -62). Logs of E and the coefficients stay free."""
    out: list[tuple[float | None, float | None]] = [(None, None)]
    for _ in range((n_params - 1) // 2):
        out += [(None, None), (0.0, None)]
    return out


def lbfgs(theta0: np.ndarray, X: np.ndarray, y: np.ndarray, w: np.ndarray, opts: FitOptions):
    return minimize(objective_grad, theta0, args=(X, y, w, opts.delta), jac=True, method="L-BFGS-B",
                    bounds=bounds(len(theta0)),
                    options={"maxiter": opts.maxiter, "ftol": opts.ftol, "gtol": opts.gtol})


# ---------------------------------------------------------------- fitting


@dataclass(frozen=True)
class Fit:
    form: Form
    theta: np.ndarray  # [P]: e, a_1, alpha_1, ...
    objective: float
    converged: bool
    n_starts: int
    n_refined: int
    residuals: np.ndarray  # log L_hat - log L at the fitted points
    scatter: np.ndarray  # honest out-of-sample log residuals, for prediction intervals
    scatter_kind: str
    r2_log: float
    boot_thetas: np.ndarray  # [B, P]; rows that failed to fit are dropped
    boot_requested: int
    options: FitOptions

    def values(self, theta: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Natural parameters (E, A, alpha, ...) of one vector or of every bootstrap row."""
        th = self.theta if theta is None else theta
        with np.errstate(over="ignore"):  # a runaway refit's A may be inf: percentiles cope
            out = {"E": np.exp(th[..., 0])}
            for k, (c, x) in enumerate(zip(self.form.coefs, self.form.exponents)):
                out[c] = np.exp(th[..., 1 + 2 * k])
                out[x] = th[..., 2 + 2 * k]
        return out


def _check(form: Form, X: np.ndarray, y: np.ndarray) -> None:
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise BadData("every value must be a positive finite number")
    if len(y) < form.n_params + 1:
        raise BadData(f"only {len(y)} points to fit the {form.n_params} parameters of "
                      f"{form.formula}; need at least {form.n_params + 1}")


def _one_blas_thread(fn):
    """scipy's L-BFGS-B calls BLAS on tiny matrices; threaded OpenBLAS then spends its time
    waking threads (measured: 30x slower on a loaded 2-core machine), so pin it to one."""
    import functools

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)

    return wrapped


def _refine(starts: np.ndarray, X: np.ndarray, y: np.ndarray, opts: FitOptions) -> list:
    """L-BFGS from each start; the finite results, best first (ties keep the start order)."""
    w = np.ones_like(y)
    done = [(i, lbfgs(s, X, y, w, opts)) for i, s in enumerate(starts)]
    return [r for _, r in sorted(((i, r) for i, r in done if np.isfinite(r.fun)), key=lambda t: (t[1].fun, t[0]))]


@_one_blas_thread
def multistart(X: np.ndarray, y: np.ndarray, form: Form, opts: FitOptions):
    """Best L-BFGS solution over the grid: score all starts in one pass, refine the best.
    A table of more than `opts.subsample` points does both on a seeded subsample, then
    polishes the best few solutions on every point."""
    starts = opts.grid.starts(form)
    Xs, ys = X, y
    if len(y) > opts.subsample:
        pick = np.sort(np.random.default_rng([opts.seed, 17]).choice(len(y), opts.subsample, replace=False))
        Xs, ys = X[pick], y[pick]
    chunk = max(1, int(4e6 // (len(ys) * (X.shape[1] + 1))))  # keeps the [S, n, K+1] array to ~32 MB
    with np.errstate(over="ignore", invalid="ignore"):
        f0 = np.concatenate([objective_batch(starts[i:i + chunk], Xs, ys, opts.delta)
                             for i in range(0, len(starts), chunk)])
    f0 = np.where(np.isfinite(f0), f0, np.inf)
    order = np.argsort(f0, kind="stable")[: max(1, min(opts.refine, len(starts)))]
    found = _refine(starts[order], Xs, ys, opts)
    if found and Xs is not X:
        distinct: list[np.ndarray] = []
        for r in found:  # many starts end in the same basin: polish different solutions
            if all(np.max(np.abs(r.x - d)) > 1e-3 for d in distinct):
                distinct.append(r.x)
            if len(distinct) == max(1, opts.polish):
                break
        found = _refine(np.array(distinct), X, y, opts)
    if not found:
        raise BadData("the fit failed from every starting point")
    return found[0], len(starts), len(order)


def n_refits(n_points: int, opts: FitOptions) -> int:
    """Bootstrap refits for a table of `n_points`: as asked, unless that passes the work cap."""
    cap = max(opts.min_bootstrap, int(opts.max_boot_work // max(1, n_points)))
    return min(opts.bootstrap, cap)


def _weighted_batch(starts: np.ndarray, X: np.ndarray, y: np.ndarray, w: np.ndarray, delta: float) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        f0 = np.concatenate([huber(log_predict(starts[i:i + 512], X) - y, delta) @ w
                             for i in range(0, len(starts), 512)])
    return np.where(np.isfinite(f0), f0, np.inf)


@_one_blas_thread
def bootstrap(X: np.ndarray, y: np.ndarray, theta: np.ndarray, opts: FitOptions,
              progress: Callable[[int], None] | None = None, groups: np.ndarray | None = None) -> np.ndarray:
    """Refits on resampled data (as integer weights).

    `groups` (one label per point, e.g. a ladder member) resamples whole groups: a member's
    final run and its decay branches share one model and one training run, so their errors
    are correlated and a point bootstrap would count them as independent evidence. A resample
    that repeats an earlier one (few members give few distinct resamples) reuses its refit.

    Cold starts (`opts.cold`, the default) begin each refit at the best of `opts.boot_grid`
    scored on the resample. Measured on the Chinchilla points and an 8-point ladder: with many
    points cold and warm intervals agree; with barely more points than parameters a warm start
    stays in the full data's basin and the intervals come out far too narrow. Tolerances stay
    tight: at scipy's defaults each refit stops near its start and the intervals shrink ~20x."""
    rng = np.random.default_rng(opts.seed)
    n = len(y)
    if groups is not None:
        labels, idx = np.unique(np.asarray(groups, object).astype(str), return_inverse=True)
    else:
        labels, idx = None, np.arange(n)
    k = n if labels is None else len(labels)
    starts = opts.boot_grid.starts(Form("", "", ("x",) * ((len(theta) - 1) // 2), (), ()))
    memo: dict[bytes, np.ndarray | None] = {}
    out = []
    for i in range(n_refits(n, opts)):
        if progress is not None:
            progress(i)
        counts = np.bincount(rng.integers(0, k, k), minlength=k)
        key = counts.tobytes()
        if key not in memo:
            w = counts[idx].astype(float)
            keep = w > 0  # points not drawn are skipped
            Xk, yk, wk = X[keep], y[keep], w[keep]
            start = theta
            if opts.cold:  # the start is only ranked: on a big table a seeded subsample ranks as well
                pick = slice(None) if len(yk) <= opts.subsample else np.sort(
                    np.random.default_rng([opts.seed, 19, i]).choice(len(yk), opts.subsample, replace=False))
                start = starts[int(np.argmin(_weighted_batch(starts, Xk[pick], yk[pick], wk[pick], opts.delta)))]
            res = lbfgs(start, Xk, yk, wk, opts)
            memo[key] = res.x if np.all(np.isfinite(res.x)) and np.isfinite(res.fun) else None
        if memo[key] is not None:
            out.append(memo[key])
    return np.array(out, float).reshape(-1, len(theta))


@_one_blas_thread
def scatter(X: np.ndarray, y: np.ndarray, theta: np.ndarray, opts: FitOptions) -> tuple[np.ndarray, str]:
    """How far a new run lands from the law. In-sample residuals understate it, badly when
    points barely outnumber parameters (a Huber/L1 fit then passes through most of them), so:
    with n >= 4P, residuals × sqrt(n/(n-P)); below that, leave-one-out residuals."""
    n, p = len(y), len(theta)
    resid = log_predict(theta, X) - y
    if n >= 4 * p:
        return resid * np.sqrt(n / (n - p)), "in-sample residuals × sqrt(n/(n-P))"
    out = np.empty(n)
    for i in range(n):
        keep = np.arange(n) != i
        res = lbfgs(theta, X[keep], y[keep], np.ones(n - 1), opts)
        out[i] = log_predict(res.x, X[i:i + 1])[0] - y[i]
    return out, "leave-one-out residuals"


def fit(form: Form, columns: dict[str, np.ndarray], loss: np.ndarray,
        opts: FitOptions = FitOptions(), progress: Callable[[int], None] | None = None,
        groups: np.ndarray | None = None) -> Fit:
    """Multi-start fit, then bootstrap intervals (resampling `groups` when given, else points)."""
    X = features(form, columns)
    y = np.log(np.asarray(loss, float))
    _check(form, X, y)
    best, n_starts, n_refined = multistart(X, y, form, opts)
    theta = np.asarray(best.x, float)
    resid = log_predict(theta, X) - y
    ss_tot = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float((resid ** 2).sum()) / ss_tot if ss_tot > 0 else float("nan")
    boots = (bootstrap(X, y, theta, opts, progress, groups) if opts.bootstrap > 0
             else np.empty((0, len(theta))))
    sc, kind = scatter(X, y, theta, opts)
    return Fit(form, theta, float(best.fun), bool(best.success), n_starts, n_refined, resid, sc, kind, r2,
               boots, opts.bootstrap, opts)


NO_FLOOR = -50.0  # log E of the no-floor baseline: E = e^-50, nothing


@_one_blas_thread
def fit_no_floor(form: Form, columns: dict[str, np.ndarray], loss: np.ndarray,
                 opts: FitOptions = FitOptions()) -> np.ndarray:
    """The naive baseline a scaling law must beat: the same power terms with no irreducible
    loss (L = A·N^-alpha + ..., E = 0), fitted the same way (Huber in log space, multi-start
    L-BFGS). Returns theta with e = NO_FLOOR."""
    X = features(form, columns)
    y = np.log(np.asarray(loss, float))
    k = len(form.variables)
    axes = [opts.grid.coef, opts.grid.exponent] * k
    rest = np.array(list(itertools.product(*axes)), float).reshape(-1, 2 * k)
    starts = np.concatenate([np.full((len(rest), 1), NO_FLOOR), rest], axis=1)
    f0 = _weighted_batch(starts, X, y, np.ones_like(y), opts.delta)
    w = np.ones_like(y)

    def obj(t):
        v, g = objective_grad(np.concatenate([[NO_FLOOR], t]), X, y, w, opts.delta)
        return v, g[1:]

    best = None
    for i in np.argsort(f0, kind="stable")[: max(1, min(opts.refine, 8))]:
        res = minimize(obj, starts[i, 1:], jac=True, method="L-BFGS-B", bounds=[(None, None), (0.0, None)] * k,
                       options={"maxiter": opts.maxiter, "ftol": opts.ftol, "gtol": opts.gtol})
        if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
            best = res
    if best is None:
        raise BadData("the no-floor baseline failed from every starting point")
    return np.concatenate([[NO_FLOOR], best.x])


# ---------------------------------------------------------------- what a fit says


@dataclass(frozen=True)
class Interval:
    value: float
    ci_low: float
    ci_high: float


def percentile(value: float | np.ndarray, samples: np.ndarray, level: float) -> Interval:
    s = np.asarray(samples, float)
    s = s[np.isfinite(s)]
    if len(s) < 2:
        return Interval(float(value), float("nan"), float("nan"))
    lo, hi = np.quantile(s, [(1 - level) / 2, (1 + level) / 2])
    return Interval(float(value), float(lo), float(hi))


def parameters(f: Fit) -> dict[str, Interval]:
    best, boots = f.values(), f.values(f.boot_thetas)
    return {k: percentile(float(best[k]), boots[k], f.options.level) for k in f.form.names}


@dataclass(frozen=True)
class Prediction:
    loss: Interval  # the law's value with its bootstrap CI
    pi_low: float  # prediction interval: the CI widened by the fit's own scatter
    pi_high: float


def predict(f: Fit, columns: dict[str, np.ndarray], seed: int = 0) -> list[Prediction]:
    """Predicted loss at new points. The CI covers the law's uncertainty (refits); the
    prediction interval adds one resampled out-of-sample residual (`scatter`) per refit,
    since a single run scatters around the law as the fitted runs did."""
    X = features(f.form, columns)
    centre = np.exp(log_predict(f.theta, X))
    if len(f.boot_thetas) < 2:
        return [Prediction(Interval(float(c), float("nan"), float("nan")), float("nan"), float("nan"))
                for c in centre]
    logb = log_predict(f.boot_thetas, X)  # [B, m]
    rng = np.random.default_rng(f.options.seed + 1)
    noise = rng.choice(f.scatter, size=logb.shape, replace=True)
    q = [(1 - f.options.level) / 2, (1 + f.options.level) / 2]
    with np.errstate(over="ignore"):  # a runaway refit predicts inf: it widens the interval, as it should
        lo, hi = np.quantile(np.exp(logb), q, axis=0)
        plo, phi = np.quantile(np.exp(logb - noise), q, axis=0)
    return [Prediction(Interval(float(c), float(a), float(b)), float(pa), float(pb))
            for c, a, b, pa, pb in zip(centre, lo, hi, plo, phi)]


@dataclass(frozen=True)
class Optimum:
    compute: float
    params: Interval  # N*(C)
    tokens: Interval  # D*(C)
    tokens_per_param: Interval


def optimal_allocation(values: dict[str, np.ndarray], compute: float) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form minimiser of E + A N^-a + B D^-b subject to C = 6 N D."""
    A, B, a, b = values["A"], values["B"], values["alpha"], values["beta"]
    with np.errstate(all="ignore"):
        G = (a * A / (b * B)) ** (1.0 / (a + b))
        n_opt = G * (compute / 6.0) ** (b / (a + b))
        d_opt = (compute / 6.0) ** (a / (a + b)) / G
    return n_opt, d_opt


def compute_optimal(f: Fit, budgets) -> list[Optimum]:
    if f.form.name != "chinchilla":
        return []
    best, boots, lvl = f.values(), f.values(f.boot_thetas), f.options.level
    out = []
    for c in budgets:
        n0, d0 = optimal_allocation(best, float(c))
        nb, db = optimal_allocation(boots, float(c))
        with np.errstate(over="ignore", divide="ignore"):  # a runaway refit's N* of 0 or inf: percentile drops it
            ratios = db / nb
        out.append(Optimum(float(c), percentile(n0, nb, lvl), percentile(d0, db, lvl),
                           percentile(d0 / n0, ratios, lvl)))
    return out
