"""transformers backend: a Hub id, a local folder, or a GGUF file.

Why it is shaped this way:
- Sequences are sorted longest-first and packed into batches by a token budget, so padding
  is small and the first batch is the biggest (an out-of-memory error shows up at once);
  the caller's order is restored at the end.
- Right padding + causal attention means a real position never attends to padding, so a
  sequence's logprobs do not depend on what it is batched with, and no attention mask is
  needed: without one, attention takes the fused causal kernel instead of materialising a
  [batch, 1, T, T] mask.
- The LM head runs only on the real (non-padding) positions, in chunks, so we never
  materialise float32 logits for the whole padded batch (49k vocab x 16 x 512 is 1.6 GB).
  The per-row statistics then walk those logits a few rows at a time: each block stays in
  cache across its passes instead of streaming a 100 MB buffer from memory five times.
- On a CPU the batch is sized so the widest activation (batch tokens x MLP width) fits in
  cache; bigger batches were slower there (SmolLM2: 1,024 tokens ~430 tok/s, 8,192 ~260).
- Texts longer than the context window are scored with a sliding window: window k covers
  tokens [k*stride, k*stride + window) and scores the tokens no earlier window scored
  (models/windows.py: on a CPU 2,048-token windows, each keeping the last 512 as context).
"""

from __future__ import annotations

import hashlib
import json
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal, Sequence, overload

import numpy as np
import torch
from safetensors import SafetensorError

from intuitions.errors import ModelNotFound, UnreadableModel, UnsafeModel, UserError
from intuitions.models import files, hub
from intuitions.models.allocator import keep_freed_memory
from intuitions.models.base import Encoding, TokenScores, cut_at_stop
from intuitions.models.prefix import PrefixReuse
from intuitions.models.tokenizer import LocalTokenizer, tokenizer_digest
from intuitions.models.windows import CPU_WINDOW, default_stride

HEAD_CHUNK = 1024  # positions per LM-head pass
VOCAB_BLOCK = 1024  # CPU logits block: [1,024 positions x 1,024 ids] float32 is 4 MB, cache-sized
CPU_ACTIVATION_BYTES = 6 << 20  # target size of the widest activation in a CPU batch


@dataclass(frozen=True)
class HFOptions:
    dtype: str = "float32"  # or "bfloat16": matmuls in bf16, log-softmax always in fp32
    bos: str = "auto"  # auto: prepend BOS (or EOS when the model has none); none: nothing
    window: int | None = None  # defaults to the model's context length
    stride: int | None = None  # defaults to windows.default_stride(window)
    token_budget: int | None = None  # padded tokens per forward batch; None: sized for the device
    threads: int | None = None


def _torch_dtype(name: str) -> torch.dtype:
    try:
        return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]
    except KeyError:
        raise UserError(f"unknown dtype {name!r}: use float32 or bfloat16") from None


def _weights_digest(model: torch.nn.Module) -> str:
    """Identity of the weights without hashing hundreds of MB: shape, sum and the first
    values of every tensor. Two different trainings never collide on all of these."""
    h = hashlib.sha256()
    for name, p in model.state_dict().items():
        t = p.detach().reshape(-1)
        h.update(f"{name}{tuple(p.shape)}{float(t.double().sum()):.10e}".encode())
        h.update(t[:64].float().numpy().tobytes())
    return h.hexdigest()[:16]



