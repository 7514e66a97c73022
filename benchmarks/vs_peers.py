"""intuitions vs the tools researchers use today, same model, same requests, same run.

    make bench-env                                   # once: .venv-bench with minicons + lm-eval
    .venv-bench/bin/python benchmarks/vs_peers.py [--texts 200] [--queries 200] [--peer-batches 1,16]

(a) per-token scoring of mixed-length texts: intuitions `Scorer.score` vs minicons
    `IncrementalLMScorer.token_score` vs lm-eval `HFLM.loglikelihood_rolling`;
(b) few-shot classification as `intuitions icl` scores it: queries x 2 labels, each query
    after 8 demonstrations (4 per class) and again after the same 8 with the content-free
    input (calibration): `icl.score_prompts` (shared-prefix KV reuse) vs lm-eval
    `HFLM.loglikelihood` on the identical context/label pairs;
(b') the same shape without the content-free twin, demonstrations drawn per query from a
    small pool: little prefix to share, so this measures batching alone.

Every timed run is a fresh process (load and a 4-request warm-up untimed), the tools taking
turns --repeats times, so no tool inherits another's heap or threads and a noisy neighbour
slows every tool alike; medians are reported. All use --threads torch threads and
TOKENIZERS_PARALLELISM=false (no tool gets extra tokenizer threads).
intuitions runs as its CLI does: OMP_WAIT_POLICY=PASSIVE, and its scorer keeps freed memory
(models/allocator.py). Peers run `shipped` (their defaults) and/or `tuned` (given those
same two process settings), so the part of the ratio that is process settings shows.
Peers run at every batch size in --peer-batches and each target is judged against the
peer's fastest: on a 2-core CPU, SmolLM2, 200 texts, both peers measured fastest at batch 1
(lm-eval's default; padded batches pay for padding and masked attention), ~1.45x their
speed at batch 16; a tiny ladder member is fastest at batch 16.
Prints throughput, ratios, and the max |difference| of summed logprobs (target <= 1e-3),
with a float64 referee where tools disagree.
The peers live only in .venv-bench, never in the project's dependencies."""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402

WORDS = ("the model predicts every next token of a long document about language and science "
         "while researchers measure how surprised it is by each word in context a film review "
         "said the acting was wonderful but the plot was dull and slow").split()
POS = ["a wonderful, moving film", "I loved every minute", "brilliant acting and a clever plot",
       "a joy from start to finish", "funny, warm and smart"]
NEG = ["a dull, boring mess", "I hated every minute", "wooden acting and a silly plot",
       "a chore from start to finish", "tedious, cold and stupid"]
TOOLS = {"a": ("intuitions", "minicons", "lm-eval"), "b": ("intuitions", "lm-eval"), "b'": ("intuitions", "lm-eval")}


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
    from intuitions.experiments.icl import core as icl

    design = icl.Design(k_sweep=(4,), flips=(0,), seeds=(0,), n=n)
    prompts = icl.build_prompts(icl.load_data("sentiment"), design, run_seed=0)
    return [p for p in prompts if p.condition.startswith("gold")], design.template


def icl_pairs(n: int) -> list[tuple[str, str]]:
    """(context, label text) in the order `job` returns intuitions' (b) logprobs."""
    prompts, template = icl_prompts(n)
    return [(ctx, template.label(w)) for p in prompts for ctx in (p.context, p.cf_context) for w in p.candidates]


