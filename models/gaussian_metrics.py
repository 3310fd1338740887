"""Results variables of the Gaussian family and how one generation is recorded.

Closed forms: for ``N_t = N(mu, s^2)`` against the truth ``N* = N(mu*, s*^2)``,
``KL(N* || N_t) = log(s / s*) + (s*^2 + (mu* - mu)^2) / (2 s^2) - 1/2``, and the
2-Wasserstein distance is ``sqrt((mu - mu*)^2 + (s - s*)^2)``. Between two
Normal-Inverse-Gamma posteriors, ``KL = KL_IG(alpha1, beta1 || alpha2, beta2) +
E_1[KL(N(mu1, sigma2 / kappa1) || N(mu2, sigma2 / kappa2))]``, the second term being
``(kappa2 / kappa1 - 1 - log(kappa2 / kappa1)) / 2 + kappa2 (mu1 - mu2)^2 alpha1 / (2 beta1)``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

__all__ = ["VARIABLES", "gaussian_record", "gaussian_distances", "nig_kl"]

_RGEN = ("setting", "replicate", "generation")
_BLOCK = ("setting", "block", "generation")

#: name -> (dims, description). Variables a method does not produce are NaN for it.
VARIABLES: dict[str, tuple[tuple[str, ...], str]] = {
    "mu_mean": (_RGEN, "fitted mean: MLE, or posterior mean of mu"),
    "sigma2_mean": (_RGEN, "fitted variance: MLE / unbiased, or posterior mean of sigma^2"),
    "sigma_mean": (_RGEN, "fitted standard deviation: sqrt of the estimate, or posterior mean"),
    "train_size": (_RGEN, "points in the generation's training set"),
    "train_mean": (_RGEN, "mean of the training set"),
    "train_var": (_RGEN, "variance of the training set (divisor n)"),
    "real_count": (_RGEN, "fresh real points in the generation's newest batch"),
    "mu_sq_error": (_RGEN, "(mu_mean - mu*)^2"),
    "abs_mu_error": (_RGEN, "|mu_mean - mu*|"),
    "sigma_ratio": (_RGEN, "sqrt(sigma2_mean) / sigma*"),
    "log_var_ratio": (_RGEN, "log(sigma2_mean / sigma*^2)"),
    "kl_truth_to_model": (_RGEN, "KL(N* || N(mu_mean, sigma2_mean)) in nats"),
    "kl_model_to_truth": (_RGEN, "KL(N(mu_mean, sigma2_mean) || N*) in nats"),
    "w2_to_truth": (_RGEN, "2-Wasserstein distance of N(mu_mean, sigma2_mean) to N*"),
    "mu_hdi_width": (_RGEN, "width of the HDI of mu"),
    "sigma_hdi_width": (_RGEN, "width of the HDI of sigma"),
    "mu_covered": (_RGEN, "1 if mu* lies in the HDI of mu, else 0"),
    "sigma_covered": (_RGEN, "1 if sigma* lies in the HDI of sigma, else 0"),
    "kl_posterior_to_prev": (_RGEN, "KL(posterior_t || posterior_t-1); NIG closed form"),
    "contraction": (_RGEN, "1 - posterior variance of mu / its prior variance"),
    "mu_hdi_lower": (_RGEN, "lower end of the HDI of mu"),
    "mu_hdi_upper": (_RGEN, "upper end of the HDI of mu"),
    "sigma_hdi_lower": (_RGEN, "lower end of the HDI of sigma"),
    "sigma_hdi_upper": (_RGEN, "upper end of the HDI of sigma"),
    "central_coverage": (
        (*_RGEN, "level"),
        "share of the true (mu, sigma) inside their central credible intervals",
    ),
    "pit": (
        (*_RGEN, "parameter"),
        "posterior CDF at the true mu and sigma (exact, or the randomised rank among the draws)",
    ),
    "r_hat_max": (_RGEN, "largest R-hat of mu and sigma (pymc)"),
    "ess_bulk_min": (_RGEN, "smallest bulk ESS of mu and sigma (pymc)"),
    "ess_tail_min": (_RGEN, "smallest tail ESS of mu and sigma (pymc)"),
    "mu_r_hat": (_RGEN, "R-hat of mu (pymc)"),
    "sigma_r_hat": (_RGEN, "R-hat of sigma (pymc)"),
    "mu_ess_bulk": (_RGEN, "bulk ESS of mu (pymc)"),
    "sigma_ess_bulk": (_RGEN, "bulk ESS of sigma (pymc)"),
    "mu_ess_tail": (_RGEN, "tail ESS of mu (pymc)"),
    "sigma_ess_tail": (_RGEN, "tail ESS of sigma (pymc)"),
    "mu_mcse_mean": (_RGEN, "Monte Carlo SE of the posterior mean of mu (pymc)"),
    "sigma_mcse_mean": (_RGEN, "Monte Carlo SE of the posterior mean of sigma (pymc)"),
    "divergences": (
        _BLOCK,
        "divergent transitions of the sampler run that fitted the replicate block (pymc)",
    ),
}


def _kl_normal(mu1, s1, mu2, s2):
    """KL(N(mu1, s1^2) || N(mu2, s2^2))."""
    return np.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - 0.5


def gaussian_distances(mu, sigma2, truth) -> dict[str, np.ndarray]:
    """Per-replicate distances of ``N(mu, sigma2)`` to the true normal."""
    s = np.sqrt(sigma2)
    with np.errstate(divide="ignore"):
        return {
            "mu_sq_error": (mu - truth.mu) ** 2,
            "abs_mu_error": np.abs(mu - truth.mu),
            "sigma_ratio": s / truth.sigma,
            "log_var_ratio": np.log(sigma2 / truth.sigma**2),
            "kl_truth_to_model": _kl_normal(truth.mu, truth.sigma, mu, s),
            "kl_model_to_truth": _kl_normal(mu, s, truth.mu, truth.sigma),
            "w2_to_truth": np.sqrt((mu - truth.mu) ** 2 + (s - truth.sigma) ** 2),
        }


def nig_kl(first: tuple, second: tuple) -> np.ndarray:
    """KL(NIG(first) || NIG(second)) with parameters ``(mu, kappa, alpha, beta)``."""
    mu1, k1, a1, b1 = first
    mu2, k2, a2, b2 = second
    kl_ig = (a1 - a2) * digamma(a1) - gammaln(a1) + gammaln(a2) + a2 * (np.log(b1) - np.log(b2))
    kl_ig = kl_ig + a1 * (b2 - b1) / b1
    ratio = k2 / k1
    kl_normal = 0.5 * (ratio - 1 - np.log(ratio)) + 0.5 * k2 * (mu1 - mu2) ** 2 * a1 / b1
    return kl_ig + kl_normal


def gaussian_record(
    fit,
    data,
    truth,
    previous_fit,
    summarise_posterior: bool,
    levels=(),
    prior_mu_var=None,
    rng=None,
) -> dict:
    """One generation's row of results: every variable's value per replicate.

    ``levels`` are the central-interval levels checked; ``prior_mu_var`` (R,) the prior
    variance of mu, for the contraction (None: not defined, e.g. Jeffreys); ``rng``
    randomises the PIT of sampled posteriors.
    """
    stats = data.data
    row = {
        "mu_mean": fit.mu_mean,
        "sigma2_mean": fit.sigma2_mean,
        "sigma_mean": fit.sigma_mean,
        "train_size": stats.n.astype(float),
        "train_mean": stats.mean,
        "train_var": stats.m2 / np.maximum(stats.n, 1),
        "real_count": data.real.astype(float),
        **gaussian_distances(fit.mu_mean, fit.sigma2_mean, truth),
    }
    if fit.bayesian and summarise_posterior:
        hdi = fit.hdi()
        (mu_lo, mu_hi), (s_lo, s_hi) = hdi["mu"], hdi["sigma"]
        row["mu_hdi_width"] = mu_hi - mu_lo
        row["sigma_hdi_width"] = s_hi - s_lo
        row["mu_covered"] = ((mu_lo <= truth.mu) & (truth.mu <= mu_hi)).astype(float)
        row["sigma_covered"] = ((s_lo <= truth.sigma) & (truth.sigma <= s_hi)).astype(float)
        if previous_fit is not None:
            row["kl_posterior_to_prev"] = nig_kl(fit.nig, previous_fit.nig)
        row.update(
            mu_hdi_lower=mu_lo, mu_hdi_upper=mu_hi, sigma_hdi_lower=s_lo, sigma_hdi_upper=s_hi
        )
        central = fit.central_intervals(levels)
        covered = [
            ((lo <= value) & (value <= hi))
            for (lo, hi), value in ((central["mu"], truth.mu), (central["sigma"], truth.sigma))
        ]
        row["central_coverage"] = np.mean(covered, axis=0).T  # (R, level)
        pit = fit.cdf(truth, rng=rng)
        row["pit"] = np.stack([pit["mu"], pit["sigma"]], axis=-1)
        if prior_mu_var is not None:
            row["contraction"] = 1 - fit.mu_var / prior_mu_var
    row.update(getattr(fit, "diagnostics", {}))
    return row
