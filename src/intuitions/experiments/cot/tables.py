"""The key table of the cot experiment: the few numbers (with their intervals) a reader
needs beside the verdict, picked out of its saved result.json."""

from __future__ import annotations

from intuitions.stats import Table, est


def key_tables(saved: dict) -> list[Table]:
    r = saved["result"]
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
