"""Checks that a model file or folder is readable before transformers opens it.

transformers reports a bad file as whatever its reader tripped over (a `struct.error` for a
GGUF cut short, a numpy reshape error for one cut in its tensor data, a safetensors header
error, a pickle refusal), deep in a traceback that never names the file. These checks read
only headers (a few KB; the GGUF tensor index) and raise `UnreadableModel` naming the file,
so the CLI prints one line. They run once per model: a dequantised GGUF is cached, and its
check runs only before the first conversion."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from intuitions.errors import UnreadableModel

GGUF_MAGIC = b"GGUF"
PICKLE_WEIGHTS = ("*.bin", "*.pt", "*.pth", "*.ckpt")


def check_gguf(path: Path) -> None:
    """A GGUF file whose header, metadata and tensor index parse, and whose tensor data is
    all there (a truncated download is the common case)."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        if f.read(4) != GGUF_MAGIC:
            raise UnreadableModel(f"{path} is not a GGUF file (it does not start with the GGUF magic bytes)")
    from gguf import GGUFReader

    try:
        reader = GGUFReader(str(path))
    except (ValueError, KeyError, IndexError, struct.error, OverflowError, MemoryError):
        # The reader's own message (a numpy view or reshape error) says nothing useful.
        raise UnreadableModel(
            f"{path} is a truncated or corrupt GGUF file ({size:,} bytes): its header or tensors "
            "do not parse; download or export it again"
        ) from None
    end = max((int(t.data_offset) + int(t.n_bytes) for t in reader.tensors), default=0)  # absolute offsets
    if end > size:
        raise UnreadableModel(f"{path} is truncated: its tensors need {end:,} bytes, the file has {size:,}")
    if not reader.tensors:
        raise UnreadableModel(f"{path} is a GGUF file without tensors")


def check_folder(folder: Path) -> None:
    """A HF model folder: a config.json that parses, and weights whose headers read."""
    cfg = folder / "config.json"
    try:
        json.loads(cfg.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UnreadableModel(f"{folder} is not a model folder (no config.json)") from None
    except (ValueError, UnicodeDecodeError) as e:
        raise UnreadableModel(f"{cfg} is not valid JSON ({first_line(e)})") from None
    for f in sorted(folder.glob("*.safetensors")):
        check_safetensors(f)


def check_safetensors(path: Path) -> None:
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="numpy") as sf:
            sf.keys()
    except (SafetensorError, OSError, ValueError) as e:
        raise UnreadableModel(f"{path} is not a readable safetensors file ({first_line(e)})") from None


def pickle_weights(folder: Path) -> list[Path]:
    return sorted(p for pat in PICKLE_WEIGHTS for p in folder.glob(pat))


def first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
