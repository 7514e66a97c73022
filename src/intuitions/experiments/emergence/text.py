"""How a task is named and its evidence worded, in verdicts and key tables alike."""

from __future__ import annotations


def _label(family: str, task: str) -> str:
    return f"{family}/{task}" if family else task


def _task_evidence(t: dict) -> str:
    ci = t.get("extrapolation_surprise_ci") or [None, None]
    sur = t.get("extrapolation_surprise")
    sharp = t.get("sharpness")
    ts = t.get("two_step")
    two = "" if not ts else (f"; two-step MAE {_g(ts.get('two_step_mae'))} vs direct {_g(ts.get('direct_mae'))}"
                             f" ({ts.get('better')})")
    only = {True: "; in exact match only", False: "; persists in a continuous metric", None: ""}[t.get("metric_only")]
    return (f"{_label(t.get('family', ''), t['task'])} ({t['metric']}): emergence scale "
            f"{_g(t.get('emergence_scale'))}, surprise {_g(sur)} [{_g(ci[0])}, {_g(ci[1])}], Holm p "
            f"{_g(t.get('p_holm'))}, sharpness {'inf' if sharp is None else f'{sharp:.2f}'}{only}{two}")


def _g(v) -> str:
    from intuitions.stats import num

    return "n/a" if v is None else num(v)
