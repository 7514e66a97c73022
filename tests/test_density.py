import subprocess
import sys

import numpy as np
import pytest

from intuitions.experiments.density import core as density
from intuitions.experiments.density.heatmap import html


def test_units_merge_split_characters_and_cover_text(tiny_scorer):
    text = "안녕하세요 세계 I am"
    res = density.run(tiny_scorer, [text])
    us = res.texts[0].units
    assert "".join(u.text for u in us) == text
    for u in us:  # no unit cuts a character: each is valid text
        assert u.text.encode("utf-8").decode("utf-8") == u.text


def test_summary_numbers(tiny_scorer):
    res = density.run(tiny_scorer, ["The cat sat on the mat. The dogs sit on the mats."])
    s = res.texts[0].summary
    scored = [r.surprisal_nats for r in res.rows if r.surprisal_nats is not None]
    assert s.n_tokens == len(scored)
    assert s.mean_nats == pytest.approx(np.mean(scored))
    top = sorted(scored, reverse=True)[: int(np.ceil(0.1 * len(scored)))]
    assert s.top10_share == pytest.approx(sum(top) / sum(scored))
    assert res.rows[0].logprob is None  # BOS


def test_html_escapes_script(tiny_scorer):
    res = density.run(tiny_scorer, ["hi <script>alert(1)</script> there"])
    page = html(res.model, res.fingerprint, res.texts)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page or "&lt;" in page


def _cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "intuitions.cli", *args], capture_output=True,
                          text=True, input=stdin, timeout=300)


@pytest.mark.parametrize("args", [
    ["density", "hello", "--model", "no-such-model"],
    ["density", "   ", "--model", "TINY"],
    ["density", "--file", "/nonexistent/file.txt", "--model", "TINY"],
    ["density", "--file", "BADUTF8", "--model", "TINY"],
    ["density", "hello", "--model", "TINY", "--out", "/proc/forbidden/t.csv"],
    ["density", "hello", "--model", "TINY", "--out", "/proc/forbidden_dir"],
    ["density", "--bogus-option"],
])
def test_bad_input_one_line_exit_2(args, tiny_model_dir, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\xfa not utf8")
    args = [str(tiny_model_dir) if a == "TINY" else str(bad) if a == "BADUTF8" else a for a in args]
    r = _cli(*args)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "Traceback" not in r.stderr


def test_cli_writes_table_html_and_result(tiny_model_dir, tmp_path):
    out = tmp_path / "run"
    r = _cli("density", "The cat sat on the mat.", "--model", str(tiny_model_dir), "--out", str(out),
             "--html", str(tmp_path / "p.html"))
    assert r.returncode == 0, r.stderr
    assert (out / "result.json").exists() and (out / "tokens.csv").exists()
    import json

    doc = json.loads((out / "result.json").read_text())
    # the standalone command carries the run's verdict, computed on its texts (one text: no interval)
    got = [(v["intuition"], v["source"], v["rule_id"]) for v in doc["verdicts"]]
    assert got == [(3, "real", "density.top10_share")]
    assert doc["verdicts"][0]["label"] == "inconclusive" and set(doc["result"]) == {"texts", "overall"}
    assert (tmp_path / "p.html").read_text().startswith("<!doctype html>")
    r = _cli("density", "--model", str(tiny_model_dir), "--out", str(tmp_path / "t.jsonl"), stdin="from stdin")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "t.jsonl").read_text().count("\n") >= 2


@pytest.mark.real
def test_smollm2_example_contrast(smollm2_scorer):
    res = density.run(smollm2_scorer, list(density.EXAMPLE_PAIR))
    predictable, unpredictable = res.texts
    assert predictable.last_word_nats < unpredictable.last_word_nats


# -- the run step and its verdict -------------------------------------------------------------
def _density_saved(*subjects):
    return {"result": {"subjects": [
        {"model": m, "fingerprint": "f", "source": src, "n_params": 1, "n_texts": 30,
         "top10_share": {"value": v, "ci_low": lo, "ci_high": hi, "n": 30}, "shares": [], "blanks": []}
        for m, src, (v, lo, hi) in subjects]}}


