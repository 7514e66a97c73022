"""`intuitions run`: config validation, cached steps, failures that stay local, resume."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import time

import pytest

import runfakes
from intuitions.cli import main
from intuitions.errors import UserError
from intuitions.run import config, pipeline, progress


def _cli(argv: list[str], capsys) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 0
    cap = capsys.readouterr()
    return code, cap.out, cap.err


# ---- configuration ------------------------------------------------------------------

@pytest.mark.parametrize("preset", config.PRESETS)
def test_defaults_resolve_for_every_preset(preset):
    p = config.plan(config.resolve(preset), {"smollm2-135m", "gemma3-270m"})
    assert p.preset == preset and p.ladder == preset
    assert [e.name for e in p.experiments] == ["multitask", "icl", "cot", "density", "scaling", "emergence"]
    covered = {k for e in p.experiments for k in e.intuitions}
    assert covered == {1, 2, 3, 4, 5, 6}
    assert p.n >= 1 and p.seeds >= 1


def test_user_values_win_over_preset_and_run_id_follows_config():
    base = config.resolve("smoke")
    over = config.resolve("smoke", {"n": 3, "presets": {"smoke": {"seeds": 2}}, "options": {"icl": {"k": [1, 2]}}})
    assert (over["n"], over["seeds"], over["options"]["icl"]) == (3, 2, {"k": [1, 2]})
    a = config.plan(base, {"smollm2-135m"})
    assert a.run_id == config.plan(config.resolve("smoke"), {"smollm2-135m"}).run_id  # deterministic
    assert a.run_id != config.plan(over, {"smollm2-135m"}).run_id
    assert a.run_id.startswith("smoke-")


@pytest.mark.parametrize("user, message", [
    ({"experiments": ["multitask", "telepathy"]}, "experiment 'telepathy' is unknown"),
    ({"models": ["gpt-17"]}, "unknown model 'gpt-17'"),
    ({"ladder": "huge"}, "unknown ladder 'huge'"),
    ({"n": 0}, "'n' must be an integer >= 1"),
    ({"seeds": "three"}, "'seeds' must be an integer"),
    ({"colour": "blue"}, "unknown key 'colour'"),
    ({"presets": {"medium": {}}}, "unknown preset 'medium'"),
    ({"options": {"icl": 3}}, "'options' must hold one table"),
    ({"experiments": []}, "'experiments' is empty"),
])
def test_bad_configs_are_one_line_user_errors(user, message):
    with pytest.raises(UserError, match=re.escape(message)):
        config.plan(config.resolve("quick", user), {"smollm2-135m", "gemma3-270m"})


def test_malformed_toml_is_a_user_error(tmp_path):
    p = tmp_path / "run.toml"
    p.write_text("n = [1,\n")
    with pytest.raises(UserError, match="not valid TOML"):
        config.read_toml(p)


@pytest.mark.parametrize("toml, message", [
    ("experiments = ['fake_multi', 'nope']\n", "experiment 'nope' is unknown"),
    ("models = ['nope-1b']\n", "unknown model 'nope-1b'"),
    ("n = [1,\n", "not valid TOML"),
])
def test_cli_rejects_bad_config_before_any_work(tmp_path, monkeypatch, capsys, toml, message):
    calls = tmp_path / "calls.log"
    runfakes.install(tmp_path, monkeypatch, calls)
    cfg = tmp_path / "run.toml"
    cfg.write_text(toml)
    out = tmp_path / "run"
    code, _, err = _cli(["run", "--preset", "smoke", "--config", str(cfg), "--out", str(out), "--no-progress"], capsys)
    assert code == 2
    assert err.count("\n") == 1 and message in err
    assert not out.exists() and runfakes.calls_of(calls) == []


def test_cli_rejects_unwritable_out_and_unknown_preset(tmp_path, monkeypatch, capsys):
    calls = tmp_path / "calls.log"
    runfakes.install(tmp_path, monkeypatch, calls)
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    cfg = tmp_path / "run.toml"
    cfg.write_text(f"experiments = {list(runfakes.FAKES)!r}\nmodels = []\n")
    code, _, err = _cli(["run", "--preset", "smoke", "--config", str(cfg), "--out", str(blocker / "run"),
                         "--no-progress"], capsys)
    assert code == 2 and "cannot write to --out" in err and err.count("\n") == 1
    code, _, err = _cli(["run", "--preset", "medium", "--no-progress"], capsys)
    assert code == 2 and "unknown preset 'medium'" in err
    assert runfakes.calls_of(calls) == []


# ---- running with fake experiments ---------------------------------------------------

CORRUPTIONS = {
    "garbage result": ("result.json", "garbage{{{"),
    "truncated result": ("result.json", None),  # cut in half
    "empty object result": ("result.json", "{}"),
    "garbage record": ("step.json", "garbage{{{"),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_a_damaged_step_is_recomputed_with_a_warning_never_reused(case, tmp_path, monkeypatch, capsys):
    calls = tmp_path / "calls.log"
    runfakes.install(tmp_path, monkeypatch, calls)
    plan = runfakes.make_plan()
    run_dir = tmp_path / "run"
    pipeline.execute(plan, run_dir, progress=False, render=False)
    name, text = CORRUPTIONS[case]
    target = run_dir / "steps" / "fake_icl" / name
    target.write_text(text if text is not None else target.read_text()[: len(target.read_text()) // 2])
    calls.write_text("")
    capsys.readouterr()
    again = pipeline.execute(plan, run_dir, progress=False, render=False)
    assert runfakes.calls_of(calls) == ["fake_icl"]  # recomputed, the others reused
    assert [o.cached for o in again.steps if o.record.name == "fake_icl"] == [False]
    err = capsys.readouterr().err
    assert "warning:" in err and "fake_icl" in err and "recomputing the step" in err
    assert len([line for line in err.splitlines() if line.startswith("warning:")]) == 1
    assert json.loads((run_dir / "steps" / "fake_icl" / "result.json").read_text())["experiment"] == "fake_icl"


def test_a_saved_result_must_fit_its_type(tmp_path):
    from intuitions.experiments import contract, icl
    from intuitions.results import write_result

    write_result(tmp_path, "icl", {}, {"models": "not a list"})
    with pytest.raises(contract.BadResult, match="does not fit IclResult"):
        contract.load(tmp_path, "icl", icl.Result)
    with pytest.raises(contract.BadResult, match="not a saved cot result"):
        contract.load(tmp_path, "cot", None)


def test_full_run_then_everything_cached(tmp_path, monkeypatch):
    calls = tmp_path / "calls.log"
    runfakes.install(tmp_path, monkeypatch, calls)
    plan = runfakes.make_plan()
    run_dir = tmp_path / "run"
    first = pipeline.execute(plan, run_dir, progress=False)
    assert [o.record.status for o in first.steps] == ["ok"] * 6
    assert sorted(runfakes.calls_of(calls)) == sorted(["ladder", *runfakes.FAKES])
    assert (run_dir / "report.html").is_file() and (run_dir / "report.ko.md").is_file()
    first_html = (run_dir / "report.html").read_text()

    second = pipeline.execute(plan, run_dir, progress=False)
    assert all(o.cached for o in second.steps)
    assert sorted(runfakes.calls_of(calls)) == sorted(["ladder", *runfakes.FAKES])  # nothing recomputed
    strip = lambda s: re.sub(r"<time>.*?</time>", "", s)  # noqa: E731
    # The verdicts, figures and tables are the same; only this run's timings differ.
    again = strip((run_dir / "report.html").read_text())
    assert strip(first_html).count('class="label sup"') == again.count('class="label sup"')


def test_seed_gets_its_own_ladder_and_run_id(tmp_path, monkeypatch):
    real = config.load_plan("smoke", None, {"smollm2-135m", "gemma3-270m"}, seed=3)  # --seed wins over files
    assert (real.seed, real.ladder, real.ladder_name) == (3, "smoke", "smoke-seed3")
    assert real.run_id.startswith("smoke-seed3-")
    runfakes.install(tmp_path, monkeypatch)
    monkeypatch.setenv("INTUITIONS_HOME", str(tmp_path / "home"))
    plan = runfakes.make_plan(seed=3)
    assert plan.ladder_name == "smoke-seed3" and plan.run_id != runfakes.make_plan().run_id
    pipeline.execute(plan, tmp_path / "run", progress=False, render=False)
    assert (tmp_path / "home" / "family" / "smoke-seed3" / "m1").is_dir()
    assert not (tmp_path / "home" / "family" / "smoke").exists()
    saved = json.loads((tmp_path / "run" / "run.json").read_text())
    assert saved["config"]["seed"] == 3


def test_changed_options_or_code_recompute_only_that_step(tmp_path, monkeypatch):
    calls = tmp_path / "calls.log"
    mods = runfakes.install(tmp_path, monkeypatch, calls)
    run_dir = tmp_path / "run"
    pipeline.execute(runfakes.make_plan(), run_dir, progress=False, render=False)
    calls.unlink()
    plan2 = runfakes.make_plan(options={"fake_cot": {"steps": [1, 2]}})
    pipeline.execute(plan2, run_dir, progress=False, render=False)
    assert runfakes.calls_of(calls) == ["fake_cot"]
    calls.unlink()
    runfakes.write_fake(mods, "fake_emerge", (5,), extra="\n# an edit\n")
    sys.modules.pop("fake_emerge", None)
    pipeline.execute(plan2, run_dir, progress=False, render=False)
    assert runfakes.calls_of(calls) == ["fake_emerge"]


def test_failing_and_missing_modules_become_inconclusive_sections(tmp_path, monkeypatch):
    calls = tmp_path / "calls.log"
    runfakes.install(tmp_path, monkeypatch, calls)
    monkeypatch.setenv("FAKE_FAIL", "fake_scaling")
    plan = runfakes.make_plan(experiments=["fake_multi", "fake_icl", "fake_missing", "fake_scaling", "fake_emerge"])
    run_dir = tmp_path / "run"
    out = pipeline.execute(plan, run_dir, progress=False)
    status = {o.record.name: o.record.status for o in out.steps}
    assert status == {"ladder": "ok", "fake_multi": "ok", "fake_icl": "ok", "fake_missing": "failed",
                      "fake_scaling": "failed", "fake_emerge": "ok"}
    rec = {o.record.name: o.record for o in out.steps}
    assert "ValueError: the fake step failed on purpose" == rec["fake_scaling"].error  # one line
    assert "ModuleNotFoundError" in rec["fake_missing"].error
    assert (run_dir / "steps" / "fake_scaling" / "error.log").is_file()
    doc = json.loads((run_dir / "verdicts.json").read_text())
    labels = {h["intuition"]: h["label"] for h in doc["headlines"]}
    assert labels[3] == labels[4] == "inconclusive"
    assert labels[1] == labels[2] == labels[5] == labels[6] == "supported"
    html = (run_dir / "report.html").read_text()
    assert "ValueError: the fake step failed on purpose" in html
    # A failed step is retried next time; the good ones are not.
    calls.unlink()
    monkeypatch.delenv("FAKE_FAIL")
    pipeline.execute(plan, run_dir, progress=False, render=False)
    assert sorted(runfakes.calls_of(calls)) == ["fake_scaling"]


def test_interrupted_run_continues_without_recomputing(tmp_path, monkeypatch, capsys):
    calls = tmp_path / "calls.log"
    runfakes.install(tmp_path, monkeypatch, calls)
    monkeypatch.setenv("FAKE_INTERRUPT", "fake_cot")
    plan = runfakes.make_plan()
    run_dir = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        pipeline.execute(plan, run_dir, progress=False)
    assert runfakes.calls_of(calls) == ["ladder", "fake_multi", "fake_icl", "fake_cot"]
    assert (run_dir / "steps" / "fake_icl" / "step.json").is_file()
    assert not (run_dir / "steps" / "fake_cot" / "step.json").exists()
    monkeypatch.delenv("FAKE_INTERRUPT")
    calls.unlink()
    out = pipeline.execute(plan, run_dir, progress=False)
    assert runfakes.calls_of(calls) == ["fake_cot", "fake_scaling", "fake_emerge"]
    assert [o.cached for o in out.steps] == [True, True, True, False, False, False]


def test_cli_ctrl_c_exits_130_and_keeps_finished_steps(tmp_path, monkeypatch, capsys):
    calls = tmp_path / "calls.log"
    runfakes.install(tmp_path, monkeypatch, calls)
    monkeypatch.setenv("FAKE_INTERRUPT", "fake_icl")
    cfg = tmp_path / "run.toml"
    cfg.write_text(f"experiments = {list(runfakes.FAKES)!r}\nmodels = []\n")
    out = tmp_path / "run"
    code, _, err = _cli(["run", "--preset", "smoke", "--config", str(cfg), "--out", str(out), "--no-progress"], capsys)
    assert code == 130 and "interrupted" in err
    assert (out / "steps" / "fake_multi" / "step.json").is_file()
    monkeypatch.delenv("FAKE_INTERRUPT")
    calls.unlink()
    code, stdout, _ = _cli(["run", "--preset", "smoke", "--config", str(cfg), "--out", str(out), "--no-progress"],
                           capsys)
    assert code == 0 and stdout.strip().endswith("report.html")
    assert "fake_multi" not in runfakes.calls_of(calls) and "fake_icl" in runfakes.calls_of(calls)


def test_default_out_is_runs_slash_id_and_reused(tmp_path, monkeypatch, capsys):
    runfakes.install(tmp_path, monkeypatch, tmp_path / "calls.log")
    cfg = tmp_path / "run.toml"
    cfg.write_text(f"experiments = {list(runfakes.FAKES)!r}\nmodels = []\n")
    monkeypatch.chdir(tmp_path)
    code, stdout, _ = _cli(["run", "--preset", "smoke", "--config", str(cfg), "--no-progress"], capsys)
    assert code == 0
    run_dirs = list((tmp_path / "runs").iterdir())
    assert len(run_dirs) == 1 and run_dirs[0].name.startswith("smoke-")
    code, stdout2, err = _cli(["run", "--preset", "smoke", "--config", str(cfg), "--no-progress"], capsys)
    assert stdout2 == stdout and "6 cached" in err


def test_progress_display_runs(tmp_path, monkeypatch):
    runfakes.install(tmp_path, monkeypatch)
    out = pipeline.execute(runfakes.make_plan(), tmp_path / "run", progress=True, render=False)
    assert all(o.record.status == "ok" for o in out.steps)
    assert pipeline.expected_seconds("smoke", "fake_icl") < progress.DEFAULT_GUESS_S  # remembered for the ETA


def test_failed_ladder_is_recorded_and_experiments_still_run(tmp_path, monkeypatch):
    runfakes.install(tmp_path, monkeypatch)

    def broken(preset, on_progress=None, seed=0):
        raise RuntimeError("no data")

    monkeypatch.setattr(pipeline.ladder_mod, "train", broken)
    out = pipeline.execute(runfakes.make_plan(), tmp_path / "run", progress=False, render=False)
    assert out.steps[0].record.status == "failed" and out.steps[0].record.error == "RuntimeError: no data"
    assert all(o.record.status == "ok" for o in out.steps[1:])


# ---- the real job -------------------------------------------------------------------

def _real_modules_present() -> bool:
    mods = [m for m, _ in config.EXPERIMENTS.values()] + ["intuitions.family"]
    return all(importlib.util.find_spec(m) is not None for m in mods)


@pytest.mark.slow
@pytest.mark.skipif(not _real_modules_present(), reason="not every experiment module has landed yet")
def test_smoke_run_end_to_end(tmp_path):
    """`intuitions run --preset smoke` in a subprocess: all six sections, a verdict each."""
    out = tmp_path / "run"
    env = dict(os.environ, OMP_NUM_THREADS="2")
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "intuitions.cli", "run", "--preset", "smoke", "--out", str(out),
                        "--no-progress", "--strict"], env=env, capture_output=True, text=True, timeout=900)
    wall = time.monotonic() - t0
    assert r.returncode == 0, r.stderr[-3000:]
    doc = json.loads((out / "verdicts.json").read_text())
    assert [h["intuition"] for h in doc["headlines"]] == [1, 2, 3, 4, 5, 6]
    assert {v["intuition"] for v in doc["verdicts"]} == {1, 2, 3, 4, 5, 6}
    html = (out / "report.html").read_text()
    assert all(f'id="i{k}"' in html for k in range(1, 7))
    ko = (out / "report.ko.html").read_text()
    from intuitions.report import i18n

    # every verdict the run computed has its rule in Korean (a reworded rule fails here)
    assert i18n.UI["ko"]["untranslated"] not in ko
    r2 = subprocess.run([sys.executable, "-m", "intuitions.cli", "run", "--preset", "smoke", "--out", str(out),
                         "--no-progress"], env=env, capture_output=True, text=True, timeout=300)
    assert r2.returncode == 0 and "7 steps (7 cached)" in r2.stderr
    print(f"smoke run: {wall:.1f} s cold")


def test_ladder_adapter_reports_training_progress(tmp_path, monkeypatch):
    """The family trainer's per-step callback becomes one fraction over all pending steps."""
    import types
    from dataclasses import dataclass

    from intuitions.run import ladder

    @dataclass
    class Cfg:  # members of one shape: their steps cost alike
        member: str
        steps: int
        layers: int = 2
        width: int = 32
        tokens_per_step: int = 1024

    def train_ladder(preset, seed=0, progress=None, on_start=None):
        done_already = Cfg("c", 99)
        on_start([Cfg("a", 10), Cfg("b", 30), done_already], [Cfg("a", 10), Cfg("b", 30)])
        for member, total in (("a", 10), ("b", 30)):
            for step in range(0, total + 1, 10):
                progress(member, step, total, 1.0, 100.0)
        runfakes.fake_train(preset)

    fam = types.ModuleType("fakefamily")
    fam.train_ladder = train_ladder
    monkeypatch.setitem(sys.modules, "fakefamily", fam)
    monkeypatch.setattr(ladder, "FAMILY_MODULE", "fakefamily")
    seen = []
    ladder.train("smoke", on_progress=lambda f, note: seen.append((round(f, 3), note)))
    assert seen[0] == (0.0, "a 0/10") and seen[-1] == (1.0, "b 30/30")
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)
    assert ladder.fingerprint("smoke") is not None and ladder.fingerprint("quick") is None


