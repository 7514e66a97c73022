"""Emergence (intuition 5): measures on synthetic shapes, readers, the ladder step, the CLI."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from intuitions import published
from intuitions.errors import UserError
from intuitions.experiments.emergence import core as exp
from intuitions.experiments.emergence import readers as eio
from intuitions.experiments.emergence.measures import Options, Rule, bigbench_measures, higher_is_better, metric_kind
from intuitions.fit import sigmoid as sf

EXTERNAL = published.ROOT  # the published tables ship with the package
SCALES = np.logspace(6, 10, 9)  # one grid step = 0.5 decade
GRID = np.arange(9)


def _rows(task, metric, values, scales=SCALES, se=0.01, chance=0.25, family=""):
    return [dict(family=family, model=f"{family}m{i}", params=float(s), task=task, metric=metric, value=float(v),
                 stderr=se, chance=chance) for i, (s, v) in enumerate(zip(scales, values))]


def _shapes(seed: int, mid: float = 6.5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    noise = lambda: rng.normal(0, 0.01, len(GRID))  # noqa: E731
    rows = (_rows("linear", "acc", 0.25 + 0.08 * GRID + noise())
            + _rows("sharp", "acc", 0.25 + 0.7 / (1 + np.exp(-6 * (GRID - mid))) + noise())
            + _rows("flat", "acc", 0.25 + noise()))
    return pd.DataFrame(rows)


def _analyze(df: pd.DataFrame, tmp_path: Path, opts: Options | None = None, name="t.csv", **spec):
    path = tmp_path / name
    df.to_csv(path, index=False)
    return exp.analyze(eio.load(eio.TableSpec(path=str(path), **spec)), opts)


def _task(a, name):
    return next(t for t in a.tasks if t.task == name)


# -- the measures ---------------------------------------------------------------------------

def test_bigbench_measures_by_hand():
    m = bigbench_measures([0, 1, 1, 3])  # z = 1, 0, 2; I = +3
    assert m.improvement == 3
    assert m.linearity == pytest.approx(3 / math.sqrt(5 / 3))
    assert m.breakthroughness == pytest.approx(3.0)
    line = bigbench_measures(np.arange(6) * 0.1)
    assert line.linearity == pytest.approx(5) and line.breakthroughness == pytest.approx(5)
    assert line.sharpness == pytest.approx(1)
    step = bigbench_measures([0, 0, 0, 0, 1, 1, 1])
    assert math.isinf(step.breakthroughness) and step.linearity == pytest.approx(math.sqrt(6))
    down = bigbench_measures([3, 2, 1])
    assert down.improvement == -2 and down.linearity < 0
    assert bigbench_measures([0.5, 0.5, 0.5]).linearity == 0


def test_metric_vocabulary():
    o = Options()
    assert metric_kind("exact_match", o) == "discontinuous" and metric_kind("choice_accuracy", o) == "discontinuous"
    assert metric_kind("answer_logprob", o) == "continuous" and metric_kind("per_token_accuracy", o) == "continuous"
    assert metric_kind("edit_distance", o) == "continuous" and metric_kind("exact_match_accuracy", o) == "discontinuous"
    assert not higher_is_better("loss", o) and not higher_is_better("edit_distance", o)
    assert higher_is_better("answer_logprob", o) and higher_is_better("acc", o)
    assert not higher_is_better("calibration_multiple_choice_brier_score", o) and not higher_is_better("log_ppl", o)
    assert metric_kind("x", Options(discontinuous=("x",))) == "discontinuous"


@pytest.mark.parametrize("seed", range(5))
def test_known_shapes(seed, tmp_path):
    a = _analyze(_shapes(seed), tmp_path)
    lin, sharp, flat = _task(a, "linear"), _task(a, "sharp"), _task(a, "flat")
    n_steps = len(SCALES) - 1
    assert lin.linearity > 0.8 * n_steps and not lin.emergent  # a straight line: linearity ~ n - 1
    assert sharp.emergent and all(sharp.criteria.values())
    # the sigmoid's midpoint lies at grid 6.5: the first size clearly above chance is within a step of it
    assert abs(math.log10(sharp.emergence_scale) - (6 + 6.5 * 0.5)) <= 0.5 + 1e-9
    lo, hi = sharp.extrapolation_surprise_ci
    assert lo > 0 and lo <= sharp.extrapolation_surprise <= hi
    assert not flat.emergent and flat.emergence_scale is None and abs(flat.linearity) < 0.5 * n_steps
    assert a.emergent_tasks == ["sharp"] and a.ranking[0] == "sharp"


def test_immaterial_jumps_are_not_emergent(tmp_path):
    step = 1 / (1 + np.exp(-10 * (GRID - 6.5)))
    df = pd.DataFrame(_rows("tiny", "exact_match", 0.005 * step, chance=0.0, se=1e-4)  # 0 -> 0.5%
                      + _rows("ceiling", "acc", 0.91 + 0.06 * step, chance=np.nan, se=1e-3))  # 91% -> 97%
    a = _analyze(df, tmp_path)
    for name in ("tiny", "ceiling"):
        t = _task(a, name)
        assert t.criteria["concentrated"] and t.criteria["unpredicted"]  # sharp and significant...
        assert not t.criteria["improves"] and not t.emergent  # ...but less than 10% of the score's range
    assert _task(_analyze(df, tmp_path, Options(rule=Rule(min_rise=0.001)), name="r.csv"), "tiny").emergent


def test_lower_is_better_and_sigmoid_fit(tmp_path):
    rng = np.random.default_rng(1)
    err = 0.75 - 0.75 / (1 + np.exp(-6 * (GRID - 6.5))) + rng.normal(0, 0.01, 9)  # an error rate that drops
    df = pd.DataFrame(_rows("err", "error", err, chance=0.75))
    t = _task(_analyze(df, tmp_path, Options(discontinuous=("error",))), "err")
    assert t.improvement > 0 and t.emergent  # oriented: a falling error rate is improvement
    assert t.metrics[0].extrapolation.best.predicted == pytest.approx(0.75, abs=0.02)  # raw units
    # A sigmoid fitted to flat small models cannot rule out a rise right after them: its profile
    # band spans chance to perfect, so the miss is not significant and the call is withheld.
    t = _task(_analyze(df, tmp_path, Options(rule=Rule(fit="sigmoid"), discontinuous=("error",))), "err")
    ex = t.metrics[0].extrapolation
    assert ex.fit == "sigmoid" and not t.criteria["unpredicted"] and not t.emergent
    assert ex.best.ci_low < 0 < ex.best.ci_high
    # Once the small models show the start of the rise, the sigmoid extrapolates it correctly.
    t = _task(_analyze(df, tmp_path, Options(rule=Rule(fit="sigmoid", cutoff=SCALES[7] * 1.01),
                                            discontinuous=("error",))), "err")
    p = t.metrics[0].extrapolation.points[0]
    assert p.ci_low <= 0 <= p.ci_high and abs(p.surprise) < 0.1


def test_mirage_and_two_step(tmp_path):
    """exact match is a hard threshold on a smoothly improving log-prob: the jump is the metric's."""
    loss = 4.0 * (SCALES / 1e6) ** -0.12
    logprob = -loss
    em = 1 / (1 + np.exp(-8 * (1.9 - loss)))  # emerges late, driven by the same loss
    df = pd.DataFrame(_rows("t", "exact_match", em, chance=0.0, se=0.005)
                      + _rows("t", "answer_logprob", logprob, chance=np.nan, se=0.005)
                      + _rows("t", "loss", loss, chance=np.nan, se=0.005))
    a = _analyze(df, tmp_path)
    t = _task(a, "t")
    assert t.metric == "exact_match" and t.emergent
    assert t.mirage.discontinuous_jumps and t.mirage.jump_persists is False
    assert set(t.mirage.continuous) == {"answer_logprob", "loss"}
    ts = t.two_step
    assert ts is not None and ts.loss_metric in ("answer_logprob", "loss") and ts.points
    assert ts.direct_mae > 0.2  # straight extrapolation of accuracy misses the jump
    assert a.overall_loss is not None and a.overall_loss.smooth


