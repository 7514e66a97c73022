"""intuitions vs the tools researchers use today, same model, same requests, same run.

    make bench-env                                   # once: .venv-bench with minicons + lm-eval
    .venv-bench/bin/python benchmarks/vs_peers.py [--texts 200] [--queries 200]

(a) per-token scoring of mixed-length texts: intuitions `Scorer.score` vs minicons
    `IncrementalLMScorer.token_score` vs lm-eval `HFLM.loglikelihood_rolling`;
(b) few-shot classification as `intuitions icl` scores it: queries x 2 labels, each query
    after 8 demonstrations (4 per class) and again after the same 8 with the content-free
    input (calibration): `icl.score_prompts` (shared-prefix KV reuse) vs lm-eval
    `HFLM.loglikelihood` on the identical context/label pairs;
(b') the same shape without the content-free twin, demonstrations drawn per query from a
    small pool: little prefix to share, so this measures batching alone.
Prints throughput (median of --repeats interleaved runs per tool), ratios, and the max
|difference| of summed logprobs (target <= 1e-3).
The peers live only in .venv-bench, never in the project's dependencies."""

from __future__ import annotations

import argparse
import os
import resource
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import torch  # noqa: E402

WORDS = ("the model predicts every next token of a long document about language and science "
         "while researchers measure how surprised it is by each word in context a film review "
         "said the acting was wonderful but the plot was dull and slow").split()
POS = ["a wonderful, moving film", "I loved every minute", "brilliant acting and a clever plot",
       "a joy from start to finish", "funny, warm and smart"]
NEG = ["a dull, boring mess", "I hated every minute", "wooden acting and a silly plot",
       "a chore from start to finish", "tedious, cold and stupid"]


def texts(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=k)).capitalize() + "." for k in rng.integers(5, 300, size=n)]


