"""Claim: a least-squares generation of the regression loop costs at most 3x its own draws.

The floor of a generation is drawing its random design and labels: the statistics
``X'X ~ Wishart(n, Sigma)`` (Bartlett) and ``X'y, y'y`` given it, at a cost in d only
(``models/regression/data.py``). Measured side by side at d = 100 and d = 1000 with
n = 100,000 rows a generation and R = 4 replicates: the whole loop (replace, MLE, 5
generations, with its records) per generation against that floor, and against what
drawing the rows themselves would cost (n x d normals and X'X, timed at n = 10,000 and
scaled by 10). Also timed: the PyMC path at the issue's paper size (d = 10, n = 100,
T = 100, R = 100 in blocks of 25, diagnostics every 10 generations).
"""

import time

import numpy as np
from timing import best_call

from bayescollapse import RunConfig, run
from bayescollapse.models.regression.data import design_stats

REPS, N, GENERATIONS = 4, 100_000, 5


def _config(d: int, **extra) -> RunConfig:
    setting = {"method": "mle", "scheme": "replace", "real_fraction": "zero", "sample_size": str(N)}
    return RunConfig.from_dict(
        {
            "model": "linear-regression",
            "dim": d,
            "generations": GENERATIONS,
            "replicates": REPS,
            "seed": 1,
            "settings": [setting],
            **extra,
        }
    )


def _rows(d: int, rng) -> None:
    """Draw n / 10 rows and labels per replicate and their statistics (the row path)."""
    for _ in range(REPS):
        x = rng.standard_normal((N // 10, d))
        y = x @ np.ones(d) + rng.standard_normal(N // 10)
        x.T @ x, x.T @ y, y @ y


def main():
    rng = np.random.default_rng(0)
    ratios = []
    for d in (100, 1000):
        w = rng.standard_normal((REPS, d)) / np.sqrt(d)
        floor, _ = best_call(design_stats, np.ones(d), w, np.ones(REPS), np.full(REPS, N), rng)
        whole, _ = best_call(run, _config(d), repeats=2)
        per_generation = whole / (GENERATIONS + 1)
        rows, _ = best_call(lambda d=d: _rows(d, rng), repeats=2)
        ratios.append(per_generation / floor)
        print(
            f"d={d}, n={N}, R={REPS}: loop {per_generation * 1e3:.1f} ms a generation, its "
            f"draws {floor * 1e3:.1f} ms (ratio {per_generation / floor:.2f}x); drawing the "
            f"rows instead {rows * 10 * 1e3:.0f} ms ({rows * 10 / floor:.0f}x the statistics)"
        )
    paper = RunConfig.from_dict(
        {
            "model": "linear-regression",
            "dim": 10,
            "generations": 100,
            "replicates": 100,
            "replicate_block": 25,
            "diagnostics_every": 10,
            "seed": 2,
            "settings": [{"method": "pymc", "real_fraction": "0.1", "sample_size": "100"}],
        }
    )
    start = time.perf_counter()
    ds = run(paper)
    elapsed = time.perf_counter() - start
    print(
        f"PyMC paper size (d=10, n=100, T=100, R=100 in blocks of 25): {elapsed:.0f} s, "
        f"{int(ds['divergences'].sum())} divergences, max R-hat {float(ds['r_hat_max'].max()):.3f}"
    )
    print(f"least-squares loop vs its own draws: {max(ratios):.2f}x at most (target <= 3x)")


if __name__ == "__main__":
    main()
