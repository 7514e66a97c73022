from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from intuitions.commands import common
from intuitions.console import console, plain
from intuitions.errors import UserError


def register(app: typer.Typer) -> None:
    app.command(help="Chain of thought versus direct answers on multi-step arithmetic: answer surprisal and "
                     "accuracy with and without worked steps, with a matched filler control (intuition 3).")(cot)


def cot(
    model: Annotated[Optional[str], typer.Option(
        "--model", "-m", help="Zoo name (smollm2-135m), folder or Hub id (default smollm2-135m unless --family is "
                              "given).")] = None,
    family: Annotated[Optional[str], typer.Option(
        "--family", help="A trained ladder preset (quick, smoke, ...): every member, prompted in the world's "
                         "format.")] = None,
    steps: Annotated[str, typer.Option(
        "--steps", help="Comma-separated numbers of steps (operations) per problem.")] = "1,2,3,4",
    n: common.N = 50,
    gen_n: Annotated[Optional[int], typer.Option(
        "--gen-n", help="Problems per step count that also get the generation conditions (default: all).")] = None,
    seed: common.Seed = 0,
    max_new_tokens: Annotated[int, typer.Option(
        "--max-new-tokens", help="Token limit of a generated chain of thought.")] = 96,
    shots: Annotated[int, typer.Option("--shots", help="Worked demonstrations before each real-model prompt.")] = 2,
    max_operand: Annotated[int, typer.Option("--max-operand", help="Operands are drawn from 1..this.")] = 9,
    max_value: Annotated[int, typer.Option("--max-value", help="No intermediate result exceeds this.")] = 10_000,
    density_n: Annotated[int, typer.Option(
        "--density-n", help="Worked solutions in the per-token density view (0: skip).")] = 8,
    out: common.Out = None,
    dtype: common.Dtype = "float32",
    no_cache: common.NoCache = False,
    tp: common.TP = None,
) -> None:
    from intuitions.experiments.cot import core as exp
    from intuitions.models import zoo

    step_list = common.int_list("--steps", steps)
    if min(step_list) < 1:
        raise UserError(f"--steps must be at least 1, got {min(step_list)}")
    common.positive("--n", n)
    common.positive("--max-new-tokens", max_new_tokens)
    if gen_n is not None:
        common.positive("--gen-n", gen_n)
    for name, v in (("--shots", shots), ("--density-n", density_n)):
        if v < 0:
            raise UserError(f"{name} must be 0 or more, got {v}")
    specs = [model] if model else ([] if family else ["smollm2-135m"])
    if family:
        if family.startswith("family:"):
            family = family[len("family:"):]
        from intuitions.world.arithmetic import MAX_STEPS

        if max(step_list) > MAX_STEPS:
            raise UserError(f"the world's arithmetic has 1 to {MAX_STEPS} steps; --steps asks for {max(step_list)}")
        specs += zoo.expand(f"family:{family}")
    cfg = exp.CotConfig(tuple(dict.fromkeys(step_list)), n, gen_n, seed, max_new_tokens, shots,
                        max_operand, max_value, density_n=density_n)
    if any(not s.startswith("family:") for s in specs):
        exp.real_items(cfg)  # a bad problem spec fails here, before any model loads
    if out is not None:
        from intuitions.results import ensure_out_dir
        ensure_out_dir(out)
    con = console(stderr=True)
    with con.status("loading") as status:
        res = exp.run(specs, cfg, lambda s: common.load_scorer(s, dtype, no_cache, tp),
                      progress=lambda s: status.update(plain(s)))
    _print(res)
    if out is not None:
        from intuitions.experiments.contract import save
        from intuitions.experiments.cot.figures import draw

        config = {"model": model, "family": family, "steps": list(cfg.steps), "n": n, "gen_n": gen_n, "seed": seed,
                  "max_new_tokens": max_new_tokens, "shots": shots, "max_operand": max_operand,
                  "max_value": max_value, "density_n": density_n, "dtype": dtype}
        save(out, "cot", config, res, exp.fingerprints(res), draw, exp.verdicts)
        console().print(f"wrote {out / 'result.json'} and figures")


def _ci(e, pct: bool = False) -> str:
    from intuitions.stats import est

    return "-" if e.n == 0 else est(e, 100 if pct else 1)


def _print(res) -> None:
    from intuitions.experiments.cot import core as exp

    con = console()
    if not con.is_terminal:
        con = console(width=180)
    for r in res.runs:
        cell = {(c.metric, c.condition, c.steps): c.estimate for c in r.cells}
        steps = sorted({c.steps for c in r.cells if c.steps is not None})
        t = Table(title=f"{r.model} ({r.kind}, {len(r.items)} problems): answer surprisal (nats) and accuracy (%), "
                        "95% CI")
        t.add_column("condition")
        for s in [None, *steps]:
            t.add_column("all steps" if s is None else f"{s} step{'s' if s > 1 else ''}", justify="right")
        for c in exp.SURPRISAL_CONDITIONS:
            t.add_row(f"surprisal {c}", *[_ci(cell[("surprisal", c, s)]) for s in [None, *steps]])
        for c in exp.ACCURACY_CONDITIONS:
            t.add_row(f"accuracy {c}", *[_ci(cell[("accuracy", c, s)], True) for s in [None, *steps]])
        con.print(t)
        for c in (c for c in r.contrasts if c.steps is None):
            unit = "nats" if c.metric == "surprisal" else "accuracy"
            con.print(f"  {c.metric} {c.condition}: {_ci(c.estimate)} {unit} (paired)")
        gap = cell[("tokens", "filler-given", None)]
        con.print(f"  filler length minus worked-solution length: {_ci(gap)} tokens")
        if r.density:
            roles = ", ".join(f"{x.role} {_ci(x.nats)}" for x in r.density.roles)
            con.print(f"  where the information is (nats per token in {r.density.n_texts} worked solutions): {roles}")
