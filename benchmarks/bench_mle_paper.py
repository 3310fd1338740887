"""Claim: the seed paper's study on the MLE path runs >= 10x faster than the per-token loop
of published collapse code and within 1.5x of the sampling floor.

The study: K = 50 (Zipf truth), n = 1000, T = 200 generations, R = 100 replicates, a
constant real fraction alpha = 0.1. Measured side by side in one process:

- ``run()``: bayescollapse, the results it returns (every metric of every generation);
- per-token loop: per replicate and generation, ``rng.choice(K, size=..., p=...)`` for the
  real and the synthetic tokens, ``np.bincount``, the MLE, one replicate at a time (the
  per-token loop measured on a subset of replicates and scaled);
- floor: the same draws batched over replicates (``rng.binomial`` for the real share,
  ``rng.multinomial`` for the counts) and the MLE, nothing recorded.
"""

import numpy as np
from timing import best_call

from bayescollapse import RunConfig, Setting, run
from bayescollapse.models.categorical.truth import make_truth

K, N, T, R, ALPHA = 50, 1000, 200, 100, 0.1
CONFIG = RunConfig(
    settings=(Setting(method="mle", real_fraction=str(ALPHA), sample_size=str(N)),),
    num_tokens=K,
    generations=T,
    replicates=R,
    seed=1,
)


def per_token_loop(replicates: int) -> None:
    rng = np.random.default_rng(0)
    truth = make_truth("zipf:1", K)
    for _ in range(replicates):
        probs = np.bincount(rng.choice(K, size=N, p=truth), minlength=K) / N
        for _ in range(T):
            real = rng.binomial(N, ALPHA)
            tokens = np.concatenate(
                [rng.choice(K, size=real, p=truth), rng.choice(K, size=N - real, p=probs)]
            )
            probs = np.bincount(tokens, minlength=K) / N


def floor() -> None:
    rng = np.random.default_rng(0)
    truth = make_truth("zipf:1", K)
    probs = rng.multinomial(N, truth, size=R) / N
    for _ in range(T):
        real = rng.binomial(N, ALPHA, size=R)
        counts = rng.multinomial(real, truth) + rng.multinomial(N - real, probs)
        probs = counts / N


def main():
    run(RunConfig(generations=2, replicates=2, seed=0, settings=CONFIG.settings))  # warm
    ours = best_call(run, CONFIG)[0]  # best of 3 on both sides
    subset = 10
    loop = best_call(per_token_loop, subset, repeats=1)[0] * R / subset
    bottom = best_call(floor)[0]
    print(f"run() {ours:.2f} s, per-token loop {loop:.2f} s, floor {bottom:.3f} s")
    print(f"run() vs per-token loop: {loop / ours:.1f}x faster (target >= 10x)")
    print(f"run() vs floor: {ours / bottom:.2f}x the floor (target <= 1.5x)")


if __name__ == "__main__":
    main()
