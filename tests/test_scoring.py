"""The narrow waist on a tiny real model: batch invariance, sliding window, cache."""

import numpy as np
import pytest

from intuitions.models.base import continuation_ids, score_continuations, score_texts, tokenize
from intuitions.models.cache import CachedScorer, ScoreCache
from intuitions.models.hf import HFOptions, HFScorer

TEXTS = [
    "The cat sat on the mat.",
    "One, two, three, four, five, six, seven, eight, nine, ten. The dogs sit on the mats.",
    "Input: I loved this film. Output: positive",
    "안녕하세요 세계",
    "x",
]


def test_position_zero_unscored_rest_finite(tiny_scorer):
    for s in score_texts(tiny_scorer, TEXTS):
        assert np.isnan(s.logprobs[0])
        assert np.all(np.isfinite(s.logprobs[1:]))
        assert np.all(s.logprobs[1:] <= 0)
        assert s.ranks[1:].min() >= 1
        assert s.offsets[0] == (0, 0)  # the BOS the policy added


def test_batch_invariance(tiny_scorer):
    seqs = tokenize(tiny_scorer, TEXTS)
    together = tiny_scorer.score(seqs)
    for seq, batched in zip(seqs, together):
        alone = tiny_scorer.score([seq])[0]
        np.testing.assert_allclose(batched.logprobs, alone.logprobs, atol=1e-4, equal_nan=True)
        np.testing.assert_array_equal(batched.ranks, alone.ranks)


def test_logprobs_match_plain_forward(tiny_scorer):
    import torch

    seq = tokenize(tiny_scorer, [TEXTS[1]])[0]
    with torch.no_grad():
        logits = tiny_scorer.model(torch.tensor([seq])).logits[0].double()
    ref = torch.log_softmax(logits, -1)[torch.arange(len(seq) - 1), torch.tensor(seq[1:])].numpy()
    got = tiny_scorer.score([seq])[0].logprobs[1:]
    np.testing.assert_allclose(got, ref, atol=1e-4)


def test_entropy_is_entropy(tiny_scorer):
    import torch

    seq = tokenize(tiny_scorer, [TEXTS[0]])[0]
    with torch.no_grad():
        lp = torch.log_softmax(tiny_scorer.model(torch.tensor([seq])).logits[0].double(), -1)
    ent = -(lp.exp() * lp).sum(-1).numpy()[:-1]
    np.testing.assert_allclose(tiny_scorer.score([seq])[0].entropies[1:], ent, atol=1e-4)


def test_sliding_window_scores_every_token(tiny_model_dir):
    w = 16
    sc = HFScorer.load(str(tiny_model_dir), options=HFOptions(window=w, stride=8))
    seq = tokenize(sc, [" ".join(TEXTS[:3]) * 3])[0][: 3 * w]
    assert len(seq) == 3 * w
    s = sc.score([seq])[0]
    assert np.isnan(s.logprobs[0]) and np.all(np.isfinite(s.logprobs[1:]))
    # the first window is scored exactly as a short text would be
    np.testing.assert_allclose(s.logprobs[1:w], sc.score([seq[:w]])[0].logprobs[1:], atol=1e-5)


def test_stride_equal_window_is_independent_chunks(tiny_model_dir):
    w = 16
    sc = HFScorer.load(str(tiny_model_dir), options=HFOptions(window=w, stride=w))
    seq = tokenize(sc, [" ".join(TEXTS[:3]) * 3])[0][: 3 * w]
    s = sc.score([seq])[0]
    chunks = np.concatenate([sc.score([seq[k * w:(k + 1) * w]])[0].logprobs for k in range(3)])
    np.testing.assert_allclose(s.logprobs, chunks, atol=1e-5, equal_nan=True)


def test_continuations_equal_concatenation(tiny_scorer):
    ctx = ["Input: I loved this film. Output:"] * 2
    conts = [" positive", " negative"]
    got = score_continuations(tiny_scorer, ctx, conts)
    for g, c in zip(got, conts):
        full = tokenize(tiny_scorer, [ctx[0]])[0] + tokenize(tiny_scorer, [c], add_prefix=False)[0]
        s = tiny_scorer.score([full])[0]
        n_ctx = len(tokenize(tiny_scorer, [ctx[0]])[0])
        assert g.logprob == pytest.approx(s.total(n_ctx), abs=1e-4)
        assert g.n_tokens == len(full) - n_ctx


