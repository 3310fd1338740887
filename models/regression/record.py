"""Results variables of the linear-regression family and how one generation is recorded."""

from __future__ import annotations

import numpy as np

from bayescollapse.metrics import calibration, contraction
from bayescollapse.models.regression.fits import nig_regression_kl
from bayescollapse.models.sampling import NATS, sampler_variables

__all__ = ["UNITS", "VARIABLES", "regression_record"]

_RGEN = ("setting", "replicate", "generation")
_FEATURE = (*_RGEN, "feature")

#: name -> (dims, description). Variables a method does not produce are NaN for it.
VARIABLES: dict[str, tuple[tuple[str, ...], str]] = {
    "w_mean": (_FEATURE, "fitted coefficients: least squares, ridge, or posterior mean of w"),
    "sigma2_mean": (_RGEN, "fitted noise variance: RSS-based, or posterior mean of sigma^2"),
    "sigma_mean": (_RGEN, "fitted noise sd: sqrt of the estimate, or posterior mean of sigma"),
    "excess_risk": (
        _RGEN,
        "(w - w*)' Sigma (w - w*): test error above the noise, E (x.w - y)^2 - sigma*^2",
    ),
    "w_sq_error": (_RGEN, "|w - w*|^2"),
    "sigma_ratio": (_RGEN, "sqrt(sigma2_mean) / sigma*"),
    "train_size": (_RGEN, "rows in the generation's training set"),
    "real_count": (_RGEN, "fresh real rows in the generation's newest batch"),
    "w_covered": (_RGEN, "share of the coordinates of w* inside their HDIs"),
    "sigma_covered": (_RGEN, "1 if sigma* lies in the HDI of sigma, else 0"),
    "w_hdi_width": (_RGEN, "mean width of the coordinates' HDIs"),
    "w_hdi_lower": (_FEATURE, "lower end of each coefficient's HDI"),
    "w_hdi_upper": (_FEATURE, "upper end of each coefficient's HDI"),
    "sigma_hdi_lower": (_RGEN, "lower end of the HDI of sigma"),
    "sigma_hdi_upper": (_RGEN, "upper end of the HDI of sigma"),
    "kl_posterior_to_prev": (_RGEN, "KL(posterior_t || posterior_t-1); NIG closed form"),
    "contraction": (_RGEN, "1 - mean over coordinates of posterior / prior variance of w"),
    "central_coverage": (
        (*_RGEN, "level"),
        "share of the true (w, sigma) inside their central credible intervals",
    ),
    "pit": ((*_RGEN, "parameter"), "posterior CDF at each true coefficient and at sigma*"),
    **sampler_variables({"w": (_FEATURE, "w"), "sigma": (_RGEN, "sigma")}),
}

#: CF units: the labels' unit for sigma and its intervals (left unnamed: None)
UNITS = {
    "kl_posterior_to_prev": NATS,
    **{name: None for name in ("sigma_mean", "sigma_hdi_lower", "sigma_hdi_upper", "sigma2_mean")},
}


def regression_record(
    fit,
    data,
    truth,
    previous_fit,
    summarise_posterior: bool,
    *,
    levels=(),
    prior_w_var=None,
    rng=None,
) -> dict:
    """One generation's row of results: every variable's value per replicate.

    ``prior_w_var`` (R, d) is the prior variance of w, for the contraction (None: not
    defined); ``rng`` randomises the PIT of sampled posteriors.
    """
    stats = data.data
    gap = fit.w_mean - truth.w
    row = {
        "w_mean": fit.w_mean,
        "sigma2_mean": fit.sigma2_mean,
        "sigma_mean": fit.sigma_mean,
        "excess_risk": (gap**2 * truth.spectrum).sum(axis=1),
        "w_sq_error": (gap**2).sum(axis=1),
        "sigma_ratio": np.sqrt(fit.sigma2_mean) / truth.sigma,
        "train_size": np.asarray(stats.n, float),
        "real_count": data.real.astype(float),
    }
    if fit.bayesian and summarise_posterior:
        hdi = fit.hdi()
        (w_lo, w_hi), (s_lo, s_hi) = hdi["w"], hdi["sigma"]
        cdf = fit.cdf(truth, rng=rng)
        values = np.append(truth.w, truth.sigma)
        central = None  # an exact CDF gives the central coverage (see ``calibration``)
        if not fit.exact_cdf:
            ends = fit.central_intervals(levels)
            central = tuple(
                np.concatenate([ends["w"][i], ends["sigma"][i][..., None]], axis=-1) for i in (0, 1)
            )
        summary = calibration(
            (np.column_stack([w_lo, s_lo]), np.column_stack([w_hi, s_hi])),
            central,
            np.column_stack([cdf["w"], cdf["sigma"]]),
            values,
            interior=np.ones(values.size, bool),
            levels=levels,
        )
        inside = (w_lo <= truth.w) & (truth.w <= w_hi)
        row.update(
            w_covered=inside.mean(axis=1),
            sigma_covered=((s_lo <= truth.sigma) & (truth.sigma <= s_hi)).astype(float),
            w_hdi_width=(w_hi - w_lo).mean(axis=1),
            w_hdi_lower=w_lo,
            w_hdi_upper=w_hi,
            sigma_hdi_lower=s_lo,
            sigma_hdi_upper=s_hi,
            central_coverage=summary["central_coverage"],
            pit=summary["pit"],
        )
        if previous_fit is not None and previous_fit.bayesian:
            row["kl_posterior_to_prev"] = nig_regression_kl(fit.nig, previous_fit.nig)
        if prior_w_var is not None:
            row["contraction"] = contraction(fit.w_var, prior_w_var)
    row.update(fit.diagnostics)
    return row
