"""The key table of each experiment: the few numbers (with their intervals) a reader needs
beside the verdict, picked out of its saved result.json.

One small function per experiment, keyed by step name. Each reads the result with `.get`
and may raise on a result it does not understand; the report then falls back to its
generic tables, so a changed result schema costs a prettier table, never the report."""

from __future__ import annotations

from typing import Any, Callable

Table = dict  # {"title": str, "columns": [str], "rows": [[Any]], optional "intuition": k}


def est(e: Any) -> str:
    """An estimate as `value [low, high]`; plain numbers as they are."""
    if isinstance(e, dict) and "value" in e:
        v, lo, hi = e.get("value"), e.get("ci_low", e.get("low")), e.get("ci_high", e.get("high"))
        if v is None:
            return "—"
        return f"{v:.3g} [{lo:.3g}, {hi:.3g}]" if lo is not None and hi is not None else f"{v:.3g}"
    if isinstance(e, float):
        return f"{e:.4g}"
    return "—" if e is None else str(e)


def multitask(r: dict) -> list[Table]:
    out = []
    finals = [d for d in r.get("decompositions", []) if d.get("final", True)]
    if finals:
        d = max(finals, key=lambda d: d.get("n_params") or 0)
        out.append({"title": f"per-task loss of {d['model']} (nats/token, 95% CI)",
                    "columns": ["task", "share of tokens", "mean loss", "contribution", "fraction of loss"],
                    "rows": [[t["task"], est(t["share"]), est(t["mean_loss"]), est(t["contribution"]),
                              est(t.get("fraction"))] for t in d["tasks"]]})
    probes = [[p["model"], c["category"], c.get("n_items"), est(c.get("chance")), est(c["accuracy"]),
               est(c.get("surprisal"))] for p in r.get("probes", []) for c in p["categories"]]
    if probes:
        out.append({"title": "minimal-pair probes", "columns": ["model", "category", "n", "chance", "accuracy",
                                                                "surprisal (nats)"], "rows": probes})
    learned = [[x["task"], x["label"], est(x.get("reached_at")), est(x.get("drop"))]
               for x in r.get("learning", []) if x.get("axis") == "size"]
    if learned:
        out.append({"title": "who learns what across sizes",
                    "columns": ["task", "learned", "reached at (params)", "loss drop"], "rows": learned})
    return out


def icl(r: dict) -> list[Table]:
    rows = []
    for m in r.get("models", []):
        c = m.get("contrasts", {})
        rows.append([m["model"], m.get("task"), est(m.get("chance")), est(c.get("gold-zero-shot")),
                     est(c.get("gold-random")), est(m.get("flip100")), m.get("follows_demonstrations")])
    out = [{"title": "per model (accuracy against the true labels, 95% CI)",
            "columns": ["model", "task", "chance", "gold − zero-shot", "gold − random", "100% flipped",
                        "follows demonstrations"], "rows": rows}]
    flips = [[m["model"], x["flip_pct"], x.get("k"), est({"value": x["accuracy"], "ci_low": x.get("ci_low"),
                                                           "ci_high": x.get("ci_high")}), x.get("n")]
             for m in r.get("models", []) for x in m.get("rows", [])
             if x.get("flip_pct") is not None and x.get("scoring", "sum") == "sum"]
    if flips:
        out.append({"title": "accuracy as demonstration labels are flipped (sum scoring)",
                    "columns": ["model", "% flipped", "k", "accuracy", "n"], "rows": flips, "intuition": 6})
    return out


def cot(r: dict) -> list[Table]:
    rows = [[run["model"], c["metric"], c["condition"], est(c["estimate"])]
            for run in r.get("runs", []) for c in run.get("contrasts", []) if c.get("steps") is None]
    cells = [[run["model"], c["metric"], c["condition"], est(c["estimate"])]
             for run in r.get("runs", []) for c in run.get("cells", []) if c.get("steps") is None]
    out = []
    if rows:
        out.append({"title": "differences between conditions (95% CI)",
                    "columns": ["model", "metric", "contrast", "difference"], "rows": rows})
    if cells:
        out.append({"title": "per condition (95% CI)", "columns": ["model", "metric", "condition", "estimate"],
                    "rows": cells})
    return out


def scaling(r: dict) -> list[Table]:
    params, preds = [], []
    for name, s in r.get("sources", {}).items():
        if s.get("status") == "skipped":
            params.append([name, "not fitted: " + str(s.get("reason")), "", "", ""])
            continue
        p = s.get("params", {})
        params.append([name, s.get("formula", s.get("form")),
                       "; ".join(f"{k} = {est(v)}" for k, v in p.items()),
                       est(s.get("fit", {}).get("r2_log")), f"{s.get('n_fit')} fit / {s.get('n_holdout')} held out"])
        for q in s.get("predictions", []):
            preds.append([name, q.get("member") or "—", est(q.get("params")), est(q.get("tokens")),
                          est({"value": q["predicted"], "ci_low": q.get("pi_low"), "ci_high": q.get("pi_high")}),
                          est(q.get("actual")), f"{100 * q['rel_error']:.2f}%" if q.get("rel_error") is not None else "—"])
    out = [{"title": "fitted laws (95% bootstrap CI)", "columns": ["source", "law", "parameters", "R² (log)", "points"],
            "rows": params}]
    if preds:
        out.append({"title": "held-out predictions (95% prediction interval)",
                    "columns": ["source", "member", "N", "D", "predicted loss", "actual", "relative error"],
                    "rows": preds})
    return out


def emergence(r: dict) -> list[Table]:
    def rows_of(a: dict) -> list[list]:
        return [[a.get("source"), t["task"], t.get("metric"), est(t.get("breakthroughness")),
                 est(t.get("linearity")), est(t.get("emergence_scale")), est(t.get("extrapolation_surprise")),
                 t.get("emergent")] for t in a.get("tasks", [])]

    rows = rows_of(r) + [x for ext in r.get("external") or [] for x in rows_of(ext)]
    cols = ["source", "task", "metric", "breakthroughness", "linearity", "emergence scale", "surprise", "emergent"]
    out = [{"title": "tasks across scale", "columns": cols, "rows": rows}] if rows else []
    ol = r.get("overall_loss")
    if ol:
        out.append({"title": "overall loss across scale", "columns": ["source", "linearity", "sharpness", "smooth"],
                    "rows": [[ol.get("source"), est(ol.get("linearity")), est(ol.get("sharpness")), ol.get("smooth")]]})
    return out


EXTRACTORS: dict[str, Callable[[dict], list[Table]]] = {
    "multitask": multitask, "icl": icl, "cot": cot, "scaling": scaling, "emergence": emergence,
}
