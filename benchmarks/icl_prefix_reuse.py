"""Few-shot label scoring: shared-prefix KV reuse (`HFScorer.score_suffixes`) against plain
scoring of every prompt+label concatenation, same prompts, same run.

    .venv/bin/python benchmarks/icl_prefix_reuse.py [--models tiny,smollm2-135m] [--queries 16] [--k 4]

Each query is a real ICL prompt from the built-in sentiment set (k demonstrations per class)
followed by every candidate label, plus the content-free prompt used for calibration; this
is exactly the request mix `intuitions icl` sends. Both paths give the same logprobs
(checked, max abs difference printed)."""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import numpy as np  # noqa: E402

from intuitions.experiments.icl import core as icl  # noqa: E402
from intuitions.models.base import continuation_ids  # noqa: E402


def requests(scorer, queries: int, k: int):
    data = icl.load_data("sentiment")
    design = icl.Design(k_sweep=(k,), flips=(0,), seeds=(0,), n=queries)
    prompts = [p for p in icl.build_prompts(data, design, 0) if p.condition == f"gold k={k}"]
    ctx = [c for p in prompts for c in (p.context, p.cf_context) for _ in p.candidates]
    cont = [design.template.label(w) for p in prompts for _ in (0, 1) for w in p.candidates]
    return continuation_ids(scorer, ctx, cont)


def plain(scorer, pairs):
    full = scorer.score([c + s for c, s in pairs])
    return [f.total(len(c)) for f, (c, _) in zip(full, pairs)]


def load(name: str):
    from intuitions.models.hf import HFScorer

    if name == "tiny":
        from intuitions.testing import make_tiny_model

        path = make_tiny_model(Path(tempfile.mkdtemp()) / "tiny", layers=4, width=64, ctx=1024)
        return HFScorer.load(str(path), name="tiny")
    from intuitions.models import zoo

    return zoo.load(name, cache=False)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="tiny,smollm2-135m")
    ap.add_argument("--queries", type=int, default=16)
    ap.add_argument("--k", type=int, default=4, help="demonstrations per class")
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    for name in args.models.split(","):
        try:
            scorer = load(name)
        except Exception as e:  # an uninstalled real model is skipped, not fatal
            print(f"{name}: skipped ({str(e).splitlines()[0]})")
            continue
        pairs = requests(scorer, args.queries, args.k)
        ctx_tokens = sum(len(c) for c, _ in pairs)
        plain(scorer, pairs[:4]), scorer.score_suffixes(pairs[:4])  # warm-up
        t_plain, t_reuse = [], []
        for _ in range(args.repeats):
            t = time.perf_counter()
            a = plain(scorer, pairs)
            t_plain.append(time.perf_counter() - t)
            t = time.perf_counter()
            b = scorer.score_suffixes(pairs)
            t_reuse.append(time.perf_counter() - t)
        tp, tr = min(t_plain), min(t_reuse)
        n_prefix = len({tuple(c) for c, _ in pairs})
        print(f"{name}: {len(pairs)} label requests on {n_prefix} distinct prompts "
              f"(mean prompt {ctx_tokens / len(pairs):.0f} tokens, k={args.k}/class)")
        print(f"  plain concatenations   {tp:8.2f} s  {len(pairs) / tp:7.1f} requests/s")
        print(f"  shared-prefix reuse    {tr:8.2f} s  {len(pairs) / tr:7.1f} requests/s")
        print(f"  speed-up {tp / tr:.2f}x   max |difference| {np.max(np.abs(np.array(a) - np.array(b))):.2e} nats")


if __name__ == "__main__":
    main()
