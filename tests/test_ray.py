"""Ray: a smoke ladder trained as Ray tasks on a local Ray instance, then scored by Ray
actors, with the same numbers as training and scoring in this process."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

ray = pytest.importorskip("ray")

from intuitions.errors import UserError  # noqa: E402
from intuitions.family.ray_executor import TaskResources, driver_env, ensure_ray, run  # noqa: E402
from intuitions.models.sharded import ActorResources, ShardedScorer, score_many, shards  # noqa: E402

# Ship this module's helper functions to the workers by value (they cannot import tests).
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])

TEXTS = ["Q: 3 + 4 = ? A: 7", "The cat sat on the mat.", "x", "a b c d e f g h i j k l m n o p"]


@pytest.fixture(scope="module")
def ray_local():
    os.environ["RAY_AUTH_MODE"] = "disabled"  # Ray >= 2.5x turns token auth on by default
    r = ensure_ray(num_cpus=2)
    yield r
    r.shutdown()


def _square(x, progress=None):
    if progress:
        progress("sq", x, x, 0.0, 0.0)
    if x < 0:
        raise UserError(f"negative {x}")
    return x * x


def test_run_keeps_order_relays_progress_and_reraises_user_errors(ray_local):
    seen, finished = [], []
    out = run(_square, [3, 1, 2], lambda *a: seen.append(a), finished.append, resources=TaskResources(num_cpus=0.5))
    assert out == [9, 1, 4]
    assert sorted(a[1] for a in seen) == [1, 2, 3] and sorted(finished) == [1, 2, 3]
    with pytest.raises(UserError, match="negative -1"):
        run(_square, [2, -1], resources=TaskResources(num_cpus=0.5))


def test_task_resources_from_env(monkeypatch):
    monkeypatch.setenv("INTUITIONS_RAY_CPUS", "4")
    monkeypatch.setenv("INTUITIONS_RAY_GPUS", "0.5")
    r = TaskResources.from_env()
    assert r.options(None) == {"num_cpus": 4.0, "num_gpus": 0.5, "max_retries": 2}
    monkeypatch.setenv("INTUITIONS_RAY_CPUS", "many")
    with pytest.raises(UserError, match="not a number"):
        TaskResources.from_env()
    assert "INTUITIONS_HOME" in driver_env()


def test_shards_are_contiguous_and_balanced():
    lens = [10, 1, 1, 1, 10, 1, 1, 1]
    parts = shards(lens, 2)
    assert [i for p in parts for i in p] == list(range(8))
    assert len(parts) == 2 and abs(sum(lens[i] for i in parts[0]) - sum(lens[i] for i in parts[1])) <= 10
    assert shards([5], 4) == [[0]] and shards([], 3) == []


@pytest.mark.slow
def test_ray_trains_a_smoke_ladder_and_scores_it(ray_local, tmp_path, monkeypatch):
    from intuitions.family import executors
    from intuitions.family.ladder import train_ladder
    from intuitions.models import zoo
    from intuitions.models.base import score_texts
    from intuitions.models.cache import CachedScorer, ScoreCache

    if "ray" not in executors.EXECUTORS:
        pytest.skip("the ray executor is not registered in intuitions.family.executors yet")
    root = tmp_path / "family"
    monkeypatch.setenv("INTUITIONS_FAMILY_DIR", str(root))
    monkeypatch.setenv("INTUITIONS_RAY_CPUS", "1")
    lines = []
    train_ladder("smoke", root=root, executor="ray", threads=1, progress=lambda *a: lines.append(a))
    specs = zoo.expand("family:smoke")
    assert len(specs) == 2 and {a[0] for a in lines} == {s.split("/")[-1] for s in specs}

    # Many models at once, one actor each; each tokenizes the texts itself.
    res = score_many(specs, texts=TEXTS, resources=ActorResources(num_cpus=1))
    for spec, ms in zip(specs, res):
        local = zoo.load(spec, cache=False)
        want = score_texts(local, TEXTS)
        assert ms.fingerprint == local.fingerprint
        for g, w in zip(ms.scores, want):
            np.testing.assert_array_equal(g.token_ids, w.token_ids)
            np.testing.assert_allclose(g.logprobs, w.logprobs, atol=1e-5)
    assert res[0].mean_loss() != res[1].mean_loss()

    # One model over two replicas: same scores, and the same cache entries as unsharded.
    sc = ShardedScorer(specs[1], replicas=2, resources=ActorResources(num_cpus=1))
    try:
        ids = [e.ids for e in sc.encode(TEXTS)]
        cached = CachedScorer(sc, ScoreCache(tmp_path / "scores.sqlite"))
        got = cached.score(ids)
        for g, w in zip(got, zoo.load(specs[1], cache=False).score(ids)):
            np.testing.assert_allclose(g.logprobs, w.logprobs, atol=1e-5)
        assert cached.computed == len(ids)
        assert len(sc.generate(["Q: 1 + 1 = ?"], 3)) == 1
        single = zoo.load(specs[1], cache=False)  # the Scorer contract holds across the actors
        assert cached.n_params == sc.n_params == single.n_params is not None
        assert sc.generate(["Q: 1 + 1 = ?"], 6, stop=[" "]) == single.generate(["Q: 1 + 1 = ?"], 6, stop=[" "])
    finally:
        sc.close()
