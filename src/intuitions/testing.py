"""Tiny real models for tests and benchmarks: an HF LlamaForCausalLM with random weights
and a byte-level BPE tokenizer trained on the fly with `tokenizers`. No downloads."""

from __future__ import annotations

from pathlib import Path

CORPUS = [
    "The cat sat on the mat. The dogs sit on the mats.",
    "One, two, three, four, five, six, seven, eight, nine, ten.",
    "Input: I loved this film. Output: positive",
    "Input: a dull, boring mess. Output: negative",
    "안녕하세요 세계. 나는 언어 모델을 연구합니다.",
    "What is 3 + 4? 3 + 4 = 7. What is 12 * 3? 12 * 3 = 36.",
]


def make_tokenizer(texts=CORPUS, vocab_size: int = 300):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=["<|endoftext|>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    tok.train_from_iterator(list(texts) * 4, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<|endoftext|>", eos_token="<|endoftext|>", pad_token="<pad>"
    )


def make_tiny_model(out: Path, layers: int = 2, width: int = 32, ctx: int = 64, seed: int = 0) -> Path:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = make_tokenizer()
    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=len(tok), hidden_size=width, intermediate_size=4 * width,
        num_hidden_layers=layers, num_attention_heads=max(1, width // 16),
        num_key_value_heads=max(1, width // 16), max_position_embeddings=ctx,
        # transformers types the special-token ids as any token value; here they are ints
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,  # pyright: ignore[reportArgumentType]
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(cfg)
    # Random init is near-uniform; scale the embeddings so tokens differ in surprisal.
    with torch.no_grad():
        model.model.embed_tokens.weight.mul_(20)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out
