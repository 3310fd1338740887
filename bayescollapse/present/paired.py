"""Paired comparisons between settings that saw the same real data.

Settings with the same scheme and schedules draw their real data from one stream (common
random numbers, :mod:`bayescollapse.engine.rng`): replicate ``r`` of ``conjugate`` and replicate
``r`` of ``mle`` were trained on the same fresh samples in every generation. The noise of
the real data then cancels in their per-replicate difference, and the standard error of a
mean difference is the paired one, ``sd(x - y) / sqrt(R)``, not the unpaired
``sqrt(var x / R + var y / R)``. :func:`compare` reports both, so the gain is visible.

Pairing holds within one run (one seed and one ``replicate_block``). Settings of separate
runs put side by side with :func:`bayescollapse.io.results.concat_runs` share their real
data only if those runs had the same seed and block size.
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

__all__ = ["check_per_replicate", "compare", "paired_difference"]


def paired_difference(x: np.ndarray, y: np.ndarray, *, axis: int = 0) -> dict[str, np.ndarray]:
    """Mean difference ``x - y`` over paired replicates, with paired and unpaired SEs.

    Pairs where either value is not finite (an infinite KL once a token is lost) are left
    out of all three numbers; ``pairs`` counts those used.

    Parameters
    ----------
    x, y : numpy.ndarray
        The same metric for two settings, replicates along ``axis``.
    axis : int
        The replicate axis.

    Returns
    -------
    dict of str to numpy.ndarray
        ``difference``, ``paired_se``, ``unpaired_se`` and ``pairs``.

    Examples
    --------
    >>> out = paired_difference(np.array([1.0, 2.0, 3.0]), np.array([0.5, 1.5, 2.0]))
    >>> float(out["difference"]), float(out["paired_se"]), float(out["unpaired_se"])
    (0.6666666666666666, 0.16666666666666666, 0.7264831572567789)
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    both = np.isfinite(x) & np.isfinite(y)
    n = both.sum(axis=axis)
    xs, ys = np.where(both, x, np.nan), np.where(both, y, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices give NaN
        diff = np.nanmean(xs - ys, axis=axis)
        paired = np.nanstd(xs - ys, axis=axis, ddof=1) / np.sqrt(n)
        unpaired = np.sqrt(
            (np.nanvar(xs, axis=axis, ddof=1) + np.nanvar(ys, axis=axis, ddof=1)) / n
        )
    return {"difference": diff, "paired_se": paired, "unpaired_se": unpaired, "pairs": n}


def _data_key(ds: xr.Dataset, setting) -> tuple[str, str, str]:
    row = ds.sel(setting=setting)
    return tuple(
        str(row[c].values) for c in ("scheme", "real_fraction_schedule", "sample_size_schedule")
    )


def _baseline_of(ds: xr.Dataset, setting, baseline: str):
    """Return the setting of ``setting``'s regime (same data key) whose fit is ``baseline``."""
    key = _data_key(ds, setting)
    peers = [s for s in ds["setting"].values if _data_key(ds, s) == key]
    for coord in ("fit_label", "fit_method"):
        match = [s for s in peers if str(ds[coord].sel(setting=s).values) == baseline]
        if len(match) == 1:
            return match[0]
        if len(match) > 1:
            raise ValueError(
                f"baseline {baseline!r} matches {len(match)} settings of regime "
                f"{ds['group'].sel(setting=setting).values!s}; name one by its fit label "
                f"({', '.join(str(ds['fit_label'].sel(setting=m).values) for m in match)})"
            )
    return None


PER_REPLICATE = ("setting", "replicate", "generation")


def check_per_replicate(ds: xr.Dataset, metric: str) -> None:
    """Raise a one-line ValueError unless ``metric`` is a per-replicate results variable."""
    if metric not in ds or ds[metric].dims != PER_REPLICATE:
        allowed = sorted(n for n, v in ds.data_vars.items() if v.dims == PER_REPLICATE)
        raise ValueError(
            f"metric {metric!r} is not a per-replicate results variable; use one of "
            f"{', '.join(allowed)}"
        )


def compare(
    ds: xr.Dataset, *, baseline: str | None = None, metric: str | None = None
) -> xr.Dataset:
    """Per-setting paired differences from the baseline fit of the same regime.

    Parameters
    ----------
    ds : xarray.Dataset
        Results of :func:`bayescollapse.run`.
    baseline : str, optional
        The fit each setting is compared with: a fit label (``"conjugate ancestral"``) or
        a method (``"mle"``), looked up among the settings with the same scheme and
        schedules (which share their real data); by default the family's ``baseline``
        (its point estimate, ``mle``).
    metric : str, optional
        A results variable with dims (setting, replicate, generation); by default the
        model's headline error (``sq_l2_to_truth``, ``sigma2_mean``, ``kl_rate``).

    Returns
    -------
    xarray.Dataset
        Dims (setting, generation): ``difference`` (mean over replicates of setting minus
        baseline), ``paired_se``, ``unpaired_se`` (what independent runs would give),
        ``z`` (difference / paired SE) and ``pairs`` (replicates with finite values in
        both). Coordinate ``baseline`` names each setting's baseline; settings without one
        in their regime, and the baselines themselves, are NaN.

    Raises
    ------
    ValueError
        If ``metric`` is not a per-replicate variable, or no setting has the baseline.

    Examples
    --------
    >>> from bayescollapse import RunConfig, run, settings_grid
    >>> ds = run(RunConfig(settings=settings_grid(method=["mle", "conjugate"]),
    ...                    generations=2, replicates=8, seed=1))
    >>> cmp = compare(ds, baseline="mle").isel(setting=1, generation=0)
    >>> str(cmp["baseline"].values), bool(cmp["paired_se"] < cmp["unpaired_se"])
    ('mixture a=0.1 n=1000 mle', True)
    """
    from bayescollapse.models import REGISTRY

    family = REGISTRY[ds.attrs["model"]]
    metric = metric or family.plot_metric
    baseline = baseline or family.baseline
    check_per_replicate(ds, metric)
    names = ("difference", "paired_se", "unpaired_se", "z", "pairs")
    shape = (ds.sizes["setting"], ds.sizes["generation"])
    out = {name: np.full(shape, np.nan) for name in names}
    baselines = []
    values = ds[metric].transpose("setting", "replicate", "generation")
    for i, setting in enumerate(ds["setting"].values):
        base = _baseline_of(ds, setting, baseline)
        baselines.append("" if base is None or base == setting else str(base))
        if not baselines[-1]:
            continue
        stats = paired_difference(
            values.sel(setting=setting).values, values.sel(setting=base).values, axis=0
        )
        for name in ("difference", "paired_se", "unpaired_se", "pairs"):
            out[name][i] = stats[name]
        with np.errstate(invalid="ignore", divide="ignore"):
            out["z"][i] = stats["difference"] / stats["paired_se"]
    if not any(baselines):
        raise ValueError(
            f"no setting has a baseline {baseline!r} in its regime; fits present: "
            f"{', '.join(dict.fromkeys(str(v) for v in ds['fit_label'].values))}"
        )
    descriptions = {
        "difference": f"mean over replicates of {metric} minus the baseline's",
        "paired_se": "standard error of the difference over paired replicates",
        "unpaired_se": "standard error the difference would have from independent runs",
        "z": "difference / paired_se",
        "pairs": "replicates with finite values in both settings",
    }
    return xr.Dataset(
        {n: (("setting", "generation"), out[n], {"description": descriptions[n]}) for n in names},
        coords={
            "setting": ds["setting"].values,
            "generation": ds["generation"].values,
            "baseline": ("setting", baselines),
            "group": ds["group"],
            "fit_label": ds["fit_label"],
        },
        attrs={"metric": metric, "baseline_fit": baseline},
    )
