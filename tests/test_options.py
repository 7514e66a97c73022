"""Run options are typed per experiment: the docs, the defaults file and the dataclasses agree,
and a typo in [options.<name>] is a one-line error before any work starts."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from intuitions.errors import UserError
from intuitions.experiments import REGISTRY
from intuitions.experiments.optionspec import field_names, options_class, parse
from intuitions.run import config

ROOT = Path(__file__).resolve().parents[1]
MODELS = {"smollm2-135m", "gemma3-270m"}
RUN_STEPS = [e for e in REGISTRY.values() if e.run_step]


def _defaults_text() -> str:
    return resources.files("intuitions.data").joinpath("run_defaults.toml").read_text("utf-8")


def documented_in_defaults() -> dict[str, set[str]]:
    """`#   [options.<name>]  key, key, ...` lines (with continuation lines) of run_defaults.toml."""
    out: dict[str, set[str]] = {}
    current = None
    for line in _defaults_text().splitlines():
        m = re.match(r"#\s+\[options\.(\w+)\]\s+(\w.*)$", line)
        if m:
            current = m.group(1)
            out[current] = {k.strip() for k in m.group(2).split(",") if k.strip()}
            continue
        m = re.match(r"#\s{10,}(\w.*)$", line)
        if m and current:
            out[current] |= {k.strip() for k in m.group(1).split(",") if k.strip()}
        else:
            current = None
    return out


def documented_in_run_md() -> dict[str, set[str]]:
    """The `- [options.<name>]: ...` bullets of docs/run.md: every `key` before a parenthesis."""
    text = (ROOT / "docs" / "run.md").read_text("utf-8")
    out = {}
    for m in re.finditer(r"^- `\[options\.(\w+)\]`:(.*?)(?=^- |^\S|\Z)", text, re.M | re.S):
        body = re.sub(r"\([^()]*\)", "", m.group(2).replace("\n", " "))
        out[m.group(1)] = {k for k in re.findall(r"`(\w+)`", body) if not k.startswith("intuitions")}
    return out


def test_every_run_step_declares_typed_options():
    for e in RUN_STEPS:
        cls = options_class(e.module)
        assert cls is not None and dataclasses.is_dataclass(cls), e.name
        assert cls.__dataclass_params__.frozen, e.name  # type: ignore[attr-defined]


def test_options_modules_are_light():
    code = ("import sys\nfrom intuitions.experiments.optionspec import options_class\n"
            + "".join(f"options_class({e.module!r})\n" for e in RUN_STEPS)
            + "heavy = [m for m in ('torch', 'numpy', 'pandas', 'transformers') if m in sys.modules]\n"
            + "assert not heavy, heavy\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_documented_keys_equal_the_dataclass_fields():
    in_defaults, in_docs = documented_in_defaults(), documented_in_run_md()
    for e in RUN_STEPS:
        fields = set(field_names(options_class(e.module)))  # type: ignore[arg-type]
        assert in_defaults.get(e.name) == fields, (e.name, "run_defaults.toml")
        assert in_docs.get(e.name) == fields, (e.name, "docs/run.md")


def test_the_defaults_file_example_is_valid():
    """The commented example `[options.icl] ...` must be a table the run accepts (it said `flip`)."""
    lines = _defaults_text().splitlines()
    start = next(i for i, ln in enumerate(lines) if re.match(r"#\s+\[options\.icl\]\s*$", ln))
    example = "\n".join(ln.lstrip("#").strip() for ln in lines[start:start + 2])
    doc = tomllib.loads(example)
    config.plan(config.resolve("quick", doc), MODELS)
    assert doc["options"]["icl"]


@pytest.mark.parametrize("options, message", [
    ({"icl": {"flip": [0, 50]}}, "unknown option 'flip' in [options.icl]; allowed: data, dtype, flips, k,"),
    ({"icl": {"k": 3}}, "option 'k' in [options.icl] must be a list of integers, got 3"),
    ({"scaling": {"bootstrap": "many"}}, "option 'bootstrap' in [options.scaling] must be an integer"),
    ({"multitask": {"checkpoints": 1}}, "must be true or false"),
    ({"cot": {"step": [1]}}, "unknown option 'step' in [options.cot]"),
    ({"emergence": {"tables": [{"path": "t.csv", "chanse": 0.25}]}}, "unknown option 'chanse'"),
    ({"emergence": {"tables": [{"name": "x"}]}}, "needs 'path'"),
    ({"emergence": {"chance": {"mmlu": "a quarter"}}}, "option 'chance' in [options.emergence] must be"),
])
def test_bad_options_fail_in_plan(options, message):
    with pytest.raises(UserError) as e:
        config.plan(config.resolve("smoke", {"options": options}), MODELS)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_good_options_parse_typed():
    from intuitions.experiments.scaling.options import ScalingOptions

    o = parse(ScalingOptions, {"delta": 1, "kinds": ["final"]}, "[options.scaling]")
    assert (o.delta, o.kinds, o.bootstrap) == (1.0, ("final",), 1000)
    config.plan(config.resolve("smoke", {"options": {"emergence": {"chance": 0.25, "tables": [
        {"path": "t.csv", "tasks": "a,b", "chance": {"*": 0.5}}]}}}), MODELS)


def test_emergence_options_mirror_rule_and_tablespec():
    from intuitions.experiments.emergence.core import ANALYSIS_KEYS, RULE_KEYS
    from intuitions.experiments.emergence.measures import Rule
    from intuitions.experiments.emergence.options import EmergenceOptions, EmergenceTable
    from intuitions.experiments.emergence.readers import TableSpec

    opts = {f.name: f.default for f in dataclasses.fields(EmergenceOptions)}
    assert {f.name: f.default for f in dataclasses.fields(Rule)} == {k: opts[k] for k in RULE_KEYS}
    assert set(opts) == RULE_KEYS | ANALYSIS_KEYS | {"tables", "published"}
    assert set(field_names(EmergenceTable)) == set(field_names(TableSpec)) | ANALYSIS_KEYS | {"name"}


def test_scaling_defaults_are_the_steps_constants():
    from intuitions.experiments.scaling import core
    from intuitions.experiments.scaling.options import ScalingOptions

    o = ScalingOptions()
    assert (o.kinds, o.params_col, o.published_holdout_frac, o.published_bootstrap) == (
        core.LADDER_KINDS, core.LADDER_PARAMS, core.PUBLISHED_HOLDOUT_FRAC, core.PUBLISHED_BOOTSTRAP)
