import json
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from intuitions.experiments.cot import core as cot
from intuitions.experiments.cot import problems as pb
from intuitions.models.base import tokenize
from intuitions.verdict import INCONCLUSIVE, NOT_SUPPORTED, SUPPORTED

EXAMPLE = "What is the square of ((8 - 2) * 3 + 4) ^ 3 / 8? (A) 1,483,492 (B) 1,395,394 (C) 1,771,561"


# -- problems -------------------------------------------------------------------------------------
def test_the_classic_example_is_c():
    q = pb.parse_question(EXAMPLE)
    assert q.value == 1_771_561
    assert q.options == {"A": 1_483_492, "B": 1_395_394, "C": 1_771_561}
    assert q.correct == ["C"]


@pytest.mark.parametrize("text,value", [
    ("((8 - 2) * 3 + 4) ^ 3 / 8", 1331),
    ("2 ^ 3 ^ 2", 512),  # right-associative, as written mathematics reads it
    ("(2 ^ 3) ^ 2", 64),
    ("7 - 3 - 2", 2),
    ("12 / 4 / 3", 1),
    ("1 + 2 * 3", 7),
    ("7 / 2", Fraction(7, 2)),
])
def test_independent_evaluator(text, value):
    assert pb.evaluate(text) == value


@pytest.mark.parametrize("text", ["__import__('os')", "x + 1", "2 ** 0.5", "1 if 1 else 2", "2 ^ (1 / 2)"])
def test_evaluator_refuses_anything_but_arithmetic(text):
    with pytest.raises((ValueError, SyntaxError)):
        pb.evaluate(text)


SPECS = [
    pb.ProblemSpec(steps=s, square_of=sq, max_operand=mo, max_value=mv, ops=ops, n_options=k)
    for s, sq, mo, mv, ops, k in [
        (1, 0.0, 9, 10_000, pb.OPS, 3), (2, 0.3, 9, 10_000, pb.OPS, 3), (3, 0.0, 9, 10_000, pb.OPS, 4),
        (4, 0.5, 12, 100_000, pb.OPS, 3), (6, 0.3, 9, 2_000_000, pb.OPS, 5), (3, 0.0, 99, 10_000, ("+", "-"), 3),
        (5, 0.0, 9, 500, ("*", "/", "^"), 2),
    ]
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.steps}steps-{''.join(s.ops)}-{s.max_value}")
def test_generated_problems_are_exact_and_worked_steps_correct(spec):
    rng = np.random.default_rng(7)
    for _ in range(60):
        p = pb.generate(rng, spec)
        # The answer, from the rendered question by an evaluator that shares no code with it.
        q = pb.parse_question(p.mc_question(commas=True))
        assert q.value == p.answer and q.value.denominator == 1 and p.answer >= 1
        assert q.correct == [pb.LETTERS[p.correct]]
        assert pb.parse_question(p.mc_question(commas=False)).value == p.answer
        # Each worked step is right, and each uses the previous step's result.
        assert p.n_steps == spec.steps
        for i, s in enumerate(p.steps):
            assert pb.evaluate(f"{s.left} {s.op} {s.right}") == s.result
            assert 1 <= s.result <= spec.max_value
            if i:
                assert s.left == p.steps[i - 1].result
        lines = p.worked_solution().splitlines()
        assert [pb.evaluate(l.split("=")[0]) for l in lines] == [int(l.split("=")[1]) for l in lines]
        assert p.steps[-1].result == p.answer
        # Distractors: the right count, distinct, positive, never the answer.
        assert len(p.options) == spec.n_options == len(set(p.options))
        assert p.options[p.correct] == p.answer
        assert all(v >= 1 for v in p.options) and p.options.count(p.answer) == 1


def test_distractors_are_near_misses():
    rng = np.random.default_rng(3)
    for _ in range(100):
        p = pb.generate(rng, pb.ProblemSpec(steps=3))
        for v in p.options:
            if v != p.answer:  # within an order of magnitude: plausible, not random
                assert p.answer / 10 <= v <= p.answer * 10 + 20


