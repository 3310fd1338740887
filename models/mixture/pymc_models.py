"""The Gaussian mixture in PyMC: the labels marginalised, NUTS via nutpie, compiled once.

Each point's likelihood is ``log sum_j w_j N(x; mu_j, sigma_j)`` (the labels summed out,
as NUTS needs continuous parameters), weighted by the point's weight (0 in the padding,
a pseudo-count in a weighted refit) and summed in a ``pm.Potential``. The points and
their weights are ``pm.Data`` whose length may change between generations (nutpie
refits the compiled model with ``with_data``), the prior's hyperparameters too.

Prior, per replicate: ``w ~ Dirichlet(a0)``, ``sigma_j^2 ~ InvGamma(alpha0, beta0)``,
``mu_j | sigma_j ~ N(mu0, sigma_j^2 / kappa0)``: the complete-data oracle's prior.

- :func:`build_mixture_model` (method ``pymc``): the means constrained increasing (the
  ``ordered`` transform). The prior is exchangeable, so this is the same posterior as the
  unconstrained one with its draws sorted by mean; the labels cannot switch.
- :func:`build_unordered_model` (method ``pymc-unordered``): the means free. The
  posterior has J! symmetric modes; each chain finds one, and the chains disagree: the
  R-hat of the raw draws flags it and the recorded ``label_switching`` counts the draws
  the record had to relabel.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

__all__ = ["build_mixture_model", "build_unordered_model"]


def _model(family, replicates: int, *, ordered: bool) -> pm.Model:
    comps = family.components
    shape = (replicates, comps)
    dims = ("replicate", "component")
    coords = {"replicate": np.arange(replicates), "component": np.arange(comps)}
    with pm.Model(coords=coords) as model:
        x = pm.Data("x", np.zeros((replicates, 1)))
        point_weight = pm.Data("point_weight", np.ones((replicates, 1)))
        a0 = pm.Data("a0", np.ones(shape), dims=dims)
        mu0 = pm.Data("mu0", np.zeros(shape), dims=dims)
        kappa0 = pm.Data("kappa0", np.ones(shape), dims=dims)
        alpha0 = pm.Data("alpha0", np.full(shape, 2.0), dims=dims)
        beta0 = pm.Data("beta0", np.ones(shape), dims=dims)
        weights = pm.Dirichlet("weights", a=a0, dims=dims)
        sigma2 = pm.InverseGamma("_sigma2", alpha=alpha0, beta=beta0, dims=dims)
        sigma = pm.Deterministic("sigma", pt.sqrt(sigma2), dims=dims)
        options = {}
        if ordered:
            start = np.tile(np.linspace(-1.0, 1.0, comps), (replicates, 1))
            options = {"transform": pm.distributions.transforms.ordered, "initval": start}
        mu = pm.Normal("mu", mu0, sigma / pt.sqrt(kappa0), dims=dims, **options)
        normal = pm.Normal.dist(mu[:, None, :], sigma[:, None, :])
        terms = pt.log(weights)[:, None, :] + pm.logp(normal, x[:, :, None])
        pm.Potential("likelihood", (point_weight * pm.math.logsumexp(terms, axis=-1)).sum())
    return model


def build_mixture_model(family, replicates: int) -> pm.Model:
    """Return the marginalised mixture with ordered means for a block of ``replicates``."""
    return _model(family, replicates, ordered=True)


def build_unordered_model(family, replicates: int) -> pm.Model:
    """Return the marginalised mixture with free (exchangeable) means."""
    return _model(family, replicates, ordered=False)
