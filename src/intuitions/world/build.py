"""`build`: write a world to disk.

    train.jsonl         one training document per line: text, task, spans, nats
    train_tokens.npy    the training stream as token ids, each document preceded by BOS
    heldout.jsonl       held-out documents (never in training), n per task
    eval.jsonl          held-out eval items (prompt, answer, choices, meta)
    tokenizer/          HF tokenizer (AutoTokenizer.from_pretrained loads it)
    irreducible.json    each task's loss floor, from the generator's own probabilities
    manifest.json       seed, sizes, task shares, token counts, file digests

Everything is a function of (seed, n_docs): the same arguments give byte-identical files.
The folder appears atomically (built beside, then renamed), so a killed build leaves none.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from intuitions.errors import UserError
from intuitions.world.core import Doc
from intuitions.world.corpus import (
    TASK_WEIGHTS,
    TASKS,
    eval_items,
    heldout_docs,
    mixture_entropy,
    task_nats,
    training_docs,
)

GENERATOR_VERSION = 2
DEFAULT_DOCS = 60_000
VOCAB_SIZE = 1024
HELDOUT_PER_TASK = 50
EVAL_PER_TASK = 100
FLOOR_DOCS_PER_TASK = 400  # documents per task behind each irreducible-loss estimate
BOS = "<|endoftext|>"  # also the end-of-document token: documents are separated by it
PAD = "<pad>"


def default_dir(seed: int, n_docs: int | None = None) -> Path:
    from intuitions import paths

    return paths.home() / "world" / f"v{GENERATOR_VERSION}-seed{seed}-n{n_docs or DEFAULT_DOCS}"


def train_tokenizer(texts: list[str], vocab_size: int = VOCAB_SIZE, seed: int = 0):
    """Byte-level BPE (GPT-2's pre-tokenizer: a number keeps its leading space, " 8" is one
    token, and the world's numbers are single digits), plus added tokens matched before any
    split: the arithmetic's fused operators (`+5`, `*2`) and the in-context items and label
    words of world `seed` (one token each: copying the label after a repeated item is then
    the plain induction pattern a 2-layer model can learn, Olsson et al. 2022)."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    from intuitions.world.arithmetic import OPERATORS
    from intuitions.world.lexicon import world

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=[BOS, PAD], show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(texts, trainer)
    icl = world(seed).icl
    items = [x for cls in icl.items for x in cls]
    tok.add_tokens([AddedToken(op, single_word=False, normalized=False) for op in OPERATORS]
                   + [AddedToken(x, single_word=True, normalized=False) for x in items]
                   # a label follows its item: single_word would refuse " label" after a word, and the
                   # same label would be one token alone but BPE pieces in context
                   + [AddedToken(f" {label}", single_word=False, normalized=False) for label in icl.labels])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=BOS, eos_token=BOS, pad_token=PAD,
                                   model_max_length=1 << 30)


def _doc_json(d: Doc) -> str:
    return json.dumps({"text": d.text, "task": d.task, "spans": [[s.start, s.end, s.task] for s in d.spans],
                       "nats": round(d.nats, 6)}, ensure_ascii=False)


def _count_tokens(tok, texts: list[str]) -> list[int]:
    return [len(x) for x in tok(texts, add_special_tokens=False)["input_ids"]]


@dataclass(frozen=True)
class TaskFloor:
    task: str
    docs: int
    nats_per_doc: float  # generator -log P(doc | task), mean
    task_nats: float  # -log share: naming the task, paid at a document's first tokens
    tokens_per_doc: float  # world tokens, no BOS/EOS
    floor_per_token: float  # (nats + task_nats) / (tokens + 1): per token incl. the end token
    answer_entropy: float  # nats: entropy of an eval answer given its prompt