def test_two_step_beats_direct_once_the_rise_has_begun(tmp_path):
    """Accuracy is a sigmoid of a power-law loss. Fitted on sizes where accuracy has started
    to move, the two-step route predicts the larger sizes; a straight line in log-scale cannot."""
    loss = 4.0 * (SCALES / 1e6) ** -0.12
    em = 1 / (1 + np.exp(-8 * (1.9 - loss)))
    df = pd.DataFrame(_rows("t", "exact_match", em, chance=0.0, se=0.005)
                      + _rows("t", "loss", loss, chance=np.nan, se=0.005))
    ts = _task(_analyze(df, tmp_path, Options(rule=Rule(cutoff=SCALES[5] * 1.01))), "t").two_step
    assert ts.identified and ts.n_fit == 6 and len(ts.points) == 3
    assert ts.two_step_mae < 0.01 < 0.3 < ts.direct_mae and ts.better == "two-step"
    assert ts.power_law["b"] == pytest.approx(0.12, abs=1e-3)
    flat = _task(_analyze(df, tmp_path, Options(rule=Rule(cutoff=SCALES[3] * 1.01)), name="f.csv"), "t").two_step
    assert not flat.identified and flat.better == "n/a"  # small models all at 0: the link is a guess


def test_mirage_when_continuous_also_jumps(tmp_path):
    step = 1 / (1 + np.exp(-10 * (GRID - 6.5)))
    df = pd.DataFrame(_rows("t", "exact_match", 0.7 * step, chance=0.0)
                      + _rows("t", "answer_logprob", -5 + 4 * step, chance=np.nan, se=0.01))
    t = _task(_analyze(df, tmp_path), "t")
    assert t.mirage.jump_persists is True


def test_family_grouping_and_bins(tmp_path):
    rng = np.random.default_rng(2)
    sharp = 0.25 + 0.7 / (1 + np.exp(-6 * (GRID - 6.5))) + rng.normal(0, .01, 9)
    df = pd.DataFrame(_rows("sharp", "acc", sharp, family="A")
                      + _rows("sharp", "acc", 0.25 + 0.03 * GRID + rng.normal(0, .01, 9), family="B"))
    a = _analyze(df, tmp_path, family_col="family")
    assert {(t.family, t.emergent) for t in a.tasks} == {("A", True), ("B", False)}
    pooled = _analyze(df.drop(columns="family"), tmp_path, Options(bins=5), name="p.csv")
    assert pooled.tasks[0].n_sizes == 5


# -- fits -----------------------------------------------------------------------------------

def test_fits_recover_parameters():
    x = np.linspace(0, 4, 9)
    line = sf.fit_line(x, 1 + 2 * x + np.random.default_rng(0).normal(0, 0.01, 9))
    assert line.slope == pytest.approx(2, abs=0.02) and line.dof == 7
    pred = line.predict([10.0])
    assert pred.se[0] > line.predict([2.0]).se[0]  # further out, less certain
    s = sf.fit_sigmoid(x, sf.sigmoid(x, 2.5, 3.0, 0.25, 1.0), floor=0.25, ceiling=1.0)
    assert s.x0 == pytest.approx(2.5, abs=1e-3) and s.k == pytest.approx(3.0, rel=1e-3)
    p = sf.fit_power_law([1e6, 1e7, 1e8], [4.0, 3.0, 2.25])
    assert p.b == pytest.approx(math.log10(4 / 3)) and p.predict([1e9]).mean[0] == pytest.approx(1.6875)


# -- readers --------------------------------------------------------------------------------

def test_wide_table_splits_metric_suffix(tmp_path):
    df = pd.DataFrame({"model": [f"m{i}" for i in range(5)], "params_B": [0.1, 0.3, 1, 3, 10],
                       "tokens_T": [1] * 5, "ipa_2_exact_match": [0, 0, 0.01, 0.3, 0.5],
                       "ipa_2_bleu": [0.1, 0.15, 0.2, 0.3, 0.4], "arith_acc": [0, 0, 0.02, 0.5, 0.9]})
    df.to_csv(tmp_path / "w.csv", index=False)
    frame = eio.load(eio.TableSpec(path=str(tmp_path / "w.csv"), wide=True)).frame
    assert set(zip(frame.task, frame.metric)) == {("ipa_2", "exact_match"), ("ipa_2", "bleu"), ("arith", "acc")}
    assert frame.scale.max() == 10


