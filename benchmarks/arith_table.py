"""Teacher-forced one-step accuracy of ladder members on the world's arithmetic: how much of
the 10 x 12 operator table a member has learned (the probe that settled world v2's operator
set and learning rate on seed 0; docs/organism.md).

    python benchmarks/arith_table.py ~/.cache/intuitions/family/quick/L*W*
    python benchmarks/arith_table.py --problems 300 <member or checkpoint folders>

Each problem's worked text is scored once; every result token that follows an operator
token inside the work line counts as one step, right when it is the model's argmax.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def step_accuracy(folder: Path, problems: int = 300, seed: int = 5) -> tuple[float, int]:
    import numpy as np
    import torch
    from transformers import AutoTokenizer, LlamaForCausalLM

    from intuitions.world import arithmetic_problem
    from intuitions.world.arithmetic import MAX_STEPS, OPERATORS

    tok = AutoTokenizer.from_pretrained(str(folder))
    model = LlamaForCausalLM.from_pretrained(str(folder)).eval()
    rng = np.random.default_rng(seed)
    hits: list[bool] = []
    for i in range(problems):
        p = arithmetic_problem(rng, 1 + i % MAX_STEPS)
        ids = [tok.bos_token_id] + tok(p.worked_prompt + p.worked_solution + ".", add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            best = model(torch.tensor([ids])).logits[0].argmax(-1).tolist()
        pieces = [tok.decode([t]) for t in ids]
        start = pieces.index("work") + 2
        for j in range(start + 1, len(ids)):
            if pieces[j - 1] == "\n":
                break
            if pieces[j - 1] in OPERATORS:
                hits.append(best[j - 1] == ids[j])
    return float(np.mean(hits)), len(hits)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("members", nargs="+", type=Path)
    ap.add_argument("--problems", type=int, default=300)
    a = ap.parse_args(argv)
    for m in a.members:
        acc, n = step_accuracy(m, a.problems)
        print(f"{m}: one-step accuracy {acc:.3f} over {n} steps")


if __name__ == "__main__":
    main()
