import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intuitions.errors import BadData, UserError
from intuitions.experiments.multitask import core as mt
from intuitions.experiments.multitask import figures as multitask_figures
from intuitions.experiments.multitask import probes
from intuitions.models.base import Encoding, TokenScores, score_texts
from intuitions.verdict import INCONCLUSIVE, NOT_SUPPORTED, SUPPORTED

PROBES_DIR = Path(mt.__file__).parents[2] / "data" / "probes"


# -- the decomposition identity ------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(st.integers(1, 400), st.integers(1, 9), st.integers(1, 30), st.integers(0, 2**32 - 1))
def test_identity_holds_for_random_tags(n_tokens, n_tasks, n_clusters, seed):
    rng = np.random.default_rng(seed)
    losses = rng.exponential(3.0, n_tokens) * rng.choice([1e-3, 1, 1e3], n_tokens)
    tasks = rng.integers(0, n_tasks, n_tokens)
    clusters = rng.integers(0, n_clusters, n_tokens)
    names = [f"t{i}" for i in range(n_tasks)]
    sums = mt.accumulate(losses, tasks, clusters, names, n_clusters)
    d = mt.decompose(sums, mt.boot_weights(n_clusters, 50, seed=1))
    assert d.identity_error <= 1e-6 * max(1.0, d.overall_loss.value)
    assert d.overall_loss.value == pytest.approx(losses.mean(), rel=1e-12)
    assert sum(t.share.value for t in d.tasks) == pytest.approx(1.0)
    assert sum(t.fraction for t in d.tasks) == pytest.approx(1.0)
    for t in d.tasks:  # each part against a direct per-task mean
        mask = tasks == names.index(t.task)
        assert t.n_tokens == mask.sum()
        assert t.mean_loss.value == pytest.approx(losses[mask].mean(), rel=1e-12)
    assert {t.task for t in d.tasks} == {names[i] for i in set(tasks.tolist())}


@settings(max_examples=12, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(1, 20), st.sampled_from("abcd")), max_size=8))
def test_identity_on_a_real_model_with_random_spans(tiny_scorer, raw):
    text = "The cat sat on the mat. 3 + 4 = 7.\nJohn Smith went to Paris and saw 12 dogs."
    spans = tuple(mt.TaskSpan(a, min(a + w, len(text)), t) for a, w, t in raw if a < len(text))
    corpus = mt.Corpus("spans", (mt.TaggedText(text, spans), mt.TaggedText("One, two, three.", ())))
    sums = mt.task_sums(tiny_scorer, corpus)
    d = mt.decompose(sums, mt.boot_weights(2, 20))
    scored = np.concatenate([s.surprisal[np.isfinite(s.logprobs)]
                             for s in score_texts(tiny_scorer, [c.text for c in corpus.texts])])
    assert d.n_tokens == len(scored)
    assert d.overall_loss.value == pytest.approx(scored.mean(), rel=1e-12)
    assert d.identity_error <= 1e-6


def test_token_tasks_majority_ignores_untagged_space_and_bos():
    text = mt.TaggedText("ab cd", (mt.TaskSpan(3, 5, "x"), mt.TaskSpan(0, 1, "y")), default="z")
    idx = {"x": 0, "y": 1, "z": 2}
    got = mt.token_tasks(text, [(0, 0), (0, 2), (2, 5)], idx)
    # BOS -> -1; "ab" has one tagged char (y) -> y; " cd": the space is nobody's -> x
    assert got.tolist() == [-1, 1, 0]
    assert mt.token_tasks(mt.TaggedText("ab", (), "z"), [(0, 2)], idx).tolist() == [2]


def test_heuristic_tags():
    text = "The Eiffel Tower is 330 m tall, said John Smith; 12 + 30 = 42."
    tags = {text[s.start:s.end]: s.task for s in mt.heuristic_spans(text)}
    assert tags["Eiffel Tower"] == "factual recall"
    assert tags["John Smith"] == "factual recall"
    assert tags["330"] == tags["42"] == tags["+"] == tags["="] == "arithmetic"
    assert tags["is"] == tags["The"] == "grammar"
    assert "tall" not in tags  # content words stay 'other'


