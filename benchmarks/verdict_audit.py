"""The calibration audit of every verdict rule (issue 19): for each package's AUDIT cases,
simulate data sets with no effect and with a planted effect of realistic size, run the
package's own analysis and verdicts on each, and report how often the rule says *supported*.

Targets: at most 5% under no effect, at least 80% under the planted effect.

    python benchmarks/verdict_audit.py --sims 200 --seed 1 --markdown docs/verdict_audit.md

Thresholds are settled on seed 0; report on seeds 1 and up."""

from __future__ import annotations

import argparse
import importlib
import time
from dataclasses import dataclass
from pathlib import Path

from intuitions.experiments import REGISTRY
from intuitions.experiments.audit import AuditCase, rate

NULL_TARGET, PLANTED_TARGET = 0.05, 0.80


@dataclass(frozen=True)
class Row:
    package: str
    case: AuditCase
    null: float
    planted: float
    seconds: float

    @property
    def met(self) -> bool:
        return self.null <= NULL_TARGET and self.planted >= PLANTED_TARGET


def cases(only: tuple[str, ...] = ()) -> list[tuple[str, AuditCase]]:
    """Every package's AUDIT (packages without an audit module are skipped)."""
    out = []
    for name, entry in REGISTRY.items():
        if only and name not in only:
            continue
        try:
            mod = importlib.import_module(f"{entry.module}.audit")
        except ModuleNotFoundError as e:
            if e.name != f"{entry.module}.audit":
                raise
            continue
        out += [(name, c) for c in getattr(mod, "AUDIT", [])]
    return out


def run(sims: int, seed: int, only: tuple[str, ...] = (), progress=print) -> list[Row]:
    rows = []
    for pkg, c in cases(only):
        t = time.perf_counter()
        null, planted = rate(c, False, sims, seed), rate(c, True, sims, seed)
        rows.append(Row(pkg, c, null, planted, time.perf_counter() - t))
        if progress:
            progress(f"{c.rule_id} [{c.source}]: null {null:.1%}, planted {planted:.1%} ({rows[-1].seconds:.0f} s)")
    return rows


def markdown(rows: list[Row], sims: int, seed: int, command: str) -> str:
    lines = [f"`{command}` ({sims} simulations per condition, seed {seed})", "",
             "| rule | source | supported, no effect | supported, planted | target met | simulated |",
             "| --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| `{r.case.rule_id}` | {r.case.source} | {r.null:.1%} | {r.planted:.1%} | "
                     f"{'yes' if r.met else 'no'} | {r.case.note} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--sims", type=int, default=200, help="simulations per case and condition (>= 200 to report)")
    ap.add_argument("--seed", type=int, default=1, help="0 settles thresholds; report on 1 and up")
    ap.add_argument("--only", default="", help="comma list of packages (default: every package with an audit)")
    ap.add_argument("--markdown", type=Path, help="also write the table as Markdown to this file")
    a = ap.parse_args()
    only = tuple(x for x in a.only.split(",") if x)
    rows = run(a.sims, a.seed, only)
    print(f"\n{'rule':32} {'source':10} {'null':>7} {'planted':>8}  target met")
    for r in rows:
        print(f"{r.case.rule_id:32} {r.case.source:10} {r.null:7.1%} {r.planted:8.1%}  {'yes' if r.met else 'NO'}")
    if a.markdown:
        cmd = f"python benchmarks/verdict_audit.py --sims {a.sims} --seed {a.seed}"
        cmd += f" --only {a.only}" if only else ""
        a.markdown.write_text(markdown(rows, a.sims, a.seed, cmd))
        print(f"wrote {a.markdown}")


if __name__ == "__main__":
    main()
