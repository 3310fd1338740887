"""The hierarchical PyMC model of the Markov family: rows with a learned base.

Per replicate, ``m ~ Dirichlet(1)`` (the shared base distribution),
``log kappa ~ N(log V, 1.5)``, and every row ``theta_c ~ Dirichlet(kappa m)``, observed
through its counts. Rows with few counts borrow strength from the others through ``m`` and
``kappa``; there is no closed form for ``(m, kappa)``.

The rows are integrated out (:func:`build_hierarchical_model`): NUTS samples only ``m``
and ``log kappa`` (V + 1 numbers per replicate) under the Dirichlet-multinomial
likelihood of every row's counts,

    p(c_c | kappa, m) = Gamma(kappa) / Gamma(kappa + N_c)
                        * prod_k Gamma(kappa m_k + c_ck) / Gamma(kappa m_k),

and each draw's rows are then drawn from their exact conditional
``Dirichlet(kappa m + c_c)`` (:func:`draw_rows`, with the cell's random stream). The rows
are conditionally independent given ``(m, kappa)``, so this is the same posterior as
sampling them, without the funnel between ``kappa`` and the rows: a sparse text truth,
whose rows have many structural zeros and a small learned ``kappa``, gave 502 divergences
in 2 fits when the rows were sampled, none integrated out (the report's study 5).

:func:`build_rows_model` keeps the rows as sampled variables in the Gamma form of
:func:`bayescollapse.models.categorical.pymc_models.dirichlet_rows`. With ``learned=False`` it
observes them through the Poisson form, which is exact for the rows only at a fixed
concentration: with a learned ``kappa`` each row's total also informs it, pulling it to
about the counts per row whatever the rows' spread. The package's model had that defect
until the report's study 5b found it (the fit drifted toward ``m``, the more the larger n);
the study registers that form to show what it did.
"""

from __future__ import annotations

import numpy as np
import pymc as pm
import xarray as xr

from bayescollapse.models.categorical.pymc_models import dirichlet_rows
from bayescollapse.models.pymc_fit import model_frame

__all__ = ["build_hierarchical_model", "build_rows_model", "draw_rows"]


def _base_and_pooling(replicates: int, tokens: int):
    """Add ``m`` (replicate, token), ``log_kappa`` and ``kappa`` (replicate); return m, kappa."""
    m = pm.Dirichlet("m", a=np.ones((replicates, tokens)), dims=("replicate", "token"))
    log_kappa = pm.Normal("log_kappa", mu=np.log(tokens), sigma=1.5, dims="replicate")
    kappa = pm.Deterministic("kappa", pm.math.exp(log_kappa), dims="replicate")
    return m, kappa


def build_hierarchical_model(family, replicates: int) -> pm.Model:
    """Build the collapsed model of a block (data: ``counts`` (R, C, V)); rows integrated out.

    Register it with ``complete=draw_rows``, which adds the rows ``theta`` to each draw.
    """
    coords, dims, shape = model_frame(family, replicates)  # replicate, context, token
    with pm.Model(coords=coords) as model:
        counts = pm.Data("counts", np.zeros(shape), dims=dims)
        m, kappa = _base_and_pooling(replicates, shape[-1])
        a = kappa[:, None] * m  # (R, V): every row's concentration
        gammaln = pm.math.gammaln
        rows = gammaln(kappa[:, None]) - gammaln(kappa[:, None] + counts.sum(axis=-1))
        tokens = gammaln(a[:, None, :] + counts) - gammaln(a)[:, None, :]
        pm.Potential("_obs", rows.sum() + tokens.sum())
    return model


def draw_rows(posterior: xr.Dataset, data: dict, rng: np.random.Generator) -> xr.Dataset:
    """Add ``theta`` to each draw of ``(m, kappa)``: rows from ``Dirichlet(kappa m + counts)``.

    Gamma variates are drawn in the boosted form ``log g = log G(a + 1) + log(U) / a``, so
    the tiny concentrations of a sparse truth do not underflow to a row of zeros.

    Examples
    --------
    >>> post = xr.Dataset(
    ...     {"m": (("chain", "draw", "replicate", "token"), np.full((1, 2, 1, 3), 1 / 3)),
    ...      "kappa": (("chain", "draw", "replicate"), np.full((1, 2, 1), 1e-9))})
    >>> counts = np.array([[[0.0, 5.0, 0.0], [0.0, 0.0, 0.0]]])  # 2 contexts, V = 3
    >>> theta = draw_rows(post, {"counts": counts}, np.random.default_rng(0))["theta"]
    >>> theta.dims, np.allclose(theta.sum("token"), 1), float(theta[..., 0, 1].min())
    (('chain', 'draw', 'replicate', 'context', 'token'), True, 1.0)
    """
    m = posterior["m"].transpose("chain", "draw", "replicate", "token").values
    kappa = posterior["kappa"].transpose("chain", "draw", "replicate").values
    counts = np.asarray(data["counts"], float)  # (R, C, V)
    a = kappa[..., None, None] * m[..., None, :] + counts  # (chain, draw, R, C, V)
    log_g = np.log(rng.standard_gamma(a + 1.0)) + np.log(rng.random(a.shape)) / a
    log_g -= log_g.max(axis=-1, keepdims=True)
    theta = np.exp(log_g)
    theta /= theta.sum(axis=-1, keepdims=True)
    dims = ("chain", "draw", "replicate", "context", "token")
    return posterior.assign(theta=(dims, theta))


def build_rows_model(family, replicates: int, *, learned: bool = True) -> pm.Model:
    """Build the model with the rows sampled (data: ``counts`` (R, C, V)).

    ``learned=False`` observes the rows through the Poisson form instead, the defect
    described above (kept for the report's study 5b, which shows what it did).
    """
    coords, dims, shape = model_frame(family, replicates)  # replicate, context, token
    with pm.Model(coords=coords) as model:
        counts = pm.Data("counts", np.zeros(shape), dims=dims)
        m, kappa = _base_and_pooling(replicates, shape[-1])
        rows = kappa[:, None, None] * m[:, None, :]
        dirichlet_rows("theta", rows, counts, dims, learned=learned)
    return model
