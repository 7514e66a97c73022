"""In-context learning: exact flipping, the accuracy arithmetic on stub scorers with known
preferences, bad data files, the shared-prefix scoring path, and the CLI / main-job step."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter

import numpy as np
import pytest

from intuitions.datasets import LabelledSet
from intuitions.experiments.icl import core as icl
from intuitions.models.base import Encoding, TokenScores
from intuitions.stats import clustered_proportion_ci, proportion_ci

# -- stubs ------------------------------------------------------------------------------------


class WordStub:
    """A Scorer whose tokens are whitespace words and whose logprob for a token is fixed by a
    table: the label preference is known exactly, whatever the context."""

    name = "stub"
    fingerprint = "stub"
    n_params = None

    def __init__(self, table: dict[str, float], default: float = -5.0):
        self.table, self.default = table, default
        self.vocab: dict[str, int] = {}
        self.words: list[str] = []

    def encode(self, texts, add_prefix=True):
        out = []
        for t in texts:
            ids = [self._id(w) for w in t.split()]
            out.append(Encoding(([0] if add_prefix else []) + ids, [(0, 0)] * (len(ids) + add_prefix)))
        return out

    def _id(self, w: str) -> int:
        if w not in self.vocab:
            self.vocab[w] = len(self.words) + 1
            self.words.append(w)
        return self.vocab[w]

    def logprob(self, context: list[int], token: int) -> float:
        return self.table.get(self.words[token - 1], self.default)

    def score(self, seqs, progress=None):
        out = []
        for s in seqs:
            lp = np.array([np.nan] + [self.logprob(list(s[:i]), t) for i, t in enumerate(s) if i > 0])
            out.append(TokenScores(np.asarray(s, np.int64), lp))
        return out

    def generate(self, prompts, max_new_tokens, stop=()):
        return [""] * len(prompts)


class OracleStub(WordStub):
    """Knows every text's true label: prefers it right after that text's query, and has no
    preference after the content-free input."""

    def __init__(self, data: LabelledSet):
        super().__init__({})
        self.truth = dict(zip(data.texts, data.labels))

    def logprob(self, context, token):
        text = " ".join(self.words[i - 1] for i in context if i)
        query = text.rsplit("Input:", 1)[-1].rsplit("Output:", 1)[0].strip()
        return -0.1 if self.truth.get(query) == self.words[token - 1] else -3.0


def toy_data(n_per_class: int = 12) -> LabelledSet:
    texts = [f"good thing {i}" for i in range(n_per_class)] + [f"bad thing {i}" for i in range(n_per_class)]
    labels = ["positive"] * n_per_class + ["negative"] * n_per_class
    return LabelledSet("toy", texts, labels, ("negative", "positive"))


DESIGN = icl.Design(k_sweep=(0, 1, 2), flips=(0, 25, 50, 75, 100), seeds=(0, 1), n=10)


def _demo_labels(context: str) -> list[str]:
    return re.findall(r"Output: (\S+)\n\n", context)


# -- flipping ---------------------------------------------------------------------------------


@pytest.mark.parametrize("n", range(1, 13))
def test_flip_labels_flips_exactly_round_share(n):
    names = ("negative", "positive")
    rng = np.random.default_rng(n)
    labels = [names[i] for i in rng.integers(0, 2, size=n)]
    for pct in (0, 25, 50, 75, 100):
        flipped = icl.flip_labels(labels, names, pct, np.random.default_rng(pct))
        changed = sum(a != b for a, b in zip(labels, flipped))
        assert changed == int(np.floor(pct * n / 100 + 0.5))
        assert all(b in names for b in flipped)


def test_n_flipped_rounds_halves_up():
    assert [icl.n_flipped(25, n) for n in (1, 2, 3, 4, 6)] == [0, 1, 1, 1, 2]
    assert icl.n_flipped(50, 3) == 2 and icl.n_flipped(100, 7) == 7 and icl.n_flipped(0, 7) == 0


def test_flip_three_classes_never_keeps_a_flipped_label():
    names = ("a", "b", "c")
    flipped = icl.flip_labels(["a", "b", "c", "a"], names, 100, np.random.default_rng(0))
    assert flipped == ["b", "c", "a", "b"]


def test_prompts_flip_demo_labels_exactly_and_never_the_test_label():
    data = toy_data()
    prompts = icl.build_prompts(data, DESIGN, run_seed=0)
    by = {(p.seed, p.item, p.condition): p for p in prompts}
    n_demos = 2 * DESIGN.k_main
    for (seed, item, cond), p in by.items():
        truth = data.labels[item]
        assert data.label_names[p.answer] == truth  # the answer is always the true label
        if not cond.startswith("unrelated"):
            assert p.candidates[p.answer] == truth
        if cond.startswith("flip"):
            pct = int(cond.split()[1].rstrip("%"))
            gold = _demo_labels(by[seed, item, "gold k=2"].context)
            shown = _demo_labels(p.context)
            assert len(shown) == n_demos
            assert sum(a != b for a, b in zip(gold, shown)) == icl.n_flipped(pct, n_demos)
            assert p.context.split("\n\n")[:-1] != [] and p.context.endswith(f"Input: {data.texts[item]}\nOutput:")


def test_prompts_balanced_fresh_and_deterministic():
    data = toy_data()
    a = icl.build_prompts(data, DESIGN, 0)
    assert a == icl.build_prompts(data, DESIGN, 0)
    golds = [p for p in a if p.condition == "gold k=2"]
    for p in golds:
        assert Counter(_demo_labels(p.context)) == {"positive": 2, "negative": 2}
        assert f"Input: {data.texts[p.item]}\n" not in p.context.rsplit("\n\n", 1)[0]  # never its own demo
    assert len({p.context.rsplit("\n\n", 1)[0] for p in golds}) > len(golds) // 2  # drawn fresh per query
    unrel = [p for p in a if p.condition == "unrelated k=2"]
    words = {w for p in unrel for w in _demo_labels(p.context)}
    assert words == set(unrel[0].candidates) and words <= set(icl.UNRELATED_WORDS)
    assert len({p.candidates for p in unrel}) == 1  # mapping fixed for the run


def test_template_custom_and_braces_in_text():
    t = icl.Template("Review: {x}\nSentiment:{label}", " | ")
    assert t.query("a {x} b") == "Review: a {x} b\nSentiment:"
    assert t.label("good") == "good" and t.demo("x", "good") == "Review: x\nSentiment:good"
    assert icl.Template().label("positive") == " positive"
    for bad in ("{x} {label} end", "no x {label}", "{label}{x}"):
        with pytest.raises(icl.UserError):
            icl.Template(bad)


# -- accuracy arithmetic on stubs ---------------------------------------------------------------


def _run(scorer, data, design=DESIGN):
    return icl.run_jobs([icl.ModelJob("stub", data, design.n)], design, 0, lambda s: scorer, show_progress=False)


def _acc(res, cond, scoring="sum"):
    return next(r for r in res.models[0].rows if r.condition == cond and r.scoring == scoring)


def test_fixed_preference_gives_the_share_of_that_label():
    data = toy_data()
    res = _run(WordStub({"positive": -0.5, "negative": -2.0}), data)
    items = [i for s in DESIGN.seeds for i in icl.test_items(data, s, DESIGN.n)]
    share = np.mean([data.labels[i] == "positive" for i in items])
    for cond in ("prior", "zero-shot", "gold k=1", "gold k=2", "random k=2", "flip 100%"):
        for scoring in ("sum", "mean"):
            r = _acc(res, cond, scoring)
            assert r.accuracy == pytest.approx(share) and r.n == len(items) and r.seeds == 2
            # an item drawn by both seeds is one unit: the interval is the clustered one
            e = clustered_proportion_ci([data.labels[i] == "positive" for i in items], items)
            assert (r.ci_low, r.ci_high) == pytest.approx((e.ci_low, e.ci_high))
            naive = proportion_ci(round(share * len(items)), len(items))
            assert r.ci_high - r.ci_low >= naive.ci_high - naive.ci_low
        # calibration removes a context-free preference: every pair ties, ties share credit
        assert _acc(res, cond, "calibrated").accuracy == pytest.approx(0.5)
    assert _acc(res, "unrelated k=2").accuracy == pytest.approx(0.5)  # foo/bar both at the default
    m = res.models[0]
    assert m.contrasts["gold-random"].value == 0 and m.follows_demonstrations is False


def test_length_normalised_scoring_differs_from_sum():
    data = LabelledSet("toy", toy_data().texts,
                       ["very good" if lab == "positive" else "bad" for lab in toy_data().labels],
                       ("bad", "very good"))
    # " very good": two tokens at -1 each (sum -2, mean -1); " bad": one at -1.5
    res = _run(WordStub({"very": -1.0, "good": -1.0, "bad": -1.5}), data)
    items = [i for s in DESIGN.seeds for i in icl.test_items(data, s, DESIGN.n)]
    share_bad = np.mean([data.labels[i] == "bad" for i in items])
    assert _acc(res, "zero-shot", "sum").accuracy == pytest.approx(share_bad)
    assert _acc(res, "zero-shot", "mean").accuracy == pytest.approx(1 - share_bad)


def test_oracle_is_right_everywhere_it_can_be():
    data = toy_data()
    res = _run(OracleStub(data), data)
    for cond in ("zero-shot", "gold k=2", "random k=2", "flip 50%", "flip 100%"):
        assert _acc(res, cond).accuracy == 1.0
        assert _acc(res, cond, "calibrated").accuracy == 1.0
    assert _acc(res, "prior").accuracy == pytest.approx(0.5)  # no preference after N/A: ties
    m = res.models[0]
    assert m.flip100.ci_low > 0.5 and m.follows_demonstrations is False


def test_aggregate_counts_credits_and_pairs_contrasts():
    data = toy_data()
    design = icl.Design((0, 1), (0, 100), (0,), 4)
    prompts = icl.build_prompts(data, design, 0)
    # gold right on every item, zero-shot right on none, the rest right on the first half
    wins = {"gold k=1": 4, "flip 0%": 4, "zero-shot": 0}
    scores, seen = [], Counter()
    for p in prompts:
        right = seen[p.condition] < wins.get(p.condition, 2)
        seen[p.condition] += 1
        lp = np.full(2, -2.0)
        lp[p.answer if right else 1 - p.answer] = -1.0
        scores.append(icl.PromptScores(lp, np.ones(2), np.zeros(2)))
    m = icl.aggregate("m", "f", None, data, design, prompts, scores)
    acc = {(r.condition, r.scoring): r.accuracy for r in m.rows}
    assert acc["gold k=1", "sum"] == 1.0 and acc["zero-shot", "sum"] == 0.0 and acc["random k=1", "sum"] == 0.5
    assert m.contrasts["gold-zero-shot"].value == 1.0 and m.contrasts["gold-random"].value == 0.5
    assert m.n_per_seed == 4 and m.flip100.value == 0.5


def test_credit_shares_ties():
    assert icl.credit(np.array([-1.0, -2.0]), 0) == 1.0
    assert icl.credit(np.array([-1.0, -2.0]), 1) == 0.0
    assert icl.credit(np.array([-1.0, -1.0, -3.0]), 1) == 0.5


# -- verdicts -------------------------------------------------------------------------------------


def _saved(models):
    return {"result": {"models": models}}


def _model(name, n_params, flip100, z=(0.2, 0.1, 0.3), r=(0.2, 0.1, 0.3)):
    est = lambda v: {"value": v[0], "ci_low": v[1], "ci_high": v[2], "n": 100}  # noqa: E731
    return {"model": name, "n_params": n_params, "task": "t", "chance": 0.5, "flip100": est(flip100),
            "contrasts": {"gold-zero-shot": est(z), "gold-random": est(r)}}


def test_verdict_rules():
    small, large = _model("family:q/s", 10, (0.6, 0.5, 0.7)), _model("family:q/l", 100, (0.2, 0.1, 0.3))
    mid = _model("family:q/m", 30, (0.4, 0.3, 0.55))
    v2, v6 = icl.verdicts(_saved([large, small, mid]))  # sorted by size inside
    assert (v2.intuition, v2.label, v2.source) == (2, "supported", "ladder")
    assert (v6.intuition, v6.label, v6.source) == (6, "supported", "ladder") and "slope" in v6.evidence
    assert v2.rule_id == "icl.gold_vs_random" and "gold - random by size" in v2.evidence
    assert icl.verdicts(_saved([small]))[1].label == "not supported at this scale"
    assert icl.verdicts(_saved([large]))[1].label == "inconclusive"  # one size: no trend
    assert icl.verdicts(_saved([large, _model("family:q/x", 10, (0.2, 0.1, 0.3))]))[1].label == \
        "not supported at this scale"  # the smallest follows too
    flat = _model("family:q/l", 100, (0.5, 0.4, 0.6), r=(0.0, -0.02, 0.03))
    assert icl.verdicts(_saved([flat]))[0].label == "not supported at this scale"
    wide = _model("family:q/l", 100, (0.5, 0.4, 0.6), r=(0.05, -0.1, 0.2))
    assert icl.verdicts(_saved([wide]))[0].label == "inconclusive"


def test_the_ladders_one_layer_member_is_a_control_for_flip_following():
    ctrl = _model("family:q/L1W32", 10, (0.8, 0.7, 0.9))
    deep = [_model("family:q/L2W32", 20, (0.1, 0.0, 0.2)), _model("family:q/L3W64", 90, (0.05, 0.0, 0.1))]
    v6 = icl.verdicts(_saved([ctrl, *deep]))[1]  # 1 layer keeps its prior, every deeper member follows
    assert v6.label == "not supported at this scale" and "depth, not scale" in v6.evidence
    assert "trained behaviour" in v6.evidence
    trend = [_model("family:q/L2W32", 20, (0.7, 0.6, 0.8)), _model("family:q/L3W48", 40, (0.45, 0.35, 0.55)),
             _model("family:q/L3W64", 90, (0.1, 0.0, 0.2))]
    assert icl.verdicts(_saved([ctrl, *trend]))[1].label == "supported"  # grows with size among 2+ layers
    assert icl.verdicts(_saved([_model("family:q/L1W32", 10, (0.1, 0.0, 0.2)), *deep]))[1].label != "supported"
    new = [dict(m, task="world-new") for m in trend]
    assert [v.intuition for v in icl.verdicts(_saved([dict(m, task="world-repeat") for m in trend] + new))] == [2, 6]


def test_verdicts_never_mix_sources_and_small_real_models_are_not_tested():
    ladder = [_model("family:q/s", 10, (0.6, 0.5, 0.7)), _model("family:q/l", 100, (0.6, 0.5, 0.7))]
    real = [_model("smol", 1.35e8, (0.7, 0.6, 0.8), z=(0.2, 0.1, 0.3), r=(0.04, -0.01, 0.09)),
            _model("big", 2.7e8, (0.8, 0.7, 0.9), z=(0.2, 0.1, 0.3), r=(0.08, 0.04, 0.11))]
    for m in real:
        m["task"] = "sentiment"
    got = {(v.intuition, v.source): v for v in icl.verdicts(_saved(ladder + real))}
    assert set(got) == {(2, "ladder"), (6, "ladder"), (2, "real"), (6, "real")}
    assert got[2, "real"].label == "supported" and "big" in got[2, "real"].evidence.split(";")[0]
    assert "family" not in got[2, "real"].evidence and "smol" not in got[2, "ladder"].evidence
    assert got[6, "real"].label == "not tested"
    assert "small models keep their priors, as the claim predicts; no large model was tested" in got[6, "real"].evidence
    real[0]["flip100"] = {"value": 0.2, "ci_low": 0.1, "ci_high": 0.3, "n": 100}
    assert {(v.intuition, v.source): v.label for v in icl.verdicts(_saved(real))}[6, "real"] == "inconclusive"
    large = [_model("a", 1e8, (0.8, 0.7, 0.9)), _model("b", 1e9, (0.5, 0.4, 0.6)), _model("c", 7e10, (0.2, 0.1, 0.3))]
    assert icl.verdicts(_saved(large))[1].label == "supported"


def test_audit_cases_are_calibrated():
    from intuitions.experiments import audit
    from intuitions.experiments.icl.audit import AUDIT

    for case in AUDIT:
        assert audit.rate(case, False, 20, seed=3) <= 0.15, case.rule_id
        assert audit.rate(case, True, 20, seed=3) >= 0.6, case.rule_id



# -- data -----------------------------------------------------------------------------------------


def test_builtin_sets():
    for name, labels in (("sentiment", {"positive", "negative"}), ("topic", {"sports", "food"})):
        data = icl.load_data(name)
        assert len(data) >= 200 and set(data.label_names) == labels
        assert len(set(data.texts)) == len(data) and min(Counter(data.labels).values()) >= 100


def test_user_csv_with_named_columns(tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("review,stars\nlovely day,pos\nawful   night,neg\nfine,pos\n")
    data = icl.load_data(str(f), "review", "stars")
    assert data.texts[1] == "awful night" and data.label_names == ("neg", "pos")


@pytest.mark.parametrize("content,msg", [
    ('{"text": "a", "label": "x"}\n{"text": "b", "label": "x"}\n', "two classes"),
    ('{"text": "a", "lab": "x"}\n', "no column 'label'"),
    ('{"text": "  ", "label": "x"}\n{"text": "b", "label": "y"}\n', "empty 'text'"),
    ('{"text": "a", "label": "x"}\nnot json\n', "line 2 is not JSON"),
    ("", "no rows"),
    ('{"text": "a", "label": "x"}\n{"text": "b", "label": null}\n', "row 2 has 'label' = null"),
    # 40 classes: more than the unrelated label words; refused before the model loads (it took 15 s)
    ("".join(json.dumps({"text": f"t{i}", "label": f"c{i % 40}"}) + "\n" for i in range(120)),
     "unrelated labels cover at most"),
])
def test_bad_data_is_one_line_exit_2(tmp_path, capsys, content, msg):
    from intuitions.cli import main

    f = tmp_path / "bad.jsonl"
    f.write_text(content)
    with pytest.raises(SystemExit) as e:  # data is checked before any model loads
        main(["icl", "--model", "never-loaded", "--data", str(f)])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1 and msg in err


def test_too_few_items_per_class_for_k(tmp_path):
    with pytest.raises(icl.UserError, match="k=5"):
        icl.build_prompts(toy_data(4), icl.Design((0, 5), (0,), (0,), 2), 0)


# -- shared-prefix scoring ------------------------------------------------------------------------


@pytest.mark.parametrize("budget", [4096, 24])
def test_score_suffixes_equals_concatenated_scoring(tiny_model_dir, budget):
    from intuitions.models.hf import HFOptions, HFScorer

    scorer = HFScorer.load(str(tiny_model_dir), name="tiny", options=HFOptions(token_budget=budget))
    rng = np.random.default_rng(0)
    bos = scorer.prefix_id
    pairs = []
    for p in range(4):  # prefixes of different lengths, each with suffixes of 1..6 tokens
        pre = [bos] + rng.integers(2, 250, size=3 + 9 * p).tolist()
        pairs += [(pre, rng.integers(2, 250, size=n).tolist()) for n in (1, 4, 2, 6)]
    pairs.append(([bos] + rng.integers(2, 250, size=60).tolist(), [7, 8, 9, 10]))  # past the 64-token window
    pairs.append(([bos], [5]))
    got = scorer.score_suffixes(pairs)
    full = scorer.score([c + k for c, k in pairs])
    want = [s.total(len(c)) for s, (c, _) in zip(full, pairs)]
    assert np.allclose(got, want, atol=1e-4, rtol=0)
    assert scorer.score_suffixes([([bos, 3], [])]) == [0.0]


@pytest.mark.parametrize("budget", [4096, 40])
def test_shared_stems_give_the_same_scores(tiny_model_dir, budget):
    """Prefixes that open alike (a demonstration block with several queries, one prefix the
    opening of another) run their stem once; the sums must not change."""
    from intuitions.models.hf import HFOptions, HFScorer
    from intuitions.models.prefix import shared_stems

    scorer = HFScorer.load(str(tiny_model_dir), name="tiny", options=HFOptions(token_budget=budget))
    rng = np.random.default_rng(1)
    demos = [scorer.prefix_id] + rng.integers(2, 250, size=20).tolist()
    other = [scorer.prefix_id] + rng.integers(2, 250, size=14).tolist()
    prefixes = [demos + rng.integers(2, 250, size=k).tolist() for k in (1, 3, 3, 7)]
    prefixes += [demos[:12], other + [5], other + [6, 7]]
    pairs = [(p, rng.integers(2, 250, size=n).tolist()) for p in prefixes for n in (1, 3)]
    stems = shared_stems([tuple(p) for p in prefixes])
    assert stems[tuple(prefixes[0])] == tuple(demos) and stems[tuple(prefixes[5])] == tuple(other)
    assert stems[tuple(prefixes[4])] == ()  # demos[:11] (never the whole prefix) serves it alone
    got = scorer.score_suffixes(pairs)
    full = scorer.score([c + k for c, k in pairs])
    assert np.allclose(got, [s.total(len(c)) for s, (c, _) in zip(full, pairs)], atol=1e-4, rtol=0)


def test_icl_with_prefix_reuse_matches_plain_scoring(tiny_scorer):
    class Plain:  # the same model without score_suffixes
        name, fingerprint, n_params = tiny_scorer.name, tiny_scorer.fingerprint, tiny_scorer.n_params
        encode, score, generate = tiny_scorer.encode, tiny_scorer.score, tiny_scorer.generate

    data, design = icl.load_data("sentiment"), icl.Design((0, 1), (0, 100), (0,), 3)
    prompts = icl.build_prompts(data, design, 0)
    a = icl.score_prompts(tiny_scorer, prompts, design.template)
    b = icl.score_prompts(Plain(), prompts, design.template)
    for x, y in zip(a, b):
        assert np.allclose(x.logprob, y.logprob, atol=1e-4) and np.allclose(x.cf_logprob, y.cf_logprob, atol=1e-4)


# -- CLI and main-job step --------------------------------------------------------------------------


@pytest.mark.slow
def test_cli_writes_result_and_figures(tmp_path, tiny_model_dir, capsys):
    from intuitions.cli import main

    out = tmp_path / "out"
    main(["icl", "--model", str(tiny_model_dir), "--data", "topic", "--k", "0,1", "--flip", "0,100",
          "--seeds", "2", "--n", "2", "--out", str(out)])
    saved = json.loads((out / "result.json").read_text())
    m = saved["result"]["models"][0]
    row = m["rows"][0]
    assert {"accuracy", "ci_low", "ci_high", "n", "seeds"} <= set(row) and row["n"] == 4 and row["seeds"] == 2
    assert m["task"] == "topic" and saved["config"]["flip"] == [0, 100]
    assert {p.name for p in out.glob("*.png")} == {"icl_flip.png", "icl_kshot.png", "icl_labels.png"}
    assert [v.intuition for v in icl.verdicts(saved)] == [2, 6]
    assert [(v["intuition"], v["source"]) for v in saved["verdicts"]] == [(2, "real"), (6, "real")]  # carried
    assert "intuition 6" in capsys.readouterr().out


@pytest.mark.slow
def test_report_step_on_a_ladder(tmp_path, tiny_model_dir, monkeypatch):
    from intuitions import paths
    from intuitions.experiments.contract import StepContext

    for name, size in (("a", 1), ("b", 2)):
        member = paths.family_root() / "t" / name
        shutil.copytree(tiny_model_dir, member)
        (member / "member.json").write_text(json.dumps({"n_params": size}))
    ctx = StepContext(out=tmp_path / "step", preset="smoke", ladder="family:t", real_models=(), seeds=1, n=4)
    icl.report_step(ctx)
    saved = json.loads((ctx.out / "result.json").read_text())
    assert [m["model"] for m in saved["result"]["models"]] == ["family:t/a"] * 2 + ["family:t/b"] * 2
    assert {m["task"] for m in saved["result"]["models"]} == {"world-repeat", "world-new"}
    # repeated queries decide; new ones are reported beside them
    assert [v.intuition for v in icl.verdicts(saved)] == [2, 6] and (ctx.out / "icl_flip.png").exists()


def test_figures_render_from_saved_result_at_the_bounds(tmp_path):
    from intuitions.experiments.icl.figures import render

    def row(s, cond, kind, k, pct, acc, lo, hi):
        return {"condition": cond, "kind": kind, "k": k, "flip_pct": pct, "scoring": s, "accuracy": acc,
                "ci_low": lo, "ci_high": hi, "n": 10, "seeds": 1}

    rows = []
    for s in icl.SCORINGS:  # a Wilson bound a rounding error inside the estimate must not break the plot
        rows += [row(s, "zero-shot", "zero-shot", 0, None, 0.5, 0.2, 0.8),
                 row(s, "gold k=1", "gold", 1, None, 1.0, 0.72, 0.9999999),
                 row(s, "random k=1", "random", 1, None, 0.0, 1e-9, 0.28),
                 row(s, "flip 100%", "flip", 1, 100, 0.0, 0.0, 0.28),
                 row(s, "unrelated k=1", "unrelated", 1, None, 0.5, None, None)]
    models = [{"model": f"family:p/m{i}", "n_params": 1000 * (i + 1), "chance": 0.5, "rows": rows} for i in range(3)]
    saved = {"result": {"k_sweep": [0, 1], "k_main": 1, "flips": [100], "models": models}}
    paths = render(saved, tmp_path)
    assert [p.name for p in paths] == ["icl_flip.png", "icl_kshot.png", "icl_labels.png"]
    assert all(p.stat().st_size > 1000 for p in paths)


def test_clustered_intervals_count_a_repeated_item_once():
    from intuitions.stats import bootstrap_ci, cluster_bootstrap_ci, clustered_proportion_ci

    rng = np.random.default_rng(0)
    x, ids = rng.integers(0, 2, 100).astype(float), np.arange(100)
    alone = proportion_ci(int(x.sum()), 100)
    once = clustered_proportion_ci(x, ids)  # one observation per item: plain Wilson
    assert (once.ci_low, once.ci_high) == pytest.approx((alone.ci_low, alone.ci_high))
    # Every item three times with the same credit (a zero-shot prompt under three seeds):
    # as wide as 100 items, not 300 (the cluster variance's G/(G-1) makes it 99).
    thrice = clustered_proportion_ci(np.repeat(x, 3), np.repeat(ids, 3))
    assert thrice.n == 300 and thrice.value == alone.value
    assert thrice.ci_high - thrice.ci_low == pytest.approx(alone.ci_high - alone.ci_low, rel=0.02)
    naive = proportion_ci(int(3 * x.sum()), 300)
    assert naive.ci_high - naive.ci_low < 0.6 * (thrice.ci_high - thrice.ci_low)
    boot = cluster_bootstrap_ci(np.repeat(x, 3), np.repeat(ids, 3))
    plain = bootstrap_ci(x)
    assert boot.ci_high - boot.ci_low == pytest.approx(plain.ci_high - plain.ci_low, rel=0.15)
    # All-correct items: no variance to estimate a design effect from, each item counts once.
    ones = clustered_proportion_ci(np.ones(300), np.repeat(ids, 3))
    assert ones.ci_low == pytest.approx(proportion_ci(100, 100).ci_low)


def test_clustered_interval_keeps_its_coverage_when_items_differ():
    """Items with their own difficulty, each tested under 5 seeds: the clustered interval
    covers the population accuracy about 95% of the time; Wilson over all 200 credits as
    if independent does not."""
    from intuitions.stats import clustered_proportion_ci

    rng = np.random.default_rng(1)
    hits = {"clustered": 0, "naive": 0}
    reps, G, seeds = 400, 40, 5
    for _ in range(reps):
        p_item = rng.beta(0.5, 0.5, G)  # strong item effects; population mean 0.5
        x = (rng.random((G, seeds)) < p_item[:, None]).astype(float).ravel()
        ids = np.repeat(np.arange(G), seeds)
        c, n = clustered_proportion_ci(x, ids), proportion_ci(int(x.sum()), len(x))
        hits["clustered"] += c.ci_low <= 0.5 <= c.ci_high
        hits["naive"] += n.ci_low <= 0.5 <= n.ci_high
    assert hits["clustered"] / reps > 0.9
    assert hits["naive"] / reps < 0.8


def test_world_prompts_are_paired_episodes_in_the_worlds_format():
    from intuitions.experiments.icl.core import WORLD_SEP, WORLD_TEMPLATE_TEXT, Template
    from intuitions.experiments.icl.data import WorldEpisodes
    from intuitions.experiments.icl.world import world_prompts
    from intuitions.world import lexicon as lx

    design = icl.Design((0, 3), (0, 100), (0, 1), 6, Template(WORLD_TEMPLATE_TEXT, WORLD_SEP))
    natural = {x: lx.world(0).icl.labels[c] for c, items in enumerate(lx.world(0).icl.items) for x in items}
    for repeat in (True, False):
        ps = world_prompts(WorldEpisodes(0, repeat), design, ("blue", "north"))
        by = {}
        for p in ps:
            by.setdefault((p.seed, p.item), {})[p.condition] = p
        assert len(by) == 12
        for conds in by.values():
            gold, flip, rnd = conds["gold k=3"], conds["flip 100%"], conds["random k=3"]
            lines = gold.context.split("\n")
            query = lines[-1]
            shown = [x.split(" ") for x in lines[:-1]]
            assert len(shown) == 6 and all(natural[x] == lab for x, lab in shown)  # gold: natural labels
            assert (query in {x for x, _ in shown}) == repeat
            assert gold.candidates[gold.answer] == natural[query]
            # conditions share the episode: same items, same order, only labels differ
            strip = lambda c: [x.split(" ")[0] for x in c.split("\n")]  # noqa: E731
            assert strip(flip.context) == strip(gold.context) == strip(rnd.context)
            assert all(a.split(" ")[1] != b.split(" ")[1] for a, b in
                       zip(flip.context.split("\n")[:-1], lines[:-1]))  # every label flipped
            assert conds["unrelated k=3"].candidates == ("blue", "north")
            assert conds["zero-shot"].context == query


def test_flip_rule_would_see_a_trend_if_it_counted_the_control():
    """The audit's ladder null (control keeps its prior, deeper members flat just above
    following): judged among the deeper members it is almost never supported; the same
    data with the control unnamed (so counted in the size trend) often is."""
    import re

    from intuitions.experiments.icl import audit

    with_control = blind = 0
    for i in range(40):
        saved = audit.ladder_flip_null(np.random.default_rng([9, i]))
        with_control += icl.verdicts(saved)[1].label == "supported"
        for m in saved["result"]["models"]:
            m["model"] = re.sub(r"/L\d+W", "/m", m["model"])
        blind += icl.verdicts(saved)[1].label == "supported"
    assert with_control <= 2 and blind >= 4
