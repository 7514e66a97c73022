"""The Python API (`intuitions.load`, `density`, `scaling_fit`, `emergence`, and each
experiment's names at the top level): docs/python.md runs as written, and importing the
package stays light."""

from __future__ import annotations

import doctest
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import intuitions

ROOT = Path(__file__).resolve().parents[1]


def test_docs_python_md_runs_as_written():
    res = doctest.testfile(str(ROOT / "docs" / "python.md"), module_relative=False, verbose=False,
                           optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 10 and res.failed == 0, f"{res.failed} of {res.attempted} examples failed (output above)"


def test_import_loads_neither_torch_nor_pandas():
    code = ("import sys, intuitions; intuitions.load, intuitions.scaling_fit; "
            "print(sorted(m for m in ('torch', 'pandas', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_every_top_level_name_resolves():
    assert set(intuitions.__all__) == {"__version__", *intuitions._LAZY}
    for name in intuitions.__all__:
        assert getattr(intuitions, name) is not None, name
    from intuitions.experiments import cot

    assert intuitions.run_cot is cot.run
    assert set(intuitions.__all__) <= set(dir(intuitions))
    with pytest.raises(AttributeError):
        intuitions.no_such_thing  # noqa: B018


def test_unknown_options_are_named():
    with pytest.raises(TypeError, match="unknown option.*dtyp"):
        intuitions.load("smollm2-135m", dtyp="bfloat16")
    with pytest.raises(TypeError, match="min_sharp"):
        intuitions.emergence(pd.DataFrame(), min_sharp=2.0)


def test_a_dataframe_fits_as_its_csv_does(tmp_path):
    runs = pd.DataFrame({"N": [1e6, 3e6, 1e7, 3e7, 1e8], "D": [2e7, 6e7, 2e8, 6e8, 2e9],
                         "L": [4.1, 3.72, 3.41, 3.2, 3.02]})
    runs.to_csv(tmp_path / "runs.csv", index=False)
    a = intuitions.scaling_fit(runs, form="params", bootstrap=0)
    b = intuitions.scaling_fit(str(tmp_path / "runs.csv"), form="params", bootstrap=0)
    assert a.source == "DataFrame" and b.source.endswith("runs.csv")
    assert {k: v.value for k, v in a.params.items()} == {k: v.value for k, v in b.params.items()}