def test_bigbench_and_lm_eval_json(tmp_path):
    sizes = {"2m": 2e6, "16m": 1.6e7, "125m": 1.25e8, "1b": 1e9, "8b": 8e9}
    acc = [0.25, 0.25, 0.26, 0.7, 0.9]
    bb = tmp_path / "bb" / "toy_task" / "results"
    bb.mkdir(parents=True)
    for (name, n), a in zip(sizes.items(), acc):
        doc = {"model": {"model_family": "BIG-G T=0", "model_name": name, "non_embedding_params": n,
                         "total_params": n * 1.2},
               "scores": [{"preferred_score": "multiple_choice_grade", "number_of_shots": k, "low_score": 0.25,
                           "high_score": 1.0, "subtask_description": "toy_task",
                           "score_dict": {"multiple_choice_grade": a,
                                          "calibration_multiple_choice_brier_score": 0.3 - a / 4}}
                          for k in (0, 1)],
               "task": {"task_name": "toy_task"}}
        (bb / f"scores_BIG-G_{name}.json").write_text(json.dumps(doc))
    loaded = eio.load(eio.TableSpec(path=str(tmp_path / "bb")))
    assert loaded.kind == "bigbench" and any("shots" in n for n in loaded.notes)
    t = exp.analyze(loaded).tasks[0]
    assert t.metric == "multiple_choice_grade" and t.chance == 0.25 and t.family == "BIG-G T=0"

    lm = tmp_path / "lm"
    lm.mkdir()
    for name, a in zip(sizes, acc):
        doc = {"results": {"toy": {"alias": "toy", "acc,none": a, "acc_stderr,none": 0.01, "acc_norm,none": a,
                                   "acc_norm_stderr,none": "N/A"}},
               "n-shot": {"toy": 0}, "config": {"model_args": f"pretrained=org/toy-{name}"}}
        (lm / f"results_{name}.json").write_text(json.dumps(doc))
    frame = eio.load(eio.TableSpec(path=str(lm))).frame
    assert sorted(frame.scale.unique()) == sorted(sizes.values())  # sizes parsed from the model names
    assert frame.loc[frame.metric == "acc", "stderr"].eq(0.01).all()
    with pytest.raises(UserError, match="--scales"):
        (lm / "results_x.json").write_text(json.dumps({"results": {"toy": {"acc": 0.5}}, "model_name": "mystery"}))
        eio.load(eio.TableSpec(path=str(lm)))


def test_scale_from_name():
    assert eio.scale_from_name("pythia-160m") == 1.6e8
    assert eio.scale_from_name("models--llama/13B") == 1.3e10
    assert math.isnan(eio.scale_from_name("gpt2"))


# -- the ladder and the main-job step -------------------------------------------------------

def _ladder_evals(params, jump: bool = True, overall_row: bool = False, logprob_jumps: bool = False) -> pd.DataFrame:
    """The shape of family/<preset>/evals.csv: a mid-run checkpoint, a decayed branch and the
    final model per member; only final rows carry the accuracies the test is about."""
    rng = np.random.default_rng(0)
    rows = []
    g = np.arange(len(params), dtype=float)
    tasks = {"copy": 0.1 + 0.15 * g, "flat": np.full(len(g), 0.1),
             "arith": (0.02 + 0.9 / (1 + np.exp(-8 * (g - (len(g) - 1.5))))) if jump else 0.02 + 0 * g}
    for i, p in enumerate(params):
        for step, kind in ((500, "checkpoint"), (500, "branch"), (1000, "final")):
            final = kind == "final"
            common = dict(member=f"s{i}", step=step, params=p, non_embedding_params=p * 0.8, tokens=1e6 * step,
                          flops=6 * p * 1e6 * step, n=500, kind=kind)
            loss = 3.0 * (p / 1e5) ** -0.1 + (0 if final else 1)
            for task, acc in tasks.items():
                a = float(np.clip(acc[i] + rng.normal(0, 0.005), 0, 1)) if final else 0.0
                lp = -loss - (8 * (1 - a) if logprob_jumps and task == "arith" else 0)
                for metric, v, se, ch in (("exact_match", a, 0.01, 0.0), ("choice_accuracy", max(a, 0.25), 0.01, 0.25),
                                          ("answer_logprob", lp, 0.01, -20.0), ("loss", loss, 0.005, 6.9)):
                    rows.append(dict(common, task=task, metric=metric, value=v, stderr=se, chance=ch))
            if overall_row:
                rows.append(dict(common, task="all", metric="loss", value=loss, stderr=0.005, chance=6.9))
    return pd.DataFrame(rows)


