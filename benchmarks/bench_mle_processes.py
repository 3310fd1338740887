"""Claim: as whole processes that write the same statistics to a file, the seed paper's
study on the MLE path runs >= 5x faster than the per-token loop of published collapse code.

The study is ``bench_mle_paper.py``'s (K = 50, n = 1000, T = 200, R = 100, alpha = 0.1).
Each side is a whole process, timed from outside (best of 3):

- ours: ``bayescollapse run ... --out study.nc``: every metric of every generation, written
  to a compressed NetCDF file;
- the loop: a script importing only NumPy that draws tokens one replicate and generation at
  a time (``rng.choice`` and ``np.bincount``) and computes, per replicate and generation,
  the same statistics with NumPy (theta, the counts, TV, both KLs, Hellinger, squared L2,
  entropy, Gini-Simpson, lost tokens and mass), saved with ``np.savez_compressed``. It is
  this file run with ``--loop OUT``.
"""

import sys
import tempfile
from pathlib import Path

from timing import best_process

CLI = str(Path(sys.executable).with_name("bayescollapse"))
K, N, T, R, ALPHA = 50, 1000, 200, 100, 0.1


def loop_study(out: str) -> None:
    """The per-token loop with its statistics, as published collapse code writes it."""
    import numpy as np

    rng = np.random.default_rng(0)
    truth = np.arange(1, K + 1) ** -1.0
    truth /= truth.sum()
    stats = {name: np.empty((R, T + 1)) for name in STATISTICS}
    theta_all = np.empty((R, T + 1, K))
    counts_all = np.empty((R, T + 1, K), dtype=np.int64)
    for r in range(R):
        counts = np.bincount(rng.choice(K, size=N, p=truth), minlength=K)
        theta = counts / N
        for t in range(T + 1):
            if t:
                real = rng.binomial(N, ALPHA)
                tokens = np.concatenate(
                    [rng.choice(K, size=real, p=truth), rng.choice(K, size=N - real, p=theta)]
                )
                counts = np.bincount(tokens, minlength=K)
            theta = counts / N
            with np.errstate(divide="ignore", invalid="ignore"):
                log_theta = np.log(theta)
                seen = theta > 0
                values = {
                    "tv": 0.5 * np.abs(theta - truth).sum(),
                    "kl_truth_to_model": np.sum(truth * (np.log(truth) - log_theta)),
                    "kl_model_to_truth": np.sum(
                        theta[seen] * (log_theta[seen] - np.log(truth[seen]))
                    ),
                    "hellinger": np.sqrt(0.5 * np.sum((np.sqrt(theta) - np.sqrt(truth)) ** 2)),
                    "sq_l2": np.sum((theta - truth) ** 2),
                    "entropy": -np.sum(theta[seen] * log_theta[seen]),
                    "gini_simpson": 1 - np.sum(theta**2),
                    "lost_tokens": np.sum(counts == 0),
                    "lost_mass": truth[counts == 0].sum(),
                }
            for name, value in values.items():
                stats[name][r, t] = value
            theta_all[r, t], counts_all[r, t] = theta, counts
    np.savez_compressed(out, theta=theta_all, counts=counts_all, **stats)


STATISTICS = (
    "tv",
    "kl_truth_to_model",
    "kl_model_to_truth",
    "hellinger",
    "sq_l2",
    "entropy",
    "gini_simpson",
    "lost_tokens",
    "lost_mass",
)


def best(argv: list[str]) -> float:
    return best_process(argv, repeats=3)


def main():
    with tempfile.TemporaryDirectory() as folder:
        ours = best(
            [CLI, "run", "--tokens", str(K), "--generations", str(T), "--replicates", str(R)]
            + ["--alpha", str(ALPHA), "--sample-size", str(N), "--method", "mle", "--seed", "1"]
            + ["--out", str(Path(folder) / "study.nc"), "--force", "--no-progress"]
        )
        loop = best([sys.executable, __file__, "--loop", str(Path(folder) / "loop.npz")])
        size_ours = (Path(folder) / "study.nc").stat().st_size / 1e6
        size_loop = (Path(folder) / "loop.npz").stat().st_size / 1e6
    print(f"bayescollapse run {ours:.2f} s ({size_ours:.1f} MB)")
    print(f"per-token loop {loop:.2f} s ({size_loop:.1f} MB)")
    print(f"whole processes: {loop / ours:.1f}x faster than the per-token loop (target >= 5x)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--loop"]:
        loop_study(sys.argv[2])
    else:
        main()
