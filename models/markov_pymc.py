"""The hierarchical PyMC model of the Markov family: rows with a learned base.

Per replicate, ``m ~ Dirichlet(1)`` (the shared base distribution),
``log kappa ~ N(log V, 1.5)``, and every row ``theta_c ~ Dirichlet(kappa m)`` in the
boosted Gamma form of :func:`bayescollapse.models.categorical_pymc.dirichlet_rows`,
observed through the multinomial kernel (``learned=True``): with the Poisson likelihood
of the plain model each row's total would inform ``kappa``, pulling it to about the counts
per row whatever the rows' spread (found by the report's study 5b: the fit drifted toward
``m``, the more the larger n).
Rows with few counts borrow strength from the others through ``m`` and ``kappa``; NUTS
does the work (no closed form). The non-hierarchical ``pymc`` method of the family is
:func:`bayescollapse.models.categorical_pymc.build_model` on the family's rows.
"""

from __future__ import annotations

import numpy as np
import pymc as pm

from bayescollapse.models.categorical_pymc import dirichlet_rows
from bayescollapse.models.pymc_fit import model_frame

__all__ = ["build_hierarchical_model"]


def build_hierarchical_model(family, replicates: int, *, learned: bool = True) -> pm.Model:
    """Build the hierarchical model of a block (data: ``counts`` (R, C, V)).

    ``learned=False`` observes the rows through the Poisson form instead, the defect
    described above (kept for the report's study 5b, which shows what it did).
    """
    coords, dims, shape = model_frame(family, replicates)  # replicate, context, token
    tokens = shape[-1]
    with pm.Model(coords=coords) as model:
        counts = pm.Data("counts", np.zeros(shape), dims=dims)
        m = pm.Dirichlet("m", a=np.ones((replicates, tokens)), dims=("replicate", "token"))
        log_kappa = pm.Normal("log_kappa", mu=np.log(tokens), sigma=1.5, dims="replicate")
        kappa = pm.Deterministic("kappa", pm.math.exp(log_kappa), dims="replicate")
        rows = kappa[:, None, None] * m[:, None, :]
        dirichlet_rows("theta", rows, counts, dims, learned=learned)
    return model
