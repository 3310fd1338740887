import numpy as np
import xarray as xr
from scipy import stats

from bayescollapse import metrics
from bayescollapse.metrics import covered_share, interior_pit, randomised_pit


def test_distances_closed_forms():
    p = np.array([[0.5, 0.5, 0.0]])
    q = np.array([0.25, 0.25, 0.5])
    m = metrics.categorical_distances(p, q, counts=np.array([[3, 4, 0]]))
    np.testing.assert_allclose(m["tv_to_truth"], [0.5])
    assert np.isinf(m["kl_truth_to_model"][0])  # a lost true token makes KL(P*||P) infinite
    np.testing.assert_allclose(m["kl_model_to_truth"], [np.log(2)])
    np.testing.assert_allclose(m["sq_l2_to_truth"], [0.125 + 0.25])
    np.testing.assert_allclose(m["entropy"], [np.log(2)])
    np.testing.assert_allclose(m["gini_simpson"], [0.5])
    np.testing.assert_allclose(m["lost_tokens"], [1])
    np.testing.assert_allclose(m["lost_mass"], [0.5])
    h = np.sqrt(0.5 * ((np.sqrt(0.5) - 0.5) ** 2 * 2 + 0.5))
    np.testing.assert_allclose(m["hellinger_to_truth"], [h])


def test_dirichlet_kl_matches_scipy_monte_carlo_free_identity():
    # KL(Dir(a)||Dir(b)) = E_a[log p_a - log p_b]; check against scipy's logpdf on a grid-free
    # identity: the entropy form KL = -H(a) - E_a[log p_b], with E_a[log x_k] = psi(a_k) - psi(A)
    from scipy.special import digamma

    a, b = np.array([2.0, 3.0, 0.5]), np.array([1.0, 1.0, 1.0])
    e_log = digamma(a) - digamma(a.sum())
    cross = stats.dirichlet(b).logpdf(np.full(3, 1 / 3)) - np.sum((b - 1) * np.log(1 / 3))
    expected = -stats.dirichlet(a).entropy() - (cross + np.sum((b - 1) * e_log))
    got = metrics.drift.dirichlet_kl(a[None], b[None])
    np.testing.assert_allclose(got, [expected], rtol=1e-10)
    np.testing.assert_allclose(metrics.drift.dirichlet_kl(a[None], a[None]), [0.0], atol=1e-12)


def test_beta_hdi_is_highest_density():
    a = np.array([0.5, 1.0, 3.0, 30.0, 2.0, 200.0])
    b = np.array([10.0, 5.0, 4.0, 2.0, 0.7, 3000.0])
    lo, hi = metrics.beta_hdi(a, b, 0.94)
    np.testing.assert_allclose(stats.beta.cdf(hi, a, b) - stats.beta.cdf(lo, a, b), 0.94, atol=1e-9)
    interior = (lo > 0) & (hi < 1)
    np.testing.assert_allclose(
        stats.beta.pdf(lo[interior], a[interior], b[interior]),
        stats.beta.pdf(hi[interior], a[interior], b[interior]),
        rtol=1e-5,
    )
    assert lo[0] == 0 and lo[1] == 0 and hi[4] == 1  # monotone densities pin one end


def test_xarray_wrappers_use_named_dim():
    p = xr.DataArray([[0.2, 0.8], [0.5, 0.5]], dims=("replicate", "token"))
    q = xr.DataArray([0.5, 0.5], dims=("token",))
    out = metrics.tv_distance(p, q)
    assert out.dims == ("replicate",)
    np.testing.assert_allclose(out, [0.3, 0.0])
    assert metrics.shannon_entropy(q).item() == np.log(2)


def test_covered_share_leaves_boundary_truths_out():
    # hand values: token 0 (truth 0) is on the boundary and excluded whatever the interval;
    # of the interior tokens, 0.2 is in [0.1, 0.3] and 0.7 is not in [0.5, 0.6]: share 1/2
    lower, upper = np.array([0.0, 0.1, 0.5]), np.array([0.2, 0.3, 0.6])
    truth = np.array([0.0, 0.2, 0.7])
    assert float(covered_share(lower, upper, truth)) == 0.5
    assert float(covered_share(lower + 0.01, upper, truth)) == 0.5  # same: 0 is not counted
    assert np.isnan(covered_share(lower, upper, np.array([0.0, 0.0, 1.0])))
    pit = interior_pit(np.array([0.0, 0.3, 0.9]), truth)
    assert np.isnan(pit[0]) and pit[1:].tolist() == [0.3, 0.9]


def test_randomised_pit_is_uniform_under_calibration():
    # law (SBC): if the value is itself a draw from the posterior, its rank among S draws is
    # uniform on {0..S} and the randomised PIT is exactly Uniform(0, 1); with S = 9 the
    # plain share r / S is not (it takes 10 values). KS p > 1e-3 over 4000 cases.
    rng = np.random.default_rng(8)
    a, b = rng.uniform(0.5, 5, 4000), rng.uniform(0.5, 5, 4000)
    truth = rng.beta(a, b)
    draws = rng.beta(a, b, size=(9, 4000))
    u = randomised_pit(draws, truth, rng=rng)
    assert stats.kstest(u, "uniform").pvalue > 1e-3
    assert stats.kstest((draws <= truth).mean(axis=0), "uniform").pvalue < 1e-6
    # ties: a value equal to every draw is spread over the whole interval
    tied = randomised_pit(np.full((4, 2000), 0.5), np.full(2000, 0.5), rng=rng)
    assert stats.kstest(tied, "uniform").pvalue > 1e-3


def test_beta_hdi_newton_converges_and_matches_the_root_finder():
    # closed form: the HDI of Beta(a, b) is the unique interval of mass q with equal end
    # densities. Newton's method (a, b > 1) must converge on posteriors of the shapes the
    # loop meets and agree with the bracketing root finder it replaces to 1e-10; where it
    # does not converge (a mode pressed against 1 by b near 1), beta_hdi falls back to the
    # root finder, and agrees with it all the same.
    from bayescollapse.metrics.intervals import (
        _beta_hdi_newton,
        _beta_logpdf,
        _beta_ppf,
        unimodal_hdi,
    )

    a = np.array([1.001, 1.5, 2.0, 3.0, 30.0, 200.0, 5.0, 1001.0])
    b = np.array([1.001, 40.0, 2.0, 4.0, 2.0, 3000.0, 90000.0, 1.2])
    lo, hi, ok = _beta_hdi_newton(a, b, 0.94)
    assert ok[:-1].all()
    ref_lo, ref_hi = unimodal_hdi(_beta_ppf, _beta_logpdf, (a, b), 0.94)
    np.testing.assert_allclose(lo[:-1], ref_lo[:-1], atol=1e-10)
    np.testing.assert_allclose(hi[:-1], ref_hi[:-1], atol=1e-10)
    got_lo, got_hi = metrics.beta_hdi(a, b, 0.94)
    np.testing.assert_allclose(got_lo, ref_lo, atol=1e-10)
    np.testing.assert_allclose(got_hi, ref_hi, atol=1e-10)
