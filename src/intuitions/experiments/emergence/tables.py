"""The key tables of the emergence experiment: the ranked tasks with the evidence behind each call."""

from __future__ import annotations

from intuitions.experiments.emergence.text import _g, _label
from intuitions.stats import Table, est


def key_tables(saved: dict) -> list[Table]:
    """For the report: the ranked tasks with the evidence behind each call."""
    r = saved.get("result", saved)
    cols = ["task", "metric", "linearity", "breakthroughness", "emergence scale", "surprise [95% CI]", "emergent"]
    out = []
    for a in [r] + list(r.get("external") or []):
        rows = []
        for t in a["tasks"]:
            ci = t.get("extrapolation_surprise_ci") or [None, None]
            rows.append([_label(t.get("family", ""), t["task"]), t["metric"], _g(t["linearity"]),
                         "inf" if t["breakthroughness"] is None else _g(t["breakthroughness"]),
                         _g(t["emergence_scale"]), f"{_g(t['extrapolation_surprise'])} [{_g(ci[0])}, {_g(ci[1])}]",
                         "yes" if t["emergent"] else "no"])
        out.append({"title": f"{a['source']}: tasks ranked by emergence", "columns": cols, "rows": rows})
    ol = r.get("overall_loss")
    if ol:
        out.append({"title": "overall loss across scale", "columns": ["source", "linearity", "sharpness", "smooth"],
                    "rows": [[ol.get("source"), est(ol.get("linearity")), est(ol.get("sharpness")), ol.get("smooth")]]})
    return out
