import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bayescollapse.counts import multinomial_counts, subsample_counts


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 5), st.integers(1, 17), st.integers(0, 2**32 - 1))
def test_subsample_respects_pool(reps, tokens, seed):
    rng = np.random.default_rng(seed)
    pool = rng.integers(0, 6, size=(reps, tokens))
    sizes = rng.integers(0, pool.sum(axis=1) + 1)
    out = subsample_counts(pool, sizes, rng=rng)
    assert out.shape == pool.shape
    assert np.all(out >= 0) and np.all(out <= pool)
    np.testing.assert_array_equal(out.sum(axis=1), sizes)


def test_subsample_mean_is_hypergeometric(rng):
    # E[X_k] = n c_k / N for a draw of n without replacement; Var from the hypergeometric law
    pool = np.array([7, 0, 3, 12, 1, 9, 2])
    n, reps = 11, 40_000
    out = subsample_counts(np.tile(pool, (reps, 1)), np.full(reps, n), rng=rng)
    total = pool.sum()
    p = pool / total
    var = n * p * (1 - p) * (total - n) / (total - 1)
    se = np.sqrt(var / reps)
    z = 4.5  # 7 tokens, Bonferroni-ish: false alarm ~5e-5
    assert np.all(np.abs(out.mean(axis=0) - n * p) <= z * se + 1e-12)


def test_multinomial_rows(rng):
    out = multinomial_counts(
        np.array([5, 0, 9]), np.array([[0.5, 0.5], [1, 0], [0.1, 0.9]]), rng=rng
    )
    np.testing.assert_array_equal(out.sum(axis=1), [5, 0, 9])
