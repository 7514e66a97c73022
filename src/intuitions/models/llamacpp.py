"""llama.cpp in process, through llama-cpp-python (the `llamacpp` extra).

    llamacpp:/path/model.gguf
    llamacpp:/path/model.gguf?tokenizer=/hf/folder&threads=2&n_batch=512

We feed token ids with `eval` and read the logits of every position from `scores`
(`logits_all=True`), then take log-softmax ourselves. We never use the completion
endpoint's echo/logprobs: it pairs each token with the wrong distribution (off by one
without BOS, first logprob dropped with BOS); our own arithmetic has no such ambiguity.

Tokenization is transformers' reading of the GGUF's tokenizer (or `tokenizer=`), the same
call as the hf backend, so the ids agree with hf on the same model."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from intuitions import paths
from intuitions.errors import ModelNotFound, UserError
from intuitions.models.base import Encoding, TokenScores, TokensDone, cut_at_stop, report_done
from intuitions.models.specs import spec_options
from intuitions.models.tokenizer import LocalTokenizer
from intuitions.models.windows import default_stride, windows

INSTALL = ("llama-cpp-python is not installed: pip install 'intuitions[llamacpp]' "
           "(it compiles llama.cpp, about 10 minutes on 2 cores)")


@dataclass(frozen=True)
class LlamaCppSpec:
    path: Path
    tokenizer: str | None = None
    threads: int | None = None
    n_batch: int = 512
    window: int | None = None  # defaults to the model's training context
    stride: int | None = None
    bos: str = "auto"


def parse_spec(rest: str) -> LlamaCppSpec:
    path, _, query = rest.partition("?")
    if not path:
        raise UserError("llamacpp spec needs a GGUF path: llamacpp:/path/model.gguf")
    kw = spec_options("llamacpp", query, LlamaCppSpec, positional=("path",))
    p = Path(path).expanduser()
    if not p.is_file():
        raise ModelNotFound(f"no GGUF file at {p}")
    return LlamaCppSpec(p, **kw)


def _train_context(llm) -> int:
    meta = getattr(llm, "metadata", None) or {}
    arch = meta.get("general.architecture")
    try:
        return int(meta[f"{arch}.context_length"])
    except (KeyError, TypeError, ValueError):
        return llm.n_ctx()


def log_softmax_stats(logits: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(logprob, rank, entropy) of each target under its row of logits [n, vocab]."""
    x = logits.astype(np.float64)
    x = x - x.max(axis=1, keepdims=True)
    logp = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    tgt = logp[np.arange(len(targets)), targets]
    rank = (logp > tgt[:, None]).sum(axis=1) + 1
    ent = -(np.exp(logp) * logp).sum(axis=1)
    return tgt, rank.astype(np.int64), ent