# -- one tool, one task, in its own process ---------------------------------------------
def job(tool: str, task: str, path: str, req: dict, batch: int):
    """(warm-up, timed work) for one tool; the work returns summed logprobs in a fixed order."""
    corpus, n = req["corpus"], req["queries"]
    if tool == "intuitions":
        from intuitions.experiments.icl import core as icl
        from intuitions.models.base import score_continuations, tokenize
        from intuitions.models.hf import HFOptions, HFScorer

        if task == "a":
            ours = HFScorer.load(path)
            seqs = tokenize(ours, corpus)
            return (lambda: ours.score(seqs[:4]), lambda: [r.total() for r in ours.score(seqs)])
        # lm-eval's loglikelihood prepends no BOS to a non-empty context for this
        # tokenizer: score the identical token sequences.
        ours = HFScorer.load(path, options=HFOptions(bos="none"))
        if task == "b":
            prompts, template = icl_prompts(n)
            return (lambda: icl.score_prompts(ours, prompts[:2], template),
                    lambda: [x for s in icl.score_prompts(ours, prompts, template)
                             for x in (*s.logprob, *s.cf_logprob)])
        ctxs, conts = icl_requests(n)
        return (lambda: score_continuations(ours, ctxs[:4], conts[:4]),
                lambda: [c.logprob for c in score_continuations(ours, ctxs, conts)])
    if tool == "minicons":
        from minicons import scorer as mscorer

        mini = mscorer.IncrementalLMScorer(path, device="cpu")

        def run(xs):
            return [sum(s for _, s in toks) for i in range(0, len(xs), batch)
                    for toks in mini.token_score(xs[i:i + batch], bos_token=True)]
        return (lambda: run(corpus[:4]), lambda: run(corpus))
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    lm = HFLM(pretrained=path, device="cpu", batch_size=batch, dtype="float32")
    if task == "a":
        reqs = [Instance("loglikelihood_rolling", {}, (t,), i) for i, t in enumerate(corpus)]
        return (lambda: lm.loglikelihood_rolling(reqs[:4], disable_tqdm=True),
                lambda: [float(x) for x in lm.loglikelihood_rolling(reqs, disable_tqdm=True)])
    pairs = icl_pairs(n) if task == "b" else list(zip(*icl_requests(n)))
    reqs = [Instance("loglikelihood", {}, pair, i) for i, pair in enumerate(pairs)]
    return (lambda: lm.loglikelihood(reqs[:4], disable_tqdm=True),
            lambda: [float(x[0]) for x in lm.loglikelihood(reqs, disable_tqdm=True)])


def worker(args) -> None:
    import torch

    if args.keep_memory:
        from intuitions.models.allocator import keep_freed_memory

        keep_freed_memory()
    torch.set_num_threads(args.threads)
    req = json.loads(Path(args.requests).read_text())
    warm, work = job(args.worker, args.task, args.path, req, args.batch)
    warm()
    t = time.perf_counter()
    sums = work()
    secs = time.perf_counter() - t
    Path(args.out).write_text(json.dumps({"seconds": secs, "sums": sums}))


def run_worker(tool: str, setting: str, task: str, path: str, req_file: str, batch: int, args) -> dict:
    env = dict(os.environ)
    if setting in ("own", "tuned"):
        env["OMP_WAIT_POLICY"] = "PASSIVE"  # what intuitions' CLI sets (cli.py)
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [sys.executable, __file__, "--worker", tool, "--task", task, "--path", path, "--requests", req_file,
               "--out", out.name, "--threads", str(args.threads), "--batch", str(batch)]
        # intuitions' scorer keeps freed memory itself; a tuned peer is given the same.
        proc = subprocess.run(cmd + (["--keep-memory"] if setting == "tuned" else []), env=env,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"{tool} ({task}) failed:\n{proc.stderr[-3000:]}")
        return json.loads(Path(out.name).read_text())


def measure(task: str, path: str, req_file: str, args) -> dict[str, dict]:
    """{tool (setting): {"seconds": [...], "sums": [...]}}, runs interleaved."""
    settings = ("shipped", "tuned") if args.peers == "both" else (args.peers,)
    variants = [("intuitions", "own", 0)] + [(t, s, b) for t in TOOLS[task][1:] for s in settings
                                             for b in args.peer_batches]
    res: dict[str, dict] = {}
    for _ in range(args.repeats):
        for tool, setting, batch in variants:
            r = run_worker(tool, setting, task, path, req_file, batch, args)
            key = tool if tool == "intuitions" else f"{tool} ({setting}, batch {batch})"
            res.setdefault(key, {"seconds": [], "sums": r["sums"]})["seconds"].append(r["seconds"])
    if args.repeats > 1:
        print("  seconds per repeat: " + "; ".join(f"{k} " + " ".join(f"{t:.1f}" for t in v["seconds"])
                                                   for k, v in res.items()))
    return res


