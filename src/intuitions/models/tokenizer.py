"""A model's tokenizer, apart from its weights.

The scale-out backends (an OpenAI-compatible server, vLLM, llama.cpp) score token ids we
send them; the ids come from here, tokenized exactly as the hf backend tokenizes (same
call, same BOS policy), so one text gives the same ids whichever backend scores it and the
conformance test compares like with like."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Sequence

from intuitions.errors import ModelNotFound, UserError
from intuitions.models.base import Encoding


class LocalTokenizer:
    def __init__(self, tokenizer, bos: str = "auto", config_bos: int | None = None):
        self.tokenizer = tokenizer
        self.bos = bos
        self.prefix_id = _prefix_id(tokenizer, bos, config_bos)

    @classmethod
    def load(cls, source: str, bos: str = "auto", gguf_file: str | None = None) -> "LocalTokenizer":
        from transformers import AutoTokenizer

        kw = {"gguf_file": gguf_file} if gguf_file else {}
        try:
            tok = AutoTokenizer.from_pretrained(source, **kw)
        except (OSError, ValueError) as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ModelNotFound(f"cannot load the tokenizer {source!r}: {first}") from None
        return cls(tok, bos, _config_bos(Path(source)))

    @property
    def eos_id(self) -> int | None:
        eos = getattr(self.tokenizer, "eos_token_id", None)
        return eos if isinstance(eos, int) else None

    @property
    def digest(self) -> str:
        return tokenizer_digest(self.tokenizer)

    def encode(self, texts: Sequence[str], add_prefix: bool = True) -> list[Encoding]:
        # No special tokens from the tokenizer, our own prefix (BOS) in front, offsets from
        # the fast tokenizer. HFScorer.encode is this very method.
        if not texts:
            return []
        enc = self.tokenizer(list(texts), add_special_tokens=False, return_offsets_mapping=True)
        out = []
        for ids, offs in zip(enc["input_ids"], enc["offset_mapping"]):
            offs = [(int(a), int(b)) for a, b in offs]
            if add_prefix and self.prefix_id is not None:
                ids, offs = [self.prefix_id, *ids], [(0, 0), *offs]
            out.append(Encoding(list(map(int, ids)), offs))
        return out

    def decode(self, ids: Sequence[int]) -> str:
        return self.tokenizer.decode(list(ids), skip_special_tokens=True)

    def piece(self, token_id: int) -> str:
        """The text of one token as servers echo it (special tokens included)."""
        return self.tokenizer.decode([int(token_id)], skip_special_tokens=False)


def _prefix_id(tok, bos: str, config_bos: int | None) -> int | None:
    if bos == "none":
        return None
    if bos != "auto":
        raise UserError(f"unknown BOS policy {bos!r}: use auto or none")
    # lm-eval's choice: condition the first token on BOS, else on EOS (the document
    # separator) for models that have no BOS, else on the config's BOS.
    for tid in (tok.bos_token_id, tok.eos_token_id, config_bos):
        if tid is not None:
            return int(tid)
    return None


def _config_bos(folder: Path) -> int | None:
    cfg = folder / "config.json"
    if not cfg.is_file():
        return None
    try:
        val = json.loads(cfg.read_text()).get("bos_token_id")
    except (OSError, ValueError):
        return None
    return int(val) if isinstance(val, int) else None

def tokenizer_digest(tok) -> str:
    try:
        state = tok.backend_tokenizer.to_str()
    except Exception:  # slow tokenizers have no serialised form
        state = json.dumps(sorted(tok.get_vocab().items()))
    return hashlib.sha256(state.encode()).hexdigest()[:16]