def test_density_verdict_is_per_source_against_an_even_spread():
    from intuitions.experiments import density as d
    from intuitions.verdict import INCONCLUSIVE, NOT_SUPPORTED, SUPPORTED

    uneven, even, unsure = (0.3, 0.28, 0.32), (0.11, 0.105, 0.115), (0.16, 0.12, 0.2)
    v = d.verdicts(_density_saved(("L3", "ladder", uneven), ("smol", "real", uneven)))
    assert [(x.source, x.label) for x in v] == [("ladder", SUPPORTED), ("real", SUPPORTED)]
    assert d.verdicts(_density_saved(("smol", "real", even)))[0].label == NOT_SUPPORTED
    assert d.verdicts(_density_saved(("smol", "real", unsure)))[0].label == INCONCLUSIVE
    assert d.verdicts(_density_saved(("a", "real", uneven), ("b", "real", even)))[0].label == NOT_SUPPORTED
    assert all(x.rule_id in d.RULES for x in v)


def test_density_step_on_a_tiny_ladder_and_model_writes_shares_blanks_and_verdicts(tmp_path):
    import json

    from intuitions import paths
    from intuitions.experiments import density as d
    from intuitions.experiments.contract import StepContext
    from intuitions.testing import make_tiny_model

    for i, name in enumerate(["s1", "s2"]):
        make_tiny_model(paths.family_root() / "tq" / name, width=16 * (i + 1), ctx=256, seed=i)
    real = make_tiny_model(tmp_path / "real", width=16, ctx=256, seed=5)
    ctx = StepContext(tmp_path / "step", "smoke", "family:tq", (str(real),), options={"texts": 4})
    d.report_step(ctx)
    saved = json.loads((ctx.out / "result.json").read_text())
    subjects = saved["result"]["subjects"]
    assert [s["source"] for s in subjects] == ["ladder", "real"] and subjects[0]["model"] == "family:tq/s2"
    assert all(s["n_texts"] == 4 and 0.1 <= s["top10_share"]["value"] <= 1 for s in subjects)
    assert [b["kind"] for b in subjects[1]["blanks"]] == ["predictable", "unguessable"]
    assert {v["source"] for v in saved["verdicts"]} == {"ladder", "real"}
    assert (ctx.out / "i3_density_top10.png").is_file()
    assert d.key_tables(saved)[1]["rows"][0][1] == "predictable"


def test_long_text_reports_progress_batch_by_batch(tiny_model_dir, tmp_path):
    """A long text is many windows: the scorer reports tokens as each batch finishes (the
    bar's rate is the scorer's throughput), the counts add up to the tokens scored, the
    scores equal a run without progress, and the cache passes progress through."""
    from intuitions.models.cache import CachedScorer, ScoreCache
    from intuitions.models.hf import HFOptions, HFScorer

    sc = HFScorer.load(str(tiny_model_dir), name="tiny", options=HFOptions(token_budget=128))
    text = " ".join(["the cat sat on the mat, one two three"] * 60)
    n_ids = len(sc.encode([text])[0].ids)
    seen: list[int] = []
    res = density.run(sc, [text], progress=seen.append)
    assert len(seen) > 3 and sum(seen) == n_ids - 1
    plain = density.run(sc, [text])
    assert [r.logprob for r in res.rows] == [r.logprob for r in plain.rows]
    cached = CachedScorer(sc, ScoreCache(tmp_path / "scores.sqlite"))
    seen2: list[int] = []
    density.run(cached, [text], progress=seen2.append)
    assert len(seen2) > 3 and sum(seen2) == n_ids - 1
    seen3: list[int] = []
    density.run(cached, [text], progress=seen3.append)  # all cached: reported at once
    assert sum(seen3) == n_ids - 1


def test_cli_shows_a_plain_progress_bar_for_a_long_text(tiny_model_dir, tmp_path):
    f = tmp_path / "long.txt"
    f.write_text(" ".join(["the [b]cat[/b] sat on the mat"] * 700))
    p = subprocess.run([sys.executable, "-m", "intuitions.cli", "density", "--file", str(f), "--model",
                        str(tiny_model_dir), "--no-cache", "--out", str(tmp_path / "t.csv")],
                       capture_output=True, text=True, timeout=300, env={**__import__("os").environ, "COLUMNS": "120"})
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "t.csv").exists()