def test_deterministic_by_seed_and_distinct():
    spec = pb.ProblemSpec(steps=3)
    a = pb.problems(np.random.default_rng(11), spec, 30)
    b = pb.problems(np.random.default_rng(11), spec, 30)
    c = pb.problems(np.random.default_rng(12), spec, 30)
    assert a == b and a != c
    assert len({p.question() for p in a}) == 30


def test_parentheses_only_where_needed():
    assert pb._render("8 - 2", "-", "*", 3) == "(8 - 2) * 3"
    assert pb._render("(8 - 2) * 3", "*", "+", 4) == "(8 - 2) * 3 + 4"
    assert pb._render("(8 - 2) * 3 + 4", "+", "^", 3) == "((8 - 2) * 3 + 4) ^ 3"
    assert pb._render("2 ^ 3", "^", "^", 2) == "(2 ^ 3) ^ 2"
    assert pb._render("8 - 2", "-", "-", 1) == "8 - 2 - 1"
    assert pb._render("7", None, "^", 2) == "7 ^ 2"


def test_bad_spec_is_a_user_error():
    from intuitions.errors import UserError

    with pytest.raises(UserError):
        pb.ProblemSpec(steps=0)
    with pytest.raises(UserError):
        pb.problems(np.random.default_rng(0), pb.ProblemSpec(steps=1, max_operand=2, ops=("+",)), 50)


@pytest.mark.parametrize("text,expected", [
    ("Answer: 1,771,561.", 1771561),
    ("Answer: 1 771 561!", 1771561),
    (" 22\n", 22),
    ("Answer:22", 22),
    ("answer: 24.", 24),
    ("so it is 12.\nAnswer: 15,", 15),
    ("Answer: 15 because 3 + 12 = 15", 15),
    ("Answer: 22 + 3 = 25", 22),
    ("3 + 9 = 12\n12 + 3 = 15\n", 15),  # no marker: the last number
    ("Answer: -3", -3),
    ("Answer: 22.0", 22),
    ("Answer: 22.5", Fraction(45, 2)),
    ("Answer: (C) 1,771,561", 1771561),
    ("Answer: 1,234,5", 1234),
    ("nothing here", None),
    ("", None),
])
def test_extract_answer(text, expected):
    assert pb.extract_answer(text) == expected


# -- prompts and conditions ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def scorer(tmp_path_factory):
    """A tiny random model with room for few-shot prompts (the shared one has 64 positions)."""
    from intuitions.models.hf import HFScorer
    from intuitions.testing import make_tiny_model

    return HFScorer.load(str(make_tiny_model(tmp_path_factory.mktemp("cot") / "m", ctx=512)), name="tiny")


def test_filler_matches_the_worked_solution_length(scorer):
    for n in range(1, 40, 3):
        text = cot.filler_text(scorer, n)
        assert not any(ch.isdigit() for ch in text)
        assert len(tokenize(scorer, [text], add_prefix=False)[0]) == n


def test_contexts_keep_each_condition_in_its_own_format():
    cfg = cot.CotConfig(steps=(2,), n=3, shots=2)
    demos, items = cot.real_items(cfg)
    w = items[0]
    ctx = cot.contexts(w, demos, cot.REAL, lambda x: " . .\n")
    assert ctx["direct"].endswith(w.question + "Answer:")
    assert ctx["given"].endswith(w.question + cot.REAL.header + w.rationale + "Answer:")
    # leak-free: every intermediate result, but not the final one the answer would copy
    assert ctx["partial"].endswith(w.question + cot.REAL.header + cot.without_result(w) + "Answer:")
    assert cot.without_result(w).rstrip().endswith("=") and str(w.answer) not in cot.without_result(w).split("\n")[-2]
    assert ctx["filler"].endswith(w.question + " . .\nAnswer:")
    assert ctx["cot"].endswith(w.question + cot.REAL.header)
    assert ctx["mc_given"].endswith(w.mc_question + cot.REAL.header + w.rationale + "Answer:")
    for c, text in ctx.items():
        assert text.count("Question:") == 3
        assert text.count(cot.REAL.header) == (3 if c in ("given", "partial", "cot", "mc_given") else 0)
    assert "step by step" not in ctx["filler"]
    assert w.question not in "".join(d.question for d in demos)


