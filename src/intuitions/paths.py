"""Where intuitions keeps what it makes: dequantised models, the score cache, the ladder."""

import os
from pathlib import Path


def home() -> Path:
    return Path(os.environ.get("INTUITIONS_HOME", Path.home() / ".cache" / "intuitions"))


def family_root() -> Path:
    """Trained ladders live here: <family_root>/<preset>/<member>/ (HF checkpoints)."""
    return Path(os.environ.get("INTUITIONS_FAMILY_DIR", home() / "family"))


def score_cache_path() -> Path:
    return home() / "scores.sqlite"


def models_dir() -> Path:
    """Dequantised GGUF models: big and slow to make, so shareable across homes."""
    return Path(os.environ.get("INTUITIONS_MODELS_DIR", home() / "models"))
