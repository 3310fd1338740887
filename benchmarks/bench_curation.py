"""Claim: curating with K candidates costs at most 2x drawing its K n candidates as items.

Drawing ``K n`` candidate tokens one by one (a uniform and a binary search in the CDF per
item, vectorised) is the floor of any item-level curation: best-of and Bradley-Terry must
see every candidate. Measured side by side per generation (K = 100 tokens, n = 10,000
items, R = 16 replicates), for best-of:4 and best-of:16, with the plain loop's synthetic
step (a multinomial count per replicate, which never sees the items) beside them; and a
whole MLE run of 20 generations curated against the plain one.
"""

import numpy as np
from timing import best_call

from bayescollapse import RunConfig, Setting, run
from bayescollapse.models.categorical.family import WRITER
from bayescollapse.models.curation import Curation, curated_counts, token_rewards
from bayescollapse.models.probability_fits import PointProbabilities

REPS, TOKENS, N = 16, 100, 10_000


def _floor(probs, k, rng):
    """Draw k n tokens per replicate by inverse CDF: the items any curation must see."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random((REPS, k * N))
    return [np.searchsorted(cdf[r], u[r]) for r in range(REPS)]


def main():
    rng = np.random.default_rng(0)
    truth = rng.dirichlet(np.ones(TOKENS))
    probs = np.tile(truth, (REPS, 1))
    fit = PointProbabilities(probs, WRITER)
    sizes = np.full(REPS, N)
    plain, _ = best_call(lambda: fit.synthetic(sizes, mode="plugin", rng=rng), repeats=5)
    print(f"plain synthetic step (counts only): {plain * 1e3:.2f} ms")
    ratios = []
    for k in (4, 16):
        cur = Curation.parse(f"best-of:{k}").resolved(token_rewards("rank", truth))

        def write(m):
            return fit.synthetic(m, mode="plugin", rng=rng)

        floor, _ = best_call(lambda k=k: _floor(probs, k, rng), repeats=5)
        curated, _ = best_call(lambda cur=cur: curated_counts(write, sizes, cur, rng), repeats=5)
        ratios.append(curated / floor)
        print(
            f"best-of:{k}: curated {curated * 1e3:.1f} ms, floor (K n item draws) "
            f"{floor * 1e3:.1f} ms, ratio {curated / floor:.2f}x"
        )
    base = {"real_fraction": "0.2", "sample_size": "2000"}
    config = RunConfig(
        settings=(Setting(**base),), num_tokens=TOKENS, generations=20, replicates=REPS, seed=1
    )
    curated_cfg = RunConfig(
        settings=(Setting(**base, curation="best-of:4"),),
        num_tokens=TOKENS,
        generations=20,
        replicates=REPS,
        seed=1,
    )
    t_plain, _ = best_call(run, config)
    t_curated, _ = best_call(run, curated_cfg)
    print(f"whole MLE run, 20 generations: plain {t_plain:.2f} s, best-of:4 {t_curated:.2f} s")
    print(f"curated vs its K n item draws: {max(ratios):.2f}x at most (target <= 2x)")


if __name__ == "__main__":
    main()