def icl_requests(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """n queries x 2 labels, each query with 8 demonstrations (4 per class), shuffled."""
    rng = np.random.default_rng(seed)
    ctxs, conts = [], []
    for _ in range(n):
        demos = [(x, "positive") for x in rng.choice(POS, 4)] + [(x, "negative") for x in rng.choice(NEG, 4)]
        rng.shuffle(demos)
        q = rng.choice(POS + NEG)
        ctx = "\n\n".join(f"Input: {x}\nOutput: {y}" for x, y in demos) + f"\n\nInput: {q}\nOutput:"
        for label in ("positive", "negative"):
            ctxs.append(ctx)
            conts.append(" " + label)
    return ctxs, conts


def icl_prompts(n: int):
    """The requests `intuitions icl` sends for n sentiment queries at k=4 per class."""
    from intuitions.experiments import icl

    design = icl.Design(k_sweep=(4,), flips=(0,), seeds=(0,), n=n)
    prompts = icl.build_prompts(icl.load_data("sentiment"), design, run_seed=0)
    return [p for p in prompts if p.condition.startswith("gold")], design.template


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def interleaved(fns: dict, repeats: int) -> tuple[dict, dict]:
    """Each tool `repeats` times, taking turns, so a noisy neighbour on a shared VM slows
    every tool alike: returns (last result, median seconds) per tool, and prints the spread."""
    outs, times = {}, {k: [] for k in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            outs[name], t = timed(fn)
            times[name].append(t)
    if repeats > 1:
        print("  seconds per repeat: " + "; ".join(f"{k} " + " ".join(f"{t:.1f}" for t in v) for k, v in times.items()))
    return outs, {k: float(np.median(v)) for k, v in times.items()}


def bench_model(path: str, n_texts: int, n_queries: int, batch: int, repeats: int) -> None:
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM
    from minicons import scorer as mscorer

    from intuitions.models.base import score_continuations, tokenize
    from intuitions.models.hf import HFOptions, HFScorer

    ours = HFScorer.load(path)
    # Same work only when every text fits the context: past it, each tool windows or
    # truncates differently (a ladder member has 128 positions).
    corpus = [t for t in texts(4 * n_texts) if len(tokenize(ours, [t])[0]) <= ours.window][:n_texts]
    seqs = tokenize(ours, corpus)
    n_tok = sum(len(s) - 1 for s in seqs)  # scored tokens
    print(f"\n## {path}\n(a) {n_texts} texts, {n_tok} scored tokens; load {os.getloadavg()[0]:.2f}")

    mini = mscorer.IncrementalLMScorer(path, device="cpu")
    lm = HFLM(pretrained=path, device="cpu", batch_size=batch, dtype="float32")
    reqs = [Instance("loglikelihood_rolling", {}, (t,), i) for i, t in enumerate(corpus)]
    ours.score(seqs[:4])  # warm-up
    outs, secs = interleaved({
        "intuitions": lambda: ours.score(seqs),
        "minicons": lambda: [x for i in range(0, len(corpus), batch)
                             for x in mini.token_score(corpus[i:i + batch], bos_token=True)],
        "lm-eval": lambda: lm.loglikelihood_rolling(reqs, disable_tqdm=True),
    }, repeats)
    t_ours, t_mini, t_lme = secs["intuitions"], secs["minicons"], secs["lm-eval"]
    ours_sum = np.array([r.total() for r in outs["intuitions"]])
    mini_sum = np.array([sum(s for _, s in toks) for toks in outs["minicons"]])
    lme_sum = np.array(outs["lm-eval"], float)

    for name, t, s in [("intuitions", t_ours, ours_sum), ("minicons", t_mini, mini_sum), ("lm-eval", t_lme, lme_sum)]:
        print(f"  {name:>10}: {n_tok / t:8.1f} tok/s  ({t:6.1f} s)  max|Δsum| vs intuitions {np.max(np.abs(s - ours_sum)):.2e}")
    print(f"  ratios: intuitions/minicons {t_mini / t_ours:.2f}x (target >= 2), "
          f"intuitions/lm-eval {t_lme / t_ours:.2f}x (target >= 1)")
    fp64_referee(path, seqs, {"intuitions": ours_sum, "minicons": mini_sum, "lm-eval": lme_sum})

    # lm-eval's loglikelihood prepends no BOS to a non-empty context for this tokenizer;
    # score the identical token sequences.
    ours = HFScorer(ours.model, ours.tokenizer, ours.name, HFOptions(bos="none"))
    from intuitions.experiments import icl

    prompts, template = icl_prompts(n_queries)
    pairs = [(ctx, w) for p in prompts for ctx in (p.context, p.cf_context) for w in p.candidates]
    if max(len(x) for x in tokenize(ours, [c for c, _ in pairs])) + 2 > ours.window:
        print(f"(b) skipped: 8-shot prompts exceed this model's {ours.window}-token context")
        return
    icl.score_prompts(ours, prompts[:2], template)  # warm-up
    reqs = [Instance("loglikelihood", {}, (c, template.label(w)), i) for i, (c, w) in enumerate(pairs)]
    outs, secs = interleaved({"intuitions": lambda: icl.score_prompts(ours, prompts, template),
                              "lm-eval": lambda: lm.loglikelihood(reqs, disable_tqdm=True)}, repeats)
    t_o, t_l, theirs = secs["intuitions"], secs["lm-eval"], outs["lm-eval"]
    mine = [x for s in outs["intuitions"] for x in (*s.logprob, *s.cf_logprob)]
    diff = max(abs(a - b[0]) for a, b in zip(mine, theirs))
    print(f"(b) intuitions icl: {len(prompts)} queries x 2 labels, 8 demonstrations, each prompt "
          f"also with the content-free input ({len(pairs)} requests)")
    print(f"  intuitions: {len(pairs) / t_o:7.2f} req/s   lm-eval: {len(pairs) / t_l:7.2f} req/s   "
          f"ratio {t_l / t_o:.2f}x (target >= 1.5)   max|Δ| {diff:.2e}")

    ctxs, conts = icl_requests(n_queries)
    score_continuations(ours, ctxs[:4], conts[:4])
    ours_cont, t_o = timed(lambda: score_continuations(ours, ctxs, conts))
    reqs = [Instance("loglikelihood", {}, (c, k), i) for i, (c, k) in enumerate(zip(ctxs, conts))]
    lme_cont, t_l = timed(lambda: lm.loglikelihood(reqs, disable_tqdm=True))
    diff = max(abs(a.logprob - b[0]) for a, b in zip(ours_cont, lme_cont))
    print(f"(b') {n_queries} queries x 2 labels, 8 demonstrations drawn per query, no content-free twin")
    print(f"  intuitions: {len(ctxs) / t_o:7.2f} req/s   lm-eval: {len(ctxs) / t_l:7.2f} req/s   "
          f"ratio {t_l / t_o:.2f}x   max|Δ| {diff:.2e}")


def fp64_referee(path: str, seqs, sums: dict) -> None:
    """Where two tools disagree, float64 says which is off: rescore the texts with the largest
    disagreement with a plain float64 forward and log-softmax (no tool's code) and print every
    tool's distance from it."""
    from transformers import AutoModelForCausalLM

    base = sums["intuitions"]
    worst = sorted({int(np.argmax(np.abs(s - base))) for name, s in sums.items() if name != "intuitions"})
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float64)
    ref = []
    with torch.no_grad():
        for i in worst:
            ids = torch.tensor([list(seqs[i])])
            lp = torch.log_softmax(model(ids).logits[0, :-1], -1)
            ref.append(float(lp.gather(1, ids[0, 1:, None]).sum()))
    errs = ", ".join(f"{name} {np.max(np.abs(s[worst] - np.array(ref))):.2e}" for name, s in sums.items())
    print(f"  float64 referee on the {len(worst)} most disputed texts: |Δsum| {errs}")


def memory_sweep(path: str) -> None:
    """Peak RSS while scoring at batch sizes 1..32 (target < 4 GB). Each batch size runs in
    its own process and reads VmHWM (ru_maxrss would inherit the forking parent's peak)."""
    import subprocess
    import sys

    code = (
        "import sys;from intuitions.models.hf import HFScorer,HFOptions;"
        "from intuitions.models.base import tokenize;"
        "b=int(sys.argv[2]);s=HFScorer.load(sys.argv[1],options=HFOptions(token_budget=b*512));"
        "ids=tokenize(s,['the model reads a long text about science and language '*50]*b);"
        "ids=[x[:512] for x in ids];s.score(ids);"
        "print([int(l.split()[1])/1024 for l in open('/proc/self/status') if l.startswith('VmHWM')][0])"
    )
    print("\n(memory) peak RSS scoring 512-token texts:")
    for b in (1, 4, 8, 16, 32):
        out = subprocess.run([sys.executable, "-c", code, path, str(b)], capture_output=True, text=True)
        mb = float(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else float("nan")
        print(f"  batch {b:>2}: {mb:7.0f} MB {'ok' if mb < 4096 else 'OVER 4 GB'}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", type=int, default=200)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per tool, interleaved; medians reported")
    ap.add_argument("--models", default="smollm2-135m,ladder")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    from intuitions.models import zoo

    for name in args.models.split(","):
        if name == "ladder":
            try:
                path = str(zoo.family_members("quick")[-1])
            except Exception as e:
                print(f"ladder: skipped ({e})")
                continue
        else:
            gguf = zoo.ZOO[name].locate()
            if gguf is None:
                print(f"{name}: skipped (not installed)")
                continue
            path = str(zoo.dequantised_dir(gguf))
        bench_model(path, args.texts, args.queries, args.batch, args.repeats)
        if name != "ladder":
            memory_sweep(path)
    print(f"\nthis process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
