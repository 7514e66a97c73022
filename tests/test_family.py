import csv
import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest

from intuitions.world import TASKS


@pytest.fixture(scope="module")
def ladder(tmp_path_factory):
    """The smoke ladder, trained once for this module in its own home."""
    from intuitions.family import train_ladder

    home = tmp_path_factory.mktemp("ladder")
    mp = pytest.MonkeyPatch()
    mp.setenv("INTUITIONS_HOME", str(home))
    try:
        proot = train_ladder("smoke", root=home / "family", executor="serial", threads=1)
    finally:
        mp.undo()
    return proot


def test_smoke_ladder_layout(ladder, monkeypatch):
    from intuitions.family import branches, checkpoints
    from intuitions.models import zoo

    members = sorted(d.name for d in ladder.iterdir() if d.is_dir())
    assert members == ["L1W16", "L2W16"]
    for m in members:
        meta = json.loads((ladder / m / "member.json").read_text())
        for k in ("n_params", "non_embedding_params", "layers", "width", "tokens", "steps", "seed", "wall_s"):
            assert k in meta
        assert (ladder / m / "model.safetensors").exists() and (ladder / m / "tokenizer.json").exists()
        ck = checkpoints("smoke", m, root=ladder.parent)
        assert [s for s, _ in ck] == [7, 15, 30] and ck[-1][1] == ladder / m
        assert [t for t, _ in branches("smoke", m, root=ladder.parent)] == [16 * 4 * 32]
        assert not (ladder / m / "resume").exists()
    monkeypatch.setenv("INTUITIONS_FAMILY_DIR", str(ladder.parent))
    assert [p.name for p in zoo.family_members("smoke")] == ["L1W16", "L2W16"]
    assert zoo.expand("family:smoke") == ["family:smoke/L1W16", "family:smoke/L2W16"]
    listed = _cli("models", env_home=ladder.parent.parent)
    assert listed.returncode == 0 and "family:smoke/L1W16" in listed.stdout


def test_tables(ladder):
    runs = list(csv.DictReader(open(ladder / "runs.csv")))
    assert list(runs[0])[:7] == ["member", "step", "params", "non_embedding_params", "tokens", "flops", "loss"]
    assert len(runs) == 2 * (2 + 1 + 1)  # per member: 2 checkpoints, 1 branch, the final
    assert {r["kind"] for r in runs} == {"checkpoint", "branch", "final"}
    for r in runs:
        assert 0 < float(r["loss"]) < 8 and int(r["tokens"]) == int(r["step"]) * 4 * 32 and float(r["flops"]) > 0
    evals = list(csv.DictReader(open(ladder / "evals.csv")))
    assert list(evals[0]) == ["member", "step", "params", "non_embedding_params", "tokens", "flops", "task",
                              "metric", "value", "stderr", "chance", "n", "kind"]
    final = [e for e in evals if e["kind"] == "final"]
    for task in TASKS:
        metrics = {e["metric"] for e in final if e["task"] == task}
        assert {"exact_match", "answer_logprob", "loss"} <= metrics, task
        # the composite profile has no choices: its metrics are exact match and the continuous logprob
        assert ("choice_accuracy" in metrics) == (task != "composite"), task
    for e in final:
        if e["metric"] in ("exact_match", "choice_accuracy"):
            assert 0 <= float(e["value"]) <= 1
    assert json.loads((ladder / "irreducible.json").read_text())["heldout_floor_per_token"] > 0


def test_checkpoints_load_and_score(ladder):
    from transformers import AutoModelForCausalLM

    from intuitions.family import checkpoints
    from intuitions.models.base import score_continuations
    from intuitions.models.hf import HFScorer

    for _step, path in checkpoints("smoke", "L1W16", root=ladder.parent):
        model = AutoModelForCausalLM.from_pretrained(str(path))
        assert model.config.num_hidden_layers == 1
        scorer = HFScorer.load(str(path))
        s = score_continuations(scorer, ["question: 3+4\nanswer:"], [" 7"])[0]
        assert np.isfinite(s.logprob) and s.logprob < 0 and s.n_tokens == 1  # " 7" is one token in world v2


