"""Throughput of `density` on one long text against the scorer's plain throughput on short texts.

    .venv/bin/python benchmarks/density_long.py [--model smollm2-135m] [--chars 30000] [--repeats 3]

long:  `density.run` on one text of --chars characters (sliding windows; units, rows, summary).
short: the same scorer on short texts (~200 characters each) of about the same total length,
       plain `score` (no windows).
Repeats interleave long and short so machine load hits both alike; prints medians in tokens/s
and their ratio (long / short). No score cache (--no-cache): every token is computed."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

from intuitions.experiments.density import core as density
from intuitions.models import zoo
from intuitions.models.hf import HFOptions

WORDS = ("the of and a to in is you that it he was for on are as with his they at be this have from or one had "
         "by word but not what all were we when your can said there use an each which she do how their if will up "
         "other about out many then them these so some her would make like him into time has look two more").split()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="smollm2-135m")
    ap.add_argument("--chars", type=int, default=30_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rng = random.Random(0)
    text = " ".join(rng.choice(WORDS) for _ in range(args.chars // 3))[: args.chars]
    short = [text[i : i + 200] for i in range(0, len(text), 200)]
    scorer = zoo.load(args.model, HFOptions(), cache=False)
    n_long = len(scorer.encode([text])[0].ids) - 1
    encs = scorer.encode(short)
    n_short = sum(len(e.ids) - 1 for e in encs)
    print(f"model {args.model}: long text {len(text):,} chars = {n_long:,} tokens (window "
          f"{getattr(scorer, 'window', '?')}, stride {getattr(scorer, 'stride', '?')}); {len(short)} short texts = "
          f"{n_short:,} tokens; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    longs, shorts = [], []
    for _ in range(args.repeats):
        t = time.perf_counter()
        density.run(scorer, [text])
        longs.append(n_long / (time.perf_counter() - t))
        t = time.perf_counter()
        scorer.score([e.ids for e in encs])
        shorts.append(n_short / (time.perf_counter() - t))
    lm, sm = statistics.median(longs), statistics.median(shorts)
    print(f"long text: {lm:,.0f} tokens/s; short texts: {sm:,.0f} tokens/s (medians of {args.repeats}); "
          f"ratio long/short {lm / sm:.2f}")


if __name__ == "__main__":
    main()
