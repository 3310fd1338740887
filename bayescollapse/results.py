"""The results schema: names, the builder, ``validate_results`` and NetCDF save/open.

One :class:`xarray.Dataset` per run, dims ordered outer to inner::

    setting, replicate, generation, token

Generation 0 is the fit to real data only. See ``VARIABLES`` for every variable.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import numpy as np
import xarray as xr

__all__ = [
    "DIMS",
    "VARIABLES",
    "build_results",
    "open_results",
    "save_results",
    "validate_results",
    "write_netcdf",
]

DIMS = ("setting", "replicate", "generation", "token")
_RGEN = ("setting", "replicate", "generation")
_RGENTOK = DIMS

#: name -> (dims, description). Variables a method does not produce are NaN for it.
VARIABLES: dict[str, tuple[tuple[str, ...], str]] = {
    "theta_mean": (_RGENTOK, "fitted token probabilities: MLE frequencies or posterior mean"),
    "theta_sd": (_RGENTOK, "posterior standard deviation of each token probability"),
    "train_count": (_RGENTOK, "training counts of the generation"),
    "real_count": (_RGEN, "fresh real samples in the generation's newest batch"),
    "tv_to_truth": (_RGEN, "total variation distance of theta_mean to the truth"),
    "kl_truth_to_model": (_RGEN, "KL(P* || theta_mean) in nats; inf once a true token is lost"),
    "kl_model_to_truth": (_RGEN, "KL(theta_mean || P*) in nats"),
    "hellinger_to_truth": (_RGEN, "Hellinger distance of theta_mean to the truth"),
    "sq_l2_to_truth": (_RGEN, "squared L2 distance ||theta_mean - P*||^2"),
    "entropy": (_RGEN, "Shannon entropy of theta_mean in nats"),
    "gini_simpson": (_RGEN, "1 - sum theta_mean^2 (the paper's H)"),
    "lost_tokens": (_RGEN, "tokens with zero training count in the generation"),
    "lost_mass": (_RGEN, "true probability mass of the lost tokens"),
    "hdi_width_mean": (_RGEN, "mean width over tokens of the marginal HDIs"),
    "hdi_coverage": (_RGEN, "fraction of tokens whose true probability lies in its HDI"),
    "kl_posterior_to_prev": (_RGEN, "KL(posterior_t || posterior_t-1); Dirichlet closed form"),
    "r_hat_max": (_RGEN, "largest R-hat over tokens (pymc)"),
    "ess_bulk_min": (_RGEN, "smallest bulk ESS over tokens (pymc)"),
    "divergences": (_RGEN, "divergent transitions of the block's sampler run (pymc)"),
}

_ATTRS = ("seed", "bayescollapse_version", "config", "created_at", "model")


def empty_arrays(
    settings: int, replicates: int, generations: int, tokens: int
) -> dict[str, np.ndarray]:
    """NaN-filled arrays for every variable, shaped by its dims."""
    sizes = {
        "setting": settings,
        "replicate": replicates,
        "generation": generations + 1,
        "token": tokens,
    }
    return {
        name: np.full([sizes[d] for d in dims], np.nan) for name, (dims, _) in VARIABLES.items()
    }


def build_results(
    arrays: dict[str, np.ndarray],
    *,
    config,
    truth: np.ndarray,
    real_fraction: np.ndarray,
    sample_size: np.ndarray,
) -> xr.Dataset:
    """Label the run's arrays once, at the edge.

    Parameters
    ----------
    arrays : dict of str to numpy.ndarray
        One array per entry of ``VARIABLES``.
    config : RunConfig
        The run's configuration (with its seed set).
    truth : numpy.ndarray, shape (K,)
        ``P*``.
    real_fraction, sample_size : numpy.ndarray, shape (setting, generation)
        The schedules' values.
    """
    settings = config.settings
    data_vars = {
        name: (dims, arrays[name], {"description": desc})
        for name, (dims, desc) in VARIABLES.items()
    }
    data_vars["truth"] = (("token",), truth, {"description": "the true distribution P*"})
    coords = {
        "setting": [s.name for s in settings],
        "replicate": np.arange(config.replicates),
        "generation": np.arange(config.generations + 1),
        "token": np.arange(config.num_tokens),
        "group": ("setting", [s.group for s in settings]),
        "fit_label": ("setting", [s.fit_label for s in settings]),
        "scheme": ("setting", [s.scheme for s in settings]),
        "method": ("setting", [s.method for s in settings]),
        "synthetic": ("setting", [s.synthetic for s in settings]),
        "prior_update": ("setting", [s.prior_update for s in settings]),
        "real_fraction_schedule": ("setting", [s.real_fraction for s in settings]),
        "sample_size_schedule": ("setting", [s.sample_size for s in settings]),
        "real_fraction": (("setting", "generation"), real_fraction),
        "sample_size": (("setting", "generation"), sample_size.astype(np.int64)),
    }
    attrs = {
        "seed": int(config.seed),
        "bayescollapse_version": version("bayescollapse"),
        "config": config.to_json(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": config.model,
    }
    ds = xr.Dataset(data_vars, coords=coords, attrs=attrs)
    validate_results(ds)
    return ds


def validate_results(ds: xr.Dataset) -> None:
    """Check dims, coords, variables and attrs of a results dataset.

    Raises
    ------
    ValueError
        Naming the first thing that is missing or malformed.
    """
    for dim in DIMS:
        if dim not in ds.dims:
            raise ValueError(f"results lack dim {dim!r}")
    for name, (dims, _) in VARIABLES.items():
        if name not in ds:
            raise ValueError(f"results lack variable {name!r}")
        if ds[name].dims != dims:
            raise ValueError(f"variable {name!r} has dims {ds[name].dims}, expected {dims}")
    for coord in ("real_fraction", "sample_size", "method", "scheme", "synthetic"):
        if coord not in ds.coords:
            raise ValueError(f"results lack coord {coord!r}")
    for attr in _ATTRS:
        if attr not in ds.attrs:
            raise ValueError(f"results lack attr {attr!r}")
    json.loads(ds.attrs["config"])
    if int(ds["generation"][0]) != 0:
        raise ValueError("generation must start at 0 (the fit to real data)")
    probs = ds["theta_mean"].sum("token")
    if not np.allclose(probs, 1.0, atol=1e-8):
        raise ValueError("theta_mean does not sum to 1 over tokens")


def save_results(ds: xr.Dataset, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Validate a run's results and write them to NetCDF atomically.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    """
    validate_results(ds)
    return write_netcdf(ds, path, overwrite=overwrite)


def write_netcdf(ds: xr.Dataset, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Write any Dataset to NetCDF atomically (a temporary file renamed into place).

    An existing file is replaced only with ``overwrite``, and never left half-written.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite (CLI: --force) to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        ds.to_netcdf(tmp, engine="netcdf4")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def open_results(path: str | os.PathLike) -> xr.Dataset:
    """Open a saved results file fully into memory and validate it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no results file at {path}")
    try:
        with xr.open_dataset(path, engine="netcdf4") as ds:
            ds = ds.load()
    except OSError as err:
        raise ValueError(f"{path} is not a readable NetCDF results file ({err})") from None
    validate_results(ds)
    return ds
