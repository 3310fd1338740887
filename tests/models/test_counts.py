import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from bayescollapse.models.counts import alias_table, multinomial_counts, subsample_counts


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


@pytest.mark.parametrize("kind", ["rows", "alias", "sparse rows"])
def test_few_draws_over_many_categories_have_the_multinomial_law(kind):
    # law: Multinomial(n_r, p_r): a cell's count has mean n p and variance n p (1 - p).
    # Fewer draws than a quarter of the cells take the draw-every-item path: a binary search
    # per item over the rows' CDFs ("rows"; over their positive entries only when most
    # are 0: "sparse rows"), or, for one law shared by every row, Walker's alias table
    # ("alias"). Cells expected
    # fewer than 400 times over the 4000 draws are pooled into one cell per row (their sum
    # is Binomial(n, sum p)), where the normal approximation to the mean and the sample
    # variance holds. Each row's m means and m variances are checked at the Bonferroni z for
    # a family-wise false alarm of 1e-3 (z = 4.1 to 4.7 here): 0 alarms at 90 seeds. (With
    # 50 expected counts and z = 4.5 per cell the rate was 2 in 20 seeds: too optimistic.)
    # Rows sum to their sizes, and a row of size 0 is all zero.
    rng = np.random.default_rng(4)
    p = rng.dirichlet(np.full(400, 0.5), size=3)
    if kind == "alias":
        p = np.broadcast_to(p[0], p.shape)
    if kind == "sparse rows":  # 60 positive entries a row, not all in the same places
        for r in range(3):
            p[r, rng.permutation(400)[60:]] = 0.0
        p /= p.sum(axis=-1, keepdims=True)
    sizes = np.array([10, 60, 0])
    reps = 4000
    assert sizes.sum() < p.size // 4  # the path under test
    law = p[0] if kind == "alias" else p
    draws = np.stack([multinomial_counts(sizes, law, rng=rng) for _ in range(reps)])
    np.testing.assert_array_equal(draws.sum(axis=-1), np.broadcast_to(sizes, (reps, 3)))
    for r in (0, 1):
        rare = sizes[r] * p[r] * reps < 400
        probs = np.append(p[r][~rare], p[r][rare].sum())
        assert probs.size >= 5  # enough cells that the check says something
        counts = np.column_stack([draws[:, r][:, ~rare], draws[:, r][:, rare].sum(axis=1)])
        z = stats.norm.isf(0.5e-3 / (2 * probs.size))
        mean, var = sizes[r] * probs, sizes[r] * probs * (1 - probs)
        assert np.all(np.abs(counts.mean(axis=0) - mean) <= z * np.sqrt(var / reps))
        m4 = var * (1 + 3 * (sizes[r] - 2) * probs * (1 - probs))  # 4th central moment
        se_var = np.sqrt((m4 - var**2) / reps)
        assert np.all(np.abs(counts.var(axis=0, ddof=1) - var) <= z * se_var)
    assert not draws[:, 2].any()


@pytest.mark.parametrize("seed", range(12))
def test_the_alias_table_holds_the_law_exactly(seed):
    # closed form: p_k = (keep_k + sum over j with alias_j = k of (1 - keep_j)) / K, and a
    # category of probability 0 keeps no share of any column
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 300))
    p = rng.dirichlet(np.full(k, 0.3))
    p[rng.random(k) < 0.3] = 0.0
    p[int(rng.integers(k))] += 0.1
    p /= p.sum()
    keep, alias = alias_table(p)
    back = keep.copy()
    np.add.at(back, alias, 1.0 - keep)
    np.testing.assert_allclose(back / k, p, rtol=0, atol=1e-13)
    assert np.all(keep[p == 0] == 0) and np.all(p[alias[keep < 1]] > 0)
    draws = multinomial_counts(np.full(50, 20), p, rng=rng)
    assert not draws[:, p == 0].any()


def test_a_rows_last_positive_entry_takes_the_items_its_cdf_leaves():
    # a CDF that ends below 1 (rounding; here 0.5 on purpose) loses no item: the row's last
    # positive entry takes what is left, and the rows still sum to their sizes
    from bayescollapse.models.counts import _counts_of_draws_sparse

    rng = np.random.default_rng(9)
    p = np.zeros((3, 40))
    p[0, [3, 17]] = 0.25  # sums to 0.5
    p[1, 5] = 1.0
    p[2, [0, 39]] = 0.5
    sizes = np.array([200, 0, 50])
    out = _counts_of_draws_sparse(p, np.flatnonzero(p > 0), sizes, rng)
    np.testing.assert_array_equal(out.sum(axis=1), sizes)
    assert out[0, 17] > out[0, 3] > 0  # the last entry took the half beyond the CDF
    assert out[1].sum() == 0 and set(np.flatnonzero(out[2])) <= {0, 39}
