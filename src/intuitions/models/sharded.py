"""Scoring spread over Ray actors: one model's prompts over several replicas, or many
models (a whole ladder) at once, on this machine or a cluster.

    sc = ShardedScorer("family:quick/L3W96", replicas=4)   # a Scorer like any other
    by_model = score_many(zoo.expand("family:quick"), seqs)  # one actor per model

Each actor loads its model once (with `zoo.load`, so every backend works) and scores the
shards it is sent. A `ShardedScorer` has the fingerprint of the model it serves, so its
scores share the on-disk cache with the single-process scorer: wrap it in `CachedScorer`
(`load_sharded` does) and a run on a cluster and a run on a laptop fill the same cache.

Shards are contiguous slices balanced by token count, longest-first inside each actor's
backend as usual; the caller's order is restored. Scores are the same as unsharded:
every backend's scores are independent of what a sequence is batched with."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from intuitions.errors import UserError
from intuitions.models.base import Encoding, TokenScores, TokensDone, report_done
from intuitions.models.hf import HFOptions


@dataclass(frozen=True)
class ActorResources:
    num_cpus: float = 1.0  # also the actor's torch threads
    num_gpus: float = 0.0


class _ScorerActor:
    """Holds one loaded scorer inside a Ray worker."""

    def __init__(self, spec: str, options: dict, threads: int):
        import torch

        from intuitions.models import zoo

        torch.set_num_threads(max(1, threads))
        self.scorer = zoo.load(spec, HFOptions(**options), cache=False)

    def identity(self) -> tuple[str, str, int | None, int | None]:
        return self.scorer.name, self.scorer.fingerprint, self.scorer.n_params, self.scorer.eos_id

    def encode(self, texts: list[str], add_prefix: bool) -> list[Encoding]:
        return self.scorer.encode(texts, add_prefix=add_prefix)

    def score(self, seqs: list[list[int]]) -> list[TokenScores]:
        return self.scorer.score(seqs)

    def generate(self, prompts: list[str], max_new_tokens: int, stop: tuple[str, ...] = ()) -> list[str]:
        return self.scorer.generate(prompts, max_new_tokens, stop=stop)


def shards(lengths: Sequence[int], n: int) -> list[list[int]]:
    """Split indices 0..len-1 into at most n contiguous runs of about equal total length."""
    total = float(sum(lengths))
    if not lengths:
        return []
    out, cur, acc = [], [], 0.0
    for i, ln in enumerate(lengths):
        cur.append(i)
        acc += ln
        if len(out) < n - 1 and acc >= total * (len(out) + 1) / n:
            out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    return out


def _actor_class(ray, res: ActorResources):
    from intuitions.raycluster import driver_env

    # The driver's INTUITIONS_HOME / ladder root travel with the actor, so `family:` specs
    # resolve to the same folders there (on a cluster: a filesystem every node mounts).
    return ray.remote(num_cpus=res.num_cpus, num_gpus=res.num_gpus,
                      runtime_env={"env_vars": driver_env()})(_ScorerActor)


def _options(options: HFOptions) -> dict:
    return dataclasses.asdict(options)


class ShardedScorer:
    """The Scorer protocol over `replicas` actors that all hold the same model."""

    def __init__(self, spec: str, replicas: int = 2, options: HFOptions | None = None,
                 resources: ActorResources = ActorResources(), address: str | None = None):
        from intuitions.raycluster import ensure_ray

        options = options or HFOptions()

        if replicas < 1:
            raise UserError(f"replicas must be positive, got {replicas}")
        ray = ensure_ray(address)
        self._ray = ray
        cls = _actor_class(ray, resources)
        threads = int(max(1, resources.num_cpus))
        self.actors = [cls.remote(spec, _options(options), threads) for _ in range(replicas)]
        idents = ray.get([a.identity.remote() for a in self.actors])
        if len(set(idents)) != 1:
            raise UserError(f"the replicas of {spec!r} loaded different models: {sorted(set(idents))}")
        self.name, self.fingerprint, self.n_params, self.eos_id = idents[0]

    def encode(self, texts: Sequence[str], add_prefix: bool = True) -> list[Encoding]:
        return self._ray.get(self.actors[0].encode.remote(list(texts), add_prefix))

    def score(self, seqs: Sequence[Sequence[int]], progress: TokensDone | None = None) -> list[TokenScores]:
        out = self._score_all(seqs)
        report_done(progress, seqs)
        return out

    def _score_all(self, seqs: Sequence[Sequence[int]]) -> list[TokenScores]:
        seqs = [list(map(int, s)) for s in seqs]
        parts = shards([len(s) for s in seqs], len(self.actors))
        refs = [a.score.remote([seqs[i] for i in part]) for a, part in zip(self.actors, parts)]
        out: list[TokenScores | None] = [None] * len(seqs)
        for part, res in zip(parts, self._ray.get(refs)):
            for i, s in zip(part, res):
                out[i] = s
        return out  # type: ignore[return-value]

    def generate(self, prompts: Sequence[str], max_new_tokens: int, stop: Sequence[str] = ()) -> list[str]:
        prompts, stop = list(prompts), tuple(stop)
        parts = shards([len(p) for p in prompts], len(self.actors))
        refs = [a.generate.remote([prompts[i] for i in part], max_new_tokens, stop)
                for a, part in zip(self.actors, parts)]
        out = [""] * len(prompts)
        for part, res in zip(parts, self._ray.get(refs)):
            for i, s in zip(part, res):
                out[i] = s
        return out

    def close(self) -> None:
        for a in self.actors:
            self._ray.kill(a)  # pyright: ignore[reportArgumentType]  # ray's stubs: .remote() gives an ActorProxy
        self.actors = []


def load_sharded(spec: str, replicas: int = 2, options: HFOptions | None = None,
                 resources: ActorResources = ActorResources(), address: str | None = None, cache: bool = True):
    sc = ShardedScorer(spec, replicas, options, resources, address)
    if not cache:
        return sc
    from intuitions import paths
    from intuitions.models.cache import CachedScorer, ScoreCache

    return CachedScorer(sc, ScoreCache(paths.score_cache_path()))


@dataclass(frozen=True)
class ModelScores:
    spec: str
    name: str
    fingerprint: str
    scores: list[TokenScores]

    def mean_loss(self) -> float:
        """Mean nats per scored token over all sequences."""
        lp = np.concatenate([s.logprobs for s in self.scores]) if self.scores else np.zeros(0)
        return float(-np.nanmean(lp)) if np.isfinite(lp).any() else float("nan")


def score_many(specs: Sequence[str], seqs: Sequence[Sequence[int]] | None = None,
               texts: Sequence[str] | None = None, options: HFOptions | None = None,
               resources: ActorResources = ActorResources(), address: str | None = None) -> list[ModelScores]:
    """Score the same prompts with many models at once, one actor per model. Give token ids
    (`seqs`, for models that share a tokenizer) or `texts` (each model tokenizes its own)."""
    from intuitions.raycluster import ensure_ray

    if (seqs is None) == (texts is None):
        raise UserError("give either seqs or texts")
    options = options or HFOptions()
    ray = ensure_ray(address)
    cls = _actor_class(ray, resources)
    threads = int(max(1, resources.num_cpus))
    actors = [cls.remote(s, _options(options), threads) for s in specs]
    try:
        idents = ray.get([a.identity.remote() for a in actors])
        if texts is not None:
            encs = ray.get([a.encode.remote(list(texts), True) for a in actors])
            refs = [a.score.remote([e.ids for e in enc]) for a, enc in zip(actors, encs)]
        else:
            assert seqs is not None  # exactly one of seqs and texts, checked above
            ids = [list(map(int, s)) for s in seqs]
            refs = [a.score.remote(ids) for a in actors]
        results = ray.get(refs)
    finally:
        for a in actors:
            ray.kill(a)  # pyright: ignore[reportArgumentType]  # ray's stubs: .remote() gives an ActorProxy
    return [ModelScores(spec, name, fp, res) for spec, (name, fp, *_), res in zip(specs, idents, results)]
