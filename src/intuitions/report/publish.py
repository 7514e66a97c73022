"""Published results: a finished run's Markdown report, verdicts and figures, copied to a
folder a reader can browse without running anything (docs/results/<preset>-seed<S>/), plus
the ladder's members in one table.

    python -m intuitions.report.publish RUN_DIR DEST      (make results does this)

Only what the run wrote is copied; the member table is read from the ladder's member.json
files and the run's icl and cot results, so every number in it has a source on disk."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from intuitions import paths
from intuitions.errors import UserError
from intuitions.family.ladder import ladder_name
from intuitions.report.render import _load_json as _load
from intuitions.stats import Estimate, est


def _e(d: dict | None) -> str:
    return "-" if not d else est(Estimate(d["value"], d["ci_low"], d["ci_high"], d.get("n", 0)))


def _icl(run: Path) -> dict[str, dict]:
    """Per member: gold - random and 100%-flipped accuracy on repeated queries."""
    res = _load(run / "steps" / "icl" / "result.json") or {}
    out: dict[str, dict] = {}
    for m in (res.get("result") or {}).get("models", []):
        if m["task"] == "world-repeat":
            out[m["model"].rsplit("/", 1)[-1]] = {"gap": m["contrasts"].get("gold-random"), "flip": m.get("flip100")}
    return out


def _cot(run: Path) -> dict[str, dict]:
    """Per member: own chain of thought - direct accuracy, by step count."""
    res = _load(run / "steps" / "cot" / "result.json") or {}
    out: dict[str, dict] = {}
    for r in (res.get("result") or {}).get("runs", []):
        if r.get("kind") != "ladder":
            continue
        got = {c["steps"]: c["estimate"] for c in r["contrasts"]
               if c["metric"] == "accuracy" and c["condition"] == "cot-direct"}
        out[r["model"].rsplit("/", 1)[-1]] = got
    return out


def ladder_work(ladder: str) -> str:
    """The ladder's training work from its members (a reused ladder's step takes 0 s)."""
    metas = [_load(d / "member.json") for d in (paths.family_root() / ladder).glob("*/")]
    total = sum(m.get("wall_s", 0) for m in metas if m)
    return f"The ladder's members took {total:.0f} s of train + eval in all, on one-thread workers (one per core)."


def member_table(run: Path, ladder: str) -> str:
    root = paths.family_root() / ladder
    icl, cot = _icl(run), _cot(run)
    steps = sorted({s for v in cot.values() for s in v if s is not None})
    head = ["member", "params", "non-emb.", "steps", "train + eval s", "tokens/s", "MFU", "held-out loss",
            "ICL gold - random (repeat)", "ICL 100% flipped (repeat)"]
    head += [f"CoT - direct, {s} step{'s' * (s > 1)}" for s in steps]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    metas = [(d.name, _load(d / "member.json")) for d in sorted(root.iterdir()) if d.is_dir()] if root.is_dir() else []
    for name, m in sorted(((n, m) for n, m in metas if m), key=lambda x: x[1]["non_embedding_params"]):
        mfu = f"{100 * m['mfu']:.0f}%" if "mfu" in m else "-"
        cells = [name, f"{m['n_params']:,}", f"{m['non_embedding_params']:,}", f"{m['steps']:,}",
                 f"{m.get('wall_s', 0):.0f}", f"{m.get('tokens_per_s_median', m['tokens_per_s']):,}", mfu,
                 f"{m['final_loss']:.3f}",
                 _e(icl.get(name, {}).get("gap")), _e(icl.get(name, {}).get("flip"))]
        cells += [_e(cot.get(name, {}).get(s)) for s in steps]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


SKILLS = (("icl:arbitrary,repeat", "ICL arbitrary labels, repeated query"),
          ("icl:arbitrary,new", "ICL arbitrary labels, new query"),
          ("arithmetic:steps=2", "arithmetic direct, 2 steps"),
          ("facts:rank=101-1000", "rare facts (rank 101-1000)"),
          ("composite", "composite profile"))


def skill_table(ladder: str) -> str:
    """Per member, the final model's greedy exact match on the tasks whose switching-on the
    emergence step looks for, from evals.csv (value and a normal 95% interval)."""
    import csv

    path = paths.family_root() / ladder / "evals.csv"
    try:
        rows = [r for r in csv.DictReader(path.open()) if r["kind"] == "final" and r["metric"] == "exact_match"]
    except OSError:
        return "(no evals.csv)"
    got = {(r["member"], r["task"]): r for r in rows}
    members = sorted({r["member"] for r in rows}, key=lambda m: int(next(r for r in rows if r["member"] == m)
                                                                     ["non_embedding_params"]))
    out = ["| member | " + " | ".join(label for _, label in SKILLS) + " |", "|" + "---|" * (len(SKILLS) + 1)]
    for m in members:
        cells = []
        for task, _ in SKILLS:
            r = got.get((m, task))
            if r is None:
                cells.append("-")
                continue
            v, se = float(r["value"]), float(r["stderr"])
            cells.append(f"{v:.2f} [{max(0.0, v - 1.96 * se):.2f}, {min(1.0, v + 1.96 * se):.2f}] (n={r['n']})")
        out.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def publish(run: Path, dest: Path) -> Path:
    manifest = _load(run / "run.json")
    if manifest is None or manifest.get("status") != "finished":
        raise UserError(f"{run} holds no finished run (run.json): run `intuitions run` first")
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name in ("report.md", "verdicts.json"):
        shutil.copyfile(run / name, dest / name)
    for png in sorted(run.glob("steps/*/*.png")):
        (dest / png.parent.relative_to(run)).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, dest / png.relative_to(run))
    cfg = manifest["config"]
    seed = cfg.get("seed", 0)
    ladder = ladder_name(cfg["ladder"], seed)
    steps = {n: _load(run / "steps" / n / "step.json") or {} for n in manifest.get("steps", [])}
    this = manifest.get("this_run") or {}
    cached = [n for n, v in this.items() if v.get("cached")]
    timing = ", ".join(f"{n} {v.get('wall_s', 0):.0f} s" for n, v in steps.items())
    lines = [
        f"# `intuitions run --preset {manifest['preset']} --seed {seed}`", "",
        f"Run {manifest['id']}, finished {manifest.get('finished', '?')}; "
        f"this invocation {manifest.get('wall_s', 0):.0f} s"
        + (f" with {', '.join(cached)} reused from an earlier invocation" if cached else "") + ".", "",
        f"Each step's wall time in the invocation that computed it: {timing}. {ladder_work(ladder)}",
        "", f"Machine: {manifest['machine'].get('processor')}, {manifest['machine'].get('cpus')} CPUs; "
        f"load at start {manifest['machine'].get('load_avg_1_5_15')}.", "",
        "Files: [report.md](report.md) (every section, figure and verdict), [verdicts.json](verdicts.json).", "",
        f"## The ladder (family:{ladder})", "", member_table(run, ladder), "",
        "Intervals are the experiments' own 95% intervals (docs/icl.md, docs/cot.md); tokens/s is the median "
        "logged training window, MFU is model FLOP/s over a 1024^3 fp32 matmul timed in the same process.", "",
        "Exact match of each final member on the skills whose switching-on the emergence step looks for "
        "(the ladder's own evaluation, evals.csv; normal 95% intervals; the checkpoints are in the figures):",
        "", skill_table(ladder), "",
    ]
    (dest / "README.md").write_text("\n".join(lines), encoding="utf-8")
    return dest


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m intuitions.report.publish RUN_DIR DEST", file=sys.stderr)
        raise SystemExit(2)
    try:
        print(publish(Path(args[0]), Path(args[1])))
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
