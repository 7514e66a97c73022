"""The key table of the icl experiment: the few numbers (with their intervals) a reader
needs beside the verdict, picked out of its saved result.json."""

from __future__ import annotations

from intuitions.stats import Table, est


def key_tables(saved: dict) -> list[Table]:
    r = saved["result"]
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
