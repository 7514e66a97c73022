"""Every backend keeps the whole `Scorer` contract (models/base.py): `n_params`, and
`generate(prompts, max_new_tokens, stop=...)` returning each text up to and including its
first stop string, natively or by cutting. Experiments rely on nothing else."""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np
import pytest
import torch

from intuitions.models.base import Scorer, cut_at_stop
from intuitions.models.cache import CachedScorer, ScoreCache
from intuitions.models.hf import HFScorer
from intuitions.models.llamacpp import LlamaCppScorer, LlamaCppSpec
from intuitions.models.openai_server import OpenAIScorer, ServerSpec
from intuitions.models.sharded import ShardedScorer, _ScorerActor
from intuitions.models.tokenizer import LocalTokenizer
from intuitions.models.vllm import VLLMScorer, VLLMSpec

PROMPTS = ["The cat sat", "What is 3 + 4?"]
SRC = Path(__file__).resolve().parents[1] / "src" / "intuitions"


def _takes_stop(method) -> bool:
    p = inspect.signature(method).parameters.get("stop")
    return p is not None and p.default == ()


def _a_stop(texts: list[str]) -> str:
    """An ASCII character from inside a generated text (so cutting at it changes something)."""
    for t in texts:
        for ch in t[1:]:
            if ch.isascii() and not ch.isspace():
                return ch
    raise AssertionError(f"the tiny model generated no usable text: {texts!r}")


def _honours_stop(sc, reference: HFScorer | None = None) -> None:
    full = sc.generate(PROMPTS, 8)
    stop = (_a_stop(full), "\x00")
    cut = sc.generate(PROMPTS, 8, stop=stop)
    assert cut == [cut_at_stop(t, stop) for t in full]
    assert any(len(c) < len(t) for c, t in zip(cut, full))
    if reference is not None:  # the same text as the hf backend, stop strings included
        assert full == reference.generate(PROMPTS, 8)
        assert cut == reference.generate(PROMPTS, 8, stop=stop)


@pytest.mark.parametrize("cls", [HFScorer, CachedScorer, OpenAIScorer, VLLMScorer, LlamaCppScorer,
                                 ShardedScorer, _ScorerActor])
def test_every_backend_class_takes_stop_strings(cls):
    assert _takes_stop(cls.generate)


@pytest.mark.parametrize("cls", [HFScorer, CachedScorer, OpenAIScorer, VLLMScorer, LlamaCppScorer, ShardedScorer])
def test_every_backend_class_reports_tokens_scored(cls):
    p = inspect.signature(cls.score).parameters.get("progress")
    assert p is not None and p.default is None


def test_progress_counts_every_scored_token_once(tiny_scorer, tmp_path):
    """Through the cache wrapper too: cached sequences at once, the rest as the backend reports."""
    from intuitions.models.cache import CachedScorer, ScoreCache

    seqs = [e.ids for e in tiny_scorer.encode(PROMPTS + ["a longer text " * 30])]
    want = sum(len(s) - 1 for s in seqs)
    for sc in (tiny_scorer, CachedScorer(tiny_scorer, ScoreCache(tmp_path / "s.sqlite"))):
        for _ in range(2):  # the second pass through the cache finds everything cached
            got: list[int] = []
            sc.score(seqs, progress=got.append)
            assert sum(got) == want


def test_cut_at_stop_keeps_the_earliest_stop_string():
    assert cut_at_stop("12 + 3 = 15.\nQ:", ("\n", ".")) == "12 + 3 = 15."
    assert cut_at_stop("abc", ()) == "abc" and cut_at_stop("abc", ("x",)) == "abc"
    assert cut_at_stop("a<eos>b", ("<eos>", "b")) == "a<eos>"


