"""Intervals at other probabilities than the default, and contraction, pinned exactly."""

import numpy as np
import pytest
from scipy import stats
from scipy.special import betainc

from bayescollapse import RunConfig, Setting, run
from bayescollapse.metrics.intervals import beta_hdi, calibration, contraction
from bayescollapse.models.categorical.family import WRITER
from bayescollapse.models.gaussian.family import NIGPosterior
from bayescollapse.models.probability_fits import DirichletPosterior, probability_posterior_row


@pytest.mark.parametrize("prob", [0.5, 0.8])
def test_beta_hdi_holds_its_probability_at_equal_density(prob):
    a = np.array([2.0, 5.0, 30.0, 1.5])
    b = np.array([8.0, 5.0, 3.0, 40.0])
    lo, hi = beta_hdi(a, b, prob)
    np.testing.assert_allclose(betainc(a, b, hi) - betainc(a, b, lo), prob, atol=1e-9)
    np.testing.assert_allclose(stats.beta.pdf(lo, a, b), stats.beta.pdf(hi, a, b), rtol=1e-6)


@pytest.mark.parametrize("prob", [0.5, 0.8])
def test_posterior_fits_use_their_own_hdi_probability(prob):
    post = DirichletPosterior(np.array([[6.0, 3.0, 1.5]]), WRITER, hdi_prob=prob)
    lo, hi = post.hdi()
    a, b = post.concentration, post.concentration.sum() - post.concentration
    np.testing.assert_allclose(betainc(a, b, hi) - betainc(a, b, lo), prob, atol=1e-9)
    nig = NIGPosterior(
        np.array([0.2]), np.array([4.0]), np.array([3.0]), np.array([2.0]), hdi_prob=prob
    )
    (mu_lo, mu_hi), (s_lo, s_hi) = nig.hdi()["mu"], nig.hdi()["sigma"]
    t = stats.t(df=6.0, loc=0.2, scale=np.sqrt(2.0 / (3.0 * 4.0)))
    np.testing.assert_allclose(t.cdf(mu_hi) - t.cdf(mu_lo), prob, atol=1e-9)
    inv_gamma = stats.invgamma(3.0, scale=2.0)  # sigma^2; sigma's interval maps through sqrt
    np.testing.assert_allclose(inv_gamma.cdf(s_hi**2) - inv_gamma.cdf(s_lo**2), prob, atol=1e-6)


def test_a_runs_hdi_probability_reaches_its_recorded_intervals():
    # the conjugate posterior is Dirichlet(1 + train_count): the recorded HDIs hold 0.8 of
    # each Beta marginal, not the default 0.94
    ds = run(
        RunConfig(
            settings=(Setting(method="conjugate"),),
            hdi_prob=0.8,
            num_tokens=5,
            generations=2,
            replicates=3,
            seed=4,
        )
    )
    a = 1.0 + ds["train_count"].values
    b = a.sum(axis=-1, keepdims=True) - a
    lo, hi = ds["theta_hdi_lower"].values, ds["theta_hdi_upper"].values
    np.testing.assert_allclose(betainc(a, b, hi) - betainc(a, b, lo), 0.8, atol=1e-8)


def test_contraction_divides_by_the_prior_variance():
    # prior Dir(1, 1, 1): each marginal variance 1 * 2 / (9 * 4) = 1/18. Posterior
    # Dir(4, 2, 1), A = 7: variances (12, 10, 6) / 392. Contraction 1 - mean(ratio) = 4/7.
    post = DirichletPosterior(np.array([[4.0, 2.0, 1.0]]), WRITER, prior=np.ones((1, 3)))
    row = probability_posterior_row(
        post, np.array([0.5, 0.3, 0.2]), None, levels=(0.5,), axis=-1, rng=None
    )
    assert row["contraction"][0] == pytest.approx(4 / 7, rel=1e-12)
    assert contraction(np.array([[1.0, 3.0]]), np.array([4.0, 4.0]))[0] == 0.5


@pytest.mark.parametrize("draws", [400, 401])
def test_sorted_draw_summaries_equal_arviz_and_numpy(draws):
    # closed form: one sort serves the HDIs (ArviZ's nearest estimate: the first narrowest
    # window of floor(prob S) gaps) and the central intervals (numpy's linear quantiles);
    # skewed draws, an odd S and ties (rounded draws, a constant parameter) included
    import arviz as az
    import xarray as xr

    from bayescollapse.metrics.intervals import draws_central_intervals, draws_hdi

    rng = np.random.default_rng(11)
    x = rng.gamma(0.7, size=(2, draws, 3, 4))
    x[..., 0] = np.round(x[..., 0])
    x[..., 1, 1] = 0.25
    da = xr.DataArray(x, dims=("chain", "draw", "replicate", "token"))
    lower, upper = draws_hdi(da, 0.89)
    ref = az.hdi(da, prob=0.89)
    np.testing.assert_array_equal(lower, ref.sel(ci_bound="lower").values)
    np.testing.assert_array_equal(upper, ref.sel(ci_bound="upper").values)
    levels = (0.5, 0.8, 0.94)
    low, high = draws_central_intervals(x.reshape(-1, 3, 4), levels)
    q = np.asarray(levels)
    np.testing.assert_allclose(
        low, np.quantile(x.reshape(-1, 3, 4), (1 - q) / 2, axis=0), rtol=1e-14
    )
    np.testing.assert_allclose(
        high, np.quantile(x.reshape(-1, 3, 4), (1 + q) / 2, axis=0), rtol=1e-14
    )


