"""Figures for intuition 4, drawn from a saved scaling result (result.json) alone:
the fitted law and its bootstrap band over the data, iso-FLOP curves, held-out predictions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.colors import LogNorm

from intuitions.fit import powerlaw as pl
from intuitions.plots import new, save

MAIN_AXIS = {"params": "params", "chinchilla": "params", "tokens": "tokens", "compute": "compute"}
LABEL = {"params": "parameters N", "tokens": "tokens D", "compute": "compute C (FLOPs)"}


def _arr(xs) -> np.ndarray:
    return np.array([np.nan if x is None else x for x in xs], float)


def _theta(saved: dict, form: pl.Form) -> np.ndarray:
    """Back to the fit's own coordinates: log of E and the coefficients, exponents as they are."""
    p = saved["params"]
    return np.array([np.log(p[k]["value"]) if k in ("E",) + form.coefs else p[k]["value"]
                     for k in form.names], float)


def _law(theta, boots, form, cols, level):
    X = pl.features(form, cols)
    centre = np.exp(pl.log_predict(theta, X))
    if len(boots) < 2:
        return centre, None, None
    q = [(1 - level) / 2, (1 + level) / 2]
    with np.errstate(over="ignore", invalid="ignore"):  # a runaway refit far out is inf: quantiles cope
        lo, hi = np.quantile(np.exp(pl.log_predict(boots, X)), q, axis=0)
    return centre, lo, hi


MAX_DRAWN = 4000  # points per scatter: 100,000 of them took seconds to draw and show no more


def _drawn(mask: np.ndarray) -> np.ndarray:
    """`mask` thinned to at most MAX_DRAWN points (seeded, so a re-render draws the same)."""
    idx = np.flatnonzero(mask)
    if len(idx) > MAX_DRAWN:
        idx = np.sort(np.random.default_rng(0).choice(idx, MAX_DRAWN, replace=False))
    out = np.zeros_like(mask, dtype=bool)
    out[idx] = True
    return out


def render(saved: dict, out: Path, prefix: str = "") -> list[Path]:
    form = pl.FORMS[saved["form"]]
    pts = {k: _arr(saved["points"][k]) for k in ("params", "tokens", "compute", "loss")}
    held = np.array(saved["points"]["held_out"], bool)
    theta = _theta(saved, form)
    boots = np.array(saved["bootstrap_theta"], float).reshape(-1, form.n_params)
    level = float(saved["settings"].get("level", 0.95))
    made = [_loss_vs_x(saved, form, pts, held, theta, boots, level, out, prefix)]
    if form.name == "chinchilla":
        made.append(_isoflop(form, pts, theta, boots, level, out, prefix))
    if held.any():
        made.append(_heldout(saved, form, pts, held, theta, out, prefix))
    return made


def _loss_vs_x(saved, form, pts, held, theta, boots, level, out, prefix) -> Path:
    var = MAIN_AXIS[form.name]
    x = pts[var]
    fig, axs = new(w=5.6, h=3.8)
    ax = axs[0, 0]
    span = np.geomspace(np.nanmin(x) / 1.5, np.nanmax(x) * 10, 120)
    fit_max = np.nanmax(x[~held])
    colour_d = np.isfinite(pts["tokens"]).all()
    norm = LogNorm(np.nanmin(pts["tokens"]), np.nanmax(pts["tokens"])) if colour_d else None
    if form.name == "chinchilla":
        levels = np.unique(np.quantile(pts["tokens"], [0, 1 / 3, 2 / 3, 1]))
        curves = [({"params": span, "tokens": np.full_like(span, d)}, f"fit, D={d:.2g}", d) for d in levels]
    else:
        curves = [({var: span}, "fit", None)]
    import matplotlib.cm as cm

    for cols, label, d in curves:
        colour = cm.viridis(norm(d)) if d is not None and norm is not None else "black"
        centre, lo, hi = _law(theta, boots, form, cols, level)
        inside = span <= fit_max
        ax.plot(span[inside], centre[inside], color=colour, lw=1.4, label=label)
        ax.plot(span[~inside], centre[~inside], color=colour, lw=1.4, ls="--")
        if lo is not None:
            ax.fill_between(span, lo, hi, color=colour, alpha=0.15, lw=0)
    fitted = _drawn(~held)
    sc_kw = {"c": pts["tokens"][fitted], "cmap": "viridis", "norm": norm} if colour_d else {"color": "C0"}
    sc = ax.scatter(x[fitted], pts["loss"][fitted], s=12, zorder=3, **sc_kw)
    if held.any():
        hk = {"c": pts["tokens"][held], "cmap": "viridis", "norm": norm} if colour_d else {"color": "C3"}
        ax.scatter(x[held], pts["loss"][held], s=40, marker="D", edgecolors="red", linewidths=1.2,
                   zorder=4, label="held out", **hk)
    ax.axvline(fit_max, color="grey", ls=":", lw=1)
    ax.set(xscale="log", xlabel=LABEL[var], ylabel="loss",
           title=f"{form.formula}  (dashed: extrapolation, band: {level:.0%} bootstrap)")
    ax.title.set_fontsize(8)
    if colour_d:
        fig.colorbar(sc, ax=ax, label="tokens D")
    ax.legend(fontsize=7)
    return save(fig, out, f"{prefix}loss_vs_{var}")


