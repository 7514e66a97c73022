"""The run's report, rendered from saved results only (run.json, steps/*/step.json,
steps/*/result.json and the PNGs beside them), so `intuitions report` re-renders without
recomputing and gives the same bytes apart from the one <time> stamp.

Verdicts are computed here, from each result.json, by the experiment module's
`verdicts(saved)`. A failed step, a module that cannot be imported, or a `verdicts` that
raises becomes an *inconclusive* verdict carrying the error in one line.

Sources: every verdict names whose data it was computed on (`ladder`, `real`, `published`);
the overview shows one column per source and a headline over them (`combine`, the rule in
i18n.UI["headline_rule"]). A verdict that names no source (the pipeline's own verdicts for
a failed step, or an experiment written before sources) counts as `ladder`, the run's own
subject. A source with no verdict for an intuition is *not tested*.

Figures: every PNG in a step's folder belongs to each intuition the step speaks to,
except one that the experiment's `FIGURE_INTUITIONS = {"<png stem>": k}` (or a name
`i<k>_...`) gives to intuition k only. Key tables: an experiment may
offer `key_tables(saved) -> list[{"title", "columns", "rows"}]`; otherwise the CSV files
in its folder, otherwise the record lists found in its result.json."""

from __future__ import annotations

import base64
import csv
import importlib
import json
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from intuitions.errors import UserError
from intuitions.report import i18n
from intuitions.stats import est, num
from intuitions.verdict import INCONCLUSIVE, LABELS, NOT_SUPPORTED, NOT_TESTED, SOURCES, SUPPORTED, Verdict, translate

# Figures of modules that speak to two intuitions, placed where they belong.
SKIP_COLUMNS = {"fingerprint", "path"}  # long hashes: provenance lists them once
MAX_ROWS = 25
MAX_COLS = 10
MAX_TABLES = 3
INTUITIONS = (1, 2, 3, 4, 5, 6)


@dataclass(frozen=True)
class Figure:
    step: str
    name: str
    path: str  # relative to the run folder (the Markdown report links it)
    data_url: str  # the HTML report inlines it
    intuition: int | None = None  # None: every intuition of its step


@dataclass(frozen=True)
class Table:
    step: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    more: int  # rows left out
    intuition: int | None = None  # None: every intuition of its step


@dataclass(frozen=True)
class ShownVerdict:
    intuition: int
    label: str
    rule: str
    evidence: str
    step: str  # the step that gave it
    own_rule: str | None = None  # a key of i18n.OWN_RULES when the pipeline wrote the rule
    rule_id: str = ""  # the rule's id in its experiment's RULES catalog
    translations: dict[str, str] = field(default_factory=dict)  # lang -> the rule, where translated
    source: str = "ladder"  # whose data: ladder | real | published (none named: ladder)


@dataclass(frozen=True)
class StepView:
    name: str
    kind: str
    module: str
    status: str
    error: str | None
    wall_s: float
    intuitions: tuple[int, ...]
    cached: bool | None
    this_run_s: float | None
    fingerprints: dict
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    verdicts: list[ShownVerdict] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    intuition: int
    steps: list[StepView]
    figures: list[Figure]
    tables: list[Table]
    verdicts: list[ShownVerdict]
    headline: ShownVerdict
    by_source: dict[str, str] = field(default_factory=dict)  # source -> its combined label


@dataclass(frozen=True)
class RunView:
    manifest: dict
    steps: list[StepView]
    sections: list[Section]


# ---- reading what the run saved -----------------------------------------------------

def _load_json(p: Path) -> dict | None:
    try:
        return json.loads(p.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def _figure_intuition(stem: str, mod: Any) -> int | None:
    own = getattr(mod, "FIGURE_INTUITIONS", None)
    if isinstance(own, dict) and stem in own:
        return int(own[stem])
    m = re.match(r"i(\d)_", stem)
    return int(m.group(1)) if m else None


def _figures(run_dir: Path, step_dir: Path, mod: Any) -> list[Figure]:
    out = []
    for p in sorted(step_dir.glob("*.png")):
        url = "data:image/png;base64," + base64.b64encode(p.read_bytes()).decode("ascii")
        out.append(Figure(step_dir.name, p.stem, p.relative_to(run_dir).as_posix(), url,
                          _figure_intuition(p.stem, mod)))
    return out


def fmt(v: Any, limit: int = 80) -> str:
    if v is None:
        return "—"
    if isinstance(v, dict) and "value" in v and ("ci_low" in v or "low" in v):
        return est(v)
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, (int, float)):
        return num(v)
    if isinstance(v, (list, tuple)) and len(v) <= 4 and all(isinstance(x, (int, float)) for x in v):
        return "[" + ", ".join(fmt(x) for x in v) + "]"
    s = str(v) if not isinstance(v, (dict, list, tuple)) else json.dumps(v, ensure_ascii=False)
    return s if len(s) <= limit else s[:limit - 3] + "..."


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, (str, int, float, bool))


