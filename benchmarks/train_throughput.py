"""Training throughput of the ladder: tokens/s per member of a preset, model-FLOPs
utilisation (MFU) against a large fp32 torch.matmul measured in the same run, and the
wall time of `intuitions train --preset <preset>`.

    python benchmarks/train_throughput.py                  # quick preset, 2 threads
    python benchmarks/train_throughput.py --run-preset     # also time the whole ladder
    python benchmarks/train_throughput.py --json out.json

Every timing is printed with the machine's 1-minute load average: a busy second core slows
2-thread training 5-20x here, so a number without its load means little.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def matmul_peak(threads: int, n: int = 2048, reps: int = 10) -> float:
    """FLOP/s of an n x n x n fp32 matmul (best of reps, after a warm-up): the ladder's own
    measurement (family.train.matmul_peak) at a larger size."""
    from intuitions.family.train import matmul_peak as peak

    return peak(threads, n, reps)


def member_throughput(layers: int, width: int, batch_size: int, seq_len: int, threads: int,
                      steps: int = 30, warmup: int = 5, vocab: int = 1024) -> dict:

    import numpy as np
    import torch
    from transformers import LlamaForCausalLM

    from intuitions.family.model import Shape, flops, llama_config, param_counts
    from intuitions.family.train import TrainConfig, _optimizer, batch, train_step

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    shape = Shape(layers, width, vocab, seq_len)
    model = LlamaForCausalLM(llama_config(shape, 0, 0, 1)).train()
    cfg = TrainConfig(preset="bench", member=f"L{layers}W{width}", layers=layers, width=width, steps=steps,
                      batch_size=batch_size, seq_len=seq_len, lr=1e-3, warmup=1, decay_frac=0.2,
                      weight_decay=0.1, grad_clip=1.0, seed=0, world_dir="", world_seed=0, out_dir="",
                      checkpoint_steps=(), branch_steps=(), eval_docs_per_task=0, eval_items_per_task=0,
                      checkpoint_eval_docs_per_task=0, checkpoint_eval_items_per_task=0, resume_every=10**9)
    stream = np.random.default_rng(0).integers(0, vocab, size=200_000).astype(np.uint16)
    opt = _optimizer(model, cfg)
    for s in range(warmup):
        train_step(model, opt, batch(stream, cfg, s), 1e-3, 1.0)
    load = os.getloadavg()[0]
    t = time.perf_counter()
    for s in range(steps):
        train_step(model, opt, batch(stream, cfg, warmup + s), 1e-3, 1.0)
    dt = time.perf_counter() - t
    n, ne = param_counts(model)
    tok_s = steps * batch_size * seq_len / dt
    return {"member": cfg.member, "params": n, "non_embedding_params": ne, "batch": f"{batch_size}x{seq_len}",
            "tokens_per_s": tok_s, "ms_per_step": 1000 * dt / steps,
            "flops_per_s": flops(shape, ne, 1) * tok_s, "load_before": load, "load_after": os.getloadavg()[0]}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--reference", action="store_true", help="also time 1x32 at 16x128 (the design's measured shape)")
    ap.add_argument("--run-preset", action="store_true", help="time `intuitions train --preset P` in a fresh home")
    ap.add_argument("--json", help="write the results here")
    a = ap.parse_args(argv)

    from intuitions.family.presets import get

    p = get(a.preset)
    peak = matmul_peak(a.threads)
    print(f"matmul peak fp32, {a.threads} threads: {peak / 1e9:.1f} GFLOP/s (load {os.getloadavg()[0]:.2f})")
    shapes = [(m.layers, m.width, p.batch_size, p.seq_len) for m in p.members]
    if a.reference:
        shapes.append((1, 32, 16, 128))
    rows = []
    for layers, width, b, t in shapes:
        r = member_throughput(layers, width, b, t, a.threads, a.steps)
        r["mfu"] = r["flops_per_s"] / peak
        rows.append(r)
        print(f"{r['member']:>7} {r['batch']:>7} non-emb {r['non_embedding_params']:>8,}  "
              f"{r['tokens_per_s']:>9,.0f} tok/s {r['ms_per_step']:7.1f} ms/step  MFU {100 * r['mfu']:5.1f}%  "
              f"(load {r['load_before']:.2f}->{r['load_after']:.2f})")
    result = {"preset": a.preset, "threads": a.threads, "matmul_peak_flops": peak, "members": rows,
              "cpu_count": os.cpu_count()}
    if a.run_preset:
        with tempfile.TemporaryDirectory() as home:
            env = {**os.environ, "INTUITIONS_HOME": home}
            load = os.getloadavg()[0]
            t = time.perf_counter()
            r = subprocess.run([sys.executable, "-m", "intuitions.cli", "train", "--preset", a.preset,
                                "--threads", str(a.threads)], env=env, capture_output=True, text=True)
            wall = time.perf_counter() - t
            print(r.stdout[-3000:], r.stderr[-2000:])
            result["preset_wall_s"] = wall
            result["preset_load"] = [load, os.getloadavg()[0]]
            print(f"intuitions train --preset {a.preset}: {wall:.0f} s wall, exit {r.returncode} "
                  f"(load {load:.2f}->{os.getloadavg()[0]:.2f})")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