def _isoflop(form, pts, theta, boots, level, out, prefix) -> Path:
    fig, axs = new(w=5.6, h=3.8)
    ax = axs[0, 0]
    c = 6 * pts["params"] * pts["tokens"]  # the units the closed-form optimum assumes
    budgets = np.geomspace(np.nanmin(c), np.nanmax(c), 5)
    norm = LogNorm(budgets[0], budgets[-1] * 1.0001)
    import matplotlib.cm as cm

    values = {k: np.exp(theta[i]) if k in ("E",) + form.coefs else theta[i] for i, k in enumerate(form.names)}
    for b in budgets:
        n_opt, _ = pl.optimal_allocation(values, b)
        n = np.geomspace(n_opt / 30, n_opt * 30, 100)
        centre, lo, hi = _law(theta, boots, form, {"params": n, "tokens": b / (6 * n)}, level)
        col = cm.plasma(norm(b))
        ax.plot(n, centre, color=col, lw=1.3, label=f"C={b:.2g}")
        if lo is not None:
            ax.fill_between(n, lo, hi, color=col, alpha=0.12, lw=0)
        best = np.exp(pl.log_predict(theta, pl.features(form, {"params": np.array([n_opt]),
                                                               "tokens": np.array([b / (6 * n_opt)])})))
        ax.scatter([n_opt], best, marker="*", s=70, color=col, edgecolors="black", linewidths=0.5, zorder=4)
    d = _drawn(np.ones(len(c), bool))
    ax.scatter(pts["params"][d], pts["loss"][d], c=c[d], cmap="plasma", norm=norm, s=8, alpha=0.7, zorder=3)
    lo_y, hi_y = np.nanmin(pts["loss"]), np.nanmax(pts["loss"])
    ax.set(xscale="log", ylim=(lo_y * 0.95, hi_y * 1.05), xlabel="parameters N", ylabel="loss",
           title="iso-FLOP curves (C = 6ND) of the fitted L(N,D); ★ = compute-optimal N*(C)")
    ax.title.set_fontsize(8)
    ax.legend(fontsize=6, ncol=2)
    return save(fig, out, f"{prefix}isoflop")


def _heldout(saved, form, pts, held, theta, out, prefix) -> Path:
    fig, axs = new(w=4.4, h=4.0)
    ax = axs[0, 0]
    shown = _drawn(~held)
    fit_cols = {k: pts[k][shown] for k in form.variables}
    fitted = np.exp(pl.log_predict(theta, pl.features(form, fit_cols)))
    ax.scatter(pts["loss"][shown], fitted, s=8, color="grey", alpha=0.6, label="fitted runs")
    pr = saved["predictions"]
    act = _arr([p["actual"] for p in pr])
    pred = _arr([p["predicted"] for p in pr])
    for key, lw, cap in (("pi", 1.0, 3), ("ci", 2.5, 0)):
        lo, hi = _arr([p[f"{key}_low"] for p in pr]), _arr([p[f"{key}_high"] for p in pr])
        if np.isfinite(lo).all():
            ax.errorbar(act, pred, yerr=[pred - lo, hi - pred], fmt="none", ecolor="C3", lw=lw, capsize=cap)
    ax.scatter(act, pred, color="C3", s=25, zorder=4, label="held out (95% CI thick, PI thin)")
    allv = np.concatenate([pts["loss"], pred])
    lim = (np.nanmin(allv) * 0.97, np.nanmax(allv) * 1.03)
    ax.plot(lim, lim, color="black", lw=0.8, ls="--")
    ax.set(xlim=lim, ylim=lim, xlabel="actual loss", ylabel="predicted loss",
           title="predicted vs actual")
    ax.legend(fontsize=7)
    return save(fig, out, f"{prefix}heldout")


def draw(saved: dict, out: Path) -> list[Path]:
    """Each fitted source's figures, prefixed by its name; a bare ScalingResult (the
    `scaling fit` command's) unprefixed."""
    r = saved["result"]
    if "sources" not in r:
        return render(r, out)
    return [p for name, s in r["sources"].items() if s.get("status") != "skipped"
            for p in render(s, out, prefix=f"{name}_")]
