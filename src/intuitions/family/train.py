"""Training one ladder member, as plainly as nanoGPT's train.py: AdamW on random windows
of the world's token stream, warmup + stable + decay, gradient clipping.

Why it is shaped this way:
- `train_member(cfg)` is a top-level function of a frozen dataclass, so any executor
  (a loop here, Ray elsewhere) can ship it to a worker.
- Batch k is a pure function of (seed, k) and the learning rate of (step, schedule), so
  resuming needs only weights, optimizer moments and the step: a killed run that is rerun
  ends with the same weights as one never killed. The state is written in safetensors plus
  JSON (no pickle), to a fresh folder that replaces the old one only once complete.
- Data axis: warmup-stable-decay lets one run yield several token budgets. For a budget
  of S' steps we copy the run at step S' - decay(S') (still in the stable phase) and decay
  the copy to zero over decay(S') steps: a "decay branch", saved under branches/.
- Every saved model is a complete HF folder (safetensors, config, tokenizer) with its
  evaluation beside it (eval.json), and appears by an atomic rename.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from intuitions.errors import LadderMismatch, UserError

Progress = Callable[[str, int, int, float, float], None]  # member, step, total, loss, tok/s


@dataclass(frozen=True)
class TrainConfig:
    preset: str
    member: str
    layers: int
    width: int
    steps: int
    batch_size: int
    seq_len: int
    lr: float
    warmup: int
    decay_frac: float  # the final share of a run spent decaying the learning rate to 0
    weight_decay: float
    grad_clip: float
    seed: int
    world_dir: str
    world_seed: int
    out_dir: str
    checkpoint_steps: tuple[int, ...]  # log-spaced; each saved under checkpoints/step_<k>
    branch_steps: tuple[int, ...]  # shorter token budgets, each a decay branch
    eval_docs_per_task: int  # final models and branches
    eval_items_per_task: int
    checkpoint_eval_docs_per_task: int  # intermediate checkpoints: smaller, they are many
    checkpoint_eval_items_per_task: int
    resume_every: int
    threads: int = 1
    log_every: int = 50
    stop_after: int | None = None  # tests: return after this many steps, as if killed

    @property
    def tokens_per_step(self) -> int:
        return self.batch_size * self.seq_len

    def identity(self) -> dict:
        """What must match for a saved state to be resumed."""
        d = dataclasses.asdict(self)
        for k in ("out_dir", "threads", "log_every", "stop_after", "world_dir"):
            d.pop(k)
        return json.loads(json.dumps(d))


def decay_len(cfg: TrainConfig, total: int) -> int:
    return max(1, round(cfg.decay_frac * total))


def lr_at(cfg: TrainConfig, step: int, total: int) -> float:
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    d = decay_len(cfg, total)
    if step >= total - d:
        return cfg.lr * (total - step) / d
    return cfg.lr


def doc_starts(stream: np.ndarray, bos: int, seq_len: int) -> np.ndarray:
    """Where each document begins (its BOS), among windows that fit in the stream: windows
    start there, so an episode or a problem is never cut at its start."""
    at = np.flatnonzero(np.asarray(stream) == bos)
    return at[at <= len(stream) - seq_len - 1]


def batch(stream: np.ndarray, cfg: TrainConfig, step: int, starts: np.ndarray | None = None):
    """Batch `step`: windows at document starts (`starts`), or anywhere when none are given."""
    import torch

    rng = np.random.default_rng([cfg.seed, 9091, step])
    if starts is None:
        starts = rng.integers(0, len(stream) - cfg.seq_len - 1, size=cfg.batch_size)
    else:
        starts = starts[rng.integers(0, len(starts), size=cfg.batch_size)]
    return torch.from_numpy(np.asarray(stream[starts[:, None] + np.arange(cfg.seq_len + 1)], dtype=np.int64))


def _optimizer(model, cfg: TrainConfig):
    import torch

    decay = [p for p in model.parameters() if p.dim() >= 2]
    rest = [p for p in model.parameters() if p.dim() < 2]
    return torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                              {"params": rest, "weight_decay": 0.0}],
                             lr=cfg.lr, betas=(0.9, 0.95), eps=1e-8)


def train_step(model, opt, x, lr: float, clip: float) -> float:
    import torch
    import torch.nn.functional as F

    for g in opt.param_groups:
        g["lr"] = lr
    # use_cache=False: by default HF builds a KV cache (a copy of every layer's K and V)
    # that training never reads.
    logits = model(input_ids=x[:, :-1], use_cache=False).logits
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    return float(loss.item())


def matmul_peak(threads: int, n: int = 1024, reps: int = 6) -> float:
    """FLOP/s of the best of `reps` n x n x n fp32 matmuls at the training's thread count:
    the denominator of MFU, measured in the same process just before training."""
    import torch

    torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.matmul(a, b)
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        torch.matmul(a, b)
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best


# -- resume state ---------------------------------------------------------------------------
def _save_state(member: Path, model, opt, step: int, extra: dict) -> None:
    import torch
    from safetensors.torch import save_file

    new, cur, old = member / "resume.new", member / "resume", member / "resume.old"
    shutil.rmtree(new, ignore_errors=True)
    new.mkdir(parents=True)
    save_file({n: p.detach().clone().contiguous() for n, p in model.named_parameters()}, new / "model.safetensors")
    sd = opt.state_dict()
    tensors = {f"{i}.{k}": v.clone().contiguous() for i, st in sd["state"].items() for k, v in st.items()}
    tensors["torch_rng"] = torch.get_rng_state()
    save_file(tensors, new / "optimizer.safetensors")
    groups = [{k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items()} for g in sd["param_groups"]]
    (new / "state.json").write_text(json.dumps({"step": step, "param_groups": groups, **extra}))
    if cur.exists():
        shutil.rmtree(old, ignore_errors=True)
        cur.rename(old)
    new.rename(cur)
    shutil.rmtree(old, ignore_errors=True)


def _state_dir(member: Path) -> Path | None:
    for name in ("resume", "resume.new", "resume.old"):
        if (member / name / "state.json").exists():
            return member / name
    return None


def _load_state(d: Path, model, opt, cfg: TrainConfig) -> dict:
    import torch
    from safetensors.torch import load_file

    try:
        state = json.loads((d / "state.json").read_text())
        if state.get("config") != cfg.identity():
            raise UserError(f"checkpoint {d} was made with other settings; delete it or choose another --out")
        weights = load_file(d / "model.safetensors")
        params = dict(model.named_parameters())
        if set(weights) != set(params):
            raise ValueError("parameter names differ")
        with torch.no_grad():
            for n, p in params.items():
                p.copy_(weights[n])
        t = load_file(d / "optimizer.safetensors")
        groups = [{k: (tuple(v) if k == "betas" else v) for k, v in g.items()} for g in state["param_groups"]]
        st: dict[int, dict] = {}
        for key, v in t.items():
            if key != "torch_rng":
                i, name = key.split(".", 1)
                st.setdefault(int(i), {})[name] = v
        opt.load_state_dict({"state": st, "param_groups": groups})
        torch.set_rng_state(t["torch_rng"])
        return state
    except UserError:
        raise
    except Exception as e:  # safetensors, JSON, shapes: anything unreadable is corrupt
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(f"corrupt checkpoint {d} ({msg}): delete it to restart this member") from None


# -- saved models -----------------------------------------------------------------------------
def _save_model(model, tok, dest: Path, cfg: TrainConfig, step: int, kind: str, es, extra: dict) -> dict:
    """HF folder + eval.json, atomically; returns the evaluation record."""
    from transformers.utils import logging as hf_logging

    from intuitions.family.evaluate import evaluate
    from intuitions.family.model import Shape, flops, param_counts
    from intuitions.models.hf import HFScorer

    hf_logging.disable_progress_bar()
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    t0 = time.perf_counter()
    loss, rows = evaluate(HFScorer(model, tok, f"{cfg.preset}/{cfg.member}@{step}"), es)
    model.train()
    n, ne = param_counts(model)
    tokens = step * cfg.tokens_per_step
    run = {"member": cfg.member, "step": step, "params": n, "non_embedding_params": ne, "tokens": tokens,
           "flops": flops(Shape(cfg.layers, cfg.width, len(tok), cfg.seq_len), ne, tokens), "loss": loss,
           "kind": kind, "eval_s": round(time.perf_counter() - t0, 3), **extra}
    (tmp / "eval.json").write_text(json.dumps({"run": run, "rows": [dataclasses.asdict(r) for r in rows]}))
    if dest.exists():
        shutil.rmtree(dest)
    tmp.rename(dest)
    return run


def _finalise(member: Path, staged: Path) -> None:
    """Move the finished model's files into the member folder, config.json last but one and
    member.json last: a member counts as finished only when member.json exists."""
    files = sorted(staged.iterdir(), key=lambda p: (p.name == "config.json", p.name))
    for f in files:
        f.replace(member / f.name)
    staged.rmdir()


def is_finished(member: Path) -> bool:
    """True for a complete member; a member folder that looks complete but is unreadable is
    an error the user must resolve (we do not silently retrain over it)."""
    meta = member / "member.json"
    if not meta.exists():
        return False
    try:
        json.loads(meta.read_text())["n_params"]
        from safetensors import safe_open

        with safe_open(str(member / "model.safetensors"), "pt") as f:
            list(f.keys())
        json.loads((member / "config.json").read_text())
    except Exception as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UserError(f"corrupt ladder member {member} ({msg}): delete the folder to retrain it") from None
    return True


def finished_as(member: Path, cfg: TrainConfig) -> bool:
    """True when `member` finished training with exactly `cfg`'s settings, False when it is
    not finished. A member finished with other settings (steps, batch, context, lr, seed,
    size, world...) raises LadderMismatch: reusing it would report another model under these
    settings, and training over it would throw away a finished one."""
    if not is_finished(member):
        return False
    meta = json.loads((member / "member.json").read_text())
    diffs = _differences(meta.get("config") or {}, cfg.identity())
    was = Path((meta.get("world") or {}).get("dir") or cfg.world_dir).name
    if was != Path(cfg.world_dir).name:
        diffs.append(f"world {was}, asked {Path(cfg.world_dir).name}")
    if diffs:
        raise LadderMismatch(
            f"ladder member {member} was trained with other settings ({'; '.join(diffs[:3])}"
            f"{'; ...' if len(diffs) > 3 else ''}): choose another --out, or delete that folder to retrain it"
        )
    return True


NOT_A_SETTING = {"resume_every"}  # when resume states are written changes no weight (resume is exact)


def _differences(was: dict, now: dict) -> list[str]:
    missing = object()
    return [f"{k} {was.get(k, 'unrecorded')}, asked {now.get(k)}" for k in sorted((set(was) | set(now)) - NOT_A_SETTING)
            if was.get(k, missing) != now.get(k, missing)]


def _load_world(cfg: TrainConfig):
    from transformers import AutoTokenizer

    w = Path(cfg.world_dir)
    try:
        stream = np.load(w / "train_tokens.npy", mmap_mode="r", allow_pickle=False)
        tok = AutoTokenizer.from_pretrained(str(w / "tokenizer"))
    except (OSError, ValueError) as e:
        raise UserError(f"cannot read the world in {w}: {e}") from None
    if len(stream) <= cfg.seq_len + 1:
        raise UserError(f"the world in {w} has too few tokens for sequences of {cfg.seq_len}")
    return stream, tok


def _build_model(cfg: TrainConfig, tok):
    import torch
    from transformers import LlamaForCausalLM

    from intuitions.family.model import Shape, llama_config

    torch.manual_seed(cfg.seed)
    conf = llama_config(Shape(cfg.layers, cfg.width, len(tok), cfg.seq_len),
                        tok.bos_token_id, tok.eos_token_id, tok.pad_token_id)
    return LlamaForCausalLM(conf).float().train()


def train_member(cfg: TrainConfig, progress: Progress | None = None) -> Path:
    """Train (or finish training) one member; returns its folder. Idempotent: a finished
    member is returned as is, a partial one resumes from its last saved state."""
    import torch

    from intuitions.family.evaluate import eval_set

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    member = Path(cfg.out_dir)
    if finished_as(member, cfg):
        return member
    member.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(cfg.threads)
    stream, tok = _load_world(cfg)
    starts = doc_starts(stream, tok.bos_token_id, cfg.seq_len)
    model = _build_model(cfg, tok)
    opt = _optimizer(model, cfg)
    step, train_s, eval_s = 0, 0.0, 0.0
    d = _state_dir(member)
    if d is not None:
        state = _load_state(d, model, opt, cfg)
        step, train_s, eval_s = state["step"], state["train_s"], state["eval_s"]
    es = eval_set(cfg.world_seed, cfg.eval_docs_per_task, cfg.eval_items_per_task)
    es_ckpt = eval_set(cfg.world_seed, cfg.checkpoint_eval_docs_per_task, cfg.checkpoint_eval_items_per_task)
    branch_at = {b - decay_len(cfg, b): b for b in cfg.branch_steps}
    save = lambda: _save_state(member, model, opt, step,  # noqa: E731
                               {"config": cfg.identity(), "train_s": train_s, "eval_s": eval_s})
    peak = matmul_peak(cfg.threads)
    log = open(member / "log.jsonl", "a")
    load0 = os.getloadavg()[0]
    speeds: list[float] = []  # tokens/s of each logged window of this process
    done_here, window_t, window_loss, window_n = 0, time.perf_counter(), 0.0, 0
    while True:
        if step in branch_at and not _branch_dir(member, cfg, branch_at[step]).exists():
            save()  # a kill during the branch restarts the branch, not the run
            dt, de = _train_branch(model, opt, stream, starts, tok, cfg, step, branch_at[step], member, es)
            train_s, eval_s = train_s + dt, eval_s + de
        if step in cfg.checkpoint_steps and step < cfg.steps:
            dest = member / "checkpoints" / f"step_{step}"
            if not dest.exists():
                t0 = time.perf_counter()
                _save_model(model, tok, dest, cfg, step, "checkpoint", es_ckpt, {})
                eval_s += time.perf_counter() - t0
        if step >= cfg.steps:
            break
        if cfg.stop_after is not None and done_here >= cfg.stop_after:
            log.close()
            return member  # as if killed here: the next run resumes from the saved state
        t0 = time.perf_counter()
        loss = train_step(model, opt, batch(stream, cfg, step, starts), lr_at(cfg, step, cfg.steps), cfg.grad_clip)
        train_s += time.perf_counter() - t0
        step += 1
        done_here += 1
        window_loss, window_n = window_loss + loss, window_n + 1
        if step % cfg.log_every == 0 or step == cfg.steps:
            now = time.perf_counter()
            tok_s = window_n * cfg.tokens_per_step / max(now - window_t, 1e-9)
            speeds.append(tok_s)
            log.write(json.dumps({"step": step, "loss": window_loss / window_n, "lr": lr_at(cfg, step - 1, cfg.steps),
                                  "tokens_per_s": round(tok_s), "load1": os.getloadavg()[0],
                                  "train_s": round(train_s, 2)}) + "\n")
            log.flush()
            if progress:
                progress(cfg.member, step, cfg.steps, window_loss / window_n, tok_s)
            window_t, window_loss, window_n = now, 0.0, 0
        if step % cfg.resume_every == 0 and step < cfg.steps:
            save()
    log.close()
    t0 = time.perf_counter()
    staged = member / "final.tmp"
    run = _save_model(model, tok, staged, cfg, cfg.steps, "final", es, {})
    eval_s += time.perf_counter() - t0
    _finalise(member, staged)
    meta = _member_meta(cfg, model, tok, run, train_s, eval_s, load0)
    meta.update(_speed(cfg, tok, run["non_embedding_params"], speeds, peak))
    (member / "member.json").write_text(json.dumps(meta, indent=1))
    shutil.rmtree(member / "resume", ignore_errors=True)
    return member


def _branch_dir(member: Path, cfg: TrainConfig, b: int) -> Path:
    return member / "branches" / f"tokens_{b * cfg.tokens_per_step}"


def _train_branch(model, opt, stream, starts, tok, cfg: TrainConfig, step: int, b: int, member: Path,
                  es) -> tuple[float, float]:
    """A decay branch: from `step`, a copy of the run (with its own copy of the optimizer's
    moments) cools down to step b and is saved; the run itself is not touched. Returns the
    seconds spent training and evaluating it."""
    t0 = time.perf_counter()
    bm = copy.deepcopy(model)
    bo = _optimizer(bm, cfg)
    bo.load_state_dict(copy.deepcopy(opt.state_dict()))
    for s in range(step, b):
        train_step(bm, bo, batch(stream, cfg, s, starts), lr_at(cfg, s, b), cfg.grad_clip)
    t1 = time.perf_counter()
    _save_model(bm, tok, _branch_dir(member, cfg, b), cfg, b, "branch", es, {"branch_of_steps": cfg.steps})
    return t1 - t0, time.perf_counter() - t1


def _speed(cfg: TrainConfig, tok, non_embedding: int, speeds: list[float], peak: float) -> dict:
    """Training speed as the median logged window (a window that held a checkpoint's
    evaluation is an outlier the median ignores) and MFU: model FLOP/s (6 per matmul
    parameter per token plus attention, family.model.flops) over the matmul peak."""
    from intuitions.family.model import Shape, flops

    if not speeds:
        return {"matmul_peak_flops": peak}
    tok_s = float(np.median(speeds))
    per_token = flops(Shape(cfg.layers, cfg.width, len(tok), cfg.seq_len), non_embedding, 1)
    return {"tokens_per_s_median": round(tok_s), "matmul_peak_flops": peak, "mfu": per_token * tok_s / peak}


def _member_meta(cfg: TrainConfig, model, tok, run: dict, train_s: float, eval_s: float, load0: float) -> dict:
    """member.json: what was trained, how, how fast, and the settings it is reused under."""
    from intuitions.results import versions

    return {
        "n_params": run["params"], "non_embedding_params": run["non_embedding_params"],
        "layers": cfg.layers, "width": cfg.width, "heads": model.config.num_attention_heads,
        "ffn": model.config.intermediate_size,
        "vocab": len(tok), "seq_len": cfg.seq_len, "batch_size": cfg.batch_size,
        "tokens": run["tokens"], "steps": cfg.steps, "flops": run["flops"], "seed": cfg.seed,
        "lr": cfg.lr, "warmup": cfg.warmup, "decay_frac": cfg.decay_frac, "schedule": "warmup-stable-decay (linear)",
        "wall_s": round(train_s + eval_s, 2), "train_s": round(train_s, 2), "eval_s": round(eval_s, 2),
        "tokens_per_s": round(run["tokens"] / max(train_s, 1e-9)), "threads": cfg.threads,
        "loadavg_start": load0, "loadavg_end": os.getloadavg()[0], "final_loss": run["loss"],
        "world": {"dir": cfg.world_dir, "seed": cfg.world_seed}, "config": cfg.identity(),
        "versions": versions(),
    }
