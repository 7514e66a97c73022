"""Where intuitions keeps what it makes: dequantised models, the score cache, the ladder."""

import hashlib
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


def file_digest(path: Path, sample: int = 1 << 20) -> str:
    """A model file named by its size and first and last MiB (a GGUF's header and its last
    tensors), not by where it lives: the same weights installed into another venv keep one
    key. Sampling keeps it instant for multi-GB files."""
    size = path.stat().st_size
    h = hashlib.sha256(str(size).encode())
    with path.open("rb") as f:
        h.update(f.read(sample))
        f.seek(max(0, size - sample))
        h.update(f.read(sample))
    return h.hexdigest()