class LlamaCppScorer:
    def __init__(self, spec: LlamaCppSpec, tokenizer: LocalTokenizer):
        try:
            from llama_cpp import Llama  # pyright: ignore[reportMissingImports]  # optional extra, not installed here
        except ImportError:
            raise UserError(INSTALL) from None
        self.spec = spec
        self.tok = tokenizer
        self.name = f"llamacpp:{spec.path}"
        threads = spec.threads or max(1, min(os.cpu_count() or 1, 8))
        # n_ctx=0: the model's training context; logits_all: a row of logits per position.
        self.llm = Llama(model_path=str(spec.path), n_ctx=0, logits_all=True, n_batch=spec.n_batch,
                         n_threads=threads, n_threads_batch=threads, verbose=False, seed=0)
        # The model's training context, not n_ctx (llama.cpp rounds a context up, to 256).
        ctx = min(_train_context(self.llm), self.llm.n_ctx())
        self.window = min(spec.window or ctx, ctx)
        if self.window < 2:
            raise UserError("window must be at least 2 tokens")
        self.stride = spec.stride or default_stride(self.window)
        if not 1 <= self.stride <= self.window:
            raise UserError("stride must be between 1 and the window length")
        self.fingerprint = hashlib.sha256(json.dumps({
            "backend": "llamacpp", "weights": paths.file_digest(spec.path)[:16], "tokenizer": tokenizer.digest,
            "prefix": tokenizer.prefix_id, "window": self.window, "stride": self.stride,
        }, sort_keys=True).encode()).hexdigest()[:24]
        self.n_params = _n_params(self.llm)

    @property
    def eos_id(self) -> int | None:
        return self.tok.eos_id

    def encode(self, texts: Sequence[str], add_prefix: bool = True) -> list[Encoding]:
        return self.tok.encode(texts, add_prefix=add_prefix)

    def _logits(self, ids: list[int]) -> np.ndarray:
        """Logits [len(ids), vocab] from one fresh evaluation (no state from earlier calls)."""
        self.llm.reset()
        self.llm.eval(ids)
        return np.array(self.llm.scores[: len(ids)], dtype=np.float32)

    def score(self, seqs: Sequence[Sequence[int]], progress: TokensDone | None = None) -> list[TokenScores]:
        out = self._score_all(seqs)
        report_done(progress, seqs)
        return out

    def _score_all(self, seqs: Sequence[Sequence[int]]) -> list[TokenScores]:
        out = []
        vocab = self.llm.n_vocab()
        for seq in seqs:
            seq = np.asarray(list(seq), np.int64)
            if len(seq) and (seq.min() < 0 or seq.max() >= vocab):
                raise UserError(f"token id out of range for {self.name} (vocabulary {vocab})")
            lp, rk, en = np.full(len(seq), np.nan), np.zeros(len(seq), np.int64), np.full(len(seq), np.nan)
            for w in windows(len(seq), self.window, self.stride):
                logits = self._logits(seq[w.start : w.end].tolist())
                # row p predicts token start + p + 1
                rows = logits[w.first_new - w.start - 1 : w.end - w.start - 1]
                a, b, c = log_softmax_stats(rows, seq[w.first_new : w.end])
                lp[w.first_new : w.end], rk[w.first_new : w.end], en[w.first_new : w.end] = a, b, c
            out.append(TokenScores(seq, lp, rk, en))
        return out

    def generate(self, prompts: Sequence[str], max_new_tokens: int, stop: Sequence[str] = ()) -> list[str]:
        """Greedy, by the same eval/scores path (no sampler settings to get wrong). A row
        ends at EOS, at the context's end, or once its text contains a `stop` string (kept,
        as the hf backend keeps it)."""
        eos = self.llm.token_eos()
        outs = []
        for enc in self.encode(prompts):
            ids = list(enc.ids)[-self.window :]
            new: list[int] = []
            self.llm.reset()
            self.llm.eval(ids)
            text = ""
            for _ in range(max_new_tokens):
                nxt = int(np.argmax(self.llm.scores[self.llm.n_tokens - 1]))
                if nxt == eos or self.llm.n_tokens >= self.window:
                    break
                new.append(nxt)
                text = self.tok.decode(new)
                if any(s in text for s in stop):
                    break
                self.llm.eval([nxt])
            outs.append(cut_at_stop(text, stop))
        return outs


def _n_params(llm) -> int | None:
    """llama.cpp's count of the elements of every weight tensor: `num_parameters()` of the
    HF model the GGUF came from (a tied output matrix is one tensor, counted once)."""
    count = getattr(getattr(llm, "_model", None), "n_params", None)
    return None if count is None else int(count())


def load(rest: str, options) -> LlamaCppScorer:
    spec = parse_spec(rest)
    if options.bos != "auto" and spec.bos == "auto":
        spec = dataclasses.replace(spec, bos=options.bos)
    if spec.window is None and options.window:
        spec = dataclasses.replace(spec, window=options.window, stride=spec.stride or options.stride)
    try:
        import llama_cpp  # noqa: F401  # pyright: ignore[reportMissingImports]  (fail with the install hint first)
    except ImportError:
        raise UserError(INSTALL) from None
    if spec.tokenizer:
        tok = LocalTokenizer.load(spec.tokenizer, bos=spec.bos)
    else:
        tok = LocalTokenizer.load(str(spec.path.parent), bos=spec.bos, gguf_file=spec.path.name)
    return LlamaCppScorer(spec, tok)
