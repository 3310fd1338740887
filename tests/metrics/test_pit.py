"""The PIT uniformity test with the replicate as the unit (bayescollapse.metrics.pit)."""

import numpy as np
from scipy import stats

from bayescollapse.metrics.pit import GRID, pit_gaps, pit_uniformity_pvalue


def test_gaps_band_and_p_value_by_hand():
    # two replicates; at x = 0.1 their shares are 1/2 and 0: gaps 0.4 and -0.1, mean 0.15,
    # SE = sd / sqrt(2) = 0.25; t = 0.6 on 1 dof
    gaps = pit_gaps(np.array([[0.05, 0.55], [0.45, 0.95]]), min_replicates=2)
    assert gaps.replicates == 2
    np.testing.assert_allclose(gaps.gap[0], 0.15)
    np.testing.assert_allclose(gaps.half_width[0], stats.t.ppf(1 - 0.05 / 18, 1) * 0.25)
    se = gaps.half_width / stats.t.ppf(1 - 0.05 / 18, 1)
    t = np.abs(gaps.gap[se > 0]) / se[se > 0]  # where both shares agree, the gap is 0
    np.testing.assert_array_equal(gaps.gap[se == 0], 0.0)
    np.testing.assert_allclose(gaps.p_value, min(1.0, 9 * (2 * stats.t.sf(t, 1)).min()))
    # NaN values (boundary truths) are left out; a replicate with none does not count
    pit = np.array([[0.05, 0.55, np.nan], [0.45, 0.95, np.nan], [np.nan] * 3])
    same = pit_gaps(pit, min_replicates=2)
    np.testing.assert_array_equal(same.gap, gaps.gap)
    assert same.replicates == 2
    assert np.isnan(pit_uniformity_pvalue(np.full((19, 3), 0.5)))  # too few replicates
    assert pit_uniformity_pvalue(np.full((20, 3), 0.5)) < 1e-6  # all at 0.5: not uniform


def test_the_table_and_the_band_say_the_same():
    # p < 0.05 exactly when some gap lies outside its 95 % band (same t, same Bonferroni)
    rng = np.random.default_rng(1)
    for _ in range(200):
        gaps = pit_gaps(rng.uniform(size=(20, 5)) ** rng.uniform(0.6, 1.6))
        assert (gaps.p_value < 0.05) == bool((np.abs(gaps.gap) > gaps.half_width).any())


def test_false_alarms_stay_below_the_level_when_values_share_a_posterior():
    # law: values uniform at the margin but dependent within a replicate (Gaussian copula,
    # correlation 0.3, six times what tokens of a conjugate fit show) are what a calibrated
    # posterior gives; with 50 replicates the test rejects at 5 % in at most 5 % of data
    # sets (measured 4.0 %), checked over 400 data sets with z = 4 binomial SEs. A pooled
    # chi-square that treats the 50 x 30 values as independent rejects 44 % of them.
    rng = np.random.default_rng(7)
    rho, reps, tokens, sets = 0.3, 50, 30, 400
    shared = rng.standard_normal((sets, reps, 1))
    z = np.sqrt(rho) * shared + np.sqrt(1 - rho) * rng.standard_normal((sets, reps, tokens))
    pit = stats.norm.cdf(z)
    rate = np.mean([pit_uniformity_pvalue(p) < 0.05 for p in pit])
    assert rate <= 0.05 + 4 * np.sqrt(0.05 * 0.95 / sets), rate
    pooled = np.mean([stats.kstest(p.ravel(), "uniform").pvalue < 0.05 for p in pit])
    assert pooled > 0.25  # the dependence the replicate-level test allows for


def test_a_miscalibrated_posterior_is_found():
    # law: PIT values with CDF sqrt(x) (u^2 for uniform u; an overconfident posterior
    # piles them at 0) have ECDF gap sqrt(0.5) - 0.5 = 0.21 at x = 0.5: 20 replicates find it
    rng = np.random.default_rng(3)
    assert pit_uniformity_pvalue(rng.uniform(size=(20, 30)) ** 2) < 1e-3
    assert GRID[4] == 0.5
