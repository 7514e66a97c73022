import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import check_grad, minimize_scalar

from intuitions import paths, published
from intuitions.errors import BadData
from intuitions.experiments.contract import StepContext
from intuitions.experiments.scaling import core as scaling
from intuitions.fit import powerlaw as pl
from intuitions.verdict import INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTED, SUPPORTED

CHINCHILLA = published.path(published.CHINCHILLA)  # ships with the package
TRUE = {"E": 1.69, "A": 406.4, "alpha": 0.34, "B": 410.7, "beta": 0.28}  # Chinchilla's published law
FAST = pl.FitOptions(bootstrap=60, refine=16)


def law(n, d, p=TRUE):
    return p["E"] + p["A"] * n ** -p["alpha"] + p["B"] * d ** -p["beta"]


def simulate(seed, noise=0.005):
    """An 8×8 design over N and D, multiplicative log-normal noise."""
    rng = np.random.default_rng(seed)
    n, d = np.meshgrid(np.geomspace(1e7, 1e10, 8), np.geomspace(1e8, 1e11, 8))
    n, d = n.ravel(), d.ravel()
    return n, d, law(n, d) * np.exp(rng.normal(0, noise, n.size))


def ladder_frame(seed=0, noise=0.003):
    """The ladder's runs.csv shape (like `quick`): five members, decay branches for two of them,
    and mid-run checkpoints at the stable learning rate (above the law: not decayed)."""
    rng = np.random.default_rng(seed)
    p = {"E": 1.5, "A": 30.0, "alpha": 0.3, "B": 60.0, "beta": 0.25}
    rows = []
    for i, ne in enumerate([2e4, 6e4, 2e5, 6e5, 2e6]):
        runs = [(s, "checkpoint") for s in (7, 100, 1000)] + [(3000, "final")]
        runs += [(750, "branch"), (1500, "branch")] if i in (0, 2) else []
        for step, kind in runs:
            toks = step * 2048
            loss = law(ne, toks, p) * np.exp(rng.normal(0, noise)) * (1.05 if kind == "checkpoint" else 1)
            rows.append({"member": f"m{i}", "step": step, "params": ne + 1e5, "non_embedding_params": ne,
                         "tokens": toks, "flops": 6 * (ne + 1e5) * toks, "loss": loss, "kind": kind,
                         "path": f"m{i}/step{step}"})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- the math


def test_gradient_is_exact():
    n, d, loss = simulate(0)
    X = pl.features(pl.FORMS["chinchilla"], {"params": n, "tokens": d})
    y = np.log(loss)
    w = np.random.default_rng(1).integers(0, 3, y.size).astype(float)
    theta = np.array([0.4, 6.0, 0.3, 6.2, 0.3])
    err = check_grad(lambda t: pl.objective_grad(t, X, y, w, 1e-3)[0],
                     lambda t: pl.objective_grad(t, X, y, w, 1e-3)[1], theta)
    assert err < 1e-5
    # the batched objective (used on the grid) agrees with the single one
    batch = pl.objective_batch(theta[None, :], X, y, 1e-3)[0]
    assert batch == pytest.approx(pl.objective_grad(theta, X, y, np.ones_like(y), 1e-3)[0])


def test_default_grid_is_the_chinchilla_grid():
    assert len(pl.Grid().starts(pl.FORMS["chinchilla"])) == 4500


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovers_known_chinchilla_law(seed):
    n, d, loss = simulate(seed)
    f = pl.fit(pl.FORMS["chinchilla"], {"params": n, "tokens": d}, loss, FAST)
    got = pl.parameters(f)
    assert got["E"].value == pytest.approx(TRUE["E"], rel=0.05)
    assert got["alpha"].value == pytest.approx(TRUE["alpha"], abs=0.03)
    assert got["beta"].value == pytest.approx(TRUE["beta"], abs=0.03)
    assert got["A"].value == pytest.approx(TRUE["A"], rel=0.6)
    assert got["B"].value == pytest.approx(TRUE["B"], rel=0.6)
    for p in got.values():
        assert p.ci_low <= p.value <= p.ci_high
    assert f.r2_log > 0.99 and len(f.boot_thetas) == FAST.bootstrap


