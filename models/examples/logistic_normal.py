"""Example: your own PyMC model in the loop, a logistic-normal prior on the probabilities.

Per replicate (and context, for the Markov model)::

    eta_k ~ Normal(0, SCALE)              k = 1..K
    theta = softmax(eta)
    counts ~ Multinomial(n, theta)        observed

Not conjugate: NUTS does the work. The model reads the family's ``counts`` as
``pm.Data`` and defines ``theta``, which is all :func:`register_pymc_model` asks; it is
compiled once per block size and refitted every generation, its synthetic sets are drawn
from its own posterior draws, and its diagnostics, calibration and drift are recorded like
the built-in ``pymc`` path's. Its prior is not a Dirichlet, so ``prior_update='carry'``
is not defined and the contraction is NaN. Import this module (or name it as a plugin)
and use ``method="logistic-normal"``.
"""

from __future__ import annotations

import numpy as np

from bayescollapse.models.pymc_fit import model_frame
from bayescollapse.models.registry import register_pymc_model

__all__ = ["SCALE", "build_logistic_normal"]

#: prior standard deviation of the logits
SCALE = 1.5


def build_logistic_normal(family, replicates: int):
    """Build the logistic-normal model of a replicate block of ``family``."""
    import pymc as pm

    coords, dims, shape = model_frame(family, replicates)
    with pm.Model(coords=coords) as model:
        counts = pm.Data("counts", np.zeros(shape, dtype=np.int64), dims=dims)
        eta = pm.Normal("eta", 0.0, SCALE, dims=dims)
        theta = pm.Deterministic("theta", pm.math.softmax(eta, axis=-1), dims=dims)
        pm.Multinomial("_obs", n=counts.sum(axis=-1), p=theta, observed=counts, dims=dims)
    return model


for _family in ("dirichlet-categorical", "markov"):
    register_pymc_model(
        _family,
        "logistic-normal",
        build_logistic_normal,
        description="softmax of normal logits (non-conjugate), NUTS via nutpie",
        replace=True,
    )
