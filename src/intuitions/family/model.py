"""The ladder's architecture: HF `LlamaForCausalLM` (rotary positions, SwiGLU, RMSNorm,
tied embeddings) at a given depth and width, plus the parameter and FLOP counts the
scaling fits use."""

from __future__ import annotations

from dataclasses import dataclass

HEAD_DIM = 16


@dataclass(frozen=True)
class Shape:
    layers: int
    width: int
    vocab: int
    seq_len: int

    @property
    def heads(self) -> int:
        """About one head per HEAD_DIM channels, but always a divisor of the width."""
        return next(h for h in range(max(1, self.width // HEAD_DIM), 0, -1) if self.width % h == 0)

    @property
    def ffn(self) -> int:
        return 4 * self.width


def llama_config(shape: Shape, bos_id: int, eos_id: int, pad_id: int):
    from transformers import LlamaConfig

    return LlamaConfig(
        vocab_size=shape.vocab, hidden_size=shape.width, intermediate_size=shape.ffn,
        num_hidden_layers=shape.layers, num_attention_heads=shape.heads, num_key_value_heads=shape.heads,
        # transformers 5 still takes the legacy rope_theta (into rope_parameters); its signature omits it
        max_position_embeddings=shape.seq_len, rope_theta=10000.0, rms_norm_eps=1e-5,  # pyright: ignore[reportCallIssue]
        bos_token_id=bos_id, eos_token_id=eos_id, pad_token_id=pad_id,
        tie_word_embeddings=True, attention_dropout=0.0, initializer_range=0.02,
    )


def param_counts(model) -> tuple[int, int]:
    """(all parameters, non-embedding parameters). Embeddings are tied to the LM head, so
    they are counted once in the total and not at all in the non-embedding count (Kaplan)."""
    total = sum(p.numel() for p in model.parameters())
    emb = model.get_input_embeddings().weight.numel()
    return total, total - emb


def flops(shape: Shape, non_embedding: int, tokens: int) -> float:
    """Training FLOPs, 6 per parameter per token (forward + backward) over the matmul
    parameters (the blocks plus the LM head, which is a real matmul even when tied), plus
    attention's score and mix products (Kaplan et al.'s 2*layers*ctx*width per token, x3)."""
    per_token = 6 * (non_embedding + shape.vocab * shape.width) + 6 * shape.layers * shape.seq_len * shape.width
    return float(per_token) * tokens
