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
  tokens [k*stride, k*stride + window) and scores the tokens no earlier window scored.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from safetensors import SafetensorError

from intuitions.errors import ModelNotFound, UnreadableModel, UnsafeModel, UserError
from intuitions.models import files, hub
from intuitions.models.allocator import keep_freed_memory
from intuitions.models.base import Encoding, TokenScores
from intuitions.models.tokenizer import LocalTokenizer

HEAD_CHUNK = 1024  # positions per LM-head pass
VOCAB_BLOCK = 1024  # CPU logits block: [1,024 positions x 1,024 ids] float32 is 4 MB, cache-sized
CPU_ACTIVATION_BYTES = 6 << 20  # target size of the widest activation in a CPU batch


@dataclass(frozen=True)
class HFOptions:
    dtype: str = "float32"  # or "bfloat16": matmuls in bf16, log-softmax always in fp32
    bos: str = "auto"  # auto: prepend BOS (or EOS when the model has none); none: nothing
    window: int | None = None  # defaults to the model's context length
    stride: int | None = None  # defaults to window // 2
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


def _tokenizer_digest(tok) -> str:
    try:
        state = tok.backend_tokenizer.to_str()
    except Exception:  # slow tokenizers have no serialised form
        state = json.dumps(sorted(tok.get_vocab().items()))
    return hashlib.sha256(state.encode()).hexdigest()[:16]


