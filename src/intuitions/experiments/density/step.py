"""Density in the main job: is a text's information spread evenly over its tokens?

For each subject (the largest ladder member on the world's held-out documents; each real
model on sentences the project wrote), the share of a text's total surprisal carried by its
densest 10% of tokens, with a bootstrap interval over texts. An even spread gives 0.10.
Beside it, the essay's pair: a blank any reader can fill against one nobody can, with the
probability of the answer and the entropy of the next token at each blank."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

import numpy as np

from intuitions.experiments.contract import StepContext
from intuitions.experiments.density.core import run as score_density
from intuitions.models.base import Scorer, score_texts
from intuitions.results import to_jsonable
from intuitions.stats import Estimate, bootstrap_ci, est
from intuitions.verdict import INCONCLUSIVE, NOT_SUPPORTED, SUPPORTED, Verdict

INTUITIONS = (3,)
EVEN = 0.10  # the top 10% of tokens carry 10% of the information when every token carries the same
MIN_EXCESS = 0.05  # a share whose interval stays above 0.15 is uneven beyond doubt; one below it, not meaningfully
SENTENCES_PER_TEXT = 8
MIN_TEXTS = 5  # an interval over texts needs several: a bootstrap of one text is [v, v]

# Written for this project: the first blank is all but forced, the second nobody can fill.
PAIR = (("predictable", "I am a researcher working on large language", " models"),
        ("unguessable", "Seo-yeon Park's favorite color is", " green"))


@dataclass(frozen=True)
class Blank:
    kind: str  # predictable | unguessable
    prefix: str
    answer: str
    answer_prob: float  # P(answer's first token | prefix)
    entropy_nats: float  # of the next-token distribution at the blank


@dataclass(frozen=True)
class Subject:
    model: str
    fingerprint: str
    source: str  # ladder | real
    n_params: int | None
    n_texts: int
    top10_share: Estimate  # mean over texts, bootstrap CI over texts
    shares: list[float]  # per text
    blanks: list[Blank]  # the essay's pair (real models only: the ladder does not speak English)


@dataclass(frozen=True)
class DensityStepResult:
    subjects: list[Subject]


def project_texts(n: int, seed: int) -> list[str]:
    """Paragraphs of the project's own labelled sentences (data/icl), 8 to a text."""
    sents = []
    for name in ("topic.jsonl", "sentiment.jsonl"):
        text = resources.files("intuitions.data").joinpath("icl").joinpath(name).read_text("utf-8")
        sents += [json.loads(line)["text"] for line in text.splitlines() if line.strip()]
    order = np.random.default_rng([seed, 31]).permutation(len(sents))
    groups = [" ".join(sents[i] for i in order[k:k + SENTENCES_PER_TEXT])
              for k in range(0, len(order) - SENTENCES_PER_TEXT + 1, SENTENCES_PER_TEXT)]
    return groups[:n]


