"""The regression models in PyMC, sampled with NUTS (nutpie), compiled once per run.

The likelihood is a ``pm.Potential`` on each replicate's sufficient statistics,
``-n log sigma - (y'y - 2 w'X'y + w'X'X w) / (2 sigma^2)``, the normal likelihood of the
rows up to a constant; every statistic is ``pm.Data`` with a ``replicate`` dim, so one
compiled model refits every generation and sample size.

- :func:`build_regression_model` (method ``pymc``): the conjugate NIG prior, its
  hyperparameters data too (``carry`` works and the conjugate posterior is its exact
  oracle). ``w`` is written non-centred, ``w = m0 + sigma L0 z`` with ``L0`` the Cholesky
  factor of the prior covariance ``P0^-1`` (computed in numpy, given as data).
- :func:`build_student_t_model` (method ``pymc-student-t``, the shipped non-conjugate
  example): ``w_j | sigma ~ t_3(0, sigma / sqrt(kappa0))``, heavier tailed than the normal
  prior of the same scale, so large coefficients are shrunk less.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytensor.tensor as pt

__all__ = ["build_regression_model", "build_student_t_model"]


def _statistics(replicates: int, dim: int):
    """Declare the data statistics and return them with the coords."""
    ones = np.ones(replicates)
    n = pm.Data("n", ones, dims="replicate")
    xx = pm.Data(
        "xx", np.tile(np.eye(dim), (replicates, 1, 1)), dims=("replicate", "feature", "feature_bis")
    )
    xy = pm.Data("xy", np.zeros((replicates, dim)), dims=("replicate", "feature"))
    yy = pm.Data("yy", ones, dims="replicate")
    return n, xx, xy, yy


def _likelihood(w, sigma, n, xx, xy, yy) -> None:
    quad = (w[:, :, None] * xx * w[:, None, :]).sum(axis=(1, 2))
    rss = yy - 2 * (w * xy).sum(axis=1) + quad
    pm.Potential("likelihood", -n * pt.log(sigma) - rss / (2 * sigma**2))


def _coords(family, replicates: int) -> dict:
    return {
        "replicate": np.arange(replicates),
        "feature": np.arange(family.dim),
        "feature_bis": np.arange(family.dim),
    }


def build_regression_model(family, replicates: int) -> pm.Model:
    """Return the NIG regression model for a block of ``replicates``."""
    d = family.dim
    with pm.Model(coords=_coords(family, replicates)) as model:
        n, xx, xy, yy = _statistics(replicates, d)
        ones = np.ones(replicates)
        m0 = pm.Data("m0", np.zeros((replicates, d)), dims=("replicate", "feature"))
        l0 = pm.Data(
            "l0",
            np.tile(np.eye(d), (replicates, 1, 1)),
            dims=("replicate", "feature", "feature_bis"),
        )
        a0 = pm.Data("a0", ones, dims="replicate")
        b0 = pm.Data("b0", ones, dims="replicate")
        sigma2 = pm.InverseGamma("sigma2", alpha=a0, beta=b0, dims="replicate")
        sigma = pm.Deterministic("sigma", pt.sqrt(sigma2), dims="replicate")
        z = pm.Normal("_z", 0.0, 1.0, dims=("replicate", "feature"))
        w = pm.Deterministic(
            "w",
            m0 + sigma[:, None] * (l0 * z[:, None, :]).sum(axis=2),
            dims=("replicate", "feature"),
        )
        _likelihood(w, sigma, n, xx, xy, yy)
    return model


def build_student_t_model(family, replicates: int) -> pm.Model:
    """Return the Student-t prior model (non-conjugate) for a block of ``replicates``."""
    d = family.dim
    with pm.Model(coords=_coords(family, replicates)) as model:
        n, xx, xy, yy = _statistics(replicates, d)
        ones = np.ones(replicates)
        alpha = pm.Data("sigma_alpha", ones, dims="replicate")  # not the NIG prior: no carry
        beta = pm.Data("sigma_beta", ones, dims="replicate")
        kappa0 = pm.Data("kappa0", ones, dims="replicate")
        sigma2 = pm.InverseGamma("sigma2", alpha=alpha, beta=beta, dims="replicate")
        sigma = pm.Deterministic("sigma", pt.sqrt(sigma2), dims="replicate")
        z = pm.StudentT("_z", nu=3, mu=0.0, sigma=1.0, dims=("replicate", "feature"))
        w = pm.Deterministic(
            "w", z * (sigma / pt.sqrt(kappa0))[:, None], dims=("replicate", "feature")
        )
        _likelihood(w, sigma, n, xx, xy, yy)
    return model