def test_clusters_by_line_for_one_text():
    c = mt.Corpus("file", (mt.TaggedText("a b\n\nc d\nef\n", ()),))
    ids, n = mt.clusters_of(c, 0, np.array([0, 2, 3, 4, 5, 7, 8, 10, 11]))
    assert n == 3 and ids.tolist() == [0, 0, 0, 0, 1, 1, 1, 2, 2]


@pytest.mark.parametrize("line, needle", [
    ("not json", "not valid JSON"),
    ('{"spans": []}', "non-empty 'text'"),
    ('{"text": "abc", "spans": [[0, 9, "x"]]}', "bad span"),
    ('{"text": "abc", "spans": [{"start": 2, "end": 1, "task": "x"}]}', "bad span"),
    ('{"text": "abc", "spans": [{"start": 0, "end": 1, "task": ""}]}', "bad span"),
    ('{"text": "abc", "spans": {"a": 1}}', "must be a list"),
])
def test_spans_file_errors_name_the_line(tmp_path, line, needle):
    p = tmp_path / "tags.jsonl"
    p.write_text('{"text": "fine", "spans": [[0, 4, "x"]]}\n\n' + line + "\n")
    with pytest.raises(UserError) as e:
        mt.read_spans_file(p)
    assert f"{p}:3:" in str(e.value) and needle in str(e.value) and "\n" not in str(e.value)


# -- probes -----------------------------------------------------------------------------------------------
def test_builtin_suite_schema_and_size():
    suite = probes.load_suite()
    assert list(suite) == list(probes.CATEGORIES)
    for cat, items in suite.items():
        assert len(items) >= 40, cat
        assert len({it.context for it in items}) == len(items), cat  # no repeated questions
        for it in items:
            assert it.category == cat and it.correct.startswith(" ") and all(w.startswith(" ") for w in it.wrong)
    labels = [it.correct for it in suite["sentiment"]]
    assert labels.count(" positive") == labels.count(" negative")  # one-label models get 50%


def test_probe_files_match_their_generator():
    sys.path.insert(0, str(PROBES_DIR))
    try:
        import make_probes
    finally:
        sys.path.pop(0)
    for cat, items in make_probes.build().items():
        assert (PROBES_DIR / f"{cat}.jsonl").read_text(encoding="utf-8") == make_probes.render(items), cat


GOOD = '{"id": "g1", "context": "a", "correct": " b", "wrong": [" c"]}'


