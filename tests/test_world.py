import json
import math
import re
import subprocess
import sys

import numpy as np
import pytest

from intuitions import world
from intuitions.world import lexicon as lx
from intuitions.world.core import Draw, is_heldout


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("world") / "w"
    return world.build(3, out, n_docs=400)


def test_same_seed_gives_byte_identical_world(built, tmp_path):
    again = world.build(3, tmp_path / "again", n_docs=400)
    files = sorted(p.relative_to(built) for p in built.rglob("*") if p.is_file())
    assert {"train.jsonl", "train_tokens.npy", "heldout.jsonl", "eval.jsonl", "irreducible.json",
            "manifest.json"} <= {str(f) for f in files}
    for f in files:
        assert (built / f).read_bytes() == (again / f).read_bytes(), f
    other = world.build(4, tmp_path / "other", n_docs=400)
    assert (other / "train.jsonl").read_bytes() != (built / "train.jsonl").read_bytes()


def test_spans_are_valid_and_tagged(built):
    docs = [json.loads(line) for line in (built / "train.jsonl").read_text().splitlines()]
    assert len(docs) == 400
    assert {d["task"] for d in docs} == set(world.TASKS)
    for d in docs + [json.loads(x) for x in (built / "heldout.jsonl").read_text().splitlines()]:
        last = 0
        assert d["spans"]
        for start, end, task in d["spans"]:
            assert task == d["task"] and 0 <= last <= start < end <= len(d["text"])
            assert d["text"][start:end].strip() == d["text"][start:end]
            last = end


def test_task_frequencies_form_a_long_tail(built):
    m = json.loads((built / "manifest.json").read_text())
    w = sorted(world.TASK_WEIGHTS.values())
    assert w[-1] / w[0] >= 5 and abs(sum(w) - 1) < 1e-9
    assert sum(m["docs_per_task"].values()) == 400


def test_arithmetic_answers_are_exact():
    rng = np.random.default_rng(0)
    for steps in (1, 2, 3, 4):
        for _ in range(50):
            p = world.arithmetic_problem(rng, steps)
            toks = p.expression.split()
            value = int(toks[0])
            for op, k in zip(toks[1::2], toks[2::2]):
                value = value + int(k) if op == "+" else value - int(k)
                assert 0 <= value <= 99
            assert value == p.answer and len(toks) == 2 * steps + 1
            assert p.worked_solution.endswith(f"{p.answer_marker} {p.answer}")
            assert p.direct_prompt.endswith(p.answer_marker) and p.worked_prompt.startswith(f"question: {p.expression}")
            # every worked step is itself right
            for a, op, b, r in re.findall(r"(\d+) ([+-]) (\d+) = (\d+)", p.worked_solution):
                assert int(r) == (int(a) + int(b) if op == "+" else int(a) - int(b))
    items = world.eval_items(0, 40)["arithmetic"]
    assert {it.meta["steps"] for it in items} == {1, 2, 3, 4}
    for it in items:
        assert int(it.answer) == eval(it.meta["expression"])  # left to right is Python's order for +/-


def test_eval_items_are_well_formed_and_held_out():
    items = world.eval_items(1, 30)
    assert set(items) == set(world.TASKS)
    for task, its in items.items():
        assert len(its) == 30
        for it in its:
            assert it.task == task and it.answer.startswith(" ") and not it.prompt.endswith(" ")
            assert it.choices is None or (it.answer in it.choices and len(set(it.choices)) == len(it.choices) >= 2)
            assert "stop" in it.meta
    train = "\n".join(d.text for d in world.training_docs(1, 3000))
    for it in items["grammar"] + items["translation"] + items["arithmetic"]:
        assert it.prompt + it.answer not in train
    assert all(is_heldout("grammar", it.prompt) for it in items["grammar"])


def test_icl_episodes_use_the_template():
    pat = re.compile(r"Input: [a-z0-9 ]+\nOutput: [a-z]+")
    n = 0
    for d in world.training_docs(0, 1500):
        if d.task == "icl":
            parts = d.text.split("\n\n")
            assert len(parts) >= 2 and all(pat.fullmatch(p) for p in parts)
            n += 1
    assert n > 50
    items = world.eval_items(0, 60)["icl"]
    assert {it.meta["mapping"] for it in items} == {"natural", "arbitrary", "flipped"}
    for it in items:
        assert it.prompt.endswith("\nOutput:")
        demos = it.prompt.split("\n\n")[:-1]
        shown = {d.rsplit(" ", 1)[1] for d in demos}
        assert it.answer.strip() in shown  # the query's label is inferable from the demos
    ds = world.icl_dataset(0, 50)
    assert len(ds) == 50 and len(set(ds.texts)) == 50 and set(ds.labels) == set(ds.label_names)
    assert ds.labels.count("positive") == 25
    assert world.ICL_TEMPLATE == "Input: {x}\nOutput: {label}"


def test_generator_nats_equal_minus_log_probability():
    # translation: the pair count (1 or 2), then five uniform words per pair
    w = lx.world(0)
    from intuitions.world import translation

    per_pair = 2 * math.log(len(lx.T_ADJ)) + 2 * math.log(len(lx.T_NOUNS)) + math.log(len(lx.T_VERBS))
    for i in range(20):
        d = translation.doc(w, Draw(np.random.default_rng(i)), False)
        pairs = d.text.count("english:")
        assert d.nats == pytest.approx(math.log(2) + pairs * per_pair)
    assert Draw(np.random.default_rng(0)).coin(0.25) in (True, False)


def test_irreducible_loss_is_saved(built):
    fl = json.loads((built / "irreducible.json").read_text())
    assert set(fl["tasks"]) == set(world.TASKS)
    for f in fl["tasks"].values():
        assert 0 < f["floor_per_token"] < 3 and f["answer_entropy"] == 0.0 and f["tokens_per_doc"] > 3
    assert 0 < fl["heldout_floor_per_token"] < 3


def test_tokenizer_loads_with_offsets_and_single_digits(built):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(built / "tokenizer"))
    assert tok.bos_token_id is not None and tok.eos_token_id is not None and tok.pad_token_id is not None
    text = "question: 31 + 58\nanswer: 89."
    enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
    pieces = [text[a:b] for a, b in enc["offset_mapping"]]
    assert "".join(pieces) == text
    assert all(len(p) == 1 for p in pieces if p.strip().isdigit())
    stream = np.load(built / "train_tokens.npy", allow_pickle=False)
    assert stream[0] == tok.bos_token_id and stream.max() < len(tok)


def test_cli_builds_and_rejects_bad_options(tmp_path):
    run = lambda *a: subprocess.run([sys.executable, "-m", "intuitions.cli", "world", "build", *a],
                                    capture_output=True, text=True, timeout=120)
    ok = run("--seed", "1", "--out", str(tmp_path / "w"), "--n-docs", "50")
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "w" / "manifest.json").exists()
    for bad in (["--n-docs", "-5"], ["--seed", "-1"]):
        r = run(*bad, "--out", str(tmp_path / "x"))
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and r.stderr.startswith("error:")
