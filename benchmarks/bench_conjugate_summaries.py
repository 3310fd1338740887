"""Claim: the conjugate path with its posterior summaries runs within 5x the floor of its
draws at K = 1000 (ancestral synthetic data).

Side by side in one run: ``run()`` per generation (exact HDIs, central intervals, PIT,
drift, every metric; K = 1000, n = 1000, R = 10, alpha = 0.1) against the floor: the same
draws alone (a Dirichlet posterior draw, the real and synthetic multinomials). A
generation's cost is the slope of a run's time in T (runs of T = 10 and T = 30, best of 3
each): what a run costs once (labelling and checking its Dataset) is not a generation's.
"""

import time
from dataclasses import replace

import numpy as np
from timing import best_call

from bayescollapse import RunConfig, Setting, run

K, N, R, T = 1000, 1000, 10, 10
CONFIG = RunConfig(
    settings=(Setting(method="conjugate", real_fraction="0.1", sample_size=str(N)),),
    num_tokens=K,
    generations=T,
    replicates=R,
    seed=1,
)
LONG = replace(CONFIG, generations=3 * T)


def floor() -> float:
    rng = np.random.default_rng(0)
    concentration = np.ones((R, K)) + rng.multinomial(N, np.full(K, 1 / K), size=R)
    start = time.perf_counter()
    for _ in range(T + 1):
        g = rng.standard_gamma(concentration)
        p = g / g.sum(axis=-1, keepdims=True)
        counts = rng.multinomial(N - N // 10, p) + rng.multinomial(N // 10, np.full(K, 1 / K))
        concentration = 1.0 + counts
    return (time.perf_counter() - start) / (T + 1)


def main():
    run(CONFIG)  # warm
    short, long = best_call(run, CONFIG)[0], best_call(run, LONG)[0]
    ours = (long - short) / (2 * T)
    bottom = min(floor() for _ in range(3))
    print(
        f"per generation: run() {ours * 1e3:.1f} ms, floor {bottom * 1e3:.2f} ms "
        f"(a whole run of T = {T}: {short / (T + 1) * 1e3:.1f} ms a generation)"
    )
    print(f"conjugate with summaries vs its draws: {ours / bottom:.1f}x (target <= 5x)")


if __name__ == "__main__":
    main()