def test_exact_match_is_greedy_decoding(ladder):
    """Teacher-forced all-rank-1 must agree with real greedy generation: an answer made of
    the model's own greedy tokens matches, the same answer with one word changed does not."""
    import torch

    from intuitions.family.evaluate import item_scores
    from intuitions.models.hf import HFScorer
    from intuitions.world import EvalItem

    scorer = HFScorer.load(str(ladder / "L2W16"))
    tok = scorer.tokenizer
    prompts = ["review: the food was good.\nrating:", "alice is in the hall. where is alice?",
               "question: 12 + 5\nanswer:"]
    items = []
    for p in prompts:
        ids = torch.tensor([scorer.encode([p])[0].ids])
        out = scorer.model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=3, do_sample=False,
                                    pad_token_id=tok.pad_token_id)
        greedy = tok.decode(out[0, ids.shape[1]:])
        if tok(greedy, add_special_tokens=False)["input_ids"] != out[0, ids.shape[1]:].tolist():
            continue  # not a canonical tokenization: the string test below would not apply
        items.append(EvalItem("x", p, greedy, None, {"stop": ""}))
        items.append(EvalItem("x", p, greedy + " zzq", None, {"stop": ""}))
    assert items
    res = item_scores(scorer, items)
    assert [r["em"] for r in res] == [True, False] * (len(items) // 2)


def _cfg(tmp_path, name):
    from intuitions.family.ladder import ensure_world, plan
    from intuitions.family.presets import get

    world = ensure_world(0, get("smoke").world_docs)
    cfg = plan(get("smoke"), tmp_path / name, world, threads=1)[0]
    return dataclasses.replace(cfg, resume_every=5)


def test_resume_gives_identical_weights(tmp_path):
    from safetensors.torch import load_file

    from intuitions.family import train_member

    ref = train_member(_cfg(tmp_path, "a"))
    cfg = _cfg(tmp_path, "b")
    first = train_member(dataclasses.replace(cfg, stop_after=12))  # "killed" at step 12, state saved at 10
    assert not (first / "member.json").exists() and (first / "resume" / "state.json").exists()
    assert json.loads((first / "resume" / "state.json").read_text())["step"] == 10
    second = train_member(dataclasses.replace(cfg, stop_after=5))  # killed again at 15, after the branch start
    assert not (second / "member.json").exists()
    done = train_member(cfg)
    for rel in ("model.safetensors", "branches/tokens_2048/model.safetensors", "checkpoints/step_7/model.safetensors"):
        a, b = load_file(ref / rel), load_file(done / rel)
        assert set(a) == set(b) and all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a), rel
    assert json.loads((done / "member.json").read_text())["steps"] == 30


