"""Write an HF Llama folder (safetensors + a byte-level BPE tokenizer) as a GGUF file.

Enough of llama.cpp's `convert_hf_to_gguf.py` for the models this project makes (the tiny
test model, ladder members), so llama.cpp and its servers can score the same weights the
hf backend scores. Two details decide whether the numbers agree:
- llama.cpp applies RoPE to interleaved pairs, HF to the two halves of each head, so the
  q and k projections are permuted on the way out (`_permute`, as the converter does);
  transformers' GGUF loader undoes it, which is how the round trip is tested.
- Tensors stay float32 by default: a conformance test compares logprobs, not quantisers.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from intuitions.errors import UserError

TOKEN_NORMAL, TOKEN_CONTROL, TOKEN_UNUSED = 1, 3, 5  # gguf.TokenType values


def _permute(w: np.ndarray, n_head: int) -> np.ndarray:
    """HF's half-split rotary layout -> llama.cpp's interleaved one, per head."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def _state(folder: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise UserError(f"{folder} has no .safetensors weights to export")
    out: dict[str, np.ndarray] = {}
    for f in files:
        out.update(load_file(str(f)))
    return out


_LAYER = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}


def _tensors(state: dict[str, np.ndarray], cfg: dict) -> dict[str, np.ndarray]:
    n_head, n_kv = cfg["num_attention_heads"], cfg.get("num_key_value_heads") or cfg["num_attention_heads"]
    out = {"token_embd.weight": state["model.embed_tokens.weight"], "output_norm.weight": state["model.norm.weight"]}
    if "lm_head.weight" in state and not cfg.get("tie_word_embeddings", False):
        out["output.weight"] = state["lm_head.weight"]
    for i in range(cfg["num_hidden_layers"]):
        for hf, gg in _LAYER.items():
            w = state[f"model.layers.{i}.{hf}"]
            if hf.startswith("self_attn.q_proj"):
                w = _permute(w, n_head)
            elif hf.startswith("self_attn.k_proj"):
                w = _permute(w, n_kv)
            out[f"blk.{i}.{gg}"] = w
    return {k: np.ascontiguousarray(v.astype(np.float32)) for k, v in out.items()}


def _vocab(folder: Path, vocab_size: int) -> tuple[list[str], list[int], list[str], dict]:
    tj = json.loads((folder / "tokenizer.json").read_text())
    model = tj["model"]
    if model.get("type") != "BPE":
        raise UserError(f"only byte-level BPE tokenizers export to GGUF here, not {model.get('type')}")
    vocab = dict(model["vocab"])
    special = {}
    for t in tj.get("added_tokens", []):
        vocab[t["content"]] = t["id"]
        if t.get("special"):
            special[t["id"]] = t["content"]
    by_id = {i: s for s, i in vocab.items()}
    tokens = [by_id.get(i, f"[PAD{i}]") for i in range(vocab_size)]
    types = [TOKEN_CONTROL if i in special else TOKEN_NORMAL if i in by_id else TOKEN_UNUSED for i in range(vocab_size)]
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]
    tcfg_path = folder / "tokenizer_config.json"
    tcfg = json.loads(tcfg_path.read_text()) if tcfg_path.exists() else {}
    return tokens, types, merges, {"vocab": vocab, "config": tcfg}


def export_llama(folder: Path, out: Path) -> Path:
    """Write `folder` (a LlamaForCausalLM with a BPE tokenizer.json) to `out` as F32 GGUF."""
    import gguf

    folder, out = Path(folder), Path(out)
    cfg = json.loads((folder / "config.json").read_text())
    if cfg.get("model_type") != "llama":
        raise UserError(f"GGUF export supports llama models, not {cfg.get('model_type')!r}")
    n_head = cfg["num_attention_heads"]
    head_dim = cfg.get("head_dim") or cfg["hidden_size"] // n_head
    rope = cfg.get("rope_parameters") or {}
    if rope.get("rope_type", "default") != "default" or cfg.get("rope_scaling"):
        raise UserError("GGUF export supports plain RoPE only (no rope scaling)")
    tokens, types, merges, tok = _vocab(folder, cfg["vocab_size"])

    w = gguf.GGUFWriter(str(out), "llama")
    w.add_name(folder.name)
    w.add_context_length(cfg["max_position_embeddings"])
    w.add_embedding_length(cfg["hidden_size"])
    w.add_block_count(cfg["num_hidden_layers"])
    w.add_feed_forward_length(cfg["intermediate_size"])
    w.add_head_count(n_head)
    w.add_head_count_kv(cfg.get("num_key_value_heads") or n_head)
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    w.add_rope_dimension_count(head_dim)
    w.add_rope_freq_base(float(rope.get("rope_theta", cfg.get("rope_theta", 10000.0))))
    w.add_layer_norm_rms_eps(float(cfg.get("rms_norm_eps", 1e-6)))
    w.add_vocab_size(cfg["vocab_size"])
    w.add_file_type(0)  # ALL_F32
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("gpt-2")  # the GPT-2 split regex, as tokenizers' ByteLevel(use_regex)
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    for key, adder in (("bos_token_id", w.add_bos_token_id), ("eos_token_id", w.add_eos_token_id),
                       ("pad_token_id", w.add_pad_token_id)):
        if isinstance(cfg.get(key), int):
            adder(cfg[key])
    # We put the BOS in ourselves (the BOS policy); the file must not add a second one.
    w.add_add_bos_token(False)
    for name, t in _tensors(_state(folder), cfg).items():
        w.add_tensor(name, t)
    out.parent.mkdir(parents=True, exist_ok=True)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return out
