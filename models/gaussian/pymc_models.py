"""The Gaussian model in PyMC, sampled with NUTS (nutpie), compiled once per run.

The likelihood is a ``pm.Potential`` on the sufficient statistics of each replicate,
``-n log sigma - (m2 + n (mean - mu)^2) / (2 sigma^2)``, equal to the Normal likelihood of
the points up to a constant; ``n``, ``mean`` and ``m2`` are ``pm.Data`` with a
``replicate`` dim, so one compiled model refits every generation and sample size.

Priors: ``nig`` (the conjugate prior, whose hyperparameters are data too, so ``carry``
works and the conjugate posterior is an exact oracle) or ``weakly-informative``
(``mu ~ N(prior_mean, prior_mu_sd)``, ``sigma ~ HalfNormal(prior_sigma_scale)``, its
scales data as well). Compiled once per kind of prior and block size (see
:mod:`bayescollapse.models.pymc_fit`).
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

__all__ = ["build_gaussian_model"]


def build_gaussian_model(family, replicates: int) -> pm.Model:
    """Return the PyMC model for a block of ``replicates`` (data: n, mean, m2, NIG prior)."""
    coords = {"replicate": np.arange(replicates)}
    ones = np.ones(replicates)
    with pm.Model(coords=coords) as model:
        n = pm.Data("n", ones, dims="replicate")
        mean = pm.Data("mean", 0 * ones, dims="replicate")
        m2 = pm.Data("m2", ones, dims="replicate")
        if family.prior == "nig":
            mu0 = pm.Data("mu0", 0 * ones, dims="replicate")
            kappa0 = pm.Data("kappa0", ones, dims="replicate")
            alpha0 = pm.Data("alpha0", ones, dims="replicate")
            beta0 = pm.Data("beta0", ones, dims="replicate")
            sigma2 = pm.InverseGamma("sigma2", alpha=alpha0, beta=beta0, dims="replicate")
            sigma = pm.Deterministic("sigma", pt.sqrt(sigma2), dims="replicate")
            mu = pm.Normal("mu", mu=mu0, sigma=sigma / pt.sqrt(kappa0), dims="replicate")
        else:
            mu0 = pm.Data("mu0", 0 * ones, dims="replicate")
            mu_sd = pm.Data("mu_sd", ones, dims="replicate")
            sigma_scale = pm.Data("sigma_scale", ones, dims="replicate")
            mu = pm.Normal("mu", mu=mu0, sigma=mu_sd, dims="replicate")
            sigma = pm.HalfNormal("sigma", sigma=sigma_scale, dims="replicate")
            sigma2 = sigma**2
        pm.Potential("likelihood", -n * pt.log(sigma) - (m2 + n * (mean - mu) ** 2) / (2 * sigma2))
    return model
