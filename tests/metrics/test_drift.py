"""Drift between consecutive posteriors: the closed forms, and their direction where recorded."""

import numpy as np
from scipy.special import digamma, gammaln

from bayescollapse.engine.schemes import TrainingSet
from bayescollapse.metrics.drift import nig_kl
from bayescollapse.models.categorical.family import WRITER, DirichletCategorical
from bayescollapse.models.gaussian.family import (
    Gaussian,
    GaussianStats,
    GaussianTruth,
    NIGPosterior,
)
from bayescollapse.models.probability_fits import DirichletPosterior, probability_posterior_row


def _dirichlet_kl(a, b):
    """KL(Dir(a) || Dir(b)), written out."""
    a0, b0 = a.sum(), b.sum()
    return (
        gammaln(a0)
        - gammaln(a).sum()
        - gammaln(b0)
        + gammaln(b).sum()
        + ((a - b) * (digamma(a) - digamma(a0))).sum()
    )


def _nig_logpdf(mu, sigma2, params):
    m, k, a, b = params
    log_ig = a * np.log(b) - gammaln(a) - (a + 1) * np.log(sigma2) - b / sigma2
    log_n = -0.5 * np.log(2 * np.pi * sigma2 / k) - k * (mu - m) ** 2 / (2 * sigma2)
    return log_ig + log_n


def test_nig_kl_matches_monte_carlo():
    # law: KL(p || q) = E_p[log p - log q]; 400,000 draws from p, z = 4 standard errors,
    # for a pair and its reverse (the KL is not symmetric here: 0.64 against 0.85)
    rng = np.random.default_rng(3)
    p, q = (0.3, 5.0, 4.0, 3.0), (0.0, 2.0, 3.0, 3.5)
    for first, second in ((p, q), (q, p)):
        m, k, a, b = first
        sigma2 = b / rng.standard_gamma(a, 400_000)
        mu = m + np.sqrt(sigma2 / k) * rng.standard_normal(sigma2.size)
        terms = _nig_logpdf(mu, sigma2, first) - _nig_logpdf(mu, sigma2, second)
        se = terms.std() / np.sqrt(terms.size)
        assert abs(float(nig_kl(first, second)) - terms.mean()) < 4 * se
    assert abs(float(nig_kl(p, q)) - float(nig_kl(q, p))) > 0.1


def test_categorical_drift_is_kl_of_this_posterior_from_the_last():
    previous = DirichletPosterior(np.array([[5.0, 2.0, 1.0]]), WRITER)
    current = DirichletPosterior(np.array([[9.0, 3.0, 1.0]]), WRITER)
    truth = np.array([0.6, 0.3, 0.1])
    row = probability_posterior_row(
        current, truth, previous, levels=(0.5,), axis=-1, rng=np.random.default_rng(0)
    )
    forward = _dirichlet_kl(current.concentration[0], previous.concentration[0])
    backward = _dirichlet_kl(previous.concentration[0], current.concentration[0])
    np.testing.assert_allclose(row["kl_posterior_to_prev"], [forward], rtol=1e-12)
    assert abs(forward - backward) > 0.05


def test_gaussian_drift_is_kl_of_this_posterior_from_the_last():
    family = Gaussian()
    previous = NIGPosterior(np.array([0.0]), np.array([2.0]), np.array([3.0]), np.array([3.5]))
    current = NIGPosterior(np.array([0.3]), np.array([5.0]), np.array([4.0]), np.array([3.0]))
    data = TrainingSet(
        GaussianStats(np.array([3]), np.array([0.3]), np.array([1.0])), None, np.array([3])
    )
    row = family.record(current, data, GaussianTruth(0.0, 1.0), previous, True)
    np.testing.assert_allclose(row["kl_posterior_to_prev"], nig_kl(current.nig, previous.nig))
    assert abs(row["kl_posterior_to_prev"][0] - nig_kl(previous.nig, current.nig)[0]) > 0.1


def test_categorical_family_records_the_same_drift():
    family = DirichletCategorical(3)
    previous = DirichletPosterior(np.array([[5.0, 2.0, 1.0]]), WRITER, prior=np.ones((1, 3)))
    current = DirichletPosterior(np.array([[9.0, 3.0, 1.0]]), WRITER, prior=np.ones((1, 3)))
    data = TrainingSet(np.array([[8, 2, 0]]), None, np.array([10]))
    row = family.record(
        current, data, np.array([0.6, 0.3, 0.1]), previous, True, rng=np.random.default_rng(0)
    )
    forward = _dirichlet_kl(current.concentration[0], previous.concentration[0])
    np.testing.assert_allclose(row["kl_posterior_to_prev"], [forward], rtol=1e-12)
