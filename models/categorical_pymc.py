"""The Dirichlet model in PyMC, for any array of probability rows (categorical or Markov).

Model, per replicate r, row c (Markov contexts; none for the categorical model) and token
k (replicates are a model dimension, so one sampler run fits a whole block)::

    h[r, c, k] ~ Gamma(a[r, c, k] + 1, 1)
    u[r, c, k] ~ Uniform(0, 1)
    g[r, c, k] = h * u ** (1 / a)                     # g ~ Gamma(a, 1)
    counts[r, c, k] ~ Poisson(g[r, c, k])              # observed (a likelihood term)
    theta[r, c] = g[r, c] / sum_k g[r, c, k]           # ~ Dirichlet(a[r, c] + counts[r, c])

It is exact: with independent ``g_k ~ Gamma(a_k, 1)`` and ``c_k ~ Poisson(g_k)``,
``g_k | c ~ Gamma(a_k + c_k, 2)`` independently, so ``theta | c ~ Dirichlet(a + c)``, the
conjugate posterior. The plain ``pm.Dirichlet`` + Multinomial model diverges on the
zero-count tokens that collapse creates; the boosted-Gamma form ``h * u**(1/a)`` removes
the extreme left tail of ``log g`` and ran with no divergence in the measurements of
``shared/TOOLING.md``. The prior ``a`` and the counts are ``pm.Data``: the model is
compiled once and refitted every generation (see :mod:`bayescollapse.models.pymc_fit`).
"""

from __future__ import annotations

import numpy as np
import pymc as pm
from pymc.distributions.dist_math import logpow

from bayescollapse.models.pymc_fit import model_frame

__all__ = ["build_model", "dirichlet_rows"]


def dirichlet_rows(name: str, concentration, counts, dims: tuple[str, ...]):
    """Rows ``theta ~ Dirichlet(concentration)`` observed through ``counts``, Gamma-Poisson form.

    Adds the auxiliaries ``_h``, ``_u`` (left out of the kept posterior), the deterministic
    ``name`` and the likelihood term ``_obs`` (a potential: counts may be fractional) to the
    model in context; returns ``theta``.
    """
    h = pm.Gamma("_h", alpha=concentration + 1.0, beta=1.0, dims=dims)
    u = pm.Uniform("_u", 0.0, 1.0, dims=dims)
    g = h * u ** (1.0 / concentration)
    pm.Potential("_obs", (logpow(g, counts) - g).sum())
    return pm.Deterministic(name, g / g.sum(axis=-1, keepdims=True), dims=dims)


def build_model(family, replicates: int) -> pm.Model:
    """Build the exact Dirichlet model of a block, with data ``counts`` and ``prior``."""
    coords, dims, shape = model_frame(family, replicates)
    with pm.Model(coords=coords) as model:
        counts = pm.Data("counts", np.zeros(shape), dims=dims)
        prior = pm.Data("prior", np.ones(shape), dims=dims)
        dirichlet_rows("theta", prior, counts, dims)
    return model
