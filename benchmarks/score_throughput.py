"""Tokens/s of `Scorer.score` against a naive one-text-at-a-time loop, same texts, same run.

    .venv/bin/python benchmarks/score_throughput.py [--models tiny,smollm2-135m] [--texts 64]

The naive loop is what most scripts do: one forward per text, full-vocabulary
log_softmax over every position. Both give the same logprobs (checked)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import numpy as np  # noqa: E402
import torch  # noqa: E402

from intuitions.models.base import tokenize  # noqa: E402
from intuitions.models.hf import HFScorer  # noqa: E402

WORDS = ("the model predicts every next token of a long document about language and science "
         "while researchers measure how surprised it is by each word in context").split()


def texts(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    lens = rng.integers(8, 400, size=n)  # mixed lengths, in words
    return [" ".join(rng.choice(WORDS, size=k)) for k in lens]


@torch.inference_mode()
def naive(scorer: HFScorer, seqs: list[list[int]]) -> list[np.ndarray]:
    out = []
    for s in seqs:
        logits = scorer.model(torch.tensor([s])).logits[0].float()
        lp = torch.log_softmax(logits, -1)[torch.arange(len(s) - 1), torch.tensor(s[1:])]
        out.append(lp.numpy())
    return out


def bench(name: str, scorer: HFScorer, seqs: list[list[int]]) -> None:
    n_tok = sum(len(s) for s in seqs)
    scorer.score(seqs[:2]), naive(scorer, seqs[:2])  # warm-up
    t = time.perf_counter()
    ours = scorer.score(seqs)
    t_ours = time.perf_counter() - t
    t = time.perf_counter()
    ref = naive(scorer, seqs)
    t_naive = time.perf_counter() - t
    diff = max(float(np.nanmax(np.abs(o.logprobs[1:] - r))) for o, r in zip(ours, ref))
    print(f"{name:>14}: {len(seqs)} texts, {n_tok} tokens | Scorer.score {n_tok / t_ours:9.0f} tok/s | "
          f"naive loop {n_tok / t_naive:9.0f} tok/s | ratio {t_naive / t_ours:5.2f}x | max |Δlogprob| {diff:.1e} | "
          f"load {os.getloadavg()[0]:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="tiny,smollm2-135m")
    ap.add_argument("--texts", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    corpus = texts(args.texts)
    for name in args.models.split(","):
        if name == "tiny":
            from intuitions.testing import make_tiny_model

            d = make_tiny_model(Path(tempfile.mkdtemp()) / "tiny", layers=4, width=128, ctx=4096)
            scorer = HFScorer.load(str(d), name="tiny")
        else:
            from intuitions.models import zoo

            try:
                scorer = zoo.load(name, cache=False)
            except Exception as e:  # a benchmark skips what is not installed
                print(f"{name}: skipped ({e})", file=sys.stderr)
                continue
        bench(name, scorer, tokenize(scorer, corpus))


if __name__ == "__main__":
    main()