@pytest.mark.parametrize("form,var", [("params", "params"), ("compute", "compute"), ("tokens", "tokens")])
def test_recovers_one_variable_laws(form, var):
    rng = np.random.default_rng(3)
    x = np.geomspace(1e6, 1e12, 30)
    loss = (2.0 + 50.0 * x ** -0.2) * np.exp(rng.normal(0, 0.002, x.size))
    f = pl.fit(pl.get_form(form), {var: x}, loss, FAST)
    vals = f.values()
    assert vals["E"] == pytest.approx(2.0, rel=0.05)
    exp_name = pl.FORMS[form].exponents[0]
    assert vals[exp_name] == pytest.approx(0.2, abs=0.02)


def test_too_few_points_is_bad_data():
    with pytest.raises(BadData, match="need at least 6"):
        pl.fit(pl.FORMS["chinchilla"], {"params": np.arange(1, 6.0), "tokens": np.arange(2, 7.0)},
               np.arange(3, 8.0), FAST)


def test_compute_optimal_matches_numerical_minimum():
    vals = {k: np.float64(v) for k, v in TRUE.items()}
    for c in (1e20, 5.76e23):
        n_opt, d_opt = pl.optimal_allocation(vals, c)
        res = minimize_scalar(lambda ln, c=c: law(np.exp(ln), c / (6 * np.exp(ln))), bounds=(5, 40), method="bounded",
                              options={"xatol": 1e-10})
        assert n_opt == pytest.approx(np.exp(res.x), rel=1e-3)
        assert 6 * n_opt * d_opt == pytest.approx(c)


def test_chinchilla_points_fit_like_the_epoch_replication():
    pts = scaling.read_table(CHINCHILLA, pl.FORMS["chinchilla"], exclude_col="epoch_excluded_outlier")
    assert len(pts) == 240
    res = scaling.run(pts, scaling.ScalingRequest("chinchilla", fit=pl.FitOptions(bootstrap=100)))
    p = res.params
    assert set(p) == {"E", "A", "alpha", "B", "beta"}
    for v in p.values():
        assert np.isfinite([v.value, v.ci_low, v.ci_high]).all() and v.ci_low <= v.value <= v.ci_high
    # Besiroglu et al. (2024): E=1.82, A=482, B=2085, alpha=0.35, beta=0.37
    assert p["E"].value == pytest.approx(1.82, abs=0.03)
    assert p["alpha"].value == pytest.approx(0.348, abs=0.01)
    assert p["beta"].value == pytest.approx(0.366, abs=0.01)
    assert p["A"].value == pytest.approx(482, rel=0.15)
    assert p["B"].value == pytest.approx(2085, rel=0.15)
    assert res.fit.n_starts >= 4000
    tpp = res.compute_optimal[0].tokens_per_param
    assert 5 < tpp.value < 40


# ---------------------------------------------------------------- tables, holdout, verdicts


def test_read_table_aliases_and_flops(tmp_path):
    path = tmp_path / "runs.parquet"
    df = pd.DataFrame({"N": [1e6, 2e6, 4e6], "D": [1e8, 1e8, 1e8], "L": [3.0, 2.9, 2.8], "C_flop": [7.0, 8, 9]})
    df.to_parquet(path)
    pts = scaling.read_table(path, pl.FORMS["compute"])
    assert pts.columns == {"params": "N", "tokens": "D", "loss": "L", "flops": "C_flop"}
    np.testing.assert_allclose(pts.compute, [7, 8, 9])  # given FLOPs win over 6ND
    df.drop(columns="C_flop").to_csv(tmp_path / "r.csv", index=False)
    pts = scaling.read_table(tmp_path / "r.csv", pl.FORMS["compute"])
    np.testing.assert_allclose(pts.compute, 6 * df.N * df.D)


def test_holdout_by_member_params_and_compute(tmp_path):
    path = tmp_path / "runs.csv"
    ladder_frame().to_csv(path, index=False)
    assert len(scaling.read_table(path, pl.FORMS["chinchilla"])) == 24
    pts = scaling.read_table(path, pl.FORMS["chinchilla"], kinds=scaling.LADDER_KINDS)
    assert len(pts) == 9  # decayed runs only
    held = scaling.holdout_mask(pts, 2, "auto")
    assert set(np.asarray(pts.member)[held]) == {"m3", "m4"} and held.sum() == 2
    held = scaling.holdout_mask(pts, 1, "params")
    assert held.sum() == 1 and pts.params[held][0] == pts.params.max()
    held = scaling.holdout_mask(pts, 2, "compute")
    assert np.sort(pts.compute[held]).tolist() == np.sort(pts.compute)[-2:].tolist()


