"""Every metric of the package, in one home: array cores, wrapped once for xarray.

- :mod:`~bayescollapse.metrics.distances`: distances of a fit to the truth (categorical,
  Markov rates, Gaussian).
- :mod:`~bayescollapse.metrics.intervals`: HDIs, coverage, PIT values, calibration and
  contraction.
- :mod:`~bayescollapse.metrics.drift`: KL between generations' posteriors (Dirichlet,
  Normal-Inverse-Gamma) and the Dirichlet moments it rests on.
- :mod:`~bayescollapse.metrics.sampler`: NUTS diagnostics of a sampler run (imports
  ArviZ; not imported here).

The cores take NumPy arrays and an ``axis``; the names exported here take labelled
:class:`xarray.DataArray` objects and the name of a core ``dim`` (default ``token``).
SciPy is imported inside the functions that use it (here and in the model families), so
a process that never calls them, such as an MLE run from the command line, does not pay
its import (about 0.2 s).
"""

from __future__ import annotations

import xarray as xr

from bayescollapse.metrics import distances, drift
from bayescollapse.metrics.distances import (
    categorical_distances,
    gaussian_distances,
    markov_distances,
)
from bayescollapse.metrics.drift import dirichlet_from_draws, dirichlet_variance, nig_kl
from bayescollapse.metrics.intervals import (
    beta_hdi,
    calibration,
    contraction,
    covered_share,
    draws_cdf,
    draws_central_intervals,
    draws_hdi,
    interior_pit,
    randomised_pit,
    unimodal_hdi,
)
from bayescollapse.metrics.pit import pit_gaps, pit_uniformity_pvalue

__all__ = [
    "beta_hdi",
    "calibration",
    "categorical_distances",
    "contraction",
    "covered_share",
    "dirichlet_from_draws",
    "dirichlet_kl",
    "dirichlet_variance",
    "draws_cdf",
    "draws_central_intervals",
    "draws_hdi",
    "gaussian_distances",
    "gini_simpson",
    "hellinger_distance",
    "interior_pit",
    "kl_categorical",
    "markov_distances",
    "nig_kl",
    "pit_gaps",
    "pit_uniformity_pvalue",
    "randomised_pit",
    "shannon_entropy",
    "squared_l2",
    "tv_distance",
    "unimodal_hdi",
]


def _labelled(core, n_inputs: int):
    def wrapper(*arrays: xr.DataArray, dim: str = "token") -> xr.DataArray:
        if len(arrays) != n_inputs:
            raise TypeError(f"{core.__name__} takes {n_inputs} DataArray(s)")
        return xr.apply_ufunc(core, *arrays, input_core_dims=[[dim]] * n_inputs)

    wrapper.__name__ = core.__name__
    wrapper.__doc__ = (
        f"{core.__doc__}\n\nTakes DataArrays and the name of the core dim (default 'token')."
    )
    return wrapper


tv_distance = _labelled(distances.tv, 2)
kl_categorical = _labelled(distances.kl, 2)
hellinger_distance = _labelled(distances.hellinger, 2)
squared_l2 = _labelled(distances.sq_l2, 2)
shannon_entropy = _labelled(distances.entropy, 1)
gini_simpson = _labelled(distances.gini_simpson, 1)
dirichlet_kl = _labelled(drift.dirichlet_kl, 2)