@pytest.mark.parametrize("line, needle", [
    ("{oops", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    ('{"id": "x", "context": "a", "correct": " b"}', "missing field(s) wrong"),
    ('{"id": "x", "context": "a", "correct": " b", "wrong": []}', "non-empty list"),
    ('{"id": "x", "context": "a", "correct": " b", "wrong": [" b"]}', "must all differ"),
    ('{"id": "x", "context": "", "correct": " b", "wrong": [" c"]}', "'context' must be"),
    ('{"id": "x", "context": "a", "correct": " b", "wrong": [" c"], "answer": 1}', "unknown field"),
    ('{"id": "g1", "context": "a", "correct": " b", "wrong": [" c"]}', "duplicate id"),
    ('{"id": "x", "category": "math", "context": "a", "correct": " b", "wrong": [" c"]}', "does not match"),
])
def test_malformed_probe_file_one_line_error_naming_the_line(tmp_path, line, needle):
    p = tmp_path / "grammar.jsonl"
    p.write_text(GOOD + "\n" + line + "\n")
    with pytest.raises(BadData) as e:
        probes.load_file(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}:2:") and needle in msg and "\n" not in msg


class FixedScorer:
    """A stub model: char-level tokens; the logprob of each (context, option) pair is fixed
    in advance by the option's position in its item, so what it prefers is known exactly."""

    name = "stub"
    fingerprint = "stub"
    n_params = None

    def __init__(self, suite, total_of_position):
        self.table = {}
        for items in suite.values():
            for it in items:
                for k, opt in enumerate(it.options):
                    self.table[(it.context, opt)] = total_of_position(k)
        self.by_ids = {tuple(self._ids(c) + self._ids(o, False)): (len(self._ids(c)), v)
                       for (c, o), v in self.table.items()}

    @staticmethod
    def _ids(text, prefix=True):
        return ([0] if prefix else []) + [ord(ch) for ch in text]

    def encode(self, texts, add_prefix=True):
        return [Encoding(self._ids(t, add_prefix), [(0, 0)] * add_prefix + [(i, i + 1) for i in range(len(t))])
                for t in texts]

    def score(self, seqs, progress=None):
        out = []
        for s in seqs:
            n_ctx, total = self.by_ids[tuple(s)]
            lp = np.zeros(len(s))
            lp[0] = np.nan
            lp[-1] = total  # the whole continuation's logprob on its last token
            out.append(TokenScores(np.asarray(s), lp))
        return out

    def generate(self, prompts, max_new_tokens, stop=()):
        raise NotImplementedError


def test_stub_preferring_the_first_option_scores_what_the_schema_implies():
    suite = probes.load_suite()
    res = probes.run(FixedScorer(suite, lambda k: -(k + 1.0)), suite, seed=0)
    assert [c.category for c in res.categories] == list(suite)
    for c, items in zip(res.categories, suite.values()):
        assert c.n_items == len(items)
        assert c.accuracy.value == 1.0  # the correct continuation is listed first
        assert c.surprisal.value == 1.0
        # per-token: -1/len(correct) must beat -(k+1)/len(option k) for every wrong option
        expect = np.mean([all(-1 / len(it.correct) > -(k + 1) / len(o) for k, o in enumerate(it.options) if k)
                          for it in items])
        assert c.accuracy_norm.value == pytest.approx(expect, abs=1e-12)
        assert c.chance == pytest.approx(np.mean([1 / len(it.options) for it in items]))


@pytest.mark.parametrize("total, expected", [(lambda k: -10.0 + k, 0.0), (lambda k: -2.0, 0.0)])
def test_stub_preferring_others_or_indifferent_scores_zero(total, expected):
    suite = probes.load_suite(categories=["arithmetic", "grammar"])
    res = probes.run(FixedScorer(suite, total), suite)
    assert all(c.accuracy.value == expected for c in res.categories)  # ties count as wrong


def test_subsample_is_seeded_and_sized():
    suite = probes.load_suite(categories=["spatial"])
    stub = FixedScorer(suite, lambda k: -(k + 1.0))
    a, b = probes.run(stub, suite, seed=3, n=7), probes.run(stub, suite, seed=3, n=7)
    assert [i.id for i in a.categories[0].items] == [i.id for i in b.categories[0].items]
    assert a.categories[0].n_items == 7


def test_probes_run_on_a_real_tiny_model(tiny_scorer):
    suite = probes.load_suite(categories=["arithmetic", "sentiment"])
    res = probes.run(tiny_scorer, suite, n=6)
    for c in res.categories:
        assert c.n_items == 6
        assert c.accuracy.ci_low <= c.accuracy.value <= c.accuracy.ci_high
        assert all(s.surprisal > 0 and len(s.logprobs) == len(s.n_tokens) >= 2 for s in c.items)


# -- ladder, verdicts, report step -----------------------------------------------------------------------------
@pytest.fixture
def fake_ladder(tmp_path, monkeypatch):
    """Two members of different widths, the larger with two saved checkpoints."""
    from intuitions import paths
    from intuitions.testing import make_tiny_model

    root = paths.family_root() / "tiny"
    sizes = {"a-1x32": (1, 32, 4096), "b-2x64": (2, 64, 98304)}
    for name, (layers, width, ne) in sizes.items():
        d = make_tiny_model(root / name, layers=layers, width=width)
        (d / "member.json").write_text(json.dumps({"n_params": ne + 9600, "non_embedding_params": ne, "steps": 300}))
    cks = {"b-2x64": [(0, tmp_path / "ck0"), (30, tmp_path / "ck30"), (100, tmp_path / "ck100")]}
    for i, (_, p) in enumerate(cks["b-2x64"]):
        make_tiny_model(p, layers=2, width=64, seed=10 + i)
    from intuitions.experiments.multitask import ladder

    monkeypatch.setattr(ladder, "_checkpoints", lambda preset, member: cks.get(member, []))
    return "tiny"


def test_ladder_decomposition_learning_and_figures(fake_ladder, tmp_path):
    from intuitions.models import zoo
    from intuitions.results import to_jsonable

    refs = mt.ladder_refs(fake_ladder)
    assert [(r.member, r.step, r.final) for r in refs] == [
        ("a-1x32", 300, True), ("b-2x64", 0, False), ("b-2x64", 30, False), ("b-2x64", 100, False),
        ("b-2x64", 300, True)]
    res = mt.run(refs, lambda s: zoo.load(s, cache=False), mt.world_corpus(0, 3), seed=0)
    assert res.identity_max_error <= 1e-6
    assert len(res.decompositions) == 5 and res.source == "world"
    axes = {r.axis for r in res.learning}
    assert axes == {"size", "steps:b-2x64"}
    steps = next(r for r in res.learning if r.axis == "steps:b-2x64")
    assert steps.xs == [30.0, 100.0, 300.0]  # step 0 (random init) is left out
    assert all(r.label in ("early", "late", "not learned") for r in res.learning)
    made = multitask_figures.render(to_jsonable(res), tmp_path / "figs")
    assert {p.name for p in made} == {"contributions.png", "task_loss_vs_size.png", "task_loss_vs_step.png"}
    # the world's floors: every task has an excess over its known floor, and a learned share
    assert all(t.floor is not None and t.excess is not None for d in res.decompositions for t in d.tasks)
    d = res.decompositions[0]
    assert all(abs(t.mean_loss.value - t.floor - t.excess.value) < 1e-9 for t in d.tasks if t.floor is not None
               and t.excess is not None)
    assert all(r.excess is not None and len(r.excess) == len(r.xs) for r in res.learning)
    (v,) = mt.verdicts({"result": to_jsonable(res)})
    assert v.intuition == 1 and v.source == "ladder" and v.label in (SUPPORTED, NOT_SUPPORTED)
    assert "Q = " in v.evidence and "excess loss over the floor" in v.evidence


def test_report_step_writes_result_and_verdict(fake_ladder, tmp_path):
    from intuitions.experiments.contract import StepContext
    from intuitions.results import read_result

    out = tmp_path / "step"
    mt.report_step(StepContext(out=out, preset="smoke", ladder=f"family:{fake_ladder}", real_models=(), n=3,
                               options={"checkpoints": False}))
    saved = read_result(out)
    assert saved["experiment"] == "multitask" and saved["config"]["docs_per_task"] == 3
    assert len(saved["result"]["decompositions"]) == 2
    assert (out / "contributions.png").exists()
    assert mt.verdicts(saved)[0].label in (SUPPORTED, NOT_SUPPORTED)


def _dec(member, size, losses, err=0.0):
    return {"model": f"family:x/{member}", "member": member, "final": True, "non_embedding_params": size,
            "identity_error": err, "n_clusters": 80,
            "tasks": [{"task": t, "mean_loss": {"value": v, "ci_low": v - 0.1, "ci_high": v + 0.1},
                       "excess": {"value": v - 1, "ci_low": v - 1.1, "ci_high": v - 0.9}} for t, v in losses.items()]}


def _saved(decs, shares):
    learning = [{"task": t, "axis": "size", "label": "late",
                 "learned_share": {"value": v, "ci_low": v - 0.1, "ci_high": v + 0.1}} for t, v in shares.items()]
    return {"result": {"decompositions": decs, "learning": learning}}


def test_verdict_rule():
    small, big = _dec("s", 10, {"a": 3.0, "b": 2.0}), _dec("l", 100, {"a": 2.0, "b": 1.5})
    (v,) = mt.verdicts(_saved([small, big], {"a": 0.8, "b": 0.3}))  # rates differ far beyond their CIs
    assert (v.label, v.source, v.rule_id) == (SUPPORTED, "ladder", "multitask.excess_rates")
    assert "p = " in v.evidence and "a 0.8 [0.7, 0.9]" in v.evidence
    assert mt.verdicts(_saved([small, big], {"a": 0.6, "b": 0.62}))[0].label == NOT_SUPPORTED
    broken = _dec("l", 100, {"a": 2.0, "b": 1.5}, err=1e-3)
    assert mt.verdicts(_saved([small, broken], {"a": 0.8, "b": 0.3}))[0].label == INCONCLUSIVE  # identity: a check
    assert mt.verdicts(_saved([big], {}))[0].label == INCONCLUSIVE
    assert mt.verdicts({"result": {"decompositions": [small, big], "learning": [
        {"task": "a", "axis": "size", "label": "late"}]}})[0].label == INCONCLUSIVE  # no floors


def _probe(model, accs, n=40, chance=0.5):
    return {"model": model, "categories": [
        {"category": c, "n_items": n, "chance": chance,
         "accuracy": {"value": a, "ci_low": a - 0.1, "ci_high": a + 0.1},
         "items": [{"right": i < round(a * n)} for i in range(n)]} for c, a in accs.items()]}


def test_probe_verdict_rule():
    def label(accs):
        (v,) = mt.verdicts({"result": {"decompositions": [], "probes": [_probe("smol", accs)]}})
        assert v.source == "real" and v.rule_id == "multitask.probes"
        return v.label

    assert label({"grammar": 0.95, "facts": 0.8, "arithmetic": 0.5}) == SUPPORTED
    assert label({"grammar": 0.5, "facts": 0.55, "arithmetic": 0.45}) == NOT_SUPPORTED
    assert label({"grammar": 0.8, "facts": 0.8, "arithmetic": 0.8}) == INCONCLUSIVE  # all alike
    assert label({"grammar": 0.9, "facts": 0.5, "arithmetic": 0.5}) == INCONCLUSIVE  # one skill only


def test_multitask_audit_cases_are_calibrated():
    from intuitions.experiments import audit
    from intuitions.experiments.multitask.audit import AUDIT

    for case in AUDIT:
        assert audit.rate(case, False, 10, seed=3) <= 0.2, case.rule_id
        assert audit.rate(case, True, 10, seed=3) >= 0.6, case.rule_id


# -- CLI ------------------------------------------------------------------------------------------------------
def _cli(*args):
    return subprocess.run([sys.executable, "-m", "intuitions.cli", "multitask", *args], capture_output=True,
                          text=True, timeout=300)


BAD_ARGS = [
    ["--model", "TINY", "--file", "TEXT", "--spans", "SPANS"],
    ["--model", "TINY", "--spans", "BADSPANS"],
    ["--model", "TINY", "--file", "/nonexistent/t.txt"],
    ["--model", "TINY", "--probes", "--n", "0"],
    ["--model", "TINY", "--probes", "--probe-dir", "BADPROBES"],
    ["--model", "TINY", "--probes", "--categories", "astrology"],
    ["--model", "TINY", "--categories", "grammar"],
    ["--model", "no-such-model", "--probes"],
    ["--model", "family:no-such-ladder"],
    ["--model", "TINY", "--probes", "--out", "/proc/forbidden"],
    ["--model", "TINY", "--n", "many"],
]


def _bad_inputs(tmp_path, tiny_model_dir, args):
    (tmp_path / "t.txt").write_text("hello 1 + 2")
    (tmp_path / "s.jsonl").write_text('{"text": "hi", "spans": []}\n')
    (tmp_path / "bad.jsonl").write_text('{"text": "hi", "spans": [[5, 1, "x"]]}\n')
    bad_dir = tmp_path / "probes"
    bad_dir.mkdir(exist_ok=True)
    (bad_dir / "grammar.jsonl").write_text(GOOD + "\n{broken\n")
    subst = {"TINY": str(tiny_model_dir), "TEXT": str(tmp_path / "t.txt"), "SPANS": str(tmp_path / "s.jsonl"),
             "BADSPANS": str(tmp_path / "bad.jsonl"), "BADPROBES": str(bad_dir)}
    return [subst.get(a, a) for a in args]


@pytest.mark.parametrize("args", BAD_ARGS)
def test_cli_bad_input_one_line_exit_2(args, tiny_model_dir, tmp_path, capsys):
    from intuitions.cli import main

    with pytest.raises(SystemExit) as e:  # in-process: the same main() the console script runs
        main(["multitask", *_bad_inputs(tmp_path, tiny_model_dir, args)])
    err = capsys.readouterr().err
    assert e.value.code == 2, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: "), err


def test_cli_bad_input_subprocess(tiny_model_dir, tmp_path):
    r = _cli(*_bad_inputs(tmp_path, tiny_model_dir, BAD_ARGS[1]))
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "bad.jsonl:1:" in r.stderr and "Traceback" not in r.stderr


def test_cli_probes_spans_and_out(tiny_model_dir, tmp_path, capsys):
    spans = tmp_path / "tags.jsonl"
    spans.write_text(json.dumps({"text": "3 + 4 = 7 and the cat", "spans": [[0, 9, "arithmetic"]]}) + "\n"
                     + json.dumps({"text": "the dog", "spans": [], "default": "animals"}) + "\n")
    out = tmp_path / "run"
    from intuitions.cli import main

    main(["multitask", "--model", str(tiny_model_dir), "--spans", str(spans), "--probes", "--n", "2",
          "--categories", "grammar,arithmetic", "--out", str(out)])
    stdout = capsys.readouterr().out
    assert "check: overall mean loss" in stdout and "holds" in stdout
    saved = json.loads((out / "result.json").read_text())
    res = saved["result"]
    assert res["source"] == "spans" and set(res["tasks"]) == {"arithmetic", "animals", "other"}
    assert [c["category"] for c in res["probes"][0]["categories"]] == ["grammar", "arithmetic"]
    assert (out / "contributions.png").exists() and (out / "probe_accuracy.png").exists()
    assert {(v["source"], v["rule_id"]) for v in saved["verdicts"]} == {("ladder", "multitask.excess_rates"),
                                                                        ("real", "multitask.probes")}


@pytest.mark.real
def test_smollm2_probes_run(smollm2_scorer):
    suite = probes.load_suite(categories=["factual_recall", "arithmetic"])
    res = probes.run(smollm2_scorer, suite, n=5)
    for c in res.categories:  # no threshold on a real model: the numbers are reported, not asserted
        assert c.n_items == 5 and 0 <= c.accuracy.value <= 1 and c.surprisal.value > 0


def test_learning_labels_early_late_and_flat():
    rng = np.random.default_rng(0)
    curves = {"early": [3.0, 1.3, 1.1, 1.0], "late": [3.0, 2.9, 2.7, 1.0], "flat": [2.0, 2.0, 2.0, 2.0]}
    series = []
    for k in range(4):  # 40 documents x 10 tokens per task, a little noise per document
        loss = np.stack([10 * (c[k] + rng.normal(0, 0.05, 40)) for c in curves.values()], axis=1)
        series.append(mt.TaskSums(tuple(curves), loss, np.full((40, 3), 10)))
    rows = mt.learning_table("size", [1e3, 1e4, 1e5, 1e6], series, mt.boot_weights(40, 200))
    got = {r.task: r.label for r in rows}
    assert got == {"early": "early", "late": "late", "flat": "not learned"}
    assert next(r for r in rows if r.task == "late").reached_at == 1e6
    assert next(r for r in rows if r.task == "early").drop.ci_low > 1.5


def test_stratified_bootstrap_keeps_group_sizes():
    strata = ["a"] * 5 + ["b"] * 3
    w = mt.boot_weights(8, 300, seed=2, strata=strata)
    assert np.all(w[:, :5].sum(1) == 5) and np.all(w[:, 5:].sum(1) == 3)
    plain = mt.boot_weights(8, 300, seed=2)
    assert np.all(plain.sum(1) == 8) and np.any(plain[:, :5].sum(1) != 5)
