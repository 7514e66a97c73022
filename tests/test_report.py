"""The report: rendered from saved results only, self-contained, escaped, en/ko, verdicts by code."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import sys
from pathlib import Path

import markupsafe
import pytest

import runfakes
from intuitions.cli import main
from intuitions.report import i18n, render
from intuitions.run import pipeline
from intuitions.verdict import INCONCLUSIVE, NOT_SUPPORTED, NOT_TESTED, SUPPORTED


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """One run of the fake experiments (one failing, one missing), shared by the tests here."""
    tmp = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("INTUITIONS_HOME", str(tmp / "home"))
        runfakes.install(tmp, mp)
        mp.setenv("FAKE_FAIL", "fake_scaling")
        plan = runfakes.make_plan(experiments=["fake_multi", "fake_icl", "fake_missing", "fake_scaling",
                                               "fake_emerge"])
        pipeline.execute(plan, tmp / "run", progress=False)
        mp.delenv("FAKE_FAIL")
        yield tmp / "run"


@pytest.fixture
def fresh_run(run_dir, tmp_path):
    """A private copy, for tests that edit saved results."""
    return Path(shutil.copytree(run_dir, tmp_path / "run"))


def _cli(argv, capsys):
    try:
        main(argv)
        code = 0
    except SystemExit as e:
        code = e.code
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def _no_time(text: str) -> str:
    text = re.sub(r"<time>.*?</time>", "<time></time>", text)
    return re.sub(r"^(.*(?:Rendered|렌더링 시각)) \S+", r"\1", text, flags=re.M)


# ---- re-rendering --------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "ko"])
def test_rerender_is_byte_identical_except_the_time_stamp(fresh_run, capsys, lang):
    html_p, md_p = render.report_paths(fresh_run, lang)
    code, out, _ = _cli(["report", str(fresh_run), "--lang", lang], capsys)
    assert code == 0 and str(html_p) in out
    first_html, first_md = html_p.read_bytes(), md_p.read_bytes()
    html_p.unlink()
    code, _, _ = _cli(["report", str(fresh_run), "--lang", lang], capsys)
    assert code == 0
    assert _no_time(html_p.read_text()) == _no_time(first_html.decode())
    assert _no_time(md_p.read_text()) == _no_time(first_md.decode())
    # and the only difference the stamp may make is the stamp itself
    view = render.load_run(fresh_run)
    a, b = render.render(view, lang, "html", "@STAMP-1@"), render.render(view, lang, "html", "@STAMP-2@")
    assert a.replace("@STAMP-1@", "@STAMP-2@") == b and a != b


def test_report_command_names_untranslated_rules(fresh_run, capsys):
    code, _, err = _cli(["report", str(fresh_run), "--lang", "ko"], capsys)
    assert code == 0 and "verdict rule(s) have no ko template" in err  # the fakes' rule is not translated
    assert render.untranslated(render.load_run(fresh_run), "en") == []


def test_rerender_does_not_recompute(fresh_run, capsys, monkeypatch):
    calls = fresh_run.parent / "calls.log"
    monkeypatch.setenv("FAKE_CALLS", str(calls))
    assert _cli(["report", str(fresh_run)], capsys)[0] == 0
    assert not calls.exists()


def test_verdicts_come_from_the_saved_numbers(fresh_run):
    """Edit a saved result and the verdict follows: nothing is written in."""
    p = fresh_run / "steps" / "fake_multi" / "result.json"
    doc = json.loads(p.read_text())
    doc["result"]["score"] = 0.1
    p.write_text(json.dumps(doc))
    render.write_reports(fresh_run, ("en",))
    heads = {h["intuition"]: h for h in json.loads((fresh_run / "verdicts.json").read_text())["headlines"]}
    assert heads[1]["label"] == NOT_SUPPORTED and heads[2]["label"] == SUPPORTED
    assert "score = 0.1" in (fresh_run / "report.html").read_text()


def test_report_command_errors(tmp_path, capsys, run_dir):
    code, _, err = _cli(["report", str(tmp_path)], capsys)
    assert code == 2 and "no run.json" in err and err.count("\n") == 1
    code, _, err = _cli(["report", str(run_dir), "--lang", "fr"], capsys)
    assert code == 2 and "unknown language 'fr'" in err


# ---- content -------------------------------------------------------------------------

def test_html_is_self_contained_with_every_figure_inline(run_dir):
    html = (run_dir / "report.html").read_text()
    assert "<script" not in html and "<link" not in html and "@import" not in html and "url(" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    srcs = re.findall(r'<img src="([^"]+)"', html)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    # fake_multi 1 figure, fake_icl 2 figures in each of sections 2 and 6, fake_emerge 1
    assert len(srcs) == 1 + 2 + 2 + 1
    for k in range(1, 7):
        assert f'<section id="i{k}">' in html


def test_sections_show_claim_method_table_and_verdict_with_rule(run_dir):
    html = (run_dir / "report.html").read_text()
    for k in range(1, 7):
        sec = html.split(f'<section id="i{k}">')[1].split("</section>")[0]
        assert i18n.CLAIMS[k]["en"].split(",")[0] in sec
        assert "How it was tested" in sec and "Computed verdicts" in sec and "Rule:" in sec
    sec1 = html.split('<section id="i1">')[1].split("</section>")[0]
    assert "score above 0.5 with n = 8" in sec1 and "accuracy" in sec1 and "ci_low" in sec1
    sec4 = html.split('<section id="i4">')[1].split("</section>")[0]
    assert "ValueError: the fake step failed on purpose" in sec4 and "inconclusive" in sec4
    sec3 = html.split('<section id="i3">')[1].split("</section>")[0]
    assert "ModuleNotFoundError" in sec3


def test_user_text_is_escaped(run_dir):
    html = (run_dir / "report.html").read_text()
    assert "<b>smol</b>" not in html and "&lt;b&gt;smol&lt;/b&gt;" in html
    assert "<i>x</i>" not in html and "&lt;i&gt;x&lt;/i&gt;" in html
    md = (run_dir / "report.md").read_text()
    assert "<b>smol</b>" not in md


def test_provenance_lists_versions_seeds_fingerprints_machine_and_step_times(run_dir):
    html = (run_dir / "report.html").read_text()
    prov = html.split('id="provenance"')[1]
    for needle in ("torch", "numpy", "fp-fake_multi", "cpus", "fake_emerge", "Seeds", "Wall time"):
        assert needle in prov, needle
    steps = json.loads((run_dir / "run.json").read_text())["steps"]
    for s in steps:
        assert f"<code>{s}</code>" in prov


def test_korean_report_translates_prose_and_shares_numbers(run_dir):
    ko = (run_dir / "report.ko.html").read_text()
    en = (run_dir / "report.html").read_text()
    assert '<html lang="ko">' in ko and "Noto Sans CJK KR" in ko and "NanumGothic" in ko
    for k in range(1, 7):
        assert i18n.CLAIMS[k]["ko"] in ko and i18n.TITLES[k]["ko"] in ko
    assert i18n.label(SUPPORTED, "ko") in ko and i18n.label(INCONCLUSIVE, "ko") in ko
    assert str(markupsafe.escape(i18n.OWN_RULES["step_failed"]["ko"])) in ko
    assert re.findall(r'<img src="([^"]+)"', ko) == re.findall(r'<img src="([^"]+)"', en)
    md = (run_dir / "report.ko.md").read_text()
    assert "## 1. " + i18n.TITLES[1]["ko"] in md


def test_markdown_report_links_figures_and_has_tables(run_dir):
    md = (run_dir / "report.md").read_text()
    for link in re.findall(r"\]\((steps/[^)]+\.png)\)", md):
        assert (run_dir / link).is_file()
    assert "| model | accuracy | ci_low | ci_high |" in md
    assert md.count("\n## ") == 1 + 6 + 1


# ---- pieces ---------------------------------------------------------------------------

def test_rule_translation_keeps_the_codes_numbers():
    from intuitions.verdict import template_of, translate

    cat = {"flip": {"en": "accuracy at §% flipped below § with the CI excluding §",
                    "ko": "§% 뒤집힘에서 정확도가 § 미만이고 CI가 §를 포함하지 않음"}}
    text = "accuracy at 100% flipped below 0.5 with the CI excluding 0.5"
    assert template_of(text)[1] == ["100", "0.5", "0.5"]
    assert translate(text, "flip", cat, "ko") == "100% 뒤집힘에서 정확도가 0.5 미만이고 CI가 0.5를 포함하지 않음"
    assert translate(text.replace("100", "75"), "flip", cat, "ko").startswith("75%")
    assert translate(text, "flip", cat, "en") == text
    # a reworded rule under the same id is not shown under its stale translation
    assert translate("accuracy at 100% flipped is low", "flip", cat, "ko") is None
    assert translate(text, "unknown-id", cat, "ko") is None and translate(text, "unknown-id", cat, "en") == text


@pytest.mark.parametrize("name", ["multitask", "icl", "cot", "scaling", "emergence"])
def test_every_rule_of_every_experiment_is_in_every_language(name):
    """Fails (not warns) when a rule has no Korean text or its placeholders differ."""
    mod = importlib.import_module(f"intuitions.experiments.{name}")
    assert mod.RULES
    for rule_id, entry in mod.RULES.items():
        assert rule_id.startswith(name + "."), rule_id
        assert set(entry) == set(i18n.LANGS), rule_id
        assert len({text.count("§") for text in entry.values()}) == 1, rule_id


def test_ui_strings_exist_in_both_languages():
    assert set(i18n.UI["en"]) == set(i18n.UI["ko"])
    for table in (i18n.TITLES, i18n.CLAIMS, i18n.METHODS):
        assert set(table) == {1, 2, 3, 4, 5, 6} and all(set(v) == {"en", "ko"} for v in table.values())


def _v(label, source="ladder"):
    return render.ShownVerdict(1, label, "r", "e", "step", source=source)


@pytest.mark.parametrize("labels, expected", [
    ([SUPPORTED, SUPPORTED], SUPPORTED),
    ([SUPPORTED, INCONCLUSIVE], SUPPORTED),
    ([NOT_SUPPORTED], NOT_SUPPORTED),
    ([SUPPORTED, NOT_SUPPORTED], INCONCLUSIVE),
    ([INCONCLUSIVE], INCONCLUSIVE),
    ([NOT_TESTED], NOT_TESTED),
    ([NOT_TESTED, NOT_SUPPORTED], NOT_SUPPORTED),
    ([], INCONCLUSIVE),
])
def test_headline_rule(labels, expected):
    assert render.headline(1, [_v(x) for x in labels]).label == expected


@pytest.mark.parametrize("by_source, expected, columns", [
    ({"ladder": [SUPPORTED], "real": [NOT_TESTED]}, SUPPORTED, (SUPPORTED, NOT_TESTED, NOT_TESTED)),
    ({"ladder": [SUPPORTED], "real": [INCONCLUSIVE]}, SUPPORTED, (SUPPORTED, INCONCLUSIVE, NOT_TESTED)),
    ({"ladder": [SUPPORTED], "published": [NOT_SUPPORTED]}, INCONCLUSIVE, (SUPPORTED, NOT_TESTED, NOT_SUPPORTED)),
    ({"ladder": [NOT_SUPPORTED, INCONCLUSIVE], "real": [NOT_SUPPORTED]}, NOT_SUPPORTED,
     (NOT_SUPPORTED, NOT_SUPPORTED, NOT_TESTED)),
    ({"ladder": [SUPPORTED, NOT_SUPPORTED], "real": [SUPPORTED]}, SUPPORTED, (INCONCLUSIVE, SUPPORTED, NOT_TESTED)),
    ({"real": [NOT_TESTED]}, NOT_TESTED, (NOT_TESTED, NOT_TESTED, NOT_TESTED)),
])
def test_headline_combines_within_then_across_sources(by_source, expected, columns):
    vs = [_v(lab, src) for src, labs in by_source.items() for lab in labs]
    assert render.headline(1, vs).label == expected
    assert tuple(render.by_source(vs).values()) == columns


def test_overview_shows_sources_side_by_side(run_dir):
    doc = json.loads((run_dir / "verdicts.json").read_text())
    assert all(v["source"] in ("ladder", "real", "published") and v["step"] for v in doc["verdicts"])
    assert all(set(h["by_source"]) == {"ladder", "real", "published"} for h in doc["headlines"])
    md = (run_dir / "report.md").read_text()
    assert "| # | Intuition | ladder | real models | published | Verdict |" in md
    assert "| 1 | Next-word prediction is multitask | supported | not tested | not tested | **supported** |" in md
    assert "| 사다리 | 실제 모델 | 공개 결과 |" in (run_dir / "report.ko.md").read_text()
    html = (run_dir / "report.html").read_text()
    assert '<span class="label nt">not tested</span>' in html


class _Mod:
    __name__ = "m"

    def __init__(self, fn):
        self.verdicts = fn


def test_broken_verdict_functions_are_inconclusive_not_crashes():
    from intuitions.verdict import Verdict

    def raises(saved):
        raise KeyError("accuracy")

    got = render._verdicts("s", (2, 6), "ok", None, {"result": {}}, _Mod(raises), None)
    assert [(v.intuition, v.label) for v in got] == [(2, INCONCLUSIVE), (6, INCONCLUSIVE)]
    assert "KeyError" in got[0].evidence
    got = render._verdicts("s", (2,), "ok", None, {"result": {}}, _Mod(lambda s: ["supported"]), None)
    assert got[0].label == INCONCLUSIVE and "not Verdict" in got[0].evidence
    only2 = _Mod(lambda s: [Verdict(2, SUPPORTED, "r", "e")])
    got = render._verdicts("s", (2, 6), "ok", None, {"result": {}}, only2, None)
    assert [(v.intuition, v.label, v.own_rule) for v in got] == [(2, SUPPORTED, None), (6, INCONCLUSIVE, "no_verdict")]


def test_key_tables_hook_then_csv_then_records_then_scalars(tmp_path):
    class Hook:
        @staticmethod
        def key_tables(saved):
            return [{"title": "t", "columns": ["a", "b"], "rows": [[1, 0.123456]] * 30}]

    saved = {"result": {"per_model": {"m1": {"acc": 0.5, "n": 3}, "m2": {"acc": 0.7, "n": 3}}}}
    t = render._tables("s", tmp_path, saved, Hook)[0]
    assert t.columns == ["a", "b"] and t.rows[0] == ["1", "0.123"] and len(t.rows) == 25 and t.more == 5
    t = render._tables("s", tmp_path, saved, None)[0]
    assert t.columns == ["", "acc", "n"] and t.rows == [["m1", "0.5", "3"], ["m2", "0.7", "3"]]
    (tmp_path / "key.csv").write_text("x,y\n1,2\n")
    assert render._tables("s", tmp_path, saved, None)[0].title == "key.csv"
    (tmp_path / "key.csv").unlink()
    t = render._tables("s", tmp_path, {"result": {"fit": {"E": 1.5, "alpha": 0.3}}}, None)[0]
    assert t.rows == [["fit.E", "1.5"], ["fit.alpha", "0.3"]]


def test_figure_naming_assigns_to_one_intuition():
    class Mod:
        FIGURE_INTUITIONS = {"mine": 2}

    assert render._figure_intuition("i6_flipped", None) == 6
    from intuitions.experiments import icl

    assert render._figure_intuition("icl_flip", icl) == 6 and render._figure_intuition("icl_flip", None) is None
    assert render._figure_intuition("mine", Mod) == 2
    assert render._figure_intuition("kshot", Mod) is None
    f = render.Figure("icl", "i6_flipped", "p", "d", 6)
    assert render._belongs(f, 6) and not render._belongs(f, 2)
    assert render._belongs(render.Figure("icl", "kshot", "p", "d"), 2)


def test_load_run_without_manifest_is_a_user_error(tmp_path):
    from intuitions.errors import UserError

    with pytest.raises(UserError, match="no run"):
        render.load_run(tmp_path)


def teardown_module(module):
    for name in list(runfakes.FAKES):
        sys.modules.pop(name, None)


# ---- key tables of the real experiments -------------------------------------------------

def _e(v, lo, hi):
    return {"value": v, "ci_low": lo, "ci_high": hi, "n": 10}


KEY_RESULTS = {
    "multitask": {"decompositions": [
        {"model": "family:q/a", "final": True, "n_params": 10,
         "tasks": [{"task": "facts", "share": _e(0.5, 0.4, 0.6), "mean_loss": _e(3.0, 2.9, 3.1),
                    "contribution": _e(1.5, 1.4, 1.6), "fraction": 0.5}]},
        {"model": "family:q/b@5", "final": False, "n_params": 20, "tasks": []}],
        "probes": [{"model": "smol", "categories": [{"category": "grammar", "n_items": 40, "chance": 0.5,
                                                      "accuracy": _e(0.9, 0.8, 0.95), "surprisal": _e(2, 1, 3)}]}],
        "learning": [{"task": "facts", "axis": "size", "label": "late", "reached_at": 20.0, "drop": _e(0.1, 0, 0.2)}]},
    "icl": {"models": [{"model": "smol", "task": "sentiment", "chance": 0.5,
                        "contrasts": {"gold-zero-shot": _e(0.1, 0.05, 0.15), "gold-random": _e(0.0, -0.1, 0.1)},
                        "flip100": _e(0.3, 0.2, 0.4), "follows_demonstrations": True,
                        "rows": [{"flip_pct": 100, "k": 4, "scoring": "sum", "accuracy": 0.3, "ci_low": 0.2,
                                  "ci_high": 0.4, "n": 100}]}]},
    "cot": {"runs": [{"model": "smol", "contrasts": [{"metric": "surprisal", "condition": "given-direct",
                                                      "steps": None, "estimate": _e(-2, -3, -1)}],
                      "cells": [{"metric": "accuracy", "condition": "direct", "steps": None,
                                 "estimate": _e(0.2, 0.1, 0.3)}]}]},
    "scaling": {"sources": {"ladder": {"formula": "E + A N^-a", "params": {"E": _e(1.5, 1.4, 1.6)},
                                       "fit": {"r2_log": 0.99}, "n_fit": 5, "n_holdout": 1,
                                       "predictions": [{"member": "L3W96", "params": 1e6, "tokens": 1e7,
                                                        "predicted": 2.0, "pi_low": 1.9, "pi_high": 2.1,
                                                        "actual": 2.05, "rel_error": 0.024}]},
                            "other": {"status": "skipped", "reason": "too few points"}}},
    "emergence": {"source": "family:q", "tasks": [{"task": "facts", "metric": "exact_match",
                                                   "breakthroughness": 3.2, "linearity": 0.5,
                                                   "emergence_scale": 1e5, "extrapolation_surprise": 0.4,
                                                   "emergent": True}],
                  "overall_loss": {"source": "loss", "linearity": 2.0, "sharpness": 1.1, "smooth": True}},
}

KEY_NEEDLES = {
    "multitask": ["3 [2.9, 3.1]", "0.9 [0.8, 0.95]", "late"],
    "icl": ["0.3 [0.2, 0.4]", "0.1 [0.05, 0.15]"],
    "cot": ["-2 [-3, -1]", "given-direct", "0.2 [0.1, 0.3]"],
    "scaling": ["E = 1.5 [1.4, 1.6]", "2 [1.9, 2.1]", "2.40%", "not fitted: too few points"],
    "emergence": ["3.2", "facts", "yes", "loss | 2 | 1.1 | true"],
}


@pytest.mark.parametrize("name", sorted(KEY_RESULTS))
def test_key_tables_pick_estimates_with_intervals(name, tmp_path):
    mod = importlib.import_module(f"intuitions.experiments.{name}")
    tables = render._tables(name, tmp_path, {"result": KEY_RESULTS[name]}, mod)
    cells = " | ".join(x for t in tables for r in t.rows for x in r)
    for needle in KEY_NEEDLES[name]:
        assert needle in cells, (needle, cells)


def test_key_tables_fall_back_to_generic_on_an_unknown_schema(tmp_path):
    saved = {"result": {"models": [{"model": "m", "fingerprint": "abc", "acc": _e(0.5, 0.4, 0.6)}]}}
    from intuitions.experiments import cot, icl

    t = render._tables("cot", tmp_path, saved, cot)[0]  # cot's extractor finds no runs
    assert t.columns == ["model", "acc"] and t.rows == [["m", "0.5 [0.4, 0.6]"]]
    t = render._tables("icl", tmp_path, {"result": {"models": "garbage"}}, icl)
    assert t and t[0].title == "result"


def test_icl_flip_table_belongs_to_intuition_6(tmp_path):
    from intuitions.experiments import icl

    tables = render._tables("icl", tmp_path, {"result": KEY_RESULTS["icl"]}, icl)
    assert [t.intuition for t in tables] == [None, 6]


def test_publish_copies_a_finished_run_with_its_member_table(tmp_path, monkeypatch):
    from intuitions.errors import UserError
    from intuitions.report.publish import publish

    monkeypatch.setenv("INTUITIONS_HOME", str(tmp_path / "home"))
    run = tmp_path / "run"
    (run / "steps" / "icl").mkdir(parents=True)
    (run / "steps" / "ladder").mkdir(parents=True)
    (run / "steps" / "ladder" / "step.json").write_text(json.dumps({"wall_s": 297.0}))
    (run / "steps" / "icl" / "icl_flip.png").write_bytes(b"png")
    est = {"value": 0.5, "ci_low": 0.4, "ci_high": 0.6, "n": 180}
    (run / "steps" / "icl" / "result.json").write_text(json.dumps({"result": {"models": [
        {"model": "family:quick-seed1/L2W32", "task": "world-repeat", "contrasts": {"gold-random": est},
         "flip100": est}]}}))
    (run / "report.md").write_text("# report\n![icl](steps/icl/icl_flip.png)\n")
    (run / "verdicts.json").write_text("{}")
    manifest = {"id": "quick-seed1-abc", "preset": "quick", "status": "running",
                "config": {"ladder": "quick", "seed": 1}, "machine": {"processor": "x86_64", "cpus": 2},
                "steps": ["ladder", "icl"], "wall_s": 500.0}
    (run / "run.json").write_text(json.dumps(manifest))
    with pytest.raises(UserError, match="no finished run"):
        publish(run, tmp_path / "out")
    (run / "run.json").write_text(json.dumps({**manifest, "status": "finished"}))
    member = tmp_path / "home" / "family" / "quick-seed1" / "L2W32"
    member.mkdir(parents=True)
    (member / "member.json").write_text(json.dumps({"n_params": 77344, "non_embedding_params": 32928, "steps": 3000,
                                                    "tokens_per_s": 70000, "tokens_per_s_median": 72546, "mfu": 0.33,
                                                    "final_loss": 1.048, "wall_s": 49.2}))
    out = publish(run, tmp_path / "out")
    assert (out / "steps" / "icl" / "icl_flip.png").read_bytes() == b"png"
    assert (out / "report.md").exists() and (out / "verdicts.json").exists()
    readme = (out / "README.md").read_text()
    assert "`intuitions run --preset quick --seed 1`" in readme and "ladder 297 s" in readme
    assert "| L2W32 | 77,344 | 32,928 | 3,000 | 49 | 72,546 | 33% | 1.048 | 0.5 [0.4, 0.6]" in readme
