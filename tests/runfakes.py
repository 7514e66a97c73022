"""Small fake experiment modules and a fake ladder for the pipeline and report tests.

Each fake implements the `intuitions.experiments.contract` contract for real (result.json, a PNG, a
verdict computed from the saved numbers), records each call in $FAKE_CALLS, and can be
told to fail ($FAKE_FAIL=name) or to be interrupted ($FAKE_INTERRUPT=name)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from intuitions import paths
from intuitions.run import config, ladder

FAKE = '''
import os
from intuitions.results import write_result
from intuitions import plots
from intuitions.verdict import Verdict, SUPPORTED, NOT_SUPPORTED

INTUITIONS = {ks!r}
NAME = {name!r}


def report_step(ctx):
    log = os.environ.get("FAKE_CALLS")
    if log:
        with open(log, "a") as f:
            f.write(NAME + "\\n")
    if os.environ.get("FAKE_INTERRUPT") == NAME:
        raise KeyboardInterrupt
    if os.environ.get("FAKE_SLEEP") == NAME:
        import time
        time.sleep(120)  # long enough to be killed in
    if os.environ.get("FAKE_FAIL") == NAME:
        raise ValueError("the fake step failed\\non purpose")
    for k in INTUITIONS:
        fig, ax = plots.new(w=2.5, h=1.8)
        ax[0][0].plot([1, 2, 3], [ctx.seed, k, 3])
        plots.save(fig, ctx.out, f"curve{{k}}")
    rows = [{{"model": m, "accuracy": 0.5 + 0.1 * i, "ci_low": 0.4, "ci_high": 0.9}}
            for i, m in enumerate(["family:smoke/a", "<b>smol</b>"])]
    write_result(ctx.out, NAME, {{"n": ctx.n, "seeds": ctx.seeds, "options": ctx.options}},
                 {{"rows": rows, "score": ctx.n / 10}}, {{"model-" + NAME: "fp-" + NAME}})


def verdicts(saved):
    s = saved["result"]["score"]
    label = SUPPORTED if s > 0.5 else NOT_SUPPORTED
    return [Verdict(k, label, "score above 0.5 with n = 8", f"score = {{s}} <i>x</i>") for k in INTUITIONS]
'''

# name -> intuitions, covering all six like the real registry does
FAKES = {"fake_multi": (1,), "fake_icl": (2, 6), "fake_cot": (3,), "fake_scaling": (4,), "fake_emerge": (5,)}


def write_fake(dirpath: Path, name: str, ks: tuple[int, ...], extra: str = "") -> Path:
    p = dirpath / f"{name}.py"
    p.write_text(textwrap.dedent(FAKE.format(ks=ks, name=name)) + extra)
    return p


def install(tmp_path: Path, monkeypatch, calls: Path | None = None) -> Path:
    """Write the fakes, put them in the registry, fake the ladder. Returns the module dir."""
    mods = tmp_path / "fakemods"
    mods.mkdir(exist_ok=True)
    registry = {}
    for name, ks in FAKES.items():
        write_fake(mods, name, ks)
        registry[name] = (name, ks)
    registry["fake_missing"] = ("no_such_module_anywhere", (3,))
    monkeypatch.syspath_prepend(str(mods))
    for name in list(FAKES) + ["fake_missing"]:
        sys.modules.pop(name, None)
    monkeypatch.setattr(config, "EXPERIMENTS", registry)
    monkeypatch.setattr(ladder, "train", fake_train)
    if calls is not None:
        monkeypatch.setenv("FAKE_CALLS", str(calls))
    return mods


def fake_train(preset: str, on_progress=None, seed: int = 0) -> None:
    """Stands in for the family trainer: one 'member' with a config and weights."""
    import os

    from intuitions.family.ladder import ladder_name

    log = os.environ.get("FAKE_CALLS")
    if log:
        with open(log, "a") as f:
            f.write("ladder\n")
    m = paths.family_root() / ladder_name(preset, seed) / "m1"
    m.mkdir(parents=True, exist_ok=True)
    (m / "config.json").write_text('{"fake": true}')
    (m / "model.safetensors").write_bytes(b"weights")
    if on_progress:
        on_progress(1.0, "m1 done")


DRIVER = """
import signal, sys
# A shell that starts a job in the background (nohup ... &) makes it ignore SIGINT, and Python
# then installs no Ctrl-C handler; the tests send SIGINT, so the driver asks for Python's own.
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.path.insert(0, {tests!r})
import pytest, runfakes
from pathlib import Path
from intuitions.cli import main
with pytest.MonkeyPatch.context() as mp:
    runfakes.install(Path({tmp!r}), mp, Path({calls!r}))
    main(sys.argv[1:])
"""


def driver(tmp_path: Path, calls: Path) -> Path:
    """A script that runs the real CLI with the fakes installed, for subprocess tests."""
    p = tmp_path / "driver.py"
    p.write_text(DRIVER.format(tests=str(Path(__file__).parent), tmp=str(tmp_path), calls=str(calls)))
    return p


def user_config(**over) -> dict:
    base = {"experiments": list(FAKES), "models": []}
    base.update(over)
    return base


def make_plan(preset: str = "smoke", **over):
    return config.plan(config.resolve(preset, user_config(**over)), {"smollm2-135m", "gemma3-270m"})


def calls_of(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []
