"""NUTS diagnostics of one sampler run, extracted once for every family and fit.

Imports ArviZ, so :mod:`bayescollapse.metrics` does not import this module itself.
"""

from __future__ import annotations

import arviz as az
import numpy as np
import xarray as xr

__all__ = ["DIAGNOSTICS", "nuts_diagnostics"]

#: per-parameter statistics recorded for every sampled variable ``v`` as ``v_<name>``
DIAGNOSTICS = ("r_hat", "ess_bulk", "ess_tail", "mcse_mean")


def nuts_diagnostics(
    posterior: xr.Dataset, sample_stats: xr.Dataset, variables: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """R-hat, ESS, MCSE and divergences of one sampler run that fitted a replicate block.

    Parameters
    ----------
    posterior : xarray.Dataset
        Draws with dims (chain, draw, replicate, ...).
    sample_stats : xarray.Dataset
        The run's sampler statistics, with ``diverging``.
    variables : tuple of str
        The sampled variables to diagnose.

    Returns
    -------
    dict of str to numpy.ndarray
        ``<v>_r_hat``, ``<v>_ess_bulk``, ``<v>_ess_tail`` and ``<v>_mcse_mean`` for every
        variable ``v``, with the replicate axis first; ``r_hat_max``, ``ess_bulk_min`` and
        ``ess_tail_min`` over every parameter of a replicate, shape (R,); ``divergences``
        of the run (a scalar: every replicate of the block shares it).
    """
    ds = posterior[list(variables)]
    stats = {
        "r_hat": az.rhat(ds),
        "ess_bulk": az.ess(ds, method="bulk"),
        "ess_tail": az.ess(ds, method="tail"),
        "mcse_mean": az.mcse(ds, method="mean"),
    }
    out: dict[str, np.ndarray] = {}
    flat: dict[str, list[np.ndarray]] = {name: [] for name in stats}
    for name, values in stats.items():
        for v in variables:
            da = values[v].transpose("replicate", ...)
            out[f"{v}_{name}"] = da.values
            flat[name].append(da.values.reshape(da.sizes["replicate"], -1))
    joined = {name: np.concatenate(parts, axis=1) for name, parts in flat.items()}
    out["r_hat_max"] = np.nanmax(joined["r_hat"], axis=1)
    out["ess_bulk_min"] = np.nanmin(joined["ess_bulk"], axis=1)
    out["ess_tail_min"] = np.nanmin(joined["ess_tail"], axis=1)
    out["divergences"] = np.float64(sample_stats["diverging"].sum())
    return out
