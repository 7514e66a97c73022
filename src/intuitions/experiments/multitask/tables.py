"""The key table of the multitask experiment: the few numbers (with their intervals) a reader
needs beside the verdict, picked out of its saved result.json."""

from __future__ import annotations

from intuitions.stats import Table, est


def key_tables(saved: dict) -> list[Table]:
    r = saved["result"]
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
