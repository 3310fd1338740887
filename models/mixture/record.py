"""Results variables of the Gaussian mixture family and how one generation is recorded."""

from __future__ import annotations

import numpy as np

from bayescollapse.metrics import calibration
from bayescollapse.metrics.drift import dirichlet_kl, nig_kl
from bayescollapse.models.mixture.distances import (
    mixture_cdf,
    mixture_kl,
    mixture_modes,
    mixture_sf,
    mixture_w2,
)
from bayescollapse.models.sampling import NATS, sampler_variables

__all__ = ["UNITS", "VARIABLES", "mixture_record"]

_RGEN = ("setting", "replicate", "generation")
_COMP = (*_RGEN, "component")

#: name -> (dims, description). Variables a method does not produce are NaN for it.
VARIABLES: dict[str, tuple[tuple[str, ...], str]] = {
    "weights_mean": (_COMP, "fitted weight of each component (posterior mean for Bayes)"),
    "mu_mean": (_COMP, "fitted mean of each component"),
    "sigma_mean": (_COMP, "fitted sd of each component"),
    "weight_sq_error": (_RGEN, "|w - w*|^2 over the components (matched by order)"),
    "mu_sq_error": (_RGEN, "|mu - mu*|^2 over the components"),
    "sigma_ratio": (_COMP, "fitted sd over the true sd, per component"),
    "w2_to_truth": (_RGEN, "2-Wasserstein distance of the fitted mixture to the truth"),
    "kl_truth_to_model": (_RGEN, "KL(truth || fitted mixture) by Gauss-Hermite quadrature"),
    "tail_mass": (
        _RGEN,
        "fitted mass beyond the truth's 1 % and 99 % quantiles (the truth's: 0.02)",
    ),
    "components_lost": (_RGEN, "components whose fitted weight is below lost_below"),
    "modes": (_RGEN, "local maxima of the fitted density"),
    "bimodal": (_RGEN, "1 if the fitted density has two or more modes, else 0"),
    "train_size": (_RGEN, "points in the generation's training set"),
    "real_count": (_RGEN, "fresh real points in the generation's newest batch"),
    "component_count": (_COMP, "training points written by each component (their labels)"),
    "real_component_count": (_COMP, "fresh real points of each true component"),
    "em_iterations": (_RGEN, "EM iterations of the chosen restart (EM fits)"),
    "em_converged": (_RGEN, "1 if EM met its convergence rule, else 0 (EM fits)"),
    "em_log_likelihood": (_RGEN, "EM's mean log-likelihood per training point (EM fits)"),
    "weights_hdi_lower": (_COMP, "lower end of the HDI of each weight"),
    "weights_hdi_upper": (_COMP, "upper end of the HDI of each weight"),
    "mu_hdi_lower": (_COMP, "lower end of the HDI of each component's mean"),
    "mu_hdi_upper": (_COMP, "upper end of the HDI of each component's mean"),
    "sigma_hdi_lower": (_COMP, "lower end of the HDI of each component's sd"),
    "sigma_hdi_upper": (_COMP, "upper end of the HDI of each component's sd"),
    "covered": (_RGEN, "share of the 3J true parameters inside their HDIs"),
    "weights_covered": (_RGEN, "share of the true weights inside their HDIs"),
    "mu_covered": (_RGEN, "share of the true means inside their HDIs"),
    "sigma_covered": (_RGEN, "share of the true sds inside their HDIs"),
    "central_coverage": (
        (*_RGEN, "level"),
        "share of the true parameters inside their central credible intervals",
    ),
    "pit": ((*_RGEN, "parameter"), "posterior CDF at each true weight, mean and sd"),
    "label_switching": (
        _RGEN,
        "share of posterior draws whose components were relabelled to order them by mean",
    ),
    "kl_posterior_to_prev": (
        _RGEN,
        "KL(posterior_t || posterior_t-1) of the weights' Dirichlet and the components' NIGs",
    ),
    **sampler_variables(
        {
            "weights": (_COMP, "each weight"),
            "mu": (_COMP, "each component's mean"),
            "sigma": (_COMP, "each component's sd"),
        }
    ),
}