def test_exact_central_coverage_from_the_cdf_equals_the_quantile_intervals(rng):
    # an exact posterior's central coverage comes from its CDF at the truth
    # ((1 - q) / 2 <= F <= (1 + q) / 2) instead of Beta quantiles: the same shares, with
    # boundary truths (0) left out alike. Catches a level mapped to the wrong tail.
    truth = np.array([0.0, 0.05, 0.15, 0.3, 0.5])
    fit = DirichletPosterior(rng.gamma(3.0, 20.0, size=(40, 5)) + 0.3, WRITER)
    levels = (0.5, 0.8, 0.94)
    row = probability_posterior_row(fit, truth, None, levels=levels, axis=-1, rng=rng)
    a, b = fit._beta()
    lo, hi = fit.central_intervals(levels)
    by_quantiles = calibration(fit.hdi(), (lo, hi), betainc(a, b, truth), truth)
    np.testing.assert_array_equal(row["central_coverage"], by_quantiles["central_coverage"])
    assert 0 < row["central_coverage"].mean() < 1


@pytest.mark.parametrize("prob", [0.5, 0.94])
def test_beta_hdi_of_a_monotone_density_is_its_tail(prob):
    # a <= 1 <= b (a token without counts) or mirrored: the HDI is [0, F^-1(prob)] or
    # [F^-1(1 - prob), 1], in closed form at a = 1; equal to the general root-finder's
    # answer, and holding its mass. Catches a mirrored tail or 1/b for b in the closed form.
    from bayescollapse.metrics.intervals import _beta_logpdf, _beta_ppf, unimodal_hdi

    rng = np.random.default_rng(3)
    a = np.concatenate([rng.uniform(0.05, 1, 50), np.ones(20), rng.uniform(1, 50, 50), [1.0]])
    b = np.concatenate(
        [rng.uniform(1, 500, 50), rng.uniform(1, 300, 20), rng.uniform(0.05, 1, 50), [1.0]]
    )
    lo, hi = beta_hdi(a, b, prob)
    general = unimodal_hdi(_beta_ppf, _beta_logpdf, (a, b), prob)
    np.testing.assert_allclose(lo, general[0], atol=1e-12)
    np.testing.assert_allclose(hi, general[1], atol=1e-12)
    np.testing.assert_allclose(betainc(a, b, hi) - betainc(a, b, lo), prob, atol=1e-10)
    assert np.all(lo[:70] == 0) and np.all(hi[70:120] == 1)


def test_beta_hdi_solves_each_distinct_pair_once_with_the_same_ends():
    # repeated (a, b) pairs (a Dirichlet posterior's integer counts) are solved once and
    # handed back to every place they occur: the ends equal those solved one by one
    rng = np.random.default_rng(3)
    a = 1.0 + rng.poisson(2.0, size=(4, 60))
    b = a.sum(axis=-1, keepdims=True) - a + 0.5
    a[0, 0] = np.nan  # a missing value stays missing and does not disturb the others
    lower, upper = beta_hdi(a, b, 0.9)
    assert np.unique(a[1:] + 1j * b[1:]).size < a[1:].size  # the path under test
    for index in np.ndindex(a.shape):
        lo, hi = beta_hdi(np.array([a[index]]), np.array([b[index]]), 0.9)
        np.testing.assert_array_equal([lower[index], upper[index]], [lo[0], hi[0]])


def test_remembered_hdi_ends_are_those_of_their_own_level():
    # the ends remembered across calls are keyed by (a, b, prob): a second level on the same
    # pairs gets its own ends, equal to solving each pair alone
    a = np.tile([2.0, 5.0, 9.0], 20)
    b = 40.0 - a
    first = beta_hdi(a, b, 0.9)
    second = beta_hdi(a, b, 0.5)
    for i in range(3):
        alone = beta_hdi(np.array([a[i]]), np.array([b[i]]), 0.5)
        assert (second[0][i], second[1][i]) == (alone[0][0], alone[1][0])
        assert first[1][i] - first[0][i] > second[1][i] - second[0][i]