def test_ladder_prediction_and_verdict(tmp_path):
    path = tmp_path / "runs.csv"
    ladder_frame().to_csv(path, index=False)
    pts = scaling.read_table(path, pl.FORMS["chinchilla"], scaling.Columns(params="non_embedding_params"),
                             kinds=scaling.LADDER_KINDS)
    res = scaling.run(pts, scaling.ScalingRequest("chinchilla", holdout=1, fit=FAST, floor=1.5))
    assert res.n_fit == 8 and res.n_holdout == 1 and res.predictions[0].member == "m4"
    assert res.settings["bootstrap_by"] == "member" and res.settings["bootstrap_start"].startswith("cold")
    p = res.predictions[0]
    assert p.rel_error < 0.03 and p.pi_low <= p.predicted <= p.pi_high
    assert p.previous == pytest.approx(pts.loss[np.asarray(pts.member) == "m3"][-1])  # m3's final run
    c = res.check
    assert c is not None and c.floor == 1.5 and c.n == 1 and c.allowed_outside == 0
    assert c.law_error < c.previous_error  # the law sees the gain from size that persistence misses
    from intuitions.results import to_jsonable

    saved = {"config": {}, "result": {"sources": {"ladder": to_jsonable(res)}}}
    chk, big = saved["result"]["sources"]["ladder"]["check"], saved["result"]["sources"]["ladder"]["predictions"][0]
    chk.update(law_error=0.01, previous_error=0.1, no_floor_error=0.05, n_outside=0)
    big.update(pi_low=1.0, pi_high=5.0)
    [v] = scaling.verdicts(saved)
    assert v.label == SUPPORTED and "m4" in v.evidence and v.source == "ladder"
    chk.update(no_floor_error=0.01)  # a baseline does as well: not supported
    assert scaling.verdicts(saved)[0].label == NOT_SUPPORTED
    chk.update(no_floor_error=0.05, n_outside=1)  # outside its interval
    assert scaling.verdicts(saved)[0].label == NOT_SUPPORTED
    skipped = {"result": {"sources": {"ladder": {"status": "skipped", "reason": "only 4 points"}}}}
    assert scaling.verdicts(skipped)[0].label == NOT_TESTED
    saved["result"]["sources"]["ladder"]["warnings"] = ["params takes only 2 distinct value(s)"]
    assert scaling.verdicts(saved)[0].label == INCONCLUSIVE


def test_cli_plateau_is_not_supported(tmp_path):
    """Issue 19's done-when: a ladder whose largest member merely repeats the previous
    member's loss must not support 'loss falls predictably'."""
    df = ladder_frame()
    prev = df[(df.member == "m3") & (df.kind == "final")].loss.iloc[0]
    df.loc[(df.member == "m4") & (df.kind == "final"), "loss"] = prev
    root = paths.family_root() / "quick"
    root.mkdir(parents=True)
    df.to_csv(root / "runs.csv", index=False)
    (root / "irreducible.json").write_text(json.dumps({"heldout_floor_per_token": 1.5}))
    out = tmp_path / "out"
    r = _cli("scaling", "fit", "--family", "quick", "--holdout", "1", "--bootstrap", "40", "--refine", "8",
             "--out", str(out))
    assert r.returncode == 0, r.stderr
    doc = json.loads((out / "result.json").read_text())
    [v] = doc["verdicts"]
    assert v["label"] == "not supported at this scale" and v["source"] == "ladder" and v["intuition"] == 4
    assert doc["result"]["check"]["floor"] == 1.5 and doc["result"]["check"]["previous_error"] < 0.01


def test_published_chinchilla_is_a_source_by_default(tmp_path):
    root = paths.family_root() / "smoke"
    root.mkdir(parents=True)
    ladder_frame(seed=1).to_csv(root / "runs.csv", index=False)
    ctx = StepContext(out=tmp_path / "step", preset="smoke", ladder="family:smoke", real_models=(),
                      options={"bootstrap": 20, "refine": 8, "published_bootstrap": 20})
    scaling.report_step(ctx)
    saved = json.loads((ctx.out / "result.json").read_text())
    pub = saved["result"]["sources"]["published"]
    assert pub["n_holdout"] == 24 and pub["settings"]["bootstrap_by"] == "point"
    assert {v["source"] for v in saved["verdicts"]} == {"ladder", "published"}


