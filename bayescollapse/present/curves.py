"""The exact expected curves of a run's settings, next to the simulation.

What has a closed form is the family's knowledge (its ``curve_variables`` and
``expected_curve``, which use :mod:`bayescollapse.theory.closed_forms`); which settings
run the plain loop those closed forms describe is the engine's (:data:`PLAIN_LOOP`).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["expected_curves"]


def _plain(row) -> bool:
    """Whether a setting's loop is plain (results of earlier versions lack the coords)."""
    from bayescollapse.engine.config import PLAIN_LOOP

    # the results hold real_weight per generation; the setting's value is its schedule
    names = {"real_weight": "real_weight_schedule"}
    coords = {names.get(k, k): v for k, v in PLAIN_LOOP.items()}
    return all(
        name not in row.coords or row[name].values.item() == value for name, value in coords.items()
    )


def expected_curves(ds: xr.Dataset) -> xr.Dataset | None:
    """Exact expected curves for every setting of a results dataset that has one.

    The family of the results says which variables have a closed form and for which
    settings (its ``curve_variables`` and ``expected_curve``; see
    :class:`bayescollapse.models.face.FamilyFace`): for the categorical model ``mle``,
    ``conjugate`` and ``pymc`` (which targets the conjugate posterior) under ``mixture``
    and ``replace``, and ``mle`` under ``accumulate`` (:func:`accumulate_mle_sq_error`);
    for the Gaussian model ``mle`` and ``unbiased``. Only settings whose prior is
    refitted and whose loop is plain have one: those that decode, weight their refits or
    reuse a real pool get NaN, as do all others.

    Parameters
    ----------
    ds : xarray.Dataset
        Results of :func:`bayescollapse.run`.

    Returns
    -------
    xarray.Dataset
        One variable per results variable with a closed form (categorical:
        ``sq_l2_to_truth``, ``gini_simpson``; Gaussian: ``mu_sq_error``, ``sigma2_mean``;
        none for the Markov model), dims (setting, generation).
    """
    from bayescollapse.models import REGISTRY

    family = REGISTRY[ds.attrs["model"]]
    shape = (ds.sizes["setting"], ds.sizes["generation"])
    out = {name: np.full(shape, np.nan) for name in family.curve_variables}
    for i, setting in enumerate(ds["setting"].values if out else []):
        row = ds.sel(setting=setting)
        if str(row["prior_update"].values) != "refit" or not _plain(row):
            continue
        for name, values in (family.expected_curve(ds, setting) or {}).items():
            out[name][i] = values
    return xr.Dataset(
        {name: (("setting", "generation"), values) for name, values in out.items()},
        coords={"setting": ds["setting"].values, "generation": ds["generation"].values},
    )