def test_sigint_to_a_real_process_then_rerun(tmp_path):
    """Ctrl-C delivered as a signal to `intuitions run` mid-step: exit 130, finished steps
    kept, and the rerun computes only what had not finished."""
    import signal

    calls = tmp_path / "calls.log"
    script = runfakes.driver(tmp_path, calls)
    cfg = tmp_path / "run.toml"
    cfg.write_text(f"experiments = {list(runfakes.FAKES)!r}\nmodels = []\n")
    out = tmp_path / "run"
    argv = [sys.executable, str(script), "run", "--preset", "smoke", "--config", str(cfg), "--out", str(out),
            "--no-progress"]
    env = dict(os.environ, FAKE_SLEEP="fake_cot", OMP_NUM_THREADS="1")
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    end = time.monotonic() + 120
    while "fake_cot" not in runfakes.calls_of(calls):
        assert proc.poll() is None and time.monotonic() < end, proc.stderr.read() if proc.poll() is not None else ""
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err
    assert (out / "steps" / "fake_icl" / "step.json").is_file()
    calls.unlink()
    env.pop("FAKE_SLEEP")
    r = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert runfakes.calls_of(calls) == ["fake_cot", "fake_scaling", "fake_emerge"]
    assert "6 steps (3 cached)" in r.stderr