def _cli(*args, env_home=None):
    import os

    env = dict(os.environ)
    env.pop("INTUITIONS_FAMILY_DIR", None)
    env["COLUMNS"] = "200"  # rich wraps long names in narrow terminals
    if env_home is not None:
        env["INTUITIONS_HOME"] = str(env_home)
    return subprocess.run([sys.executable, "-m", "intuitions.cli", *args], capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.mark.parametrize("args", [
    ["train", "--preset", "nope"],
    ["train", "--preset", "smoke", "--sizes", "1x-4"],
    ["train", "--preset", "smoke", "--sizes", "two"],
    ["train", "--preset", "smoke", "--threads", "0"],
    ["train", "--preset", "smoke", "--executor", "cluster"],
])
def test_bad_options_are_one_line_errors(args, tmp_path):
    r = _cli(*args, env_home=tmp_path)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("error:")


@pytest.mark.parametrize("corrupt", ["resume", "member", "eval"])
def test_corrupt_checkpoint_is_a_one_line_error(corrupt, tmp_path, ladder):
    import shutil

    home = tmp_path / "home"
    (home / "world").mkdir(parents=True)
    for w in (ladder.parent.parent / "world").iterdir():  # reuse the built world
        shutil.copytree(w, home / "world" / w.name)
    m = home / "family" / "smoke" / "L1W16"
    if corrupt == "resume":
        (m / "resume").mkdir(parents=True)
        (m / "resume" / "state.json").write_text("{not json")
    elif corrupt == "member":
        shutil.copytree(ladder / "L1W16", m)
        (m / "model.safetensors").write_bytes(b"\x00garbage")
    else:
        for name in ("L1W16", "L2W16"):
            shutil.copytree(ladder / name, m.parent / name)
        (m / "checkpoints" / "step_7" / "eval.json").write_text("{")
    r = _cli("train", "--preset", "smoke", env_home=home)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "corrupt" in r.stderr


def test_train_cli_reuses_finished_members(tmp_path, ladder):
    import shutil

    home = tmp_path / "home"
    shutil.copytree(ladder.parent.parent, home)
    before = (home / "family" / "smoke" / "L1W16" / "model.safetensors").stat().st_mtime_ns
    r = _cli("train", "--preset", "smoke", env_home=home)
    assert r.returncode == 0, r.stderr
    assert "0 to train" in r.stdout
    assert (home / "family" / "smoke" / "L1W16" / "model.safetensors").stat().st_mtime_ns == before


def test_train_refuses_a_ladder_made_with_other_settings(tmp_path, ladder):
    """A 30-step smoke ladder in --out, asked for 400 steps: it printed "0 to train" and
    `400/400 loss nan`, exited 0 and kept the 30-step weights under the 400-step name."""
    import shutil

    home = tmp_path / "home"
    shutil.copytree(ladder.parent.parent, home)
    out = home / "family"
    weights = out / "smoke" / "L1W16" / "model.safetensors"
    before = weights.stat().st_mtime_ns
    r = _cli("train", "--preset", "smoke", "--sizes", "1x16,2x16", "--steps", "400", "--out", str(out),
             env_home=home)
    assert r.returncode == 2, r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ladder member "), lines
    assert "steps 30, asked 400" in lines[0] and "--out" in lines[0]
    assert "400/400" not in r.stdout and "0 to train" not in r.stdout
    assert weights.stat().st_mtime_ns == before
    # The same settings still reuse it.
    r = _cli("train", "--preset", "smoke", "--out", str(out), env_home=home)
    assert r.returncode == 0 and "0 to train" in r.stdout, r.stderr


def test_member_with_other_settings_is_not_resumed_over(tmp_path, ladder):
    from intuitions.errors import LadderMismatch
    from intuitions.family import train_member
    from intuitions.family.train import finished_as

    cfg = dataclasses.replace(_cfg(tmp_path, "x"), out_dir=str(ladder / "L1W16"))
    assert finished_as(ladder / "L1W16", cfg)
    for change in ({"steps": 40}, {"seed": 1}, {"batch_size": 8}, {"lr": 0.5}, {"world_dir": "/w/seed0-n999"}):
        other = dataclasses.replace(cfg, **change)
        with pytest.raises(LadderMismatch, match="other settings"):
            train_member(other)


def test_heads_always_divide_the_width():
    from intuitions.family.model import Shape

    for w in range(8, 200, 8):
        h = Shape(1, w, 100, 16).heads
        assert w % h == 0 and 1 <= h <= max(1, w // 16)


@pytest.mark.slow
def test_local_process_pool_matches_serial(tmp_path, ladder):
    """Worker processes (the default executor) train the same weights as the in-process loop."""
    from safetensors.torch import load_file

    from intuitions.family.executors import local

    cfg = dataclasses.replace(_cfg(tmp_path, "p"), branch_steps=(), checkpoint_steps=())
    seen = []
    (out,) = local(__import__("intuitions.family", fromlist=["train_member"]).train_member, [cfg],
                  progress=lambda *a: seen.append(a), on_done=lambda c: seen.append(("done", c.member)))
    a, b = load_file(out / "model.safetensors"), load_file(ladder / "L1W16" / "model.safetensors")
    assert all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)
    assert seen[-1] == ("done", "L1W16") and any(x[0] == "L1W16" for x in seen[:-1])


def test_member_records_its_speed_and_mfu(ladder):
    for m in ("L1W16", "L2W16"):
        meta = json.loads((ladder / m / "member.json").read_text())
        assert meta["tokens_per_s_median"] > 0 and meta["matmul_peak_flops"] > 1e8
        assert 0 < meta["mfu"] < 1  # model FLOP/s over a matmul timed in the same process
        from intuitions.family.model import Shape, flops

        per_token = flops(Shape(meta["layers"], meta["width"], meta["vocab"], meta["seq_len"]),
                          meta["non_embedding_params"], 1)
        median = float(np.median([json.loads(x)["tokens_per_s"] for x in
                                  (ladder / m / "log.jsonl").read_text().splitlines()]))
        assert meta["tokens_per_s_median"] == pytest.approx(median, rel=0.01, abs=1)
        assert meta["mfu"] == pytest.approx(per_token * meta["tokens_per_s_median"] / meta["matmul_peak_flops"],
                                            rel=0.01)


def test_windows_start_at_document_boundaries():
    from intuitions.family.train import TrainConfig, batch, doc_starts

    bos = 0
    stream = np.array([0, 5, 6, 7, 0, 8, 9, 0, 1, 2, 3, 4, 0, 6], dtype=np.uint16)
    starts = doc_starts(stream, bos, seq_len=4)
    assert starts.tolist() == [0, 4, 7]  # the BOS at 12 leaves no room for a window of 4 + 1
    cfg = TrainConfig(preset="t", member="m", layers=1, width=8, steps=1, batch_size=16, seq_len=4, lr=1e-3,
                      warmup=1, decay_frac=0.2, weight_decay=0.0, grad_clip=1.0, seed=0, world_dir="", world_seed=0,
                      out_dir="", checkpoint_steps=(), branch_steps=(), eval_docs_per_task=0, eval_items_per_task=0,
                      checkpoint_eval_docs_per_task=0, checkpoint_eval_items_per_task=0, resume_every=10)
    x = batch(stream, cfg, 3, starts)
    assert x.shape == (16, 5) and (x[:, 0] == bos).all()
    assert batch(stream, cfg, 3, starts).equal(x)  # a pure function of (seed, step)


def test_seed_trains_its_own_world_and_ladder(tmp_path, monkeypatch):
    from intuitions.family import ladder as lad
    from intuitions.models.zoo import ladder_world_seed

    assert lad.ladder_name("quick", 0) == "quick" and lad.ladder_name("quick", 2) == "quick-seed2"
    monkeypatch.setenv("INTUITIONS_HOME", str(tmp_path))
    proot = lad.train_ladder("smoke", executor="serial", seed=2)
    assert proot == tmp_path / "family" / "smoke-seed2"
    meta = json.loads((proot / "L1W16" / "member.json").read_text())
    assert meta["seed"] == 2 and meta["world"]["seed"] == 2 and "v2-seed2" in meta["world"]["dir"]
    assert ladder_world_seed("family:smoke-seed2/L1W16") == 2
    assert not (tmp_path / "family" / "smoke").exists()


def test_presets_meet_the_organism_budget():
    from intuitions.family.presets import get

    def non_embedding(layers: int, width: int) -> int:
        return layers * (4 * width * width + 3 * width * 4 * width + 2 * width) + width  # attention, SwiGLU, norms

    for name, steps, span in (("quick", 3000, 10), ("full", 6000, 200)):
        p = get(name)
        assert len(p.members) >= 6 and min(m.steps for m in p.members) >= steps
        assert p.members[0].layers == 1  # the in-context control
        sizes = [non_embedding(m.layers, m.width) for m in p.members]
        assert max(sizes) / min(sizes) >= span
        # every task gets >= 30 (size, step) points: checkpoints plus the final model, per member
        assert sum(len(p.checkpoints(m.steps)) + 1 for m in p.members) >= 30
