"""A whole ladder: plan the members of a preset, make sure the world exists, train what is
not finished, and gather every saved model's evaluation into two tables:

    <root>/<preset>/runs.csv    member, step, params, non_embedding_params, tokens, flops, loss, kind, path
    <root>/<preset>/evals.csv   member, step, params, non_embedding_params, tokens, flops,
                                task, metric, value, stderr, chance, n, kind

`kind` is final | branch | checkpoint. Checkpoints are taken mid-run at the stable
learning rate, so an L(N, D) fit should use final and branch rows (decayed runs) only.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from intuitions import paths
from intuitions.errors import UserError
from intuitions.family import executors
from intuitions.family.presets import Preset, get
from intuitions.family.train import TrainConfig, finished_as, train_member

RUN_COLUMNS = ["member", "step", "params", "non_embedding_params", "tokens", "flops", "loss", "kind", "path"]
EVAL_COLUMNS = ["member", "step", "params", "non_embedding_params", "tokens", "flops",
                "task", "metric", "value", "stderr", "chance", "n", "kind"]


def ladder_name(preset: str, seed: int = 0) -> str:
    """A ladder's folder (and `family:<name>`): the preset for seed 0, `<preset>-seed<S>`
    otherwise, so every seed's world and ladder live side by side."""
    return preset if seed == 0 else f"{preset}-seed{seed}"


def preset_root(preset: str, root: Path | None = None) -> Path:
    """The folder of ladder `preset` (a name from `ladder_name`)."""
    return (root or paths.family_root()) / preset


def ensure_world(seed: int, n_docs: int) -> Path:
    from intuitions.world import build, default_dir
    from intuitions.world.build import GENERATOR_VERSION

    d = default_dir(seed, n_docs)
    if (d / "manifest.json").exists():
        m = json.loads((d / "manifest.json").read_text())
        if (m.get("seed"), m.get("n_docs"), m.get("generator_version")) == (seed, n_docs, GENERATOR_VERSION):
            return d
    return build(seed, d, n_docs)


def plan(p: Preset, root: Path, world_dir: Path, seed: int = 0, world_seed: int = 0,
         threads: int = 1) -> list[TrainConfig]:
    out = []
    name = ladder_name(p.name, seed)
    for m in p.members:
        if m.layers <= 0 or m.width <= 0 or m.steps <= 0 or any(b <= 0 or b >= m.steps for b in m.branch_steps):
            raise UserError(f"preset {p.name}: member sizes, steps and branch budgets must be positive (got {m})")
        out.append(TrainConfig(
            preset=p.name, member=m.name, layers=m.layers, width=m.width, steps=m.steps,
            batch_size=p.batch_size, seq_len=p.seq_len, lr=p.lr(m.width), warmup=p.warmup,
            decay_frac=p.decay_frac, weight_decay=p.weight_decay, grad_clip=p.grad_clip, seed=seed,
            world_dir=str(world_dir), world_seed=world_seed, out_dir=str(root / name / m.name),
            checkpoint_steps=p.checkpoints(m.steps), branch_steps=tuple(sorted(m.branch_steps)),
            eval_docs_per_task=p.eval_docs_per_task, eval_items_per_task=p.eval_items_per_task,
            checkpoint_eval_docs_per_task=p.checkpoint_eval_docs_per_task,
            checkpoint_eval_items_per_task=p.checkpoint_eval_items_per_task,
            resume_every=p.resume_every, threads=threads,
        ))
    return out