def _write_ladder(df: pd.DataFrame, preset="quick") -> Path:
    path = eio.ladder_path(preset)
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False)
    return path


def _step(tmp_path, options=None):
    from intuitions.experiments.contract import StepContext
    from intuitions.results import read_result

    options = {"published": False, **(options or {})}
    ctx = StepContext(out=tmp_path / "step", preset="quick", ladder="family:quick", real_models=(), options=options)
    exp.report_step(ctx)
    saved = read_result(ctx.out)
    assert [v.label for v in exp.verdicts(saved)] == [v["label"] for v in saved["verdicts"]]  # stored beside
    return saved, [v for v in exp.verdicts(saved) if v.source == "ladder"]


def test_ladder_step_supported(tmp_path):
    _write_ladder(_ladder_evals([1e5, 2e5, 4e5, 8e5, 1.6e6, 3.2e6], logprob_jumps=True))
    saved, (v,) = _step(tmp_path)
    r = saved["result"]
    assert r["n_sizes"] == 6 and r["emergent_tasks"] == ["arith"]
    assert r["overall_loss"]["smooth"] and "mean loss" in r["overall_loss"]["source"]
    assert v.intuition == 5 and v.label == "supported" and "arith" in v.evidence
    assert "min" not in v.rule or "2" in v.rule  # the rule states its thresholds
    assert (tmp_path / "step" / "emergence_grid.png").exists()
    assert (tmp_path / "step" / "emergence_scatter.png").exists()
    assert (tmp_path / "step" / "emergence_metrics.png").exists()
    arith = next(t for t in r["tasks"] if t["task"] == "arith")
    assert arith["mirage"]["jump_persists"] is True and arith["metric_only"] is False
    # The same jump in exact match while answer_logprob improves smoothly: emergent in exact match only.
    _write_ladder(_ladder_evals([1e5, 2e5, 4e5, 8e5, 1.6e6, 3.2e6]))
    saved, (v,) = _step(tmp_path)
    arith = next(t for t in saved["result"]["tasks"] if t["task"] == "arith")
    assert arith["emergent"] and arith["metric_only"] is True and saved["result"]["emergent_tasks"] == []
    assert v.label == "not supported at this scale" and "in exact match only" in v.evidence


def test_ladder_step_not_supported_and_inconclusive(tmp_path):
    _write_ladder(_ladder_evals([1e5, 2e5, 4e5, 8e5, 1.6e6], jump=False, overall_row=True))
    saved, (v,) = _step(tmp_path)
    assert saved["result"]["overall_loss"]["source"] == "overall loss row"
    assert v.label == "not supported at this scale"
    _write_ladder(_ladder_evals([1e5, 2e5, 4e5]))
    _, (v,) = _step(tmp_path)
    assert v.label == "not tested" and "3 sizes" in v.evidence
    _write_ladder(_ladder_evals([1e5, 2e5]))  # the smoke ladder: too few sizes for any trend
    saved, (v,) = _step(tmp_path)
    assert v.label == "not tested" and saved["result"]["tasks"] == [] and saved["result"]["n_sizes"] == 2


def test_ladder_checkpoints_as_points():
    _write_ladder(_ladder_evals([1e5, 2e5, 4e5, 8e5]))
    final = eio.load_ladder("quick")
    assert final.frame.model.nunique() == 4 and set(final.frame.task) >= {"copy", "arith"}
    every = eio.load_ladder("quick", all_checkpoints=True)
    assert every.frame.model.nunique() == 12 and any(m.endswith("/branch@500") for m in every.frame.model)
    assert every.frame.scale.max() == 6 * 8e5 * 1e6 * 1000  # compute is the axis across checkpoints