# ---- progress in a log (issue 21) ---------------------------------------------------------

def test_plain_progress_prints_start_end_and_periodic_lines_with_eta_from_work():
    import io

    from intuitions.run.progress import Progress

    out = io.StringIO()
    prog = Progress(["ladder"], {"ladder": 60.0}, enabled=True, plain=True, every_s=0.1, stream=out)
    with prog.shown():
        prog.start("ladder")
        time.sleep(0.25)
        prog.report(0.5, "m1 150/300")
        time.sleep(0.35)
        prog.finish("ladder", "done")
    lines = out.getvalue().splitlines()
    assert "step ladder: started" in lines[0]
    running = [ln for ln in lines if "step ladder: running" in ln]
    assert len(running) >= 3  # at least one a tick, even before the step says anything
    assert "no estimate yet" in running[0]  # no remembered time: no invented 60 s
    assert any("m1 150/300" in ln and "50%" in ln and "from work done" in ln for ln in running)
    assert re.search(r"step ladder: done in \d+\.\d s$", lines[-1])
    assert not any("\x1b" in ln for ln in lines)  # plain text, no terminal codes


def test_run_in_a_log_prints_one_line_per_step(tmp_path, monkeypatch, capsys):
    runfakes.install(tmp_path, monkeypatch)
    monkeypatch.setenv("INTUITIONS_HOME", str(tmp_path / "home"))
    plan = runfakes.make_plan()
    pipeline.execute(plan, tmp_path / "run", progress=True, render=False)
    err = capsys.readouterr().err
    for name in ["ladder", *runfakes.FAKES]:
        assert f"step {name}: started" in err and re.search(rf"step {name}: done in [\d.]+ s", err), err


