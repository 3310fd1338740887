"""Results variables of the Gaussian family and how one generation is recorded.

The metrics themselves are the cores of :mod:`bayescollapse.metrics` (distances to the
truth, calibration, contraction, the NIG drift); this module only names them.
"""

from __future__ import annotations

import numpy as np

from bayescollapse.metrics import calibration, contraction, gaussian_distances, nig_kl
from bayescollapse.models.sampling import NATS, sampler_variables

__all__ = ["UNITS", "VARIABLES", "gaussian_record"]

_RGEN = ("setting", "replicate", "generation")

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
    **sampler_variables({"mu": (_RGEN, "mu"), "sigma": (_RGEN, "sigma")}),
    "reward_mean": (_RGEN, "expected reward under the fitted normal, E r(X) (curated settings)"),
    "acceptance_rate": (
        _RGEN,
        "accepted candidates over candidates drawn for the generation's data (filter)",
    ),
}


#: CF units of the variables: the data's own unit for mu and sigma (left unnamed: None)
UNITS = {
    **{name: NATS for name in ("kl_truth_to_model", "kl_model_to_truth", "kl_posterior_to_prev")},
    **{
        name: None
        for name in (
            "mu_mean",
            "sigma_mean",
            "train_mean",
            "abs_mu_error",
            "w2_to_truth",
            "mu_hdi_width",
            "sigma_hdi_width",
            "mu_hdi_lower",
            "mu_hdi_upper",
            "sigma_hdi_lower",
            "sigma_hdi_upper",
            "sigma2_mean",
            "train_var",
            "mu_sq_error",
        )
    },
}


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
        **gaussian_distances(fit.mu_mean, fit.sigma2_mean, truth.mu, truth.sigma),
    }
    if fit.bayesian and summarise_posterior:

        def stacked(values):  # the parameters (mu, sigma) on the last axis
            return np.stack([values["mu"], values["sigma"]], axis=-1)

        def stacked_ends(intervals):
            return tuple(stacked({n: intervals[n][i] for n in intervals}) for i in (0, 1))

        hdi, pit = fit.hdi(), fit.cdf(truth, rng=rng)
        central = None  # an exact CDF gives the central coverage (see ``calibration``)
        if not fit.exact_cdf:
            central = stacked_ends(fit.central_intervals(levels))
        summary = calibration(
            stacked_ends(hdi),
            central,
            stacked(pit),
            np.array([truth.mu, truth.sigma]),
            interior=np.array([True, True]),
            levels=levels,
        )
        (mu_lo, mu_hi), (s_lo, s_hi) = hdi["mu"], hdi["sigma"]
        row["mu_hdi_width"] = mu_hi - mu_lo
        row["sigma_hdi_width"] = s_hi - s_lo
        row["mu_covered"] = ((mu_lo <= truth.mu) & (truth.mu <= mu_hi)).astype(float)
        row["sigma_covered"] = ((s_lo <= truth.sigma) & (truth.sigma <= s_hi)).astype(float)
        if previous_fit is not None and previous_fit.bayesian:
            row["kl_posterior_to_prev"] = nig_kl(fit.nig, previous_fit.nig)
        row.update(
            mu_hdi_lower=mu_lo, mu_hdi_upper=mu_hi, sigma_hdi_lower=s_lo, sigma_hdi_upper=s_hi
        )
        row["central_coverage"] = summary["central_coverage"]
        row["pit"] = summary["pit"]
        if prior_mu_var is not None:
            row["contraction"] = contraction(fit.mu_var[:, None], prior_mu_var[:, None])
    row.update(fit.diagnostics)
    return row