def _is_cell(v: Any) -> bool:
    """What fits in a table cell: a scalar, an estimate with its interval, a short vector."""
    if isinstance(v, dict):
        return "value" in v and ("ci_low" in v or "low" in v)
    if isinstance(v, list):
        return len(v) <= 4 and all(isinstance(x, (int, float)) for x in v)
    return _is_scalar(v)


def _table(step: str, title: str, records: list[dict]) -> Table | None:
    cols: list[str] = []
    for r in records:
        for k, v in r.items():
            if k not in cols and k not in SKIP_COLUMNS and _is_cell(v):
                cols.append(k)
    cols = cols[:MAX_COLS]
    if not cols:
        return None
    rows = [[fmt(r.get(c)) for c in cols] for r in records[:MAX_ROWS]]
    return Table(step, title, cols, rows, max(0, len(records) - MAX_ROWS))


def _record_lists(obj: Any, path: str = "") -> Iterator[tuple[str, list[dict]]]:
    """Lists of records, and tables of records keyed by name, anywhere in a result."""
    if isinstance(obj, list) and obj and all(isinstance(r, dict) for r in obj):
        yield path, obj
        return
    if isinstance(obj, dict):
        vals = list(obj.values())
        if len(vals) > 1 and all(isinstance(v, dict) and any(_is_scalar(x) for x in v.values()) for v in vals):
            yield path, [{"": k, **v} for k, v in obj.items()]
            return
        for k, v in obj.items():
            yield from _record_lists(v, f"{path}.{k}" if path else str(k))


def _scalars(obj: Any, path: str = "", depth: int = 0) -> Iterator[tuple[str, Any]]:
    if isinstance(obj, dict) and depth < 3:
        for k, v in obj.items():
            yield from _scalars(v, f"{path}.{k}" if path else str(k), depth + 1)
    elif _is_scalar(obj) and path:
        yield path, obj


def _csv_table(step: str, p: Path) -> Table | None:
    try:
        with open(p, newline="", encoding="utf-8") as f:
            records = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return _table(step, p.name, records) if records else None


def _given(step: str, tables: list[dict]) -> list[Table]:
    return [Table(step, str(t["title"]), [str(c) for c in t["columns"]],
                  [[fmt(x, 240) for x in r] for r in t["rows"][:MAX_ROWS]], max(0, len(t["rows"]) - MAX_ROWS),
                  t.get("intuition"))
            for t in tables if t["rows"]]


def _tables(step: str, step_dir: Path, saved: dict | None, mod: Any) -> list[Table]:
    if saved is None:
        return []
    make = getattr(mod, "key_tables", None)
    if make is not None:
        try:
            found = _given(step, make(saved))
        except Exception:  # noqa: BLE001 - an unexpected schema falls back to the generic tables
            found = []
        if found:
            return found[:MAX_TABLES]
    found = [t for t in (_csv_table(step, p) for p in sorted(step_dir.glob("*.csv"))) if t]
    if not found:
        found = [t for path, recs in _record_lists(saved.get("result")) if (t := _table(step, path, recs))]
    if not found:
        recs = [{"quantity": k, "value": v} for k, v in _scalars(saved.get("result"))][:MAX_ROWS]
        found = [t for t in [_table(step, "result", recs)] if t] if recs else []
    return found[:MAX_TABLES]


def _verdicts(step: str, intuitions: tuple[int, ...], status: str, error: str | None,
              saved: dict | None, mod: Any, import_error: str | None) -> list[ShownVerdict]:
    def inconclusive(own: str, evidence: str, ks=intuitions) -> list[ShownVerdict]:
        return [ShownVerdict(k, INCONCLUSIVE, i18n.OWN_RULES[own]["en"], evidence, step, own) for k in ks]

    if status != "ok" or saved is None:
        return inconclusive("step_failed", error or "the step saved no result.json")
    if import_error is not None:
        return inconclusive("verdict_failed", import_error)
    fn = getattr(mod, "verdicts", None)
    single = getattr(mod, "verdict", None)
    try:
        if fn is not None:
            got = list(fn(saved))
        elif single is not None:
            got = [single(saved)]
        else:
            return inconclusive("verdict_failed", f"{mod.__name__} has no verdicts(saved)")
        for v in got:
            if not isinstance(v, Verdict):
                raise TypeError(f"verdicts() returned {type(v).__name__}, not Verdict")
    except Exception as e:  # noqa: BLE001
        return inconclusive("verdict_failed", " ".join(f"{type(e).__name__}: {e}".split())[:300])
    catalog = getattr(mod, "RULES", {})
    out = [ShownVerdict(v.intuition, v.label, v.rule, v.evidence, step, None, v.rule_id, _translations(v, catalog),
                        v.source or "ladder")
           for v in got if v.intuition in intuitions]
    missing = [k for k in intuitions if not any(v.intuition == k for v in out)]
    return out + inconclusive("no_verdict", f"{step} gave no verdict for intuition(s) {missing}", missing)