#: CF units: the data's own unit for means, sds and their intervals (left unnamed: None)
UNITS = {
    "kl_truth_to_model": NATS,
    "kl_posterior_to_prev": NATS,
    **{
        name: None
        for name in (
            "mu_mean",
            "sigma_mean",
            "mu_sq_error",
            "w2_to_truth",
            "mu_hdi_lower",
            "mu_hdi_upper",
            "sigma_hdi_lower",
            "sigma_hdi_upper",
        )
    },
}

_NAMES = ("weights", "mu", "sigma")


def shape_metrics(fitted: tuple, truth, *, lost_below: float) -> dict:
    """Distances to the truth and the fitted mixture's shape, per replicate."""
    reps = fitted[0].shape[0]
    true = truth.tiled(reps)
    q01, q99 = truth.tail_points
    tails = mixture_cdf(np.full((reps, 1), q01), *fitted) + mixture_sf(
        np.full((reps, 1), q99), *fitted
    )
    modes = mixture_modes(*fitted)
    return {
        "w2_to_truth": mixture_w2(fitted, true, second_quantiles=truth.w2_quantiles),
        "kl_truth_to_model": mixture_kl(true, fitted),
        "tail_mass": tails[:, 0],
        "components_lost": (fitted[0] < lost_below).sum(axis=1).astype(float),
        "modes": modes.astype(float),
        "bimodal": (modes >= 2).astype(float),
    }


def _posterior_rows(fit, truth, previous_fit, levels, rng) -> dict:
    """Return the Bayesian summaries: HDIs, coverage, calibration, switching and drift."""
    lower, upper = fit.hdi()
    values = truth.values
    central = None if fit.exact_cdf else fit.central_intervals(levels)
    summary = calibration(
        (lower, upper),
        central,
        fit.cdf(truth, rng=rng),
        values,
        interior=np.ones(values.size, bool),
        levels=levels,
    )
    inside = (lower <= values) & (values <= upper)
    comps = truth.components
    row = {
        "covered": inside.mean(axis=1),
        "central_coverage": summary["central_coverage"],
        "pit": summary["pit"],
    }
    for i, name in enumerate(_NAMES):
        part = slice(i * comps, (i + 1) * comps)
        row[f"{name}_hdi_lower"], row[f"{name}_hdi_upper"] = lower[:, part], upper[:, part]
        row[f"{name}_covered"] = inside[:, part].mean(axis=1)
    switching = getattr(fit, "label_switching", None)
    if switching is not None:
        row["label_switching"] = switching
    if previous_fit is not None and previous_fit.bayesian:
        (a1, nig1), (a2, nig2) = fit.drift_form, previous_fit.drift_form
        row["kl_posterior_to_prev"] = dirichlet_kl(a1, a2) + nig_kl(nig1, nig2).sum(axis=1)
    return row


def _real_component_count(data, counts: np.ndarray):
    """Fresh real points per true component, where the training set is the newest batch.

    The batch's label counts (``counts``) less the synthetic part's; None under an
    accumulating scheme (the pool mixes generations).
    """
    written = data.synthetic
    size = 0 if written is None else written.n
    if not np.array_equal(data.items.n, data.real + size):
        return None
    return counts - (0 if written is None else written.label_counts(counts.shape[1]))


def mixture_record(
    fit,
    data,
    truth,
    previous_fit,
    summarise_posterior: bool,
    *,
    levels=(),
    lost_below: float = 0.01,
    rng=None,
) -> dict:
    """One generation's row of results: every variable's value per replicate."""
    fitted = (fit.weights_mean, fit.mu_mean, fit.sigma_mean)
    points = data.data
    counts = data.items.label_counts(truth.components)  # the same points as the weighted data
    row = {
        "weights_mean": fitted[0],
        "mu_mean": fitted[1],
        "sigma_mean": fitted[2],
        "weight_sq_error": ((fitted[0] - truth.weights) ** 2).sum(axis=1),
        "mu_sq_error": np.nansum((fitted[1] - truth.mu) ** 2, axis=1),
        "sigma_ratio": fitted[2] / truth.sigma,
        "train_size": points.n.astype(float),
        "real_count": data.real.astype(float),
        "component_count": counts.astype(float),
        **shape_metrics(fitted, truth, lost_below=lost_below),
    }
    real = _real_component_count(data, counts)
    if real is not None:
        row["real_component_count"] = real
    if fit.bayesian and summarise_posterior:
        row.update(_posterior_rows(fit, truth, previous_fit, levels, rng))
    row.update(fit.diagnostics)
    return row
