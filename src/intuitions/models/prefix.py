"""Shared-prefix scoring for the transformers backend: few-shot label scoring asks for many
short suffixes after long prompts that share their demonstrations, so every distinct prefix
(and every stem shared by several prefixes) is run once and its KV cache reused."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import torch

if TYPE_CHECKING:
    from intuitions.models.base import TokenScores


class PrefixReuse:
    """Mixed into HFScorer: uses its model body, head and padding helpers."""

    # Provided by the host class (HFScorer); declared here for the type checker only.
    model: Any
    window: int
    token_budget: int

    if TYPE_CHECKING:
        def score(self, seqs: Sequence[Sequence[int]]) -> list[TokenScores]: ...
        def _hidden_and_head(self) -> tuple[Any, Any]: ...
        def _right_pad(self, rows: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]: ...
        def _target_logprobs(self, head, h: torch.Tensor, targets: torch.Tensor) -> torch.Tensor: ...

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