def irreducible(seed: int, tok, n_per_task: int = FLOOR_DOCS_PER_TASK) -> dict:
    """Loss floors from the generator's own probabilities, on held-out documents scored the
    way the ladder's evaluation scores them (BOS, the text, then the end-of-document token).

    Every eval answer is a function of its prompt (facts of the knowledge base, a computed
    rating, sum, room or translation; an in-context label shown in the demonstrations), so
    answer entropy is 0 for every task and the document floor is all the entropy there is."""
    docs = heldout_docs(seed, n_per_task)
    ntok = _count_tokens(tok, [d.text for d in docs])
    floors = []
    for t in TASKS:
        rows = [(d.nats, n) for d, n in zip(docs, ntok) if d.task == t]
        nats = float(np.mean([r[0] for r in rows]))
        toks = float(np.mean([r[1] for r in rows]))
        floors.append(TaskFloor(t, len(rows), nats, task_nats(t), toks,
                                (nats + task_nats(t)) / (toks + 1.0), 0.0))
    w = np.array([TASK_WEIGHTS[f.task] for f in floors])
    num = np.array([f.nats_per_doc + f.task_nats for f in floors])
    den = np.array([f.tokens_per_doc + 1.0 for f in floors])
    return {
        "unit": "nats per token (BOS-conditioned text plus the end-of-document token)",
        "tasks": {f.task: asdict(f) for f in floors},
        # The heldout set has equally many documents per task; the training mixture does not.
        "heldout_floor_per_token": float(num.sum() / den.sum()),
        "training_mixture_floor_per_token": float((w * num).sum() / (w * den).sum()),
        "mixture_entropy": mixture_entropy(),
        "docs_per_task": n_per_task,
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(seed: int, out: Path, n_docs: int | None = None) -> Path:
    n_docs = DEFAULT_DOCS if n_docs is None else n_docs
    if n_docs <= 0:
        raise UserError(f"n_docs must be positive, got {n_docs}")
    if seed < 0:
        raise UserError(f"seed must be non-negative, got {seed}")
    out = Path(out)
    tmp = out.with_name(out.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir(parents=True)
    except OSError as e:
        raise UserError(f"cannot write the world to {out}: {e.strerror or e}") from None
    docs = list(training_docs(seed, n_docs))
    (tmp / "train.jsonl").write_text("".join(_doc_json(d) + "\n" for d in docs), encoding="utf-8")
    texts = [d.text for d in docs]
    tok = train_tokenizer(texts, seed=seed)
    tok.save_pretrained(tmp / "tokenizer")
    ids = tok(texts, add_special_tokens=False)["input_ids"]
    stream = np.fromiter((t for x in ids for t in (tok.bos_token_id, *x)), dtype=np.uint16)
    np.save(tmp / "train_tokens.npy", stream, allow_pickle=False)
    held = heldout_docs(seed, HELDOUT_PER_TASK)
    (tmp / "heldout.jsonl").write_text("".join(_doc_json(d) + "\n" for d in held), encoding="utf-8")
    items = eval_items(seed, EVAL_PER_TASK)
    (tmp / "eval.jsonl").write_text(
        "".join(json.dumps(asdict(it), ensure_ascii=False) + "\n" for t in TASKS for it in items[t]),
        encoding="utf-8")
    (tmp / "irreducible.json").write_text(json.dumps(irreducible(seed, tok), indent=1))
    per_task_docs = {t: 0 for t in TASKS}
    per_task_tokens = {t: 0 for t in TASKS}
    for d, x in zip(docs, ids):
        per_task_docs[d.task] += 1
        per_task_tokens[d.task] += len(x)
    manifest = {
        "generator_version": GENERATOR_VERSION, "seed": seed, "n_docs": n_docs,
        "tasks": list(TASKS), "task_weights": TASK_WEIGHTS,
        "docs_per_task": per_task_docs, "tokens_per_task": per_task_tokens,
        "train_tokens": int(len(stream)), "vocab_size": len(tok),
        "bos_token_id": tok.bos_token_id, "pad_token_id": tok.pad_token_id,
        "heldout_per_task": HELDOUT_PER_TASK, "eval_per_task": EVAL_PER_TASK,
        "files": {p.name: _sha256(p) for p in sorted(tmp.glob("*.*"))},
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1))
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return out
