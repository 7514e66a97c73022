from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.table import Table
from rich.text import Text

from intuitions.commands import common
from intuitions.console import console
from intuitions.stats import est

if TYPE_CHECKING:
    from intuitions.datasets import LabelledSet


def register(app: typer.Typer) -> None:
    app.command(help="In-context learning: k-shot curves; gold / random / flipped / unrelated labels "
                     "(intuitions 2 and 6).")(icl)


def icl(
    model: common.Model = "smollm2-135m",
    family: Annotated[Optional[str], typer.Option(
        "--family", help="A trained ladder preset: same as --model family:P.")] = None,
    data: Annotated[Optional[str], typer.Option(
        "--data", help="sentiment, topic, world (a ladder's own episodes), or a CSV/TSV/JSONL file (default: world "
                       "for family: models, else sentiment).")] = None,
    text_col: Annotated[str, typer.Option("--text-col", help="Text column of a --data file.")] = "text",
    label_col: Annotated[str, typer.Option("--label-col", help="Label column of a --data file.")] = "label",
    flip: Annotated[str, typer.Option(
        "--flip", help="Percentages of demonstration labels to flip.")] = "0,25,50,75,100",
    k: Annotated[str, typer.Option(
        "--k", help="Demonstrations per class for the k-shot curve; the largest is used for the label "
                    "conditions.")] = "0,1,2,4",
    seeds: common.Seeds = 3,
    seed: common.Seed = 0,
    n: common.N = 100,
    template: Annotated[str, typer.Option(
        "--template", help="Demonstration template with {x} and a final {label}.")] = "Input: {x}\nOutput: {label}",
    sep: Annotated[str, typer.Option("--sep", help="Text between demonstrations.")] = "\n\n",
    out: common.Out = None,
    dtype: common.Dtype = "float32",
    no_cache: common.NoCache = False,
    tp: common.TP = None,
) -> None:
    from intuitions.experiments.icl import core as exp
    from intuitions.models import zoo

    design = exp.Design(
        tuple(common.int_list("--k", k)), tuple(common.int_list("--flip", flip)),
        tuple(range(seed, seed + common.positive("--seeds", seeds))), common.positive("--n", n),
        exp.Template(_unescape(template), _unescape(sep)),
    )
    specs = [s for part in ([f"family:{family}"] if family else model.split(",")) for s in zoo.expand(part.strip())]
    cache: dict[str, LabelledSet] = {}

    def jobs_of(spec: str) -> list:
        name = data or ("world" if spec.startswith("family:") else "sentiment")
        if name == "world" and spec.startswith("family:"):
            return exp.ladder_jobs(spec, design.n)
        if name not in cache:
            cache[name] = exp.load_data(name, text_col, label_col)
        return [exp.ModelJob(spec, cache[name], design.n)]

    jobs = [j for s in specs for j in jobs_of(s)]  # data errors before any model loads
    if out is not None:
        from intuitions.results import ensure_out_dir

        ensure_out_dir(out)
    res = exp.run_jobs(jobs, design, seed, lambda s: common.load_scorer(s, dtype, no_cache, tp))
    from intuitions.results import to_jsonable

    saved = {"result": to_jsonable(res)}
    _print(saved["result"], exp.verdicts(saved))
    if out is not None:
        from intuitions.experiments.contract import save
        from intuitions.experiments.icl.figures import draw

        config = {"models": specs, "data": data, "text_col": text_col, "label_col": label_col, "flip": design.flips,
                  "k": design.k_sweep, "seeds": list(design.seeds), "seed": seed, "n": n, "template": template,
                  "sep": sep, "dtype": dtype}
        save(out, "icl", config, res, {m.model: m.fingerprint for m in res.models}, draw, exp.verdicts)
        console().print(f"wrote {out / 'result.json'} and figures")


def _unescape(s: str) -> str:
    """Let a shell user type \\n for a newline in --template and --sep."""
    return s.replace("\\n", "\n").replace("\\t", "\t")


def _print(res: dict, verdicts) -> None:
    con = console()
    for m in res["models"]:
        title = (f"{m['model']} · {m['task']} · {m['n_per_seed']} items x {len(res['seeds'])} seeds · "
                 f"chance {m['chance']:.2f}")
        t = Table(title=title, caption="accuracy [95% CI] by label scoring: summed logprob, per token, "
                                       "calibrated by content-free input")
        t.add_column("condition")
        for scoring in ("sum", "per token", "calibrated"):
            t.add_column(scoring, justify="right")
        for cond in dict.fromkeys(r["condition"] for r in m["rows"]):
            cells = []
            for scoring in ("sum", "mean", "calibrated"):
                r = next(r for r in m["rows"] if r["condition"] == cond and r["scoring"] == scoring)
                cells.append(est({"value": r["accuracy"], "ci_low": r["ci_low"], "ci_high": r["ci_high"]}))
            t.add_row(cond, *cells)
        con.print(t)
        if m["follows_demonstrations"] is not None:
            what = "follows the demonstrations over its prior" if m["follows_demonstrations"] else "keeps its prior"
            con.print(f"  verdict: {what} (100% flipped: {m['flip100']['value']:.3f} "
                      f"[{m['flip100']['ci_low']:.3f}, {m['flip100']['ci_high']:.3f}], chance {m['chance']:.2f})")
    for v in verdicts:
        con.print(Text.assemble((f"intuition {v.intuition}: {v.label}", "bold"), f" — {v.evidence}"))