def test_two_sizes_are_flagged_not_identified(tmp_path):
    df = ladder_frame()
    df = df[df.member.isin(["m0", "m2"])]  # two sizes, like the smoke ladder
    df.to_csv(tmp_path / "runs.csv", index=False)
    pts = scaling.read_table(tmp_path / "runs.csv", pl.FORMS["chinchilla"])
    res = scaling.run(pts, scaling.ScalingRequest("chinchilla", fit=pl.FitOptions(bootstrap=0, refine=8)))
    assert len(res.warnings) == 1 and "alpha is not identified" in res.warnings[0]
    assert res.params["alpha"].value >= 0  # exponents are bounded below by 0


def test_report_step_writes_result_figures_and_verdicts(tmp_path):
    root = paths.family_root() / "smoke"
    root.mkdir(parents=True)
    ladder_frame(seed=1).to_csv(root / "runs.csv", index=False)
    n, d, loss = simulate(4)
    table = tmp_path / "ext.csv"
    pd.DataFrame({"N_params": n, "D_tokens": d, "loss": loss}).to_csv(table, index=False)
    ctx = StepContext(out=tmp_path / "step", preset="smoke", ladder="family:smoke", real_models=(),
                      options={"bootstrap": 20, "refine": 16, "table": str(table), "table_holdout": 4})
    scaling.report_step(ctx)
    saved = json.loads((ctx.out / "result.json").read_text())
    srcs = saved["result"]["sources"]
    assert set(srcs) == {"ladder", "table"}
    assert srcs["ladder"]["settings"]["columns"]["params"] == "non_embedding_params"
    assert (ctx.out / "ladder_loss_vs_params.png").exists() and (ctx.out / "table_heldout.png").exists()
    vs = scaling.verdicts(saved)
    assert [v.intuition for v in vs] == [4, 4] and all(v.rule for v in vs)


# ---------------------------------------------------------------- CLI


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "intuitions.cli", *args], capture_output=True, text=True,
                          timeout=300)


def test_cli_family_fit_writes_result(tmp_path):
    root = paths.family_root() / "quick"
    root.mkdir(parents=True)
    ladder_frame().to_csv(root / "runs.csv", index=False)
    out = tmp_path / "out"
    r = _cli("scaling", "fit", "--family", "quick", "--holdout", "1", "--bootstrap", "30", "--out", str(out),
             "--seed", "3", "--refine", "16")
    assert r.returncode == 0, r.stderr
    doc = json.loads((out / "result.json").read_text())
    res = doc["result"]
    for k in ("E", "A", "B", "alpha", "beta"):
        assert set(res["params"][k]) == {"value", "ci_low", "ci_high"}
    assert res["settings"]["seed"] == 3 and res["settings"]["delta"] == 1e-3 and res["settings"]["n_starts"] == 4500
    assert [p["member"] for p in res["predictions"]] == ["m4"]
    assert res["settings"]["columns"]["params"] == "non_embedding_params"
    assert doc["config"]["kinds"] == ["final", "branch"]
    for name in ("loss_vs_params", "isoflop", "heldout"):
        assert (out / f"{name}.png").stat().st_size > 1000


def _bad_tables(tmp_path) -> dict:
    good = pd.DataFrame({"params": np.geomspace(1e6, 1e9, 8), "tokens": np.geomspace(1e8, 1e10, 8),
                         "loss": np.linspace(4, 2.5, 8)})
    cases = {
        "nocol": good.drop(columns="tokens"),
        "text": good.astype(object).assign(loss=["2.1", "x", 3, 3, 3, 3, 3, 3]),
        "nan": good.assign(loss=[np.nan] + [3.0] * 7),
        "neg": good.assign(tokens=[-5.0] + list(good.tokens[1:])),
        "dup": pd.concat([good, good.iloc[[2]]]),
        "few": good.iloc[:5],
    }
    files = {}
    for k, df in cases.items():
        files[k] = tmp_path / f"{k}.csv"
        df.to_csv(files[k], index=False)
    return files


