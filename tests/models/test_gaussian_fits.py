"""The laws of the Gaussian fits' synthetic sets, for the exact and the sampled posterior."""

import numpy as np
import xarray as xr
from scipy import stats as scipy_stats

from bayescollapse.models.gaussian.family import GaussianStats, NIGPosterior, SampledGaussian
from bayescollapse.models.gaussian.fits import points_given_stats

# one NIG posterior for every replicate: E sigma^2 = beta / (alpha - 1) = 2
KAPPA, ALPHA, BETA, MU, M, REPS = 4.0, 3.0, 4.0, 0.5, 20, 40_000
MEAN_SIGMA2 = BETA / (ALPHA - 1)
WIDTH = 400  # replicates of the sampled fit


def _exact():
    full = np.full(REPS, 1.0)
    return NIGPosterior(MU * full, KAPPA * full, ALPHA * full, BETA * full)


def _sampled(rng):
    # a PyMC-like posterior: 4000 exact NIG draws of (mu, sigma), shared by WIDTH replicates
    sigma2 = BETA / rng.standard_gamma(ALPHA, 4000)
    mu = MU + np.sqrt(sigma2 / KAPPA) * rng.standard_normal(4000)
    posterior = xr.Dataset(
        {
            "mu": (
                ("chain", "draw", "replicate"),
                np.broadcast_to(mu[None, :, None], (1, 4000, WIDTH)),
            ),
            "sigma": (
                ("chain", "draw", "replicate"),
                np.broadcast_to(np.sqrt(sigma2)[None, :, None], (1, 4000, WIDTH)),
            ),
        }
    )
    tree = xr.DataTree.from_dict({"posterior": posterior})
    stats = GaussianStats(np.full(WIDTH, 10), np.zeros(WIDTH), np.ones(WIDTH))
    return SampledGaussian(tree, None, stats, 0.94, {}), mu, sigma2


def _check_mean_and_variance(stats, mean, variance, z=4.0):
    x = stats.mean
    assert abs(x.mean() - mean) < z * x.std() / np.sqrt(x.size)
    # SE of a sample variance with the sample's own fourth moment
    c = x - x.mean()
    se = np.sqrt(((c**4).mean() - x.var() ** 2) / x.size)
    assert abs(x.var() - variance) < z * se, (x.var(), variance, se)


def test_ancestral_set_mean_carries_the_parameter_draw():
    # law: sigma2 ~ IG, mu ~ N(mu_n, sigma2 / kappa), then m points: Var(set mean) =
    # E sigma2 (1 / kappa + 1 / m) = 2 (0.25 + 0.05) = 0.6; the plug-in set's would be 0.1.
    # z = 4 on the mean and on the variance.
    rng = np.random.default_rng(7)
    stats = _exact().synthetic(np.full(REPS, M), mode="ancestral", rng=rng)
    _check_mean_and_variance(stats, MU, MEAN_SIGMA2 * (1 / KAPPA + 1 / M))


def test_plugin_set_is_drawn_from_the_posterior_means():
    # law: N(mu_n, E sigma2): set mean variance E sigma2 / m = 0.1, E[m2 / (m - 1)] = 2
    rng = np.random.default_rng(8)
    stats = _exact().synthetic(np.full(REPS, M), mode="plugin", rng=rng)
    _check_mean_and_variance(stats, MU, MEAN_SIGMA2 / M)
    s2 = stats.m2 / (M - 1)
    assert abs(s2.mean() - MEAN_SIGMA2) < 4 * s2.std() / np.sqrt(REPS)


def test_sampled_posterior_sets_follow_the_same_laws():
    # the sampled fit writes from its draws: the laws above with the draws' own moments
    rng = np.random.default_rng(9)
    fit, mu, sigma2 = _sampled(rng)
    sizes = np.full(WIDTH, M)
    means = np.concatenate(
        [fit.synthetic(sizes, mode="ancestral", rng=rng).mean for _ in range(REPS // WIDTH)]
    )
    draws_var = mu.var() + sigma2.mean() / M  # Var(mu_d) + E sigma_d^2 / m over the draws
    _check_mean_and_variance(
        GaussianStats(np.full(means.size, M), means, means), mu.mean(), draws_var
    )
    plug = np.concatenate(
        [fit.synthetic(sizes, mode="plugin", rng=rng).mean for _ in range(REPS // WIDTH)]
    )
    _check_mean_and_variance(
        GaussianStats(np.full(plug.size, M), plug, plug), mu.mean(), sigma2.mean() / M
    )


def test_points_given_stats_have_exactly_those_statistics():
    stats = GaussianStats(
        np.array([0, 1, 2, 7]), np.array([0.0, 3.0, -1.0, 2.5]), np.array([0.0, 0.0, 8.0, 5.0])
    )
    points = points_given_stats(stats, np.random.default_rng(0))
    assert points.shape == (4, 7)
    np.testing.assert_array_equal(np.isnan(points), np.arange(7) >= stats.n[:, None])
    again = GaussianStats.of_points(np.nan_to_num(points), stats.n)
    np.testing.assert_allclose(again.mean, stats.mean, atol=1e-12)
    np.testing.assert_allclose(again.m2, stats.m2, atol=1e-12)
    np.testing.assert_allclose(sorted(points[2, :2]), [-3.0, 1.0])  # mean -1, m2 8: -1 -+ 2
    assert points[1, 0] == 3.0  # one point: the mean


def test_points_drawn_given_exact_statistics_are_normal_points():
    # law: statistics of n points of N(mu, sigma^2) drawn exactly, then points given them,
    # are n iid N(mu, sigma^2) points; so the first point of each set is N(2, 9) and the
    # product of the first two has mean mu^2 = 4 (independence). z = 4 on each moment.
    rng = np.random.default_rng(3)
    reps, n = 40_000, 5
    stats = GaussianStats.of_normal(
        np.full(reps, 2.0), np.full(reps, 3.0), np.full(reps, n), rng=rng
    )
    points = points_given_stats(stats, rng)
    first = points[:, 0]
    assert abs(first.mean() - 2.0) < 4 * 3.0 / np.sqrt(reps)
    assert abs(first.var() - 9.0) < 4 * 9.0 * np.sqrt(2 / reps)  # var of s^2 is 2 sigma^4 / N
    product = points[:, 0] * points[:, 1]
    assert abs(product.mean() - 4.0) < 4 * product.std() / np.sqrt(reps)
    assert scipy_stats.kstest(first, scipy_stats.norm(2.0, 3.0).cdf).pvalue > 1e-4