def _translations(v: Verdict, catalog: dict) -> dict[str, str]:
    found = {lang: translate(v.rule, v.rule_id, catalog, lang) for lang in i18n.LANGS}
    return {lang: text for lang, text in found.items() if text is not None}


def _import(module: str) -> tuple[Any, str | None]:
    try:
        return importlib.import_module(module), None
    except Exception as e:  # noqa: BLE001 - an unimportable module is one inconclusive section
        return None, " ".join(f"{type(e).__name__}: {e}".split())[:300]


def load_step(run_dir: Path, name: str, this_run: dict) -> StepView | None:
    step_dir = run_dir / "steps" / name
    rec = _load_json(step_dir / "step.json")
    if rec is None:
        return None
    saved = _load_json(step_dir / "result.json") if rec["kind"] == "experiment" else None
    intuitions = tuple(rec.get("intuitions", ()))
    mod, import_error = _import(rec["module"]) if rec["kind"] == "experiment" else (None, None)
    tr = this_run.get(name, {})
    return StepView(
        name=name, kind=rec["kind"], module=rec["module"], status=rec["status"], error=rec.get("error"),
        wall_s=rec.get("wall_s", 0.0), intuitions=intuitions, cached=tr.get("cached"),
        this_run_s=tr.get("seconds"), fingerprints=(saved or {}).get("fingerprints", {}),
        figures=_figures(run_dir, step_dir, mod) if saved is not None else [],
        tables=_tables(name, step_dir, saved, mod),
        verdicts=_verdicts(name, intuitions, rec["status"], rec.get("error"), saved, mod, import_error)
        if rec["kind"] == "experiment" else [],
    )


def _belongs(item: Figure | Table, k: int) -> bool:
    return item.intuition is None or item.intuition == k


def combine(labels: list[str]) -> str:
    """The headline rule (i18n.UI["headline_rule"]), used within a source and across them:
    supported when at least one supports and none contradicts; not supported when at least
    one contradicts and none supports; not tested when nothing was tested; inconclusive
    otherwise (they disagree, or none is decisive)."""
    tested = [x for x in labels if x != NOT_TESTED]
    if not tested:
        return NOT_TESTED
    if SUPPORTED in tested and NOT_SUPPORTED not in tested:
        return SUPPORTED
    if NOT_SUPPORTED in tested and SUPPORTED not in tested:
        return NOT_SUPPORTED
    return INCONCLUSIVE


def by_source(verdicts: list[ShownVerdict]) -> dict[str, str]:
    """Each source's label, its verdicts combined; a source with none is not tested."""
    extra = [v.source for v in verdicts if v.source not in SOURCES]
    return {src: combine([v.label for v in verdicts if v.source == src]) for src in (*SOURCES, *dict.fromkeys(extra))}


def headline(k: int, verdicts: list[ShownVerdict]) -> ShownVerdict:
    """The sources' labels combined (`combine`); with no verdict at all, inconclusive."""
    if not verdicts:
        return ShownVerdict(k, INCONCLUSIVE, i18n.OWN_RULES["not_run"]["en"], "", "", "not_run")
    labels = by_source(verdicts)
    evidence = "; ".join(f"{src}: {lab}" for src, lab in labels.items())
    return ShownVerdict(k, combine(list(labels.values())), i18n.UI["en"]["headline_rule"], evidence, "", "headline",
                        source="")


def load_run(run_dir: Path) -> RunView:
    manifest = _load_json(run_dir / "run.json")
    if manifest is None:
        raise UserError(f"{run_dir} holds no run (no readable run.json): run `intuitions run` first")
    this_run = manifest.get("this_run", {})
    steps = [s for s in (load_step(run_dir, n, this_run) for n in manifest.get("steps", [])) if s]
    sections = []
    for k in INTUITIONS:
        covering = [s for s in steps if k in s.intuitions]
        vs = [v for s in covering for v in s.verdicts if v.intuition == k]
        sections.append(Section(
            k, covering, [f for s in covering for f in s.figures if _belongs(f, k)],
            [t for s in covering for t in s.tables if _belongs(t, k)], vs, headline(k, vs), by_source(vs)))
    return RunView(manifest, steps, sections)


# ---- rendering ----------------------------------------------------------------------

