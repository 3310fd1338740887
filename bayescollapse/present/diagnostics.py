"""Which fits to trust: sampler thresholds that account for the number of parameters.

ArviZ's guidance (Vehtari et al. 2021) is R-hat <= 1.01 and bulk ESS >= 400 for *one*
parameter. A generation of a study fits R replicates x K parameters at once, and even a
sampler that has converged puts a few of them above 1.01 by chance (measured here for the
Gaussian PyMC fit with 2 chains: 4 % of parameters at 500 draws, 0.6 % at 1000). So a
generation is flagged when

- more of its parameters exceed R-hat 1.01 than a 1 % exceedance rate explains
  (more than the 99.9 % quantile of Binomial(P, 0.01) for P parameters), or
- any parameter exceeds R-hat 1.05 (a chain that has not mixed; every sampled variable,
  hyperparameters included, through `r_hat_max`), or
- any replicate's smallest bulk ESS is below 400, or
- any sampler run diverged.

Exact (conjugate) fits have nothing to flag.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy import stats

__all__ = ["ESS_LIMIT", "R_HAT_HARD", "R_HAT_LIMIT", "R_HAT_RATE", "flagged_generations"]

R_HAT_LIMIT, R_HAT_HARD, R_HAT_RATE, ESS_LIMIT = 1.01, 1.05, 0.01, 400

#: the rule in words, for table titles
RULE = (
    f"flag: R-hat > {R_HAT_LIMIT} on more parameters than a {R_HAT_RATE:.0%} rate explains "
    f"(binomial 99.9 %), any R-hat > {R_HAT_HARD}, bulk ESS < {ESS_LIMIT}, or a divergence"
)


def _r_hats(ds: xr.Dataset, setting) -> np.ndarray | None:
    """Per-parameter R-hats, shape (generation, P), or None for an exact fit."""
    from bayescollapse.models import REGISTRY

    names = [n for n in REGISTRY[ds.attrs["model"]].r_hat_variables if n in ds]
    parts = []
    for name in names:
        da = ds[name].sel(setting=setting)
        rest = [d for d in da.dims if d != "generation"]
        parts.append(da.transpose("generation", *rest).values.reshape(da.sizes["generation"], -1))
    if not parts:
        return None
    values = np.concatenate(parts, axis=1)
    return values if np.isfinite(values).any() else None


def flagged_generations(ds: xr.Dataset, setting) -> xr.DataArray | None:
    """Return, per generation, whether this setting's fit is unreliable (see module doc).

    Returns None for a setting without sampler diagnostics (an exact or point fit).
    """
    r_hat = _r_hats(ds, setting)
    if r_hat is None:
        return None
    finite = np.isfinite(r_hat)
    count = finite.sum(axis=1)
    exceed = (np.where(finite, r_hat, 0) > R_HAT_LIMIT).sum(axis=1)
    allowed = stats.binom.ppf(0.999, count, R_HAT_RATE)
    row = ds.sel(setting=setting)
    bad = (
        (exceed > allowed)
        | (np.nanmax(np.where(finite, r_hat, 1.0), axis=1) > R_HAT_HARD)
        | (np.nan_to_num(row["r_hat_max"].max("replicate").values) > R_HAT_HARD)
        | (row["ess_bulk_min"].min("replicate").values < ESS_LIMIT)
        | (row["divergences"].sum("block").values > 0)
    )
    return xr.DataArray(bad, dims="generation", coords={"generation": ds["generation"]})


def sampler_row(ds: xr.Dataset, setting) -> list[str]:
    """Return the diagnostics-table cells of one setting."""
    flagged = flagged_generations(ds, setting)
    if flagged is None:
        return [str(setting), "exact", "-", "-", "-", "-", "0"]
    row = ds.sel(setting=setting)
    r_hat = _r_hats(ds, setting)
    share = np.mean(r_hat[np.isfinite(r_hat)] > R_HAT_LIMIT)
    return [
        str(setting),
        f"{float(row['r_hat_max'].max()):.3f}",  # every sampled variable, as summarize
        f"{share:.1%}",
        f"{float(row['ess_bulk_min'].min()):.0f}",
        f"{float(row['ess_tail_min'].min()):.0f}",
        f"{int(row['divergences'].sum())}",
        f"{int(flagged.sum())} of {row.sizes['generation']}{_diagnosed_note(r_hat)}",
    ]


def _diagnosed_note(r_hat: np.ndarray) -> str:
    """`` (D with R-hat/ESS)`` when a ``diagnostics_every`` schedule left generations out."""
    diagnosed = int(np.isfinite(r_hat).any(axis=1).sum())
    return "" if diagnosed == r_hat.shape[0] else f" ({diagnosed} with R-hat/ESS)"
