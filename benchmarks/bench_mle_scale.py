"""Claim: per generation and replicate, the MLE path is >= 300x the per-token loop at
n = 1e5 and >= 10x at K = 10,000.

The per-token loop is published collapse code's: ``rng.choice(K, size=n, p=...)`` and
``np.bincount`` per replicate and generation. ``run()`` records every metric. A generation's
cost is the slope of a run's time in T (runs of T = 5 and T = 25, best of 3 each): what a
run costs once (labelling and checking its Dataset, about 10 ms) is not a generation's.
The ratio over a whole run of T = 5 is printed beside it. How the cost of every path scales
with K, n, R and T is ``bench_scaling.py``'s table.
"""

import time

import numpy as np
from timing import best_call

from bayescollapse import RunConfig, Setting, run
from bayescollapse.models.categorical.truth import make_truth


def whole(k: int, n: int, r: int, t: int) -> float:
    """Seconds of a run() on the MLE path (best of 3)."""
    config = RunConfig(
        settings=(Setting(method="mle", real_fraction="0.1", sample_size=str(n)),),
        num_tokens=k,
        generations=t,
        replicates=r,
        seed=1,
    )
    return best_call(run, config)[0]


def ours(k: int, n: int, r: int) -> tuple[float, float]:
    """Seconds per generation and replicate: the slope in T, and a whole run of T = 5."""
    short, long = whole(k, n, r, 5), whole(k, n, r, 25)
    return (long - short) / (20 * r), short / (6 * r)


def per_token(k: int, n: int, generations: int = 5) -> float:
    """Seconds per generation and replicate of the per-token loop (one replicate, best of 3)."""
    rng = np.random.default_rng(0)
    truth = make_truth("zipf:1", k)
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        probs = np.bincount(rng.choice(k, size=n, p=truth), minlength=k) / n
        for _ in range(generations):
            real = rng.binomial(n, 0.1)
            tokens = np.concatenate(
                [rng.choice(k, size=real, p=truth), rng.choice(k, size=n - real, p=probs)]
            )
            probs = np.bincount(tokens, minlength=k) / n
        best = min(best, (time.perf_counter() - start) / (generations + 1))
    return best


def main():
    whole(10, 100, 2, 2)  # warm
    loop_n, loop_k = per_token(50, 100_000), per_token(10_000, 1000)
    (slope_n, run_n), (slope_k, run_k) = ours(50, 100_000, 100), ours(10_000, 1000, 100)
    big_n, big_k = loop_n / slope_n, loop_k / slope_k  # R = 100, the paper's
    print(
        f"n = 1e5: {big_n:.0f}x the per-token loop per generation (target >= 300x); "
        f"{loop_n / run_n:.0f}x over a whole run of T = 5"
    )
    print(
        f"K = 10,000: {big_k:.1f}x the per-token loop per generation (target >= 10x); "
        f"{loop_k / run_k:.1f}x over a whole run of T = 5; per generation and replicate: "
        f"ours {slope_k * 1e6:.0f} us, loop {loop_k * 1e6:.0f} us"
    )
    print(f"n = 1e5 {big_n:.0f}x (target 300x), K = 10,000 {big_k:.1f}x (target 10x)")


if __name__ == "__main__":
    main()