class HFScorer(PrefixReuse):
    def __init__(self, model, tokenizer, name: str, options: HFOptions = HFOptions()):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = name
        self.options = options
        self.n_params: int | None = int(model.num_parameters())  # the Scorer contract's count
        if options.threads:
            torch.set_num_threads(options.threads)
        if _device(model).type == "cpu":
            keep_freed_memory()  # ~10% on CPU: activations stop page-faulting (allocator.py)
        cfg = model.config
        ctx = getattr(cfg, "max_position_embeddings", None) or 2048
        self.window = options.window or min(ctx, 8192 if _device(model).type != "cpu" else CPU_WINDOW)
        if self.window < 2:
            raise UserError("window must be at least 2 tokens")
        self.stride = options.stride or default_stride(self.window)
        self.token_budget = options.token_budget or _auto_budget(model)
        if not 1 <= self.stride <= self.window:
            raise UserError("stride must be between 1 and the window length")
        # One tokenization and BOS rule for every backend (models/tokenizer.py), so a text
        # gives the same ids whichever backend scores it.
        self._local = LocalTokenizer(tokenizer, options.bos, cfg.bos_token_id)
        self.prefix_id = self._local.prefix_id
        self.softcap = getattr(cfg, "final_logit_softcapping", None)
        self.fingerprint = hashlib.sha256(
            json.dumps(
                {
                    "weights": _weights_digest(model),
                    "tokenizer": tokenizer_digest(tokenizer),
                    "dtype": options.dtype,
                    "prefix": self.prefix_id,
                    "window": self.window,
                    "stride": self.stride,
                },
                sort_keys=True,
            ).encode()
        ).hexdigest()[:24]

    # -- construction -------------------------------------------------------------------
    @classmethod
    def load(cls, source: str, gguf_file: str | None = None, name: str | None = None,
             options: HFOptions = HFOptions(), trust_remote_code: bool = False) -> "HFScorer":
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # our own progress display is the one users see
        kw: dict = {"gguf_file": gguf_file} if gguf_file else {}
        local = Path(source)
        if local.is_dir() and not gguf_file:
            files.check_folder(local)  # a bad config or weights file, named in one line
        elif not local.exists():  # a Hub id: from the cache alone, or fail fast (hub.py)
            from huggingface_hub.utils import logging as hub_logging

            hub_logging.set_verbosity_error()  # no "Retrying in 8s" lines on a flaky network
            if hub.require(source):
                kw["local_files_only"] = True
        try:
            tok = AutoTokenizer.from_pretrained(source, trust_remote_code=trust_remote_code, **kw)
            model = AutoModelForCausalLM.from_pretrained(
                source, dtype=_torch_dtype(options.dtype), trust_remote_code=trust_remote_code, **kw
            )
        except pickle.UnpicklingError:
            # torch.load(weights_only=True) refused a pickle holding more than tensors.
            where = ", ".join(str(p) for p in files.pickle_weights(local)) if local.is_dir() else source
            raise UnsafeModel(
                f"refused to load {where}: a pickle that holds more than tensors could run code; "
                "use safetensors weights"
            ) from None
        except (SafetensorError, struct.error) as e:
            raise UnreadableModel(f"cannot read the weights of {source!r}: {files.first_line(e)}") from None
        except (OSError, ValueError) as e:
            raise ModelNotFound(f"cannot load model {source!r}: {files.first_line(e)}") from None
        return cls(model, tok, name or source, options)

    # -- tokenization -------------------------------------------------------------------
    @property
    def eos_id(self) -> int | None:
        return self._local.eos_id

    def encode(self, texts: Sequence[str], add_prefix: bool = True) -> list[Encoding]:
        return self._local.encode(texts, add_prefix=add_prefix)

    # -- scoring --------------------------------------------------------------------------
    def _hidden_and_head(self):
        head = self.model.get_output_embeddings()
        body = getattr(self.model, "model", None) or self.model.get_decoder()
        return body, head

    @torch.inference_mode()
    def _forward_rows(self, rows: list[list[int]]) -> list[tuple[np.ndarray, ...]]:
        """One padded forward pass. For each row returns (logprob, rank, entropy) of the
        token at every position >= 1 given the positions before it."""
        lens = [len(r) for r in rows]
        T = max(lens)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        ids = torch.full((len(rows), T), pad, dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = torch.tensor(r)
        body, head = self._hidden_and_head()
        hidden = body(input_ids=ids, use_cache=False).last_hidden_state
        # Predictor positions: 0..len-2 of each row; targets: 1..len-1.
        pred = torch.zeros((len(rows), T), dtype=torch.bool)
        for i, n in enumerate(lens):
            pred[i, : n - 1] = True
        h = hidden[pred]
        targets = ids[:, 1:][pred[:, :-1]] if T > 1 else ids[:, :0].reshape(-1)
        lp, rk, en = self._head_stats(head, h, targets)
        out, start = [], 0
        for n in lens:
            k = n - 1
            out.append((lp[start : start + k], rk[start : start + k], en[start : start + k]))
            start += k
        return out

    def _head_stats(self, head, h: torch.Tensor, targets: torch.Tensor):
        parts = [self._head_pass(head, h[s : s + HEAD_CHUNK], targets[s : s + HEAD_CHUNK], stats=True)
                 for s in range(0, h.shape[0], HEAD_CHUNK)]
        if not parts:
            return np.zeros(0), np.zeros(0, np.int64), np.zeros(0)
        lp, rk, en = (torch.cat(x).numpy() for x in zip(*parts))
        return lp.astype(np.float64), rk.astype(np.int64), en.astype(np.float64)

    @overload
    def _head_pass(self, head, h: torch.Tensor, t: torch.Tensor, stats: Literal[False]) -> torch.Tensor: ...
    @overload
    def _head_pass(self, head, h: torch.Tensor, t: torch.Tensor,
                   stats: Literal[True]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]: ...

    def _head_pass(self, head, h: torch.Tensor, t: torch.Tensor,
                   stats: bool) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """log P(t), and with `stats` rank and entropy, in one pass over vocabulary blocks.

        Online log-sum-exp (running max m, s = sum e^(z-m), q = sum e^(z-m) z): the float32
        logits never exist as one [rows x vocab] buffer, so each block is still in cache
        when its statistics are taken, and the narrower matmul runs faster (CPU, SmolLM2:
        ~198 vs ~164 GFLOPS for full-vocabulary rows). The rank counts logits above the
        target's, which is known only once its block is reached: earlier blocks compare with
        a float32 dot product of the target's row, the target's own block corrects for
        counting itself, later blocks use its exact logit."""
        R = h.shape[0]
        m = torch.full((R,), float("-inf"), device=h.device)
        s, zt = torch.zeros(R, device=h.device), torch.zeros(R, device=h.device)
        # A head that is not one Linear (no zoo model has one) runs once, whole.
        full = None if isinstance(head, torch.nn.Linear) else self._capped(head(h).float())
        if stats:
            q, cnt, self_count = torch.zeros_like(s), torch.zeros_like(s), torch.zeros_like(s)
            ref = self._target_logit(head, h, t) if full is None else full.gather(1, t[:, None]).squeeze(1)
        else:  # not used without stats
            q = cnt = self_count = ref = torch.empty(0)
        scratch = None
        for v0, z in self._logit_blocks(head, h, full):
            if scratch is None or scratch.shape[1] < z.shape[1]:
                scratch = torch.empty_like(z)
            e = scratch[:, : z.shape[1]]
            rows = ((t >= v0) & (t < v0 + z.shape[1])).nonzero().squeeze(1)
            exact = z[rows, t[rows] - v0]
            zt[rows] = exact
            if stats:  # counts stay exact in float32 (< 2**24)
                cnt += torch.gt(z, ref[:, None], out=e).sum(1)
                self_count[rows] = (exact > ref[rows]).float()
                ref[rows] = exact
            new_m = torch.maximum(m, z.amax(1))
            scale = (m - new_m).exp_()  # 0 on the first block (m = -inf)
            torch.sub(z, new_m[:, None], out=e).exp_()
            s = s * scale + e.sum(1)
            if stats:
                q = q * scale + e.mul_(z).sum(1)
            m = new_m
        lse = m + s.log()
        if not stats:
            return zt - lse
        return zt - lse, cnt - self_count + 1, lse - q / s

    def _logit_blocks(self, head, h: torch.Tensor, full: torch.Tensor | None):
        """(first vocabulary id, float32 logits of h for a block of the vocabulary), softcap
        applied. Blocks of VOCAB_BLOCK ids on a CPU, the whole vocabulary on a GPU. One
        buffer serves every full block of a plain float32 head; `full`: the whole head's
        logits, already computed and capped, sliced into blocks."""
        V = full.shape[1] if full is not None else head.weight.shape[0]
        step = VOCAB_BLOCK if h.device.type == "cpu" else V
        if full is not None:
            yield from ((v0, full[:, v0 : v0 + step]) for v0 in range(0, V, step))
            return
        w, b = head.weight, head.bias
        buf = None
        for v0 in range(0, V, step):
            if w.dtype == torch.float32 and b is None and v0 + step <= V:
                buf = torch.empty((h.shape[0], step), device=h.device) if buf is None else buf
                block = torch.mm(h, w[v0 : v0 + step].t(), out=buf)
            else:
                block = torch.nn.functional.linear(
                    h, w[v0 : v0 + step], None if b is None else b[v0 : v0 + step]).float()
            yield v0, self._capped(block)  # our own buffer: capped in place

    def _capped(self, z: torch.Tensor) -> torch.Tensor:
        return z.div_(self.softcap).tanh_().mul_(self.softcap) if self.softcap else z

    def _target_logit(self, head, h: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The target's float32 logit from a row-wise dot product (rank counting only)."""
        z = (h.float() * head.weight[t].float()).sum(1)
        if head.bias is not None:
            z += head.bias[t].float()
        return torch.tanh(z / self.softcap) * self.softcap if self.softcap else z

    def _windows(self, n: int) -> list[tuple[int, int, int]]:
        """(start, end, first_new): window [start, end) scores positions first_new..end-1.
        With stride == window the windows are independent chunks, so each chunk's first
        token has no context and stays unscored (nan)."""
        out, scored_to, start = [], 1, 0
        while True:
            end = min(start + self.window, n)
            first_new = max(scored_to, start + 1)
            if first_new < end:
                out.append((start, end, first_new))
            scored_to = max(scored_to, end)
            if end >= n:
                return out
            start += self.stride

    def score(self, seqs: Sequence[Sequence[int]],
              progress: Callable[[int], None] | None = None) -> list[TokenScores]:
        """`progress(k)` hears of k more tokens scored after every forward batch (a long text
        is many windows: `density` shows a bar from it)."""
        # Split long sequences into windows; every piece is an independent row.
        pieces: list[tuple[int, int, int, list[int]]] = []  # (seq, start, first_new, ids)
        for si, seq in enumerate(seqs):
            seq = list(seq)
            for start, end, first_new in self._windows(len(seq)):
                pieces.append((si, start, first_new, seq[start:end]))
        order = sorted(range(len(pieces)), key=lambda i: -len(pieces[i][3]))
        results: dict[int, tuple] = {}
        batch: list[int] = []
        def run(batch: list[int]) -> None:
            results.update(zip(batch, self._forward_rows([pieces[j][3] for j in batch])))
            if progress is not None:  # the tokens these pieces score for the first time
                progress(sum(len(pieces[j][3]) - (pieces[j][2] - pieces[j][1]) for j in batch))

        for i in order:
            width = len(pieces[batch[0]][3]) if batch else len(pieces[i][3])
            if batch and width * (len(batch) + 1) > self.token_budget:
                run(batch)
                batch = []
            batch.append(i)
        if batch:
            run(batch)
        return [self._assemble(si, seq, pieces, results) for si, seq in enumerate(seqs)]

    @staticmethod
    def _assemble(si, seq, pieces, results) -> TokenScores:
        n = len(seq)
        lp = np.full(n, np.nan)
        rk = np.zeros(n, np.int64)
        en = np.full(n, np.nan)
        for pi, (sj, start, first_new, ids) in enumerate(pieces):
            if sj != si:
                continue
            plp, prk, pen = results[pi]
            # piece position p (>=1) predicts absolute token start + p
            sel = slice(first_new - start - 1, len(ids) - 1)
            lp[first_new : start + len(ids)] = plp[sel]
            rk[first_new : start + len(ids)] = prk[sel]
            en[first_new : start + len(ids)] = pen[sel]
        return TokenScores(np.asarray(seq, np.int64), lp, rk, en)

    def _right_pad(self, rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        ids = torch.full((len(rows), max(len(r) for r in rows)), pad, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for i, r in enumerate(rows):
            ids[i, : len(r)] = torch.tensor(r, dtype=torch.long)
            mask[i, : len(r)] = 1
        return ids, mask

    def _target_logprobs(self, head, h: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        """log P(target) at each row of h; float32, no rank/entropy work."""
        parts = [self._head_pass(head, h[s : s + HEAD_CHUNK], targets[s : s + HEAD_CHUNK], stats=False)
                 for s in range(0, h.shape[0], HEAD_CHUNK)]
        return torch.cat(parts) if parts else torch.zeros(0)

    # -- generation -----------------------------------------------------------------------
    @torch.inference_mode()
    def generate(self, prompts: Sequence[str], max_new_tokens: int, stop: Sequence[str] = ()) -> list[str]:
        """Greedy continuations, batched: rows are grouped longest-first under the token
        budget and left-padded (generate derives positions from the attention mask, so the
        padding moves nothing). A row ends at EOS or once its new text contains a `stop`
        string; the text is returned up to and including the first stop string."""
        encs = self.encode(prompts)
        order = sorted(range(len(encs)), key=lambda i: -len(encs[i].ids))
        outs = [""] * len(encs)
        at = 0
        while at < len(order):
            k = max(1, self.token_budget // (len(encs[order[at]].ids) + max_new_tokens))
            batch = order[at : at + k]
            for i, text in zip(batch, self._generate_rows([encs[i].ids for i in batch], max_new_tokens, stop)):
                outs[i] = text
            at += k
        return outs

    def _generate_rows(self, rows: list[list[int]], max_new_tokens: int, stop: Sequence[str]) -> list[str]:
        from transformers import StoppingCriteria, StoppingCriteriaList

        tok = self.tokenizer
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        T = max(len(r) for r in rows)
        ids = torch.full((len(rows), T), pad if pad is not None else 0, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for i, r in enumerate(rows):
            ids[i, T - len(r):] = torch.tensor(r, dtype=torch.long)
            mask[i, T - len(r):] = 1

        class Stop(StoppingCriteria):
            def __call__(self, input_ids, scores, **kw):
                texts = tok.batch_decode(input_ids[:, T:], skip_special_tokens=True)
                return torch.tensor([any(s in t for s in stop) for t in texts])

        gen = self.model.generate(
            ids, attention_mask=mask, max_new_tokens=max_new_tokens, do_sample=False,
            pad_token_id=pad, stopping_criteria=StoppingCriteriaList([Stop()]) if stop else None,
        )
        return [cut_at_stop(text, stop) for text in tok.batch_decode(gen[:, T:], skip_special_tokens=True)]


def _auto_budget(model) -> int:
    """Padded tokens per forward batch. A GPU wants big batches; on a CPU the widest
    activation (tokens x MLP width, float32) should stay cache-sized, or the matmuls
    stream activations from memory (measured: SmolLM2 1,024 tokens best, a width-72
    ladder member 4,096)."""
    if _device(model).type != "cpu":
        return 16384
    cfg = model.config
    width = getattr(cfg, "intermediate_size", None) or 4 * getattr(cfg, "hidden_size", 1024)
    budget = CPU_ACTIVATION_BYTES // (4 * width)
    return int(min(8192, max(256, 1 << (budget.bit_length() - 1 if budget else 8))))


def _device(model) -> torch.device:
    try:
        return next(model.parameters()).device
    except StopIteration:
        return torch.device("cpu")