def test_world_items_are_held_out_and_in_the_trained_format():
    from intuitions.world.arithmetic import problem_text
    from intuitions.world.core import is_heldout

    cfg = cot.CotConfig(steps=(1, 2, 3, 4), n=5, seed=3)
    items = cot.world_items(cfg)
    assert [w.steps for w in items] == [1] * 5 + [2] * 5 + [3] * 5 + [4] * 5
    for w in items:
        assert is_heldout("arithmetic", w.expression)
        ctx = cot.contexts(w, [], cot.WORLD, lambda x: " .\n")
        # Exactly the training text, with the answer where the model must produce it.
        given = ctx["given"] + f" {w.answer}."
        direct = ctx["direct"] + f" {w.answer}."
        assert given.startswith(f"question: {w.expression}\nwork: ") and given.endswith(f"\nanswer: {w.answer}.")
        assert direct == f"question: {w.expression}\nanswer: {w.answer}."
        assert w.options[w.correct] == w.answer and len(set(w.options)) == len(w.options)
        assert all(0 <= o <= 9 for o in w.options)  # the world's arithmetic is mod 10
    rng = np.random.default_rng(0)
    from intuitions.world import arithmetic_problem

    p = arithmetic_problem(rng, 3)
    w = cot._from_world(p, rng, 3)
    assert cot.contexts(w, [], cot.WORLD, lambda x: "")["given"] + f" {p.answer}." == problem_text(p, "worked")
    assert cot.contexts(w, [], cot.WORLD, lambda x: "")["direct"] + f" {p.answer}." == problem_text(p, "direct")
    filler = problem_text(p, "filler")
    assert cot.contexts(w, [], cot.WORLD, lambda x: filler[len(w.question):filler.index("answer:")])["filler"] + \
        f" {p.answer}." == filler  # the filler control is a format the ladder was trained on


def test_char_roles_find_results_operands_and_answer():
    w = cot.Worked(2, "3 + 9 + 3", 15, "Q\n", "Q\n", "3 + 9 = 12\n12 + 3 = 15\n", (15, 14), 0)
    text = "Q\n" + cot.REAL.header + w.rationale + "Answer: 15\n\n"
    roles = cot._char_roles(text, len("Q\n") + len(cot.REAL.header), w, cot.REAL)
    got = {}
    for ch, r in zip(text, roles):
        got.setdefault(r, "")
        got[r] += ch
    assert got["result"] == "1215"
    assert got["operand"] == "39123"
    assert got["answer"] == "15"
    world = cot.Worked(2, "5+3*4", 2, "q\n", "q\n", " 5+3 8*4 2\n", (2, 3), 0)
    t2 = "q\nwork:" + world.rationale + "answer: 2.\n"
    r2 = cot._char_roles(t2, len("q\nwork:"), world, cot.WORLD)
    assert "".join(c for c, r in zip(t2, r2) if r == "result") == "82"
    assert "".join(c for c, r in zip(t2, r2) if r == "operand") == "534"
    assert "".join(c for c, r in zip(t2, r2) if r == "answer") == "2"


