"""Claim: carrying NUTS's adaptation across generations is as reliable as tuning afresh on
the hardest built-in model, the hierarchical Markov LM (rows integrated out, a learned
base and concentration): with the re-tuning its registration asks for (300 steps), the
share of block-generations flagged for a bulk ESS below 400 exceeds full tuning's (500
steps every generation) by less than binomial noise (z < 2 on the difference of the two
shares, pooled), and the median smallest bulk ESS stays within 15 % of it.

Measured side by side in one process on study 5's design (analyses/markov_regimes.py:
the Zen of Python's bigrams as the truth, 10 tokens, 3 regimes, 16 replicates in one
block, 2 chains x 500 draws, 15 generations, diagnostics at every generation), same
seed, three adaptations: carried at the model's re-tuning, carried at the generic 100
steps (the default of other models, shown for what it loses here), and fresh. A
block-generation is one sampler run of 16 replicates; it is flagged when any replicate's
smallest bulk ESS is below 400 (``diagnose``'s ESS rule).
"""

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1] / "analyses"))
import markov_regimes as study  # noqa: E402

from bayescollapse import RunConfig, run  # noqa: E402
from bayescollapse.engine.config import cross_settings  # noqa: E402
from bayescollapse.present.diagnostics import ESS_LIMIT  # noqa: E402

GENERATIONS, REPLICATES, DRAWS = 15, 16, 500


def config(**fields) -> RunConfig:
    axes = {"method": ["pymc-hierarchical"], "synthetic": ["ancestral"]}
    common = {**study.COMMON, "generations": GENERATIONS, "truth": f"text:{study.TEXT}"}
    return RunConfig(
        settings=cross_settings(study.REGIMES, axes),
        **{"replicates": REPLICATES, "draws": DRAWS, "diagnostics_every": 1} | common | fields,
    )


def measured(**sampler) -> tuple[int, int, float, float, float]:
    """Flagged block-generations, all of them, the median and least smallest ESS, seconds."""
    start = time.perf_counter()
    results = run(config(**sampler), progress=False)
    seconds = time.perf_counter() - start
    smallest = results["ess_bulk_min"].min("replicate").values  # (setting, generation)
    flagged = int((smallest < ESS_LIMIT).sum())
    return flagged, smallest.size, float(np.median(smallest)), float(smallest.min()), seconds


def main():
    run(config(generations=1), progress=False)  # compile once
    rows = {
        "carried, the model's re-tuning (300)": measured(),
        "carried, 100 steps": measured(retune=100),
        "fresh (500 steps every generation)": measured(adaptation="fresh"),
    }
    for name, (flagged, total, median, least, seconds) in rows.items():
        print(
            f"{name}: {flagged} of {total} block-generations with a bulk ESS < {ESS_LIMIT}; "
            f"smallest bulk ESS median {median:.0f}, least {least:.0f}; {seconds:.0f} s"
        )
    carried, fresh = (
        rows["carried, the model's re-tuning (300)"],
        rows["fresh (500 steps every generation)"],
    )
    pooled = (carried[0] + fresh[0]) / (carried[1] + fresh[1])
    se = np.sqrt(pooled * (1 - pooled) * (1 / carried[1] + 1 / fresh[1]))
    z = (carried[0] / carried[1] - fresh[0] / fresh[1]) / se if se > 0 else 0.0
    ok = z < 2 and carried[2] >= 0.85 * fresh[2]
    print(
        f"hierarchical Markov, carried vs fresh: {carried[0]} vs {fresh[0]} flagged "
        f"block-generations (z = {z:.2f}, target < 2), median smallest ESS "
        f"{carried[2] / fresh[2]:.2f}x fresh (target >= 0.85x), {carried[4] / fresh[4]:.2f}x "
        f"its time ({'met' if ok else 'MISSED'})"
    )


if __name__ == "__main__":
    main()