def test_hf_counts_every_parameter_once_and_honours_stop(tiny_scorer: HFScorer):
    m, n = tiny_scorer.model, tiny_scorer.n_params
    assert n is not None and n == m.num_parameters() == sum(p.numel() for p in m.parameters())
    assert n < sum(p.numel() for p in m.state_dict().values())  # the tied head counted once
    assert isinstance(tiny_scorer, Scorer)
    _honours_stop(tiny_scorer)


def test_the_cache_wrapper_passes_the_contract_through(tiny_scorer, tmp_path):
    sc = CachedScorer(tiny_scorer, ScoreCache(tmp_path / "s.sqlite"))
    assert isinstance(sc, Scorer) and sc.n_params == tiny_scorer.n_params
    _honours_stop(sc, tiny_scorer)


class _Completions:
    """An OpenAI server's /completions answered by the hf model (greedy, no stop)."""

    def __init__(self, hf: HFScorer):
        self.hf = hf

    def request(self, path: str, body: dict | None = None) -> dict:
        if path == "/models":
            return {"data": []}
        assert body is not None and "stop" not in body
        return {"choices": [{"text": self.hf.generate([body["prompt"]], body["max_tokens"])[0]}]}


def test_openai_cannot_tell_its_size_and_cuts_at_stop_itself(tiny_scorer, tiny_model_dir):
    spec = ServerSpec("http://x/v1", "m", str(tiny_model_dir))
    sc = OpenAIScorer(spec, LocalTokenizer.load(str(tiny_model_dir)), transport=_Completions(tiny_scorer))
    assert isinstance(sc, Scorer) and sc.n_params is None
    _honours_stop(sc, tiny_scorer)


def test_vllm_declares_its_size_unknown():
    tok = LocalTokenizer(SimpleNamespace(bos_token_id=0, eos_token_id=0,
                                         backend_tokenizer=SimpleNamespace(to_str=lambda: "t")))
    llm = SimpleNamespace(llm_engine=SimpleNamespace(model_config=SimpleNamespace(max_model_len=8)))
    sc = VLLMScorer(VLLMSpec("tiny"), tok, llm=llm)
    assert isinstance(sc, Scorer) and sc.n_params is None


class _FakeLlama:
    """llama_cpp.Llama's eval/scores interface, computed by the hf model."""

    def __init__(self, hf: HFScorer, **kw):
        self.hf, self.ids = hf, []
        self.metadata: dict = {}
        self._model = SimpleNamespace(n_params=lambda: hf.n_params)

    def n_ctx(self) -> int:
        return 64

    def token_eos(self) -> int:
        return self.hf.tokenizer.eos_token_id

    def reset(self) -> None:
        self.ids = []

    def eval(self, ids) -> None:
        self.ids = self.ids + list(ids)

    @property
    def n_tokens(self) -> int:
        return len(self.ids)

    @property
    def scores(self) -> np.ndarray:
        with torch.no_grad():
            return self.hf.model(torch.tensor([self.ids])).logits[0].float().numpy()


def test_llamacpp_reports_llama_cpp_s_count_and_honours_stop(tiny_scorer, tiny_model_dir, tmp_path, monkeypatch):
    fake = ModuleType("llama_cpp")
    fake.Llama = lambda **kw: _FakeLlama(tiny_scorer, **kw)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "llama_cpp", fake)
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    sc = LlamaCppScorer(LlamaCppSpec(gguf), LocalTokenizer.load(str(tiny_model_dir)))
    assert isinstance(sc, Scorer) and sc.n_params == tiny_scorer.n_params
    _honours_stop(sc, tiny_scorer)


def test_experiments_ask_the_scorer_not_its_insides():
    """No walking `.inner` chains, inspecting signatures, or counting a backend's tensors."""
    reach = re.compile(r"\.inner\b|inspect\.signature|\.num_parameters\(|\.numel\(|getattr\(scorer")
    found = [f"{p.relative_to(SRC)}:{i}" for p in sorted((SRC / "experiments").rglob("*.py"))
             for i, line in enumerate(p.read_text().splitlines(), 1) if reach.search(line)]
    assert not found