def report(res: dict, work: float, unit: str, targets: dict[str, float]) -> None:
    ours = np.array(res["intuitions"]["sums"])
    t_ours = float(np.median(res["intuitions"]["seconds"]))
    for name, r in res.items():
        t = float(np.median(r["seconds"]))
        diff = np.max(np.abs(np.array(r["sums"]) - ours))
        line = f"  {name:>30}: {work / t:8.2f} {unit}  ({t:6.1f} s)  max|Δsum| vs intuitions {diff:.2e}"
        print(line + ("" if name == "intuitions" else f"   intuitions {t / t_ours:.2f}x"))
    for peer, goal in targets.items():
        fastest = min((float(np.median(r["seconds"])), name) for name, r in res.items() if name.startswith(peer + " "))
        ratio = fastest[0] / t_ours
        print(f"  target: intuitions >= {goal:g}x the fastest {peer} ({fastest[1]}): {ratio:.2f}x "
              f"{'met' if ratio >= goal else 'MISSED'}")


def bench_model(path: str, args) -> None:
    from intuitions.models.base import tokenize
    from intuitions.models.hf import HFOptions, HFScorer

    ours = HFScorer.load(path)
    # Same work only when every text fits the context: past it, each tool windows or
    # truncates differently (a ladder member has 128 positions).
    corpus = [t for t in texts(4 * args.texts) if len(tokenize(ours, [t])[0]) <= ours.window][:args.texts]
    seqs = tokenize(ours, corpus)
    n_tok = sum(len(s) - 1 for s in seqs)  # scored tokens
    plain = HFScorer(ours.model, ours.tokenizer, ours.name, HFOptions(bos="none"))
    icl_fits = max(len(x) for x in tokenize(plain, [c for c, _ in icl_pairs(args.queries)])) + 2 <= plain.window
    del ours, plain
    with tempfile.TemporaryDirectory() as tmp:
        req_file = str(Path(tmp) / "requests.json")
        Path(req_file).write_text(json.dumps({"corpus": corpus, "queries": args.queries}))
        print(f"\n## {path}\n(a) {len(corpus)} texts, {n_tok} scored tokens; load {os.getloadavg()[0]:.2f}")
        res = measure("a", path, req_file, args)
        report(res, n_tok, "tok/s", {"minicons": 2, "lm-eval": 1})
        fp64_referee(path, seqs, {k: np.array(v["sums"]) for k, v in res.items()})
        if not icl_fits:
            print("(b) skipped: 8-shot prompts exceed this model's context")
            return
        n_req = 4 * args.queries
        print(f"(b) intuitions icl: {args.queries} queries x 2 labels, 8 demonstrations, each prompt "
              f"also with the content-free input ({n_req} requests)")
        report(measure("b", path, req_file, args), n_req, "req/s", {"lm-eval": 1.5})
        print(f"(b') {args.queries} queries x 2 labels, 8 demonstrations drawn per query, no content-free twin")
        report(measure("b'", path, req_file, args), 2 * args.queries, "req/s", {})


def fp64_referee(path: str, seqs, sums: dict) -> None:
    """Where two tools disagree, float64 says which is off: rescore the texts with the largest
    disagreement with a plain float64 forward and log-softmax (no tool's code) and print every
    tool's distance from it."""
    import torch
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


def batch_sizes(text: str) -> list[int]:
    return [int(b) for b in text.split(",")]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", type=int, default=200)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--peer-batches", default=[1, 16], type=batch_sizes,
                    help="the peers' batch sizes, comma-separated, each timed (default 1,16)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per tool, interleaved; medians reported")
    ap.add_argument("--peers", choices=("shipped", "tuned", "both"), default="shipped",
                    help="peers with their own process settings, with intuitions', or both")
    ap.add_argument("--models", default="smollm2-135m,ladder")
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-RSS sweep")
    for hidden in ("--worker", "--task", "--path", "--requests", "--out"):
        ap.add_argument(hidden, help=argparse.SUPPRESS)
    ap.add_argument("--batch", type=int, default=1, help=argparse.SUPPRESS)  # a worker's batch
    ap.add_argument("--keep-memory", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args)
    import importlib.util

    missing = [m for m in ("minicons", "lm_eval") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"vs_peers: skipped, {' and '.join(missing)} not installed here: "
              "run `make bench-env`, then .venv-bench/bin/python benchmarks/vs_peers.py")
        return
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
        bench_model(path, args)
        if name != "ladder" and not args.no_memory:
            memory_sweep(path)
    print(f"\nthis process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