def test_cache_identical_and_resumes(tiny_scorer, tmp_path):
    seqs = tokenize(tiny_scorer, TEXTS)
    fresh = tiny_scorer.score(seqs)
    cache = ScoreCache(tmp_path / "c.sqlite")

    class Dies(Exception):
        pass

    class Flaky:
        """Dies on its second batch, like a run killed half-way."""
        name, fingerprint = tiny_scorer.name, tiny_scorer.fingerprint
        calls = 0

        def score(self, s, progress=None):
            Flaky.calls += 1
            if Flaky.calls == 2:
                raise Dies
            return tiny_scorer.score(s)

    first = CachedScorer(Flaky(), cache, batch_size=2)
    with pytest.raises(Dies):
        first.score(seqs)
    assert first.computed == 2  # one batch finished and was written

    resumed = CachedScorer(tiny_scorer, cache, batch_size=2)
    again = resumed.score(seqs)
    assert resumed.computed == len(seqs) - 2
    for a, b in zip(fresh, again):  # batch composition differs, so not bit-equal
        np.testing.assert_allclose(a.logprobs, b.logprobs, atol=1e-4)
    third = CachedScorer(tiny_scorer, cache, batch_size=2)
    cached = third.score(seqs)
    assert third.computed == 0
    for a, b in zip(again, cached):  # what the cache returns is exactly what was computed
        np.testing.assert_array_equal(a.logprobs, b.logprobs)
        np.testing.assert_array_equal(a.ranks, b.ranks)
        np.testing.assert_array_equal(a.entropies, b.entropies)


def test_fingerprint_changes_with_policy_and_weights(tiny_model_dir, tiny_scorer, tmp_path):
    from intuitions.testing import make_tiny_model

    other = HFScorer.load(str(tiny_model_dir), options=HFOptions(bos="none"))
    assert other.fingerprint != tiny_scorer.fingerprint
    reseeded = HFScorer.load(str(make_tiny_model(tmp_path / "m2", seed=1)))
    assert reseeded.fingerprint != tiny_scorer.fingerprint
    same = HFScorer.load(str(tiny_model_dir))
    assert same.fingerprint == tiny_scorer.fingerprint


def test_bf16_close_to_fp32(tiny_model_dir, tiny_scorer):
    bf = HFScorer.load(str(tiny_model_dir), options=HFOptions(dtype="bfloat16"))
    seqs = tokenize(tiny_scorer, TEXTS[:2])
    a, b = tiny_scorer.score(seqs), bf.score(seqs)
    for x, y in zip(a, b):
        assert np.nanmax(np.abs(x.logprobs - y.logprobs)) < 0.5


def test_generate_is_greedy_and_deterministic(tiny_scorer):
    a = tiny_scorer.generate(["The cat"], 5)
    assert a == tiny_scorer.generate(["The cat"], 5)
    assert isinstance(a[0], str)


