"""Claim: with ``keep_posteriors='none'`` peak memory stays flat as generations grow; with
``'all'`` it grows linearly (every generation's posterior draws are kept).

Peak Python-allocated memory (tracemalloc) of one conjugate run, K = 50 tokens,
8 replicates, 2 x 500 stored draws per generation, at 10, 20 and 40 generations,
side by side. Prints the peaks and the growth per generation: with ``none`` it is only the
results arrays themselves (tens of KB a generation), with ``all`` the stored draws.
"""

import tracemalloc

from bayescollapse import RunConfig, Setting
from bayescollapse.io.posteriors import run_tree

GENERATIONS = (10, 20, 40)


def peak_mb(generations: int, keep: str) -> float:
    cfg = RunConfig(
        settings=(Setting(method="conjugate", real_fraction="0.2", sample_size="500"),),
        num_tokens=50,
        generations=generations,
        replicates=8,
        seed=1,
        keep_posteriors=keep,
        draws=500,
        chains=2,
    )
    tracemalloc.start()
    tree = run_tree(cfg)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del tree
    return peak / 2**20


if __name__ == "__main__":
    for keep in ("none", "all"):
        peaks = [peak_mb(g, keep) for g in GENERATIONS]
        cells = "  ".join(f"{g} gens: {p:7.1f} MB" for g, p in zip(GENERATIONS, peaks, strict=True))
        per_gen = (peaks[-1] - peaks[0]) / (GENERATIONS[-1] - GENERATIONS[0]) * 1024
        print(f"keep_posteriors={keep:5s} {cells}  growth {per_gen:8.0f} KB per generation")