def test_ladder_step_with_external_table(tmp_path):
    _write_ladder(_ladder_evals([1e5, 2e5, 4e5, 8e5, 1.6e6, 3.2e6]))
    table = tmp_path / "ext.csv"
    _shapes(0).to_csv(table, index=False)
    saved, (v,) = _step(tmp_path, {"tables": [{"path": str(table), "name": "synthetic"}], "min_sharpness": 2.5})
    ext = saved["result"]["external"]
    assert ext[0]["source"] == "synthetic" and "sharp" in ext[0]["emergent_tasks"]
    [pub] = [w for w in exp.verdicts(saved) if w.source == "published"]
    assert saved["result"]["rule"]["min_sharpness"] == 2.5 and "synthetic: 9 sizes" in pub.evidence
    assert (tmp_path / "step" / "external1_emergence_grid.png").exists()


def test_missing_ladder_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="train it first"):
        eio.load_ladder("nope")


# -- the CLI --------------------------------------------------------------------------------

def _cli(args, capsys):
    from intuitions.cli import main

    with pytest.raises(SystemExit) as e:
        main(args)
    return e.value.code, capsys.readouterr()


def test_cli_writes_result(tmp_path, capsys):
    _shapes(3).to_csv(tmp_path / "t.csv", index=False)
    from intuitions.cli import main

    main(["emergence", str(tmp_path / "t.csv"), "--scale-col", "params", "--out", str(tmp_path / "o")])
    out = capsys.readouterr().out
    assert "emergent: sharp" in out
    doc = json.loads((tmp_path / "o" / "result.json").read_text())
    r = doc["result"]
    for t in r["tasks"]:
        for key in ("task", "linearity", "breakthroughness", "emergence_scale", "extrapolation_surprise",
                    "extrapolation_surprise_ci", "emergent", "criteria"):
            assert key in t
    assert r["rule"]["min_sharpness"] == 2.0 and "emergent" in r["rule_text"]
    assert (tmp_path / "o" / "emergence_grid.png").exists()


@pytest.mark.parametrize("args, message", [
    (["{d}/missing.csv"], "no such file"),
    (["{d}/t.csv", "--scale-col", "flops"], "no scale column 'flops'"),
    (["{d}/t.csv", "--task-col", "nope"], "no task"),
    (["{d}/text.csv"], "non-numeric"),
    (["{d}/dup.csv"], "repeat a model/task/metric"),
    (["{d}/t.csv", "--where", "junk"], "--where wants"),
    (["{d}/t.csv", "--where", "task=none"], "no rows left"),
    (["{d}/zero.csv"], "scales must be positive"),
    (["{d}/empty.csv"], "cannot read"),
    (["{d}/short.csv"], "at least 3 sizes"),
    (["{d}/t.csv", "--fit", "cubic"], "--fit must be"),
    (["{d}/t.csv", "--chance", "a=b"], "--chance wants"),
    (["{d}/t.csv", "--min-below", "-1"], "--min-below must be >= 0"),
    (["{d}/t.csv", "--bins", "1"], "--bins must be at least 3"),
    (["{d}/t.csv", "--family", "quick"], "exactly one"),
    (["{d}/bad.json"], "neither BIG-bench"),
])
def test_bad_input_one_line(tmp_path, capsys, args, message):
    base = _shapes(0)
    base.to_csv(tmp_path / "t.csv", index=False)
    base.assign(value=["x"] + list(base.value[1:])).to_csv(tmp_path / "text.csv", index=False)
    pd.concat([base, base.iloc[:1]]).to_csv(tmp_path / "dup.csv", index=False)
    base.assign(params=0.0).to_csv(tmp_path / "zero.csv", index=False)
    base.iloc[:2].to_csv(tmp_path / "short.csv", index=False)
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "bad.json").write_text('{"hello": 1}')
    code, cap = _cli(["emergence"] + [a.format(d=tmp_path) for a in args], capsys)
    assert code == 2
    err = cap.err.strip()
    assert err.startswith("error:") and "\n" not in err and message in err and "Traceback" not in err