class HFScorer:
    def __init__(self, model, tokenizer, name: str, options: HFOptions = HFOptions()):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.name = name
        self.options = options
        if options.threads:
            torch.set_num_threads(options.threads)
        if _device(model).type == "cpu":
            keep_freed_memory()  # ~10% on CPU: activations stop page-faulting (allocator.py)
        cfg = model.config
        ctx = getattr(cfg, "max_position_embeddings", None) or 2048
        self.window = options.window or min(ctx, 8192)
        if self.window < 2:
            raise UserError("window must be at least 2 tokens")
        self.stride = options.stride or max(1, self.window // 2)
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
                    "tokenizer": _tokenizer_digest(tokenizer),
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

    def _head_pass(self, head, h: torch.Tensor, t: torch.Tensor, stats: bool):
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

    # -- shared-prefix scoring ------------------------------------------------------------
    @torch.inference_mode()
    def score_suffixes(self, pairs: Sequence[tuple[Sequence[int], Sequence[int]]]) -> list[float]:
        """Summed logprob of each suffix given its prefix, every distinct prefix run once.

        Few-shot label scoring asks for several short labels after one long prompt, and
        several prompts often open with the same demonstrations (a query and its content-free
        twin; queries drawn from a small pool). So scoring runs in up to three cached passes:
        stems (a long opening that two or more prefixes share), then each prefix's remainder
        on top of its stem's cache rows, then every suffix on top of its prefix's rows. Each
        pass is one right-padded batch: the mask hides the padding left in the cache, and
        position ids continue from each row's own length. The first suffix token is scored
        from the prefix's last position. Pairs too long for the window (or sliding window),
        or with an empty prefix, take the plain path."""
        out = [0.0] * len(pairs)
        groups: dict[tuple[int, ...], list[int]] = {}
        plain: list[int] = []
        limit = min(self.window, getattr(self.model.config, "sliding_window", None) or self.window)
        for i, (pre, suf) in enumerate(pairs):
            if not suf:
                continue
            if not pre or len(pre) + len(suf) > limit:
                plain.append(i)
            else:
                groups.setdefault(tuple(pre), []).append(i)
        if plain:
            full = self.score([list(pairs[i][0]) + list(pairs[i][1]) for i in plain])
            for i, s in zip(plain, full):
                out[i] = s.total(len(pairs[i][0]))
        by_stem: dict[tuple[int, ...], list[tuple[int, ...]]] = {}
        for pre, stem in shared_stems(list(groups)).items():
            by_stem.setdefault(stem or pre, []).append(pre)  # no stem: a group of one
        stem_of = {p: st for st, ps in by_stem.items() for p in ps if st != p}
        # A chunk holds whole stem groups, longest first, its prefix pass under the token
        # budget (the suffix pass sizes its own batches).
        chunk: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
        rows = width = 0
        for key in sorted(by_stem, key=lambda st: -max(map(len, by_stem[st]))):
            pres = by_stem[key]
            need, w = len(pres), max(map(len, pres))
            if chunk and (rows + need) * max(width, w) > self.token_budget:
                self._score_prefix_chunk(chunk, groups, pairs, out)
                chunk, rows, width = [], 0, 0
            chunk += [(stem_of.get(p, ()), p) for p in pres]
            rows, width = rows + need, max(width, w)
        if chunk:
            self._score_prefix_chunk(chunk, groups, pairs, out)
        return out

    def _score_prefix_chunk(self, chunk, groups, pairs, out) -> None:
        """chunk: (stem, prefix) with stem a proper prefix of prefix, or () for none."""
        body, head = self._hidden_and_head()
        plain = [p for st, p in chunk if not st]
        stemmed = [(st, p) for st, p in chunk if st]
        states = []
        if plain:
            states.append((plain, self._extend(body, [list(p) for p in plain])))
        if stemmed:
            stems = list(dict.fromkeys(st for st, _ in stemmed))
            _, base = self._extend(body, [list(st) for st in stems])
            row = {st: r for r, st in enumerate(stems)}
            states.append(([p for _, p in stemmed], self._extend(
                body, [list(p[len(st):]) for st, p in stemmed], base, [row[st] for st, _ in stemmed])))
        for prefixes, (last, state) in states:
            self._score_suffix_rows(body, head, prefixes, last, state, groups, pairs, out)

    def _extend(self, body, segments: list[list[int]], parent=None, parent_rows=None):
        """Run right-padded segments, each on top of its parent row's cache when given.
        Returns (hidden state at each segment's last token, (cache, mask, lengths))."""
        ids, smask = self._right_pad(segments)
        if parent is None:
            cache, mask, lens0, pos = None, smask, torch.zeros(len(segments), dtype=torch.long), None
        else:
            pcache, pmask, plens = parent
            idx = torch.tensor(parent_rows)
            cache = self._select(pcache, idx)
            mask, lens0 = torch.cat([pmask[idx], smask], 1), plens[idx]
            pos = lens0[:, None] + torch.arange(ids.shape[1])[None, :]
        kw = {"cache": cache} if cache is not None else {}
        res = body(input_ids=ids, attention_mask=mask, position_ids=pos, use_cache=True, **kw)
        n = smask.sum(1)
        last = res.last_hidden_state[torch.arange(len(segments)), n - 1]
        return last, (res.cache, mask, lens0 + n)

    @staticmethod
    def _select(cache, idx: torch.Tensor):
        """The cache rows idx (repeats allowed), leaving `cache` intact for other passes.
        A DynamicLayer only rebinds its tensors (select indexes, update concatenates), so
        copying the layer objects is enough; any other layer kind is deep-copied."""
        import copy

        from transformers.cache_utils import DynamicLayer

        layers = getattr(cache, "layers", None)
        if layers is not None and all(type(layer) is DynamicLayer for layer in layers):
            cache = copy.copy(cache)
            cache.layers = [copy.copy(layer) for layer in layers]
        else:
            cache = copy.deepcopy(cache)
        cache.batch_select_indices(idx)
        return cache

    def _score_suffix_rows(self, body, head, prefixes, last, state, groups, pairs, out) -> None:
        rows = [(g, i) for g, p in enumerate(prefixes) for i in groups[p]]
        g_of = torch.tensor([g for g, _ in rows])
        first = self._target_logprobs(head, last[g_of], torch.tensor([pairs[i][1][0] for _, i in rows]))
        for (_, i), lp in zip(rows, first.tolist()):
            out[i] = lp
        rest = [(g, i) for g, i in rows if len(pairs[i][1]) > 1]
        cache_width = state[1].shape[1]
        per_row = max(len(pairs[i][1]) for _, i in rest) + cache_width if rest else 1
        step = max(1, self.token_budget // per_row)
        for s in range(0, len(rest), step):
            batch = rest[s : s + step]
            h = self._extend_all(body, [list(pairs[i][1][:-1]) for _, i in batch], state, [g for g, _ in batch])
            targets = torch.tensor([t for _, i in batch for t in pairs[i][1][1:]])
            lp = self._target_logprobs(head, h, targets)
            start = 0
            for _, i in batch:
                k = len(pairs[i][1]) - 1
                out[i] += float(lp[start : start + k].double().sum())
                start += k

    def _extend_all(self, body, segments, parent, parent_rows):
        """Like _extend, but the hidden states at every real segment position."""
        ids, smask = self._right_pad(segments)
        pcache, pmask, plens = parent
        idx = torch.tensor(parent_rows)
        pos = plens[idx][:, None] + torch.arange(ids.shape[1])[None, :]
        h = body(input_ids=ids, attention_mask=torch.cat([pmask[idx], smask], 1), position_ids=pos,
                 cache=self._select(pcache, idx), use_cache=True).last_hidden_state
        return h[smask.bool()]

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
        return [_cut(text, stop) for text in tok.batch_decode(gen[:, T:], skip_special_tokens=True)]


def shared_stems(prefixes: Sequence[tuple[int, ...]], min_len: int = 8) -> dict[tuple[int, ...], tuple[int, ...]]:
    """For each prefix, the longest opening it shares with another prefix (at least min_len
    tokens and half of itself, at least one token short of itself), or () when none.

    In sorted order a prefix's longest common opening with any other is the one with a
    neighbour. Prefixes then meet on equal stems: a query and its content-free twin share
    their whole demonstration block."""
    order = sorted(prefixes)
    lcp = [_common(a, b) for a, b in zip(order, order[1:])]
    out = {}
    for k, p in enumerate(order):
        n = max(lcp[k - 1] if k else 0, lcp[k] if k < len(lcp) else 0, 0)
        n = min(n, len(p) - 1)
        # A short stem saves less than its extra cached pass costs (measured: first-demo
        # stems of 8-shot prompts made scoring ~10% slower), so it must be half the prefix.
        out[p] = p[:n] if n >= max(min_len, len(p) // 2) else ()
    # A stem used by one prefix alone saves nothing and costs a pass.
    uses: dict[tuple[int, ...], int] = {}
    for st in out.values():
        uses[st] = uses.get(st, 0) + 1
    return {p: st if uses[st] > 1 else () for p, st in out.items()}


def _common(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


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


def _cut(text: str, stop: Sequence[str]) -> str:
    ends = [text.index(s) + len(s) for s in stop if s in text]
    return text[: min(ends)] if ends else text