def world_texts(n: int, seed: int) -> list[str]:
    from intuitions.world import heldout_docs
    from intuitions.world.corpus import TASKS

    docs = heldout_docs(seed=seed, n_per_task=max(1, -(-n // len(TASKS))))
    return [d.text for d in docs][:n]


def blanks(scorer: Scorer) -> list[Blank]:
    out = []
    for kind, prefix, answer in PAIR:
        s = score_texts(scorer, [prefix + answer])[0]
        at = next(i for i, (a, b) in enumerate(s.offsets or []) if b > len(prefix) and a < b)
        ent = float(s.entropies[at]) if s.entropies is not None else float("nan")
        out.append(Blank(kind, prefix, answer, float(np.exp(s.logprobs[at])), ent))
    return out


def subject(scorer: Scorer, texts: list[str], source: str, seed: int) -> Subject:
    res = score_density(scorer, texts)
    shares = [t.summary.top10_share for t in res.texts if np.isfinite(t.summary.top10_share)]
    return Subject(scorer.name, scorer.fingerprint, source, scorer.n_params, len(shares),
                   bootstrap_ci(shares, seed=seed), shares, blanks(scorer) if source == "real" else [])


def text_verdicts(model: str, fingerprint: str, n_params: int | None, texts: list, seed: int = 0) -> list[Verdict]:
    """The same rule on any texts a user scored (`intuitions density --out DIR`): with one
    text the interval over texts is undefined, and the verdict says inconclusive."""
    shares = [t.summary.top10_share for t in texts if np.isfinite(t.summary.top10_share)]
    source = "ladder" if model.startswith("family:") else "real"
    s = Subject(model, fingerprint, source, n_params, len(shares), bootstrap_ci(shares, seed=seed), shares, [])
    return verdicts({"result": to_jsonable({"subjects": [s]})})


def report_step(ctx: StepContext) -> None:
    from intuitions.experiments.contract import save
    from intuitions.experiments.density.figures import draw
    from intuitions.experiments.density.options import DensityOptions
    from intuitions.experiments.optionspec import parse
    from intuitions.models import zoo

    opts = parse(DensityOptions, ctx.options, "[options.density]")
    n = opts.texts if opts.texts is not None else min(ctx.n, 40)
    subjects = []
    ladder = zoo.expand(ctx.ladder) if ctx.ladder else []
    ctx.report(0, 1 + len(ctx.real_models), "the ladder")
    if ladder:
        largest = max((zoo.load_scorer(s) for s in ladder), key=lambda sc: sc.n_params or 0)
        subjects.append(subject(largest, world_texts(n, ctx.seed), "ladder", ctx.seed))
    texts = project_texts(n, ctx.seed)
    for i, m in enumerate(ctx.real_models):
        ctx.report(1 + i, 1 + len(ctx.real_models), m)
        subjects.append(subject(zoo.load_scorer(m), texts, "real", ctx.seed))
    result = DensityStepResult(subjects)
    config = {"ladder": ctx.ladder, "real_models": list(ctx.real_models), "seed": ctx.seed, "texts": n}
    save(ctx.out, "density", config, result, {s.model: s.fingerprint for s in subjects}, draw, verdicts)


RULE_ID = "density.top10_share"


def _rule() -> str:
    return (f"Per source (the largest ladder member on the world's held-out documents; each real model on the "
            f"project's sentences): the share of a text's surprisal carried by its densest 10% of tokens, "
            f"averaged over texts (95% bootstrap interval over texts). An even spread gives {EVEN:.2f}. Supported "
            f"when the interval lies above {EVEN + MIN_EXCESS:.2f} for every model of the source; not supported at "
            f"this scale when it lies below {EVEN + MIN_EXCESS:.2f} for any; inconclusive otherwise, and always with "
            f"fewer than {MIN_TEXTS} texts.")


def _e(d: dict) -> Estimate:
    f = lambda k: float("nan") if d.get(k) is None else float(d[k])  # noqa: E731
    return Estimate(f("value"), f("ci_low"), f("ci_high"), int(d.get("n") or 0))


def verdicts(saved: dict) -> list[Verdict]:
    subjects = saved["result"]["subjects"]
    out = []
    for source in ("ladder", "real"):
        mine = [s for s in subjects if s["source"] == source]
        if not mine:
            continue
        calls, evidence = [], []
        for s in mine:
            e = _e(s["top10_share"])
            calls.append(INCONCLUSIVE if s["n_texts"] < MIN_TEXTS else SUPPORTED if e.ci_low > EVEN + MIN_EXCESS
                         else NOT_SUPPORTED if e.ci_high < EVEN + MIN_EXCESS else INCONCLUSIVE)
            evidence.append(f"{s['model']}: top-10% share {est(e)} over {s['n_texts']} texts")
            for b in s.get("blanks") or []:
                evidence.append(f"{s['model']} '{b['prefix']} ___' ({b['kind']}): P({b['answer'].strip()}) "
                                f"{b['answer_prob']:.3g}, next-token entropy {b['entropy_nats']:.2f} nats")
        label = (NOT_SUPPORTED if NOT_SUPPORTED in calls else SUPPORTED if all(c == SUPPORTED for c in calls)
                 else INCONCLUSIVE)
        out.append(Verdict(3, label, _rule(), "; ".join(evidence), RULE_ID, source))
    return out


def key_tables(saved: dict) -> list[dict]:
    subjects = saved["result"]["subjects"]
    out = [{"title": "share of surprisal in the densest 10% of tokens (an even spread gives 0.10; 95% CI over texts)",
            "columns": ["model", "source", "texts", "top-10% share"],
            "rows": [[s["model"], s["source"], s["n_texts"], est(s["top10_share"])] for s in subjects]}]
    pair = [[s["model"], b["kind"], f"{b['prefix']} ___", b["answer"].strip(), f"{b['answer_prob']:.3g}",
             f"{b['entropy_nats']:.2f}"] for s in subjects for b in s.get("blanks") or []]
    if pair:
        out.append({"title": "a blank any reader can fill against one nobody can",
                    "columns": ["model", "blank", "text", "answer", "P(answer)", "entropy (nats)"], "rows": pair})
    return out