def _env() -> Environment:
    env = Environment(loader=PackageLoader("intuitions.report", "templates"),
                      autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["md"] = _md_cell
    env.filters["fmt"] = fmt
    return env


def _md_cell(s: Any) -> str:
    """Markdown has no autoescape: keep user text from opening HTML or breaking a table."""
    return (str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("|", "\\|").replace("\n", " "))


def _css_class(label: str) -> str:
    return {LABELS[0]: "sup", LABELS[1]: "nsup", NOT_TESTED: "nt"}.get(label, "inc")


def _localise(v: ShownVerdict, lang: str) -> dict:
    if v.own_rule == "headline":
        text, ok = i18n.UI[lang]["headline_rule"], True
    elif v.own_rule is not None:
        text, ok = i18n.OWN_RULES[v.own_rule][lang], True
    else:
        text, ok = v.translations.get(lang, v.rule), lang in v.translations
    return {"intuition": v.intuition, "label": i18n.label(v.label, lang), "css": _css_class(v.label),
            "rule": text, "translated": ok, "evidence": v.evidence, "step": v.step,
            "source": i18n.source_name(v.source, lang) if v.source else ""}


def context(view: RunView, lang: str, rendered: str) -> dict:
    if lang not in i18n.LANGS:
        raise UserError(f"unknown language {lang!r}; use one of {', '.join(i18n.LANGS)}")
    m = view.manifest
    cfg = m.get("config", {})
    seed, seeds = cfg.get("seed", 0), cfg.get("seeds", 1)
    fps: dict[str, str] = {}
    for s in view.steps:
        fps.update({str(k): str(v) for k, v in s.fingerprints.items()})
    sections = [{
        "k": s.intuition,
        "title": i18n.TITLES[s.intuition][lang],
        "claim": i18n.CLAIMS[s.intuition][lang],
        "method": i18n.METHODS[s.intuition][lang],
        "steps": [{"name": st.name, "module": st.module, "status": st.status, "error": st.error} for st in s.steps],
        "figures": s.figures,
        "tables": s.tables,
        "verdicts": [_localise(v, lang) for v in s.verdicts],
        "headline": _localise(s.headline, lang) | {
            "evidence": "; ".join(f"{i18n.source_name(src, lang)}: {i18n.label(lab, lang)}"
                                  for src, lab in s.by_source.items())},
        "by_source": [{"source": src, "label": i18n.label(lab, lang), "css": _css_class(lab)}
                      for src, lab in s.by_source.items()],
    } for s in view.sections]
    sources = list(dict.fromkeys(src for s in view.sections for src in s.by_source))
    return {
        "lang": lang, "t": i18n.ui(lang), "other_lang_file": "report.html" if lang == "ko" else "report.ko.html",
        "run": m, "sections": sections, "rendered": rendered,
        "sources": [i18n.source_name(src, lang) for src in sources],
        "seed_list": list(range(seed, seed + seeds)), "n": cfg.get("n"), "ladder": cfg.get("ladder"),
        "fingerprints": dict(sorted(fps.items())),
        "steps": [asdict(s) | {"figures": len(s.figures)} for s in view.steps],
        "config_json": json.dumps(cfg, indent=1, sort_keys=True, ensure_ascii=False),
    }


def render(view: RunView, lang: str, fmt_: str, rendered: str | None = None) -> str:
    rendered = rendered or time.strftime("%Y-%m-%dT%H:%M:%S%z")
    ctx = context(view, lang, rendered)
    return _env().get_template(f"report.{fmt_}.j2").render(**ctx)


def report_paths(run_dir: Path, lang: str) -> tuple[Path, Path]:
    suffix = "" if lang == "en" else f".{lang}"
    return run_dir / f"report{suffix}.html", run_dir / f"report{suffix}.md"


def verdicts_doc(view: RunView) -> dict:
    return {"headlines": [asdict(s.headline) | {"by_source": s.by_source} for s in view.sections],
            "verdicts": [asdict(v) for s in view.sections for v in s.verdicts]}


def untranslated(view: RunView, lang: str) -> list[str]:
    """Experiment rules with no template in `lang` yet (shown in English meanwhile)."""
    return sorted({v.rule for s in view.sections for v in s.verdicts
                   if v.own_rule is None and lang not in v.translations})


def write_reports(run_dir: Path, langs: tuple[str, ...] = i18n.LANGS) -> list[Path]:
    view = load_run(run_dir)
    written = []
    (run_dir / "verdicts.json").write_text(json.dumps(verdicts_doc(view), indent=1, ensure_ascii=False))
    for lang in langs:
        html_p, md_p = report_paths(run_dir, lang)
        html_p.write_text(render(view, lang, "html"), encoding="utf-8")
        md_p.write_text(render(view, lang, "md"), encoding="utf-8")
        written += [html_p, md_p]
    return written
