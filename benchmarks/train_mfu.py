"""Model FLOPs utilisation (MFU) of ladder training, for every member of a preset, against
this CPU's matmul peak measured in the same run at the same thread count.

    python benchmarks/train_mfu.py                     # quick preset, 1 thread (the ladder's default)
    python benchmarks/train_mfu.py --threads 1,2 --steps 30 --json mfu.json

FLOP count (the standard one, PaLM appendix B / Kaplan et al.): per trained token
    6 * N  +  12 * L * T * d
where N = the parameters that take part in matmuls = all parameters, the tied embedding
counted once as the LM head (a real vocab x width matmul; the input lookup is free), L =
layers, T = sequence length, d = width. 6 = 2 (multiply-add) x 3 (forward, two backward
products); 12*L*T*d = attention's QK^T and AV products, forward and backward, counted over
the full (not causally halved) T x T square. RMSNorm, rotary, softmax, SwiGLU's gate and
the optimiser are not counted: they are the overhead MFU measures.

Peak: the best of several n x n x n `torch.matmul`s (n = 2048) in fp32 and in bf16, with
the same `torch.set_num_threads` as training; the fp32 one again just before each member.
MFU = model FLOP/s / fp32 peak (training is fp32); the bf16 peak is printed for reference
(what bf16 matmuls could reach here).

The machine is shared, so every figure comes twice: per wall-clock second and per CPU
second of this process (`time.process_time`, which a busy neighbour does not inflate as
much as wall time, at least for one thread); the peak is measured both ways too, and each
MFU is the ratio of like to like. Each line carries `os.getloadavg()`; compare lines of one
run only.

Where L3W72's step goes (1 thread, CPU time, 16x128; load ~6 on 2 cores): ~105 ms/step, of
which matmuls ~50 ms (the forward ones run at ~85% of peak), flash attention ~21 ms (head
dim 18), the rest a long tail of small elementwise ops (RMSNorm, rotary, SwiGLU, cross
entropy ~6 ms, AdamW + clipping ~2 ms). Tried against it, in one process, A/B interleaved,
none beyond the ~5% noise: fused or foreach AdamW, math-backend or eager attention (slower:
+12-17%), a hand-fused cross entropy (slower), F.rms_norm (same kernels), mallopt to keep
freed pages, bf16 autocast (slower: 137 vs 105 ms, the matmuls are too small to gain),
use_cache=False. torch.compile: -7% per step but 66 s cold compile (9 s warm cache) per
member and process, a net loss for 1600 steps of ~0.1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@dataclass(frozen=True)
class Peak:
    dtype: str
    threads: int
    wall_flops: float  # FLOP per wall second, best of reps
    cpu_flops: float  # FLOP per CPU second of this process, best of reps


@dataclass(frozen=True)
class MemberMFU:
    member: str
    threads: int
    params: int
    flops_per_token: float
    ms_per_step_wall: float
    tokens_per_s_wall: float
    tokens_per_cpu_s: float
    mfu_wall: float  # vs the fp32 peak per wall second
    mfu_cpu: float  # vs the fp32 peak per CPU second
    load: tuple[float, float]


def flops_per_token(layers: int, width: int, seq_len: int, params: int) -> float:
    return 6.0 * params + 12.0 * layers * seq_len * width


def matmul_peak(dtype: str, threads: int, n: int = 2048, reps: int = 8) -> Peak:
    import torch

    torch.set_num_threads(threads)
    dt = {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype]
    a, b = torch.randn(n, n).to(dt), torch.randn(n, n).to(dt)
    torch.matmul(a, b)
    wall = cpu = float("inf")
    for _ in range(reps):
        t, c = time.perf_counter(), time.process_time()
        torch.matmul(a, b)
        wall, cpu = min(wall, time.perf_counter() - t), min(cpu, time.process_time() - c)
    return Peak(dtype, threads, 2 * n**3 / wall, 2 * n**3 / cpu)


def train_config(layers: int, width: int, batch_size: int, seq_len: int, steps: int):
    from intuitions.family.train import TrainConfig

    return TrainConfig(preset="bench", member=f"L{layers}W{width}", layers=layers, width=width, steps=steps,
                       batch_size=batch_size, seq_len=seq_len, lr=1e-3, warmup=1, decay_frac=0.2,
                       weight_decay=0.1, grad_clip=1.0, seed=0, world_dir="", world_seed=0, out_dir="",
                       checkpoint_steps=(), branch_steps=(), eval_docs_per_task=0, eval_items_per_task=0,
                       checkpoint_eval_docs_per_task=0, checkpoint_eval_items_per_task=0, resume_every=10**9)


def member_mfu(layers: int, width: int, batch_size: int, seq_len: int, threads: int, peak: Peak,
               steps: int, warmup: int = 3, vocab: int = 1024) -> MemberMFU:
    """Times the ladder's own `train_step` (whatever train.py does, this measures)."""
    import numpy as np
    import torch
    from transformers import LlamaForCausalLM

    from intuitions.family.model import Shape, llama_config
    from intuitions.family.train import _optimizer, batch, train_step

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    cfg = train_config(layers, width, batch_size, seq_len, steps)
    model = LlamaForCausalLM(llama_config(Shape(layers, width, vocab, seq_len), 0, 0, 1)).train()
    opt = _optimizer(model, cfg)
    stream = np.random.default_rng(0).integers(0, vocab, size=200_000).astype(np.uint16)
    for s in range(warmup):
        train_step(model, opt, batch(stream, cfg, s), 1e-3, 1.0)
    load0 = os.getloadavg()[0]
    t, c = time.perf_counter(), time.process_time()
    for s in range(steps):
        train_step(model, opt, batch(stream, cfg, warmup + s), 1e-3, 1.0)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    params = sum(p.numel() for p in model.parameters())
    fpt = flops_per_token(layers, width, seq_len, params)
    tokens = steps * batch_size * seq_len
    return MemberMFU(cfg.member, threads, params, fpt, 1000 * wall / steps, tokens / wall, tokens / cpu,
                     fpt * tokens / wall / peak.wall_flops, fpt * tokens / cpu / peak.cpu_flops,
                     (load0, os.getloadavg()[0]))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="quick")
    ap.add_argument("--threads", default="1",
                    help="comma-separated thread counts (the ladder trains with 1 per worker)")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--members", help="comma-separated member names (default: all)")
    ap.add_argument("--json", help="write the results here")
    a = ap.parse_args(argv)

    from intuitions.family.presets import get

    p = get(a.preset)
    members = [m for m in p.members if not a.members or m.name in a.members.split(",")]
    out: dict = {"preset": a.preset, "batch": f"{p.batch_size}x{p.seq_len}", "peaks": [], "members": [],
                 "cpu_count": os.cpu_count(), "target_largest_mfu": 0.40}
    for threads in (int(x) for x in a.threads.split(",")):
        fp32, bf16 = matmul_peak("fp32", threads), matmul_peak("bf16", threads)
        out["peaks"] += [asdict(fp32), asdict(bf16)]
        print(f"threads {threads}: matmul peak fp32 {fp32.wall_flops / 1e9:.1f} GFLOP/s wall, "
              f"{fp32.cpu_flops / 1e9:.1f} per CPU-s; bf16 {bf16.wall_flops / 1e9:.1f} wall, "
              f"{bf16.cpu_flops / 1e9:.1f} per CPU-s  (load {os.getloadavg()[0]:.2f})", flush=True)
        for m in members:
            # The wall peak is re-measured just before each member: a neighbour's load
            # changes within seconds here, and a stale peak gave wall MFUs above 70%.
            r = member_mfu(m.layers, m.width, p.batch_size, p.seq_len, threads, matmul_peak("fp32", threads), a.steps)
            out["members"].append(asdict(r))
            print(f"  {r.member:>6} {r.params:>8,} params {r.flops_per_token / 1e6:5.2f} MFLOP/tok  "
                  f"{r.tokens_per_s_wall:>8,.0f} tok/s {r.ms_per_step_wall:6.1f} ms/step "
                  f"MFU {100 * r.mfu_wall:5.1f}% | "
                  f"{r.tokens_per_cpu_s:>8,.0f} tok/CPU-s MFU {100 * r.mfu_cpu:5.1f}%  "
                  f"(load {r.load[0]:.2f}->{r.load[1]:.2f})", flush=True)
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