def test_run_on_a_tiny_model(scorer):
    from intuitions.models.base import continuation_ids

    cfg = cot.CotConfig(steps=(1, 2), n=4, gen_n=2, shots=1, max_new_tokens=12, density_n=2)
    res = cot.run(["tiny"], cfg, lambda _: scorer)
    r = res.runs[0]
    assert len(r.items) == 8 and r.kind == "real" and r.n_params > 0
    # The answer surprisal is the answer tokens' surprisal, checked against a plain scoring pass.
    demos, items = cot.real_items(cfg)
    ctx = cot.contexts(items[0], demos, cot.REAL, lambda w: "")["given"]
    (c, k), = continuation_ids(scorer, [ctx], [f" {items[0].answer}"])
    direct = scorer.score([c + k])[0]
    assert r.items[0].surprisal["given"] == pytest.approx(-direct.total(len(c)), abs=1e-4)
    # Generation ran on gen_n problems per step count only.
    assert [it.correct["cot"] is not None for it in r.items] == [True, True, False, False] * 2
    assert all(it.correct["mc_direct"] is not None for it in r.items)
    cells = {(c.metric, c.condition, c.steps): c.estimate for c in r.cells}
    assert cells[("surprisal", "given", None)].n == 8 and cells[("accuracy", "cot", 1)].n == 2
    assert cells[("tokens", "filler-given", None)].value == 0  # the filler is as long as the thought
    con = {(c.metric, c.condition, c.steps): c.estimate for c in r.contrasts}
    d = [it.surprisal["given"] - it.surprisal["direct"] for it in r.items]
    assert con[("surprisal", "given-direct", None)].value == pytest.approx(np.mean(d))
    assert {x.role for x in r.density.roles} == {"result", "operand", "format", "answer"}
    assert r.density.example and r.density.n_texts == 2


def test_generation_is_batched_like_one_at_a_time(scorer):
    prompts = ["The cat", "What is 3 + 4? 3 + 4 = 7. What is", "One", "Input: I loved this film. Output:"]
    assert scorer.generate(prompts, 6) == [scorer.generate([p], 6)[0] for p in prompts]
    cut = scorer.generate(prompts, 6, stop=[" "])
    assert all(t.count(" ") <= 1 and (not t.count(" ") or t.endswith(" ")) for t in cut)


# -- verdicts -------------------------------------------------------------------------------------
def _items(cot_right: int, direct_right: int, n: int = 100, steps: int = 2, direct_from: int = 0) -> list[dict]:
    """n problems: the first cot_right solved with a chain of thought, direct_right of them directly
    (from index direct_from on, so the two can disagree both ways)."""
    return [{"steps": steps, "correct": {"cot": i < cot_right, "direct": direct_from <= i < direct_from + direct_right,
                                         "partial": False, "filler": False}} for i in range(n)]


def _saved(*runs):
    return {"result": {"runs": [{"model": m, "kind": kind, "n_params": n, "items": items}
                                for m, kind, n, items in runs]}}


def test_verdict_rule_decides_on_generated_chains_of_thought():
    good, flat, unsure = _items(60, 20), _items(20, 20), _items(30, 25, direct_from=10)
    v = cot.verdicts(_saved(("smol", "real", 1, good)))
    assert [(x.source, x.label) for x in v] == [("real", SUPPORTED)] and "smol" in v[0].evidence
    assert v[0].rule_id == "cot.generated_vs_direct"
    assert cot.verdicts(_saved(("smol", "real", 1, flat)))[0].label == NOT_SUPPORTED
    assert cot.verdicts(_saved(("smol", "real", 1, unsure)))[0].label == INCONCLUSIVE
    # one-step problems do not count: a gain there is no evidence for multi-step thinking
    assert cot.verdicts(_saved(("smol", "real", 1, _items(60, 20, steps=1))))[0].label == INCONCLUSIVE
    # per source: only the largest ladder member speaks for the ladder, real models for themselves
    ladder = [("family:q/a", "ladder", 10, flat), ("family:q/b", "ladder", 100, good)]
    v = cot.verdicts(_saved(*ladder, ("smol", "real", 1, flat)))
    assert [(x.source, x.label) for x in v] == [("ladder", SUPPORTED), ("real", NOT_SUPPORTED)]
    assert cot.verdicts({"result": {"runs": []}}) == []