@pytest.mark.parametrize("head_kind", ["linear", "module"])
@pytest.mark.parametrize("softcap", [None, 3.0])
def test_vocabulary_blocks_match_full_log_softmax(tiny_scorer, monkeypatch, softcap, head_kind):
    """The head's online pass over vocabulary blocks (a block size that does not divide the
    vocabulary, so the ragged last block is covered) against float64 log-softmax of the
    full logits: logprob, rank and entropy. A head that is not one Linear is run once."""
    import torch

    from intuitions.models import hf

    monkeypatch.setattr(hf, "VOCAB_BLOCK", 100)
    monkeypatch.setattr(tiny_scorer, "softcap", softcap)
    calls = []
    if head_kind == "module":
        body, linear = tiny_scorer._hidden_and_head()

        class Head(torch.nn.Module):
            def forward(self, h):
                calls.append(h.shape[0])
                return linear(h)

        monkeypatch.setattr(tiny_scorer, "_hidden_and_head", lambda: (body, Head()))
    seq = tokenize(tiny_scorer, [TEXTS[1]])[0]
    with torch.no_grad():
        z = tiny_scorer.model(torch.tensor([seq])).logits[0, :-1].double()
    if softcap:
        z = torch.tanh(z / softcap) * softcap
    lp_all = torch.log_softmax(z, -1)
    tgt = torch.tensor(seq[1:])
    ref_lp = lp_all[torch.arange(len(tgt)), tgt]
    ref_rank = (lp_all > ref_lp[:, None]).sum(1) + 1
    ref_ent = -(lp_all.exp() * lp_all).sum(1)
    got = tiny_scorer.score([seq])[0]
    np.testing.assert_allclose(got.logprobs[1:], ref_lp.numpy(), atol=1e-4)
    np.testing.assert_allclose(got.entropies[1:], ref_ent.numpy(), atol=1e-4)
    assert np.mean(got.ranks[1:] == ref_rank.numpy()) == 1.0
    assert calls == ([len(seq) - 1] if head_kind == "module" else [])


def test_continuation_scores_are_cached_and_resume(tiny_scorer, tmp_path):
    """score_suffixes (the few-shot fast path) goes through the cache too: a run killed after
    its first chunk keeps that chunk, the rerun computes only the rest, and a cached sum is
    the computed one exactly. A context split elsewhere is a different entry."""
    cache = ScoreCache(tmp_path / "s.sqlite")
    ctxs = ["Input: good film\\nOutput:", "Input: bad film\\nOutput:", "Input: fine\\nOutput:"]
    conts = [" positive", " negative"]
    cc, kk = [c for c in ctxs for _ in conts], conts * len(ctxs)
    fresh = score_continuations(tiny_scorer, cc, kk)

    class Dies(Exception):
        pass

    class Flaky:
        name, fingerprint, calls = tiny_scorer.name, tiny_scorer.fingerprint, 0

        def encode(self, texts, add_prefix=True):
            return tiny_scorer.encode(texts, add_prefix=add_prefix)

        def score_suffixes(self, pairs):
            Flaky.calls += 1
            if Flaky.calls == 2:
                raise Dies
            return tiny_scorer.score_suffixes(pairs)

    first = CachedScorer(Flaky(), cache)
    score_continuations(first, cc[:2], kk[:2])
    with pytest.raises(Dies):
        score_continuations(first, cc, kk)
    resumed = CachedScorer(tiny_scorer, cache)
    again = score_continuations(resumed, cc, kk)
    assert resumed.computed == len(cc) - 2
    assert [a.logprob for a in again] == pytest.approx([f.logprob for f in fresh], abs=1e-4)
    third = CachedScorer(tiny_scorer, cache)
    assert [a.logprob for a in score_continuations(third, cc, kk)] == [a.logprob for a in again]
    assert third.computed == 0
    # The same tokens split one token earlier: not the cached quantity.
    (c, k), = continuation_ids(tiny_scorer, cc[:1], kk[:1])
    third.score_suffixes([(c[:-1], [c[-1], *k])])
    assert third.computed == 1
    # An inner scorer without the fast path: the cache offers none either.
    assert not hasattr(CachedScorer(object.__new__(type("Plain", (), {"name": "p", "fingerprint": "f"})), cache),
                       "score_suffixes")


def test_long_texts_are_scored_once_each_with_at_least_512_tokens_of_context():
    """Half-overlapping 8k windows scored every token of a long text twice (a 200 KB text took
    minutes); windows now overlap by half only up to 512 tokens."""
    from intuitions.models.windows import MIN_CONTEXT, default_stride, windows

    assert [default_stride(w) for w in (2, 128, 1024, 2048, 8192)] == [1, 64, 512, 1536, 7680]
    ws = windows(50_000, 2048, default_stride(2048))
    scored = [p for w in ws for p in range(w.first_new, w.end)]
    assert scored == list(range(1, 50_000))  # every token but the first, once
    assert all(w.first_new - w.start >= MIN_CONTEXT for w in ws[1:])
    assert len(scored) / sum(w.end - w.start for w in ws) > 0.74  # was 0.5 with half-overlap
