"""The key table of the scaling experiment: the few numbers (with their intervals) a reader
needs beside the verdict, picked out of its saved result.json."""

from __future__ import annotations

from intuitions.stats import Table, est


def key_tables(saved: dict) -> list[Table]:
    r = saved["result"]
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
            rel = q.get("rel_error")
            preds.append([name, q.get("member") or "—", est(q.get("params")), est(q.get("tokens")),
                          est({"value": q["predicted"], "ci_low": q.get("pi_low"), "ci_high": q.get("pi_high")}),
                          est(q.get("actual")), est(q.get("previous")), est(q.get("no_floor")),
                          f"{100 * rel:.2f}%" if rel is not None else "—"])
    out = [{"title": "fitted laws (95% bootstrap CI)", "columns": ["source", "law", "parameters", "R² (log)", "points"],
            "rows": params}]
    if preds:
        out.append({"title": "held-out predictions (95% prediction interval)",
                    "columns": ["source", "member", "N", "D", "predicted loss", "actual", "previous size", "no floor",
                                "relative error"],
                    "rows": preds})
    return out
