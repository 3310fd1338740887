"""Claim: per generation and replicate, the MLE path is >= 300x the per-token loop at
n = 1e5 and >= 10x at K = 10,000.

The per-token loop is published collapse code's: ``rng.choice(K, size=n, p=...)`` and
``np.bincount`` per replicate and generation. ``run()`` records every metric. How the cost
of every path scales with K, n, R and T is ``bench_scaling.py``'s table.
"""

import time

import numpy as np

from bayescollapse import RunConfig, Setting, run
from bayescollapse.truth import make_truth


def ours(k: int, n: int, r: int, t: int) -> float:
    """Seconds per generation and replicate of run() on the MLE path."""
    config = RunConfig(
        settings=(Setting(method="mle", real_fraction="0.1", sample_size=str(n)),),
        num_tokens=k,
        generations=t,
        replicates=r,
        seed=1,
    )
    start = time.perf_counter()
    run(config)
    return (time.perf_counter() - start) / ((t + 1) * r)


def per_token(k: int, n: int, generations: int = 5) -> float:
    """Seconds per generation and replicate of the per-token loop (one replicate)."""
    rng = np.random.default_rng(0)
    truth = make_truth("zipf:1", k)
    start = time.perf_counter()
    probs = np.bincount(rng.choice(k, size=n, p=truth), minlength=k) / n
    for _ in range(generations):
        real = rng.binomial(n, 0.1)
        tokens = np.concatenate(
            [rng.choice(k, size=real, p=truth), rng.choice(k, size=n - real, p=probs)]
        )
        probs = np.bincount(tokens, minlength=k) / n
    return (time.perf_counter() - start) / (generations + 1)


def main():
    ours(10, 100, 2, 2)  # warm
    big_n = per_token(50, 100_000) / ours(50, 100_000, 100, 5)  # R = 100, the paper's
    big_k = per_token(10_000, 1000) / ours(10_000, 1000, 100, 5)
    print(f"n = 1e5: {big_n:.0f}x the per-token loop (target >= 300x)")
    print(f"K = 10,000: {big_k:.1f}x the per-token loop (target >= 10x)")
    print(f"n = 1e5 {big_n:.0f}x (target 300x), K = 10,000 {big_k:.1f}x (target 10x)")


if __name__ == "__main__":
    main()