def test_ladder_progress_weights_each_members_steps_by_their_cost(monkeypatch):
    """A big member's step costs more than a small one's, so the ETA is not fooled by the
    order members train in (counted in steps, the first 30 s' ETA was 2.5x the real time)."""
    import types

    from intuitions.run import ladder as ladder_mod

    cfg = lambda name, layers, width: types.SimpleNamespace(  # noqa: E731
        member=name, layers=layers, width=width, steps=100, tokens_per_step=2048)
    big, small = cfg("L3W96", 3, 96), cfg("L1W16", 1, 16)

    def train_ladder(preset, seed, progress, on_start):
        on_start([big, small], [big, small])
        progress("L3W96", 50, 100, 1.0, 1.0)
        progress("L1W16", 100, 100, 1.0, 1.0)
        progress("L3W96", 100, 100, 1.0, 1.0)

    monkeypatch.setitem(sys.modules, "fake_family", types.SimpleNamespace(train_ladder=train_ladder))
    monkeypatch.setattr(ladder_mod, "FAMILY_MODULE", "fake_family")
    seen: list[float] = []
    ladder_mod.train("x", on_progress=lambda f, note: seen.append(f))
    assert ladder_mod.step_cost(big) > 2 * ladder_mod.step_cost(small)
    # counted in steps this would be 0.25; weighted by cost, half the big member is over a third
    assert 1 / 3 < seen[0] < 0.5 and seen[-1] == pytest.approx(1.0)
    assert seen == sorted(seen)