# -- the main job and the command line ------------------------------------------------------------
def test_report_step_on_a_ladder_writes_results_figures_and_a_verdict(tmp_path, monkeypatch):
    from intuitions import paths
    from intuitions.experiments.contract import StepContext
    from intuitions.results import read_result
    from intuitions.testing import make_tiny_model

    for i, name in enumerate(["s1", "s2"]):
        d = make_tiny_model(paths.family_root() / "t" / name, width=16 * (i + 1), ctx=256, seed=i)
        (d / "member.json").write_text(json.dumps({"n_params": 1000 * (i + 1)}))
    ctx = StepContext(tmp_path / "step", "smoke", "family:t", (), options={"n_ladder": 3, "gen_n": 1, "density_n": 1})
    cot.report_step(ctx)
    saved = read_result(ctx.out)
    assert [r["model"] for r in saved["result"]["runs"]] == ["family:t/s1", "family:t/s2"]
    assert all(r["format"] == "world" for r in saved["result"]["runs"])
    assert {p.name for p in ctx.out.glob("*.png")} >= {"surprisal_by_condition.png", "accuracy_vs_steps.png",
                                                     "ladder_by_size.png", "density_roles.png"}
    v = cot.verdicts(saved)
    assert len(v) == 1 and v[0].intuition == 3 and v[0].source == "ladder" and "family:t/s2" in v[0].evidence


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "intuitions.cli", "cot", *args], capture_output=True,
                          text=True, timeout=300)


BAD = [
    ["--steps", "0"],
    ["--steps", "1,-2"],
    ["--steps", "a,b"],
    ["--n", "0"],
    ["--n", "-3"],
    ["--max-new-tokens", "0"],
    ["--model", "no-such-model", "--n", "1"],
    ["--family", "no-such-ladder", "--n", "1"],
    ["--family", "quick", "--steps", "5"],
    ["--max-operand", "1"],
]


@pytest.mark.parametrize("args", [BAD[0], BAD[3], BAD[6]])
def test_bad_options_one_line_exit_2(args):
    r = _cli(*args)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize("args", BAD)
def test_bad_options_in_process(args, capsys):
    from intuitions.cli import main

    with pytest.raises(SystemExit) as e:
        main(["cot", *args])
    err = capsys.readouterr().err
    assert e.value.code == 2 and len(err.strip().splitlines()) == 1 and err.startswith("error:"), err


def test_cli_writes_result_and_figures(scorer, tmp_path):
    model_dir = tmp_path / "m"
    scorer.model.save_pretrained(model_dir)
    scorer.tokenizer.save_pretrained(model_dir)
    out = tmp_path / "out"
    r = _cli("--model", str(model_dir), "--steps", "1,2", "--n", "2", "--gen-n", "1", "--shots", "1",
             "--max-new-tokens", "8", "--density-n", "1", "--out", str(out))
    assert r.returncode == 0, r.stderr
    doc = json.loads((out / "result.json").read_text())
    assert doc["experiment"] == "cot" and doc["config"]["steps"] == [1, 2]
    run = doc["result"]["runs"][0]
    assert {c["condition"] for c in run["cells"]} >= set(cot.ACCURACY_CONDITIONS)
    assert (out / "surprisal_by_condition.png").exists() and (out / "accuracy_vs_steps.png").exists()
    assert "accuracy cot" in r.stdout


@pytest.mark.real
def test_smollm2_conditions_run(smollm2_scorer):
    cfg = cot.CotConfig(steps=(1,), n=2, gen_n=1, shots=1, max_new_tokens=24, density_n=1)
    r = cot.run(["smollm2-135m"], cfg, lambda _: smollm2_scorer).runs[0]
    assert len(r.items) == 2 and all(np.isfinite(list(it.surprisal.values())).all() for it in r.items)
    assert r.items[0].rationale_tokens == r.items[0].filler_tokens


def test_teacher_forced_greedy_flag_agrees_with_generation(scorer):
    for ctx in ["The cat", "What is 3 + 4?", "One, two", "Input: a dull"]:
        g = scorer.generate([ctx], 4)[0]
        ids = tokenize(scorer, [g], add_prefix=False)[0]
        ans, end = scorer.tokenizer.decode(ids[:2]), scorer.tokenizer.decode(ids[2:3])
        sur, greedy = cot.answer_scores(scorer, [ctx, ctx], [ans, ans + "x"], end)
        assert greedy == [True, False]
        assert 0 <= sur[0] < sur[1]
        # The answer right but then not the expected ending: undecided, left to a generation.
        assert cot.answer_scores(scorer, [ctx], [ans], "Q")[1] == [None]