def test_bad_table_subprocess(tmp_path):
    (tmp_path / "t.csv").write_text("model,params,task,value\nm1,abc,t,0.5\n")
    p = subprocess.run([sys.executable, "-m", "intuitions.cli", "emergence", str(tmp_path / "t.csv")],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    assert p.stderr.strip().count("\n") == 0 and "non-numeric" in p.stderr and "Traceback" not in p.stderr


# -- the published tables (shipped in src/intuitions/data/published) ----------------------

def _external(name):
    return str(published.path(name))


def _check(a):
    assert a.tasks and all(math.isfinite(t.linearity) for t in a.tasks)
    for t in a.tasks:
        assert isinstance(t.emergent, bool)
        assert set(t.criteria) == {"improves", "absent_when_small", "concentrated", "unpredicted"}


def test_external_pythia():
    spec = eio.TableSpec(path=_external("pythia_evals.csv"), where=("variant=deduped", "num_fewshot=0"))
    loaded = eio.load(spec)
    assert loaded.frame.model.nunique() == 8
    a = exp.analyze(loaded, Options(chance={"arc_easy": 0.25, "piqa": 0.5}))
    _check(a)
    lam = _task(a, "lambada_openai")
    assert lam.mirage is not None and lam.two_step is not None  # acc with log-perplexity beside it


def test_external_obsscaling(tmp_path):
    spec = eio.TableSpec(path=_external("obsscaling_emergent_capability_eval.csv"), wide=True, scale_col="flops_1e21")
    a = exp.analyze(eio.load(spec), Options(bins=8, chance={"parsinlu_qa_2": 0.25}))
    _check(a)
    assert {t.task for t in a.tasks} >= {"arithmetic_3ds_2", "word_unscrambling_2", "ipa_transliterate_2"}
    per_family = exp.analyze(eio.load(eio.TableSpec(path=spec.path, wide=True, family_col="family")))
    _check(per_family)


def test_external_ukp(tmp_path):
    spec = eio.TableSpec(path=_external("ukp_on_emergence_bigbench_scores.csv"),
                         where=("prompt_type=closed", "number_of_shots=0"), n_col="n_examples",
                         metric_col="exact_match_accuracy,bert_score_accuracy,edit_distance,single_bert_score")
    loaded = eio.load(spec)
    assert loaded.dropped > 0  # the API models have no stated size
    a = exp.analyze(loaded, Options(primary_metric="exact_match_accuracy"))
    _check(a)
    assert len(a.tasks) >= 20 and any(t.mirage for t in a.tasks)


def test_binary_choice_at_chance_then_slow_rise_is_not_emergent(tmp_path):
    """Issue 19's done-when: exact match on a two-label task sits at 0.5 (chance, not 0), then
    rises slowly; the ladder records its exact-match chance as 0."""
    acc = [0.5, 0.5, 0.5, 0.51, 0.53, 0.55, 0.57]
    rows = []
    for i, a in enumerate(acc):
        for metric, v, ch in (("exact_match", a, 0.0), ("choice_accuracy", a, 0.5)):
            rows.append(dict(member=f"s{i}", params=1e5 * 2 ** i, task="sentiment", metric=metric, value=v,
                             stderr=np.sqrt(a * (1 - a) / 200), chance=ch, n=200, kind="final", step=1))
    path = tmp_path / "binary.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    a = exp.analyze(eio.load(eio.TableSpec(path=str(path), model_col="member")), Options())
    [t] = a.tasks
    assert t.metric == "exact_match" and t.chance == 0.5 and not t.emergent
    assert any("binary-choice" in n for n in a.notes)
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "intuitions.cli", "emergence", str(path), "--model-col", "member",
                        "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    doc = json.loads((out / "result.json").read_text())
    assert [v["label"] for v in doc["verdicts"]] == ["not supported at this scale"]
    assert doc["verdicts"][0]["source"] == "published" and doc["verdicts"][0]["intuition"] == 5


def test_flat_then_jump_that_keeps_rising_is_emergent(tmp_path):
    """Sharpness is reported, not required: 0.000-0.002 for three sizes, then 0.32 and 0.50."""
    df = pd.DataFrame([dict(model=f"m{i}", params=1e8 * 4 ** i, task="t", metric="exact_match", value=v, n=1000)
                       for i, v in enumerate([0.0, 0.001, 0.002, 0.32, 0.50])])
    path = tmp_path / "jump.csv"
    df.to_csv(path, index=False)
    [t] = exp.analyze(eio.load(eio.TableSpec(path=str(path))), Options(chance={"t": 0.0})).tasks
    assert t.emergent and t.metric_only is None


def test_explicit_chance_makes_a_metric_bounded(tmp_path):
    df = pd.DataFrame([dict(model=f"m{i}", params=1e8 * 4 ** i, task="t", value=v)
                       for i, v in enumerate([0.25, 0.25, 0.26, 0.6, 0.8])])
    path = tmp_path / "v.csv"
    df.to_csv(path, index=False)
    [t] = exp.analyze(eio.load(eio.TableSpec(path=str(path), metric_col="value")), Options(chance={"*": 0.25})).tasks
    assert t.kind == "discontinuous" and t.chance == 0.25


def test_holm_adjustment():
    adj = exp.holm_adjust([0.01, 0.04, 0.03, 0.5])
    np.testing.assert_allclose(adj, [0.04, 0.09, 0.09, 0.5])


# -- hardening (issue 21, item 7) -----------------------------------------------------------

def test_scales_near_the_float_limit_draw_without_overflow(tmp_path):
    """Scales up to 1.7e308: the figures are drawn (on a log10 axis), with no numpy or
    matplotlib overflow; the log axis used to overflow (RuntimeWarning, then OverflowError)."""
    import warnings

    from intuitions.experiments.emergence.figures import render_all

    huge = np.array([1e250, 1e270, 1e290, 1e300, 1e302, 1e304, 1e305, 1e306, 1.7e308])
    df = pd.DataFrame(_rows("sharp", "acc", 0.25 + 0.7 / (1 + np.exp(-6 * (GRID - 6.5))), scales=huge)
                      + _rows("flat", "acc", 0.25 + 0.001 * GRID, scales=huge))
    a = _analyze(df, tmp_path, scale_col="params")
    saved = json.loads(json.dumps(_jsonable(a)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        made = render_all(saved, tmp_path)
    assert made and all(p.stat().st_size > 0 for p in made)


def _jsonable(a):
    from intuitions.results import to_jsonable

    return to_jsonable(a)


def test_an_overflowed_scale_is_named_not_called_missing(tmp_path):
    base = _shapes(0)
    base["params"] = base["params"].astype(object)
    base.loc[0, "params"] = "1e309"  # past the largest float: reads as inf
    base.to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(UserError) as e:
        eio.load(eio.TableSpec(path=str(tmp_path / "t.csv"), scale_col="params"))
    msg = str(e.value)
    assert "infinite scale" in msg and "1.8e308" in msg and "'m0'" in msg and "\n" not in msg
    assert "without a scale" not in msg


def test_percent_accuracy_with_a_fractional_chance_is_rescaled_with_a_note(tmp_path):
    """Percent values (0-100) and chance 0.25: as they stood, every size sat 'above chance'
    and the flat task could be called emergent; now read as percent, with a note."""
    frac = _shapes(0)
    pct = frac.assign(value=frac["value"] * 100, stderr=frac["stderr"] * 100).drop(columns=["chance"])
    opts = Options(chance={"*": 0.25})
    a_frac = _analyze(frac.drop(columns=["chance"]), tmp_path, opts, name="f.csv", scale_col="params")
    a_pct = _analyze(pct, tmp_path, opts, name="p.csv", scale_col="params")
    assert [t.emergent for t in a_pct.tasks] == [t.emergent for t in a_frac.tasks]
    assert [t.emergence_scale for t in a_pct.tasks] == [t.emergence_scale for t in a_frac.tasks]
    assert any("read as percent and divided by 100" in n and "flat" in n for n in a_pct.notes)
    assert not any("percent" in n for n in a_frac.notes)
    # percent values with a percent chance stay as they are (no note)
    a_both = _analyze(pct, tmp_path, Options(chance={"*": 25.0}), name="b.csv", scale_col="params")
    assert not any("percent" in n for n in a_both.notes)
