"""What the Gaussian family records of a fit: distances, and the contraction of mu."""

import numpy as np
import pytest

from bayescollapse.engine.schemes import TrainingSet
from bayescollapse.metrics.distances import gaussian_distances
from bayescollapse.models.gaussian.family import (
    Gaussian,
    GaussianStats,
    GaussianTruth,
    NIGPosterior,
    PointGaussian,
    nig_update,
)
from bayescollapse.models.gaussian.record import gaussian_record

DATA = TrainingSet(
    GaussianStats(np.array([10]), np.array([0.4]), np.array([18.0])), None, np.array([10])
)
TRUTH = GaussianTruth(0.0, 1.0)


def test_a_point_fit_records_its_distances_and_no_posterior_summary():
    fit = PointGaussian(np.array([0.4]), np.array([1.8]))
    row = Gaussian().record(fit, DATA, TRUTH, None, True)
    for name, value in gaussian_distances(fit.mu, fit.sigma2, 0.0, 1.0).items():
        np.testing.assert_array_equal(row[name], value)
    assert row["train_size"][0] == 10 and row["train_var"][0] == pytest.approx(1.8)
    assert "contraction" not in row and "mu_covered" not in row


def test_contraction_of_mu_divides_by_its_prior_variance():
    # NIG prior (0, kappa0 = 2, alpha0 = 3, beta0 = 4): Var mu = beta0 / ((alpha0 - 1)
    # kappa0) = 1. The posterior after (n = 10, mean 0.4, m2 = 18) has kappa 12, alpha 8,
    # beta 4 + 9 + 2 * 10 * 0.16 / 24 = 13.1333: Var mu = 13.1333 / (7 * 12) = 0.15635,
    # so the contraction is 1 - 0.15635 / 1 = 0.84365
    family = Gaussian(prior_kappa=2.0, prior_alpha=3.0, prior_beta=4.0)
    prior = family.initial_prior(1)
    mu, kappa, alpha, beta = nig_update(prior, DATA.data)
    fit = NIGPosterior(mu, kappa, alpha, beta, prior=prior)
    row = family.record(fit, DATA, TRUTH, None, True)
    assert (kappa[0], alpha[0], beta[0]) == pytest.approx((12, 8, 4 + 9 + 3.2 / 24))
    assert row["contraction"][0] == pytest.approx(1 - (4 + 9 + 3.2 / 24) / 84, rel=1e-12)


def test_exact_central_coverage_from_the_cdf_equals_the_quantile_intervals(monkeypatch):
    # the exact NIG posterior's central coverage of mu and sigma comes from its CDF at the
    # truth; computed from its quantile intervals instead, every replicate and level agree.
    # Catches a level mapped to the wrong tail or sigma's CDF taken as its complement.
    rng = np.random.default_rng(4)
    fit = NIGPosterior(
        rng.normal(0, 0.3, 200), np.full(200, 11.0), np.full(200, 6.0), rng.uniform(3, 9, 200)
    )
    data = TrainingSet(
        GaussianStats(np.full(200, 10), np.zeros(200), np.full(200, 9.0)), None, np.full(200, 10)
    )
    levels = (0.5, 0.8, 0.94)
    from_cdf = gaussian_record(fit, data, TRUTH, None, True, levels=levels)
    monkeypatch.setattr(NIGPosterior, "exact_cdf", False)
    from_intervals = gaussian_record(fit, data, TRUTH, None, True, levels=levels)
    for name in ("central_coverage", "pit", "mu_covered"):
        np.testing.assert_array_equal(from_cdf[name], from_intervals[name])
    assert 0 < from_cdf["central_coverage"].mean() < 1