@pytest.mark.parametrize("case,args,needle", [
    ("nocol", [], "no tokens column"),
    ("text", [], "non-numeric value 'x' in row 2"),
    ("nan", [], "missing (NaN) value in row 1"),
    ("neg", [], "non-positive value -5 in row 1"),
    ("dup", [], "are duplicates"),
    ("few", [], "need at least 6"),
    ("nocol", ["--tokens-col", "toks"], "no column 'toks'"),
    (None, ["/nonexistent/runs.csv"], "no such table"),
    ("few", ["--form", "cubic"], "unknown form"),
    (None, ["--family", "nosuch"], "train it first"),
    ("few", ["--holdout", "9", "--form", "params"], "leaves no point to fit"),
])
def test_bad_tables_one_line_exit_2(tmp_path, case, args, needle):
    files = _bad_tables(tmp_path)
    argv = ["scaling", "fit", *([str(files[case])] if case else []), *args, "--bootstrap", "0"]
    r = _cli(*argv)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], r.stderr


# ---------------------------------------------------------------- hardening (issue 21)


def test_duplicate_rows_name_the_real_pair_as_counted_in_the_file(tmp_path):
    """Rows 1 and 16 are the same run: the message said 'rows 1 and 2' (the first two flagged),
    and after a filter it counted what was left, not the file's rows."""
    n, d, loss = simulate(0)
    df = pd.DataFrame({"params": n[:20], "tokens": d[:20], "loss": loss[:20], "skip": 0})
    df.loc[15, ["params", "tokens", "loss"]] = df.loc[0, ["params", "tokens", "loss"]]
    df.loc[16, ["params", "tokens", "loss"]] = df.loc[1, ["params", "tokens", "loss"]]
    df.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(BadData, match=r"rows 1 and 16 are duplicates"):
        scaling.read_table(tmp_path / "t.csv", pl.FORMS["chinchilla"])
    df.loc[0, "skip"] = 1  # now rows 2 and 17 are the pair, in the file's numbering
    df.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(BadData, match=r"rows 2 and 17 are duplicates"):
        scaling.read_table(tmp_path / "t.csv", pl.FORMS["chinchilla"], exclude_col="skip")


def test_large_tables_fit_on_a_subsample_then_polish_to_the_full_optimum():
    """Past `subsample` points the grid is scored and refined on a subsample and the best
    solutions are polished on every point: the same optimum as the full multi-start."""
    rng = np.random.default_rng(3)
    n = np.exp(rng.uniform(np.log(1e7), np.log(1e10), 1500))
    d = np.exp(rng.uniform(np.log(1e8), np.log(1e11), 1500))
    loss = law(n, d) * np.exp(rng.normal(0, 0.01, n.size))
    cols = {"params": n, "tokens": d}
    full = pl.fit(pl.FORMS["chinchilla"], cols, loss, pl.FitOptions(bootstrap=0, refine=16))
    sub = pl.fit(pl.FORMS["chinchilla"], cols, loss, pl.FitOptions(bootstrap=0, refine=16, subsample=300))
    assert abs(sub.objective - full.objective) <= 1e-9 * max(1.0, full.objective)
    np.testing.assert_allclose(sub.theta, full.theta, rtol=1e-4, atol=1e-5)


def test_small_tables_keep_their_fit_and_bootstrap():
    opts = pl.FitOptions()
    assert pl.n_refits(240, opts) == 1000 and pl.n_refits(10_000, opts) == 1000
    assert pl.n_refits(100_000, opts) == 100  # the work cap: 58 s on two cores (benchmarks/scaling_fit.py)
    assert pl.n_refits(100_000, pl.FitOptions(bootstrap=50)) == 50


def test_scaling_figures_do_not_warn_on_runaway_refits(tmp_path):
    """A bootstrap row with a huge coefficient overflowed np.exp in the band (a RuntimeWarning
    leaked into every run's output); the quantiles cope with inf, so it is silenced there."""
    import warnings

    from intuitions.experiments.scaling.figures import _law

    form = pl.FORMS["chinchilla"]
    theta = np.log([1.69, 406.4, 1, 410.7, 1])
    theta[[2, 4]] = [0.34, 0.28]
    boots = np.vstack([theta, theta, theta + np.array([0, 800, 0, 0, 0])])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        centre, lo, hi = _law(theta, boots, form, {"params": np.array([1e3]), "tokens": np.array([1e9])}, 0.95)
    assert np.isfinite(centre).all() and lo is not None
