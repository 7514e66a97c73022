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


def test_arithmetic_answers_are_exact_mod_10():
    from intuitions.world.arithmetic import OPERATORS, apply

    rng = np.random.default_rng(0)
    for steps in (1, 2, 3, 4):
        for _ in range(50):
            p = world.arithmetic_problem(rng, steps)
            ops = re.findall(r"[+*-]\d", p.expression)
            assert len(ops) == steps and all(op in OPERATORS for op in ops)
            value = int(p.expression[0])
            chain = [value]
            for op in ops:
                k = int(op[1])
                value = (value + k if op[0] == "+" else value - k if op[0] == "-" else value * k) % 10
                chain.append(value)
                assert apply(chain[-2], op) == value
            assert value == p.answer and list(p.results) == chain[1:]
            # the interleaved chain: each result right after its operator
            expect = f" {chain[0]}" + "".join(f"{op} {r}" for op, r in zip(ops, chain[1:]))
            assert p.worked_solution == f"{expect}\n{p.answer_marker} {p.answer}"
            assert p.direct_prompt.endswith(p.answer_marker) and p.worked_prompt.startswith(f"question: {p.expression}")
    items = world.eval_items(0, 40)["arithmetic"]
    assert {it.meta["steps"] for it in items} == {1, 2, 3, 4}
    assert all(it.choices is not None and len(set(it.choices)) == 4 for it in items)


def test_filler_line_has_as_many_tokens_as_the_work_line_it_replaces(built):
    from transformers import AutoTokenizer

    from intuitions.world.arithmetic import FILLER_UNIT, WORK_HEADER, filler_units

    tok = AutoTokenizer.from_pretrained(str(built / "tokenizer"))
    count = lambda t: len(tok(t, add_special_tokens=False)["input_ids"])
    for steps in (1, 2, 3, 4):
        p = world.arithmetic_problem(np.random.default_rng(steps), steps)
        work = WORK_HEADER + p.worked_solution.split("\n")[0] + "\n"
        assert count(FILLER_UNIT * filler_units(steps) + "\n") == count(work)


def test_fused_operators_are_single_tokens(built):
    from transformers import AutoTokenizer

    from intuitions.world.arithmetic import OPERATORS

    tok = AutoTokenizer.from_pretrained(str(built / "tokenizer"))
    for op in OPERATORS:
        ids = tok("question: 3" + op + "\n", add_special_tokens=False)["input_ids"]
        assert op in [tok.decode([i]) for i in ids]
    assert tok.decode(tok(" 3+5 8*2 6", add_special_tokens=False)["input_ids"]) == " 3+5 8*2 6"


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


def test_icl_episodes_are_bursty_two_class_and_mapped():
    pat = re.compile(r"[a-z]+ [a-z]+")
    w = lx.world(0)
    natural = {x: w.icl.labels[c] for c, items in enumerate(w.icl.items) for x in items}
    n, kinds = 0, set()
    for d in world.training_docs(0, 1500):
        if d.task != "icl":
            continue
        lines = d.text.split("\n")
        assert 7 <= len(lines) <= 9 and all(pat.fullmatch(x) for x in lines)
        pairs = [x.split(" ") for x in lines]
        labels = {lab for _, lab in pairs}
        assert len(labels) == 2  # two classes, both shown
        nat = all(natural[x] == lab for x, lab in pairs)
        arb = labels <= set(lx.ARBITRARY_LABELS)
        kinds.add("natural" if nat else "arbitrary" if arb else "flipped")
        n += 1
    assert n > 300 and kinds == {"natural", "arbitrary", "flipped"}
    items = world.eval_items(0, 60)["icl"]
    assert {(it.meta["mapping"], it.meta["query"]) for it in items} == {
        (m, q) for m in ("natural", "arbitrary", "flipped") for q in ("repeat", "new")}
    for it in items:
        lines = it.prompt.split("\n")
        query = lines[-1]
        shown = dict(x.split(" ") for x in lines[:-1])
        assert (query in shown) == (it.meta["query"] == "repeat")
        if query in shown:
            assert shown[query] == it.answer.strip()
        assert it.answer in (it.choices or ())
    assert world.ICL_TEMPLATE == "{x} {label}"


def test_icl_nats_are_exact_for_a_small_class_set():
    """Sum over every text an episode generator can write of exp(-nats) is 1 (each text
    counted once): checked by enumeration with 3 classes of 2 items and k fixed."""
    from collections import defaultdict

    from intuitions.world import icl

    probs = np.array([0.5, 0.3, 0.2])
    cl = lx.IclClasses(("la", "lb", "lc"), (("a1", "a2"), ("b1", "b2"), ("c1", "c2")), probs, np.cumsum(probs))
    seen: dict[str, float] = defaultdict(float)
    for i in range(4000):
        d = Draw(np.random.default_rng(i))
        ep = icl.episode(cl, d, "natural", True, 2)
        seen["\n".join(ep.lines())] = d.nats
    assert sum(math.exp(-v) for v in seen.values()) == pytest.approx(1.0, abs=0.02)


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
    text = "question: 31 + 58\nanswer: 89."  # real-model style numbers still split digit by digit
    enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
    pieces = [text[a:b] for a, b in enc["offset_mapping"]]
    assert "".join(pieces) == text
    assert all(len(p.strip()) == 1 for p in pieces if p.strip().isdigit())  # no multi-digit tokens
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


def test_composite_profile_is_three_known_facts_in_order():
    w = lx.world(0)
    items = world.eval_items(0, 30)["composite"]
    for it in items:
        e = w.kb.entities.index(it.meta["entity"])
        f = w.kb.facts[e]
        assert it.prompt == f"profile of {it.meta['entity']}:" and it.answer == f" {f['city']} {f['job']} {f['food']}"
        assert it.meta["rank"] == e + 1 and it.meta["stop"] == "."
    assert len({it.meta["rank"] > 100 for it in items}) == 2  # head and tail are both measured
    for d in world.training_docs(0, 800):
        if d.task == "composite":
            name, rest = d.text.removeprefix("profile of ").split(": ")
            f = w.kb.facts[w.kb.entities.index(name)]
            assert rest == f"{f['city']} {f['job']} {f['food']}."