def train_ladder(preset: str, root: Path | None = None, executor: str = "local", seed: int = 0,
                 world_seed: int | None = None, threads: int = 1, progress=None, on_start=None) -> Path:
    """Train every unfinished member of `preset` for `seed` (the world's seed too, unless
    `world_seed` says otherwise); returns <root>/<ladder_name(preset, seed)>."""
    p = get(preset)
    run = executors.get(executor)
    world_seed = seed if world_seed is None else world_seed
    if seed < 0 or world_seed < 0:
        raise UserError("seeds must be non-negative")
    if threads <= 0:
        raise UserError(f"threads must be positive, got {threads}")
    root = root or paths.family_root()
    world_dir = ensure_world(world_seed, p.world_docs)
    cfgs = plan(p, root, world_dir, seed, world_seed, threads)
    # Every member is checked before any trains: one finished with other settings stops the
    # ladder (LadderMismatch) instead of being reported under these.
    pending = [c for c in cfgs if not finished_as(Path(c.out_dir), c)]
    proot = preset_root(ladder_name(preset, seed), root)
    proot.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(world_dir / "irreducible.json", proot / "irreducible.json")
    if on_start:
        on_start(cfgs, pending)
    # Tables are rewritten as each member finishes, so an interrupted ladder still has them.
    run(train_member, pending, progress, lambda cfg: write_tables(proot))
    write_tables(proot)
    return proot


def _saved_models(member: Path) -> list[Path]:
    found = [member] if (member / "eval.json").exists() else []
    for sub in ("checkpoints", "branches"):
        if (member / sub).is_dir():
            found += [d for d in (member / sub).iterdir() if (d / "eval.json").exists() and not d.name.endswith(".tmp")]
    return found


def write_tables(proot: Path) -> tuple[Path, Path]:
    runs, evals = [], []
    for member in sorted(d for d in proot.iterdir() if d.is_dir()):
        for d in _saved_models(member):
            try:
                rec = json.loads((d / "eval.json").read_text())
                r = rec["run"]
            except (OSError, ValueError, KeyError) as e:
                raise UserError(f"corrupt evaluation {d / 'eval.json'} ({e}): delete {d} to redo it") from None
            runs.append({**{k: r[k] for k in RUN_COLUMNS if k in r}, "path": str(d.relative_to(proot))})
            for row in rec["rows"]:
                evals.append({**{k: r[k] for k in EVAL_COLUMNS[:6]}, **row, "kind": r["kind"]})
    runs.sort(key=lambda r: (r["non_embedding_params"], r["member"], r["step"], r["kind"]))
    evals.sort(key=lambda r: (r["non_embedding_params"], r["member"], r["step"], r["kind"]))
    paths_out = []
    for name, rows, cols in (("runs.csv", runs, RUN_COLUMNS), ("evals.csv", evals, EVAL_COLUMNS)):
        path = proot / name
        tmp = path.with_suffix(".csv.tmp")
        with open(tmp, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=cols)
            w.writeheader()
            w.writerows(rows)
        tmp.replace(path)
        paths_out.append(path)
    return paths_out[0], paths_out[1]


def checkpoints(preset: str, member: str, root: Path | None = None) -> list[tuple[int, Path]]:
    """(step, HF folder) for every saved model along one member's main run, in step order:
    the intermediate checkpoints, then the final model (the member folder itself)."""
    mdir = preset_root(preset, root) / member
    if not mdir.is_dir():
        raise UserError(f"no ladder member {preset}/{member} in {preset_root(preset, root).parent}")
    out = []
    cdir = mdir / "checkpoints"
    if cdir.is_dir():
        for d in cdir.iterdir():
            if d.name.startswith("step_") and not d.name.endswith(".tmp") and (d / "config.json").exists():
                out.append((int(d.name[len("step_"):]), d))
    if (mdir / "member.json").exists():
        out.append((int(json.loads((mdir / "member.json").read_text())["steps"]), mdir))
    return sorted(out)


def branches(preset: str, member: str, root: Path | None = None) -> list[tuple[int, Path]]:
    """(tokens, HF folder) of a member's decay branches: the same run decayed early."""
    bdir = preset_root(preset, root) / member / "branches"
    if not bdir.is_dir():
        return []
    return sorted((int(d.name[len("tokens_"):]), d) for d in bdir.iterdir()
                  if d.name.startswith("tokens_") and not d.name.endswith(".tmp") and (d / "config.json").exists())
