"""Wall time of the Chinchilla L(N,D) fit as intuitions does it, against the plain way.

    .venv/bin/python benchmarks/scaling_fit.py [--bootstrap 1000] [--naive-sample 60]
                                               [--large 100000] [--large-bootstrap]

ours:   4,500 grid starts scored in one vectorised pass, the best 64 refined by L-BFGS-B with
        an analytic gradient; 1,000 bootstrap refits warm-started from the best fit.
naive:  what a notebook replication does: L-BFGS-B from every grid start with scipy's
        finite-difference gradient (scipy.special.logsumexp + huber objective); bootstrap
        refits from the single published initial guess, also with finite differences.
        Timed on a random sample of starts / refits and extrapolated (stated as such).
Both run with BLAS pinned to one thread, so the ratio is the algorithm, not thread contention
(threaded OpenBLAS inside L-BFGS-B alone cost 30x on this shared 2-core machine).

Large tables (--large N, default 100,000; 0 skips): `intuitions scaling fit` end to end on N
simulated rows in a child process (read, fit, result.json, figures), wall seconds and peak RSS,
against the issue's targets (10 s and 1 GB without a bootstrap; about a minute with the default
bootstrap, timed with --large-bootstrap).

Data: the Epoch extract of Chinchilla's points (outliers dropped) when present beside the
repository, else 240 points simulated from Chinchilla's published law."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.special import huber, logsumexp

from intuitions import published
from intuitions.fit import powerlaw as pl

DATA = published.ROOT / published.CHINCHILLA


def load() -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
    if DATA.exists():
        import pandas as pd

        d = pd.read_csv(DATA)
        d = d[d.epoch_excluded_outlier == 0]
        return "Epoch's Chinchilla points", d.N_params.to_numpy(), d.D_tokens.to_numpy(), d.loss.to_numpy()
    rng = np.random.default_rng(0)
    n, d = np.exp(rng.uniform(np.log(5e7), np.log(1.6e10), 240)), np.exp(rng.uniform(np.log(2e8), np.log(3e11), 240))
    loss = (1.69 + 406.4 * n ** -0.34 + 410.7 * d ** -0.28) * np.exp(rng.normal(0, 0.01, 240))
    return "240 simulated points (external data absent)", n, d, loss


def naive_objective(theta, logn, logd, logl, delta=1e-3):
    e, a, alpha, b, beta = theta
    pred = logsumexp([a - alpha * logn, b - beta * logd, np.full_like(logn, e)], axis=0)
    return huber(delta, pred - logl).sum()


CPU = {}


def timed(fn):
    """Wall seconds (returned) and process CPU seconds (kept in CPU[fn]): on a shared machine
    the CPU time is the fairer number, so both are printed."""
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    CPU["last"] = time.process_time() - c
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--naive-sample", type=int, default=40)
    ap.add_argument("--large", type=int, default=100_000)
    ap.add_argument("--large-bootstrap", action="store_true")
    args = ap.parse_args()
    if args.large:
        large(args.large, args.large_bootstrap)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        run(args)


def run(args) -> None:
    name, n, d, loss = load()
    form = pl.FORMS["chinchilla"]
    cols = {"params": n, "tokens": d}
    print(f"data: {name}, {len(loss)} points; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    opts = pl.FitOptions(bootstrap=0)
    fit_times = []
    for _ in range(3):
        t, f = timed(lambda: pl.fit(form, cols, loss, opts))
        fit_times.append((t, CPU["last"]))
    t_fit, c_fit = (float(np.median([x[i] for x in fit_times])) for i in (0, 1))
    v = f.values()
    print(f"ours  multi-start fit: {f.n_starts} starts, {f.n_refined} refined: {t_fit:.2f} s wall, "
          f"{c_fit:.2f} s CPU (median of 3) -> "
          f"E={v['E']:.4f} A={v['A']:.1f} alpha={v['alpha']:.4f} B={v['B']:.1f} beta={v['beta']:.4f} "
          f"objective {f.objective:.6g}")

    X, y = pl.features(form, cols), np.log(loss)
    bopts = pl.FitOptions(bootstrap=args.bootstrap)
    t_boot, boots = timed(lambda: pl.bootstrap(X, y, f.theta, bopts))
    c_boot = CPU["last"]
    print(f"ours  bootstrap: {args.bootstrap} refits ({len(boots)} finite) in {t_boot:.2f} s wall, {c_boot:.2f} s CPU "
          f"({1e3 * t_boot / max(1, args.bootstrap):.1f} ms each)")

    rng = np.random.default_rng(0)
    starts = opts.grid.starts(form)
    sample = rng.choice(len(starts), size=min(args.naive_sample, len(starts)), replace=False)
    logn, logd = np.log(n), np.log(d)

    def naive_fit():
        best = None
        for i in sample:
            r = minimize(naive_objective, starts[i], args=(logn, logd, y), method="L-BFGS-B")
            best = r if best is None or r.fun < best.fun else best
        return best

    t_naive, nb = timed(naive_fit)
    scale = len(starts) / len(sample)
    t_naive_all, c_naive_all = t_naive * scale, CPU["last"] * scale
    print(f"naive multi-start fit: {len(sample)} starts in {t_naive:.2f} s -> {t_naive_all:.0f} s wall, "
          f"{c_naive_all:.0f} s CPU extrapolated to {len(starts)} starts (best of sample: objective {nb.fun:.6g}); "
          f"ours is {t_naive_all / t_fit:.0f}x faster (wall), {c_naive_all / c_fit:.0f}x (CPU)")

    k = min(30, args.bootstrap) or 30
    x0 = np.array([0.0, 5.0, 0.5, 5.0, 0.5])  # a single fixed start per refit, as a notebook would

    def naive_boot():
        for _ in range(k):
            idx = rng.integers(0, len(y), len(y))
            minimize(naive_objective, x0, args=(logn[idx], logd[idx], y[idx]), method="L-BFGS-B")

    t_nb, _ = timed(naive_boot)
    scale = max(1, args.bootstrap) / k
    t_nb_all, c_nb_all = t_nb * scale, CPU["last"] * scale
    print(f"naive bootstrap: {k} refits in {t_nb:.2f} s -> {t_nb_all:.0f} s wall, {c_nb_all:.0f} s CPU extrapolated "
          f"to {args.bootstrap}; ours is {t_nb_all / t_boot:.1f}x faster (wall), {c_nb_all / c_boot:.1f}x (CPU)")


def large(rows: int, with_bootstrap: bool) -> None:
    import resource
    import subprocess
    import sys
    import tempfile

    import pandas as pd

    rng = np.random.default_rng(0)
    n = np.exp(rng.uniform(np.log(5e7), np.log(1.6e10), rows))
    d = np.exp(rng.uniform(np.log(2e8), np.log(3e11), rows))
    loss = (1.69 + 406.4 * n ** -0.34 + 410.7 * d ** -0.28) * np.exp(rng.normal(0, 0.01, rows))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "runs.csv"
        pd.DataFrame({"params": n, "tokens": d, "loss": loss}).to_csv(path, index=False)
        for boot, target in [(0, 10.0)] + ([(1000, 60.0)] if with_bootstrap else []):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            p = subprocess.run([sys.executable, "-m", "intuitions.cli", "scaling", "fit", str(path), "--bootstrap",
                                str(boot), "--out", str(Path(tmp) / f"out{boot}")], capture_output=True, text=True)
            wall = time.perf_counter() - t
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            status = "ok" if p.returncode == 0 else f"exit {p.returncode}: {p.stderr.strip()[-200:]}"
            print(f"large table: {rows:,} rows, --bootstrap {boot}: {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS "
                  f"{after.ru_maxrss / 2**20:.2f} GB ({status}); {wall / target:.2f}x the {target:.0f} s target; "
                  f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
