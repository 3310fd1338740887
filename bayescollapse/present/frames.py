"""Tidy pandas tables of results and comparisons: one row per observation, few columns.

``xarray.Dataset.to_dataframe()`` of a results file or of :func:`~.paired.compare` carries
every coordinate of the setting axis (about twenty: decoding knobs, schedules, the prior)
on every row. These helpers keep a row's identity (``regime``, ``fit``, ``generation``)
and only those setting coordinates that differ between the settings at hand, so the
frame reads, plots (seaborn, plotnine) and groups at once.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from bayescollapse.present.paired import check_per_replicate

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["comparison_frame", "summary_frame"]

#: the setting coordinates every frame keeps, under the names it gives them
IDENTITY = {"group": "regime", "fit_label": "fit"}


def _setting_columns(ds: xr.Dataset) -> dict[str, str]:
    """Map the setting coordinates a frame keeps to their column names.

    The identity columns, then every other setting coordinate whose value is not the same
    for all settings (one that is constant says nothing about a row).
    """
    keep = {name: IDENTITY[name] for name in IDENTITY if name in ds.coords}
    for name, coord in ds.coords.items():
        if name in keep or name == "setting" or coord.dims != ("setting",):
            continue
        if len(np.unique(coord.values.astype(str))) > 1:
            keep[name] = name
    return keep


def _frame(ds: xr.Dataset, values: xr.Dataset):
    """Flatten ``values`` (setting, generation, ...) with the kept setting columns."""
    columns = _setting_columns(ds)
    extra = [c for c in values.coords if c not in values.dims]
    frame = values.drop_vars([c for c in extra if c not in columns]).to_dataframe()
    frame = frame.reset_index().rename(columns=columns)
    first = ["setting", *columns.values(), "generation"]
    return frame[first + [c for c in frame.columns if c not in first]]


def summary_frame(
    ds: xr.Dataset, metrics: str | Sequence[str] | None = None, *, generation: int | None = None
) -> pd.DataFrame:
    """Mean and standard error over replicates, one row per setting, generation and metric.

    Parameters
    ----------
    ds : xarray.Dataset
        Results of :func:`bayescollapse.run` (or a file's).
    metrics : str or list of str, optional
        Per-replicate variables to summarise; by default the model's summary columns.
    generation : int, optional
        Keep one generation (negative counts from the last); by default all.

    Returns
    -------
    pandas.DataFrame
        Columns ``setting``, ``regime``, ``fit``, the varying setting coordinates,
        ``generation``, ``metric``, ``mean``, ``se`` and ``n`` (replicates with a value).

    Raises
    ------
    ValueError
        Naming a metric that is not a per-replicate results variable.

    Examples
    --------
    >>> from bayescollapse import RunConfig, Setting, run, summary_frame
    >>> ds = run(RunConfig(settings=(Setting(method="mle"), Setting(method="conjugate")),
    ...                    generations=2, replicates=3, seed=1), progress=False)
    >>> frame = summary_frame(ds, "tv_to_truth", generation=-1)
    >>> frame["fit"].tolist(), frame["generation"].tolist(), frame["n"].tolist()
    (['mle', 'conjugate ancestral'], [2, 2], [3, 3])
    """
    import pandas as pd

    from bayescollapse.models import REGISTRY

    if metrics is None:
        metrics = [var for _, var in REGISTRY[ds.attrs["model"]].summary_columns]
    metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    for name in metrics:
        check_per_replicate(ds, name)
    if generation is not None:
        ds = ds.isel(generation=[generation])
    parts = []
    for name in metrics:
        values = ds[name]
        n = values.notnull().sum("replicate")
        with warnings.catch_warnings():  # a fit without the metric (MLE's HDI) is NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            summary = xr.Dataset(
                {
                    "mean": values.mean("replicate"),
                    "se": values.std("replicate", ddof=1) / np.sqrt(n.where(n > 1)),
                    "n": n,
                }
            )
        parts.append(_frame(ds, summary).assign(metric=name))
    frame = pd.concat(parts, ignore_index=True)
    order = [c for c in frame.columns if c not in ("metric", "mean", "se", "n")]
    return frame[[*order, "metric", "mean", "se", "n"]]


def comparison_frame(cmp: xr.Dataset) -> pd.DataFrame:
    """Return the paired comparison of :func:`bayescollapse.compare` as a tidy table.

    Returns
    -------
    pandas.DataFrame
        One row per compared setting and generation (the baselines' own rows, all NaN,
        left out): ``setting``, ``regime``, ``fit``, the varying setting coordinates,
        ``baseline``, ``generation``, ``difference``, ``paired_se``, ``unpaired_se``,
        ``z`` and ``pairs``; ``attrs`` keeps the metric and the baseline fit.
    """
    frame = _frame(cmp, cmp)  # ``baseline`` differs (a baseline's own is ""): kept
    frame = frame[frame["baseline"] != ""].reset_index(drop=True)
    frame.attrs.update(cmp.attrs)
    return frame
