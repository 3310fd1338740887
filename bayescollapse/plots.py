"""Figures from a results dataset: error against generation, one panel per regime.

Plotting sits at the edge: these functions take a saved-results :class:`xarray.Dataset`
and return a Matplotlib figure; callers decide where to save it.
"""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")  # files, not windows: the CLI and analyses run headless

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from bayescollapse.theory import mle_sq_error  # noqa: E402

__all__ = ["plot_error", "replicate_band"]

_LABELS = {
    "sq_l2_to_truth": "E ||P_t - P*||^2",
    "tv_to_truth": "TV(P_t, P*)",
    "hellinger_to_truth": "Hellinger(P_t, P*)",
    "kl_model_to_truth": "KL(P_t || P*)",
    "hdi_coverage": "share of P* inside 94% HDIs",
}


def replicate_band(values: xr.DataArray, *, z: float = 2.0) -> tuple[xr.DataArray, xr.DataArray]:
    """Mean over replicates and ``z`` standard errors of that mean (NaN-aware)."""
    count = values.count("replicate")
    mean = values.mean("replicate")
    se = values.std("replicate", ddof=1) / np.sqrt(count)
    return mean, z * se.fillna(0.0)


def _theory_curve(ds: xr.Dataset, setting: str) -> np.ndarray | None:
    row = ds.sel(setting=setting)
    if str(row["scheme"].values) not in ("mixture", "replace"):
        return None
    return mle_sq_error(ds["truth"].values, row["real_fraction"].values, row["sample_size"].values)


def plot_error(
    ds: xr.Dataset,
    *,
    metric: str = "sq_l2_to_truth",
    coverage: bool = True,
    log: bool = True,
) -> plt.Figure:
    """Plot ``metric`` against generation: one panel per regime (``group``), one line per fit.

    Lines are the mean over replicates with a band of 2 standard errors. For
    ``sq_l2_to_truth`` the exact MLE expectation (:func:`bayescollapse.theory.mle_sq_error`)
    is drawn dashed. With ``coverage``, a second row shows the share of tokens whose true
    probability lies inside the posterior HDIs, with the nominal level dotted.
    """
    if metric not in ds:
        raise ValueError(f"results have no metric {metric!r}; choose one of {sorted(ds.data_vars)}")
    groups = list(dict.fromkeys(ds["group"].values.tolist()))
    has_bayes = coverage and bool(np.isfinite(ds["hdi_coverage"]).any())
    rows = 2 if has_bayes else 1
    fig, axes = plt.subplots(
        rows, len(groups), figsize=(4.2 * len(groups), 3.4 * rows), squeeze=False, sharex=True
    )
    fits = list(dict.fromkeys(ds["fit_label"].values.tolist()))
    colors = {f: plt.cm.tab10(i % 10) for i, f in enumerate(fits)}
    gen = ds["generation"].values
    hdi_prob = json.loads(ds.attrs["config"]).get("hdi_prob", 0.94)
    for col, group in enumerate(groups):
        ax = axes[0, col]
        members = ds["setting"].values[ds["group"].values == group]
        for setting in members:
            label = str(ds["fit_label"].sel(setting=setting).values)
            mean, half = replicate_band(ds[metric].sel(setting=setting))
            ax.plot(gen, mean, color=colors[label], label=label, lw=1.8)
            ax.fill_between(gen, mean - half, mean + half, color=colors[label], alpha=0.2, lw=0)
        if metric == "sq_l2_to_truth":
            curve = _theory_curve(ds, members[0])
            if curve is not None:
                ax.plot(gen, curve, "k--", lw=1.2, label="theory (MLE)")
        if log:
            ax.set_yscale("log")
        ax.set_title(group, fontsize=10)
        ax.set_ylabel(_LABELS.get(metric, metric) if col == 0 else "")
        ax.grid(alpha=0.3)
        if has_bayes:
            cax = axes[1, col]
            for setting in members:
                label = str(ds["fit_label"].sel(setting=setting).values)
                if not np.isfinite(ds["hdi_coverage"].sel(setting=setting)).any():
                    continue
                mean, half = replicate_band(ds["hdi_coverage"].sel(setting=setting))
                cax.plot(gen, mean, color=colors[label], lw=1.8)
                cax.fill_between(
                    gen, mean - half, mean + half, color=colors[label], alpha=0.2, lw=0
                )
            cax.axhline(hdi_prob, color="k", ls=":", lw=1.2)
            cax.set_ylim(-0.02, 1.02)
            cax.set_ylabel(f"P* inside {hdi_prob:.0%} HDI" if col == 0 else "")
            cax.grid(alpha=0.3)
        axes[-1, col].set_xlabel("generation")
        axes[-1, col].xaxis.set_major_locator(MaxNLocator(integer=True))
    handles, labels = [], []
    for ax in axes[0]:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 5), frameon=False)
    cfg = json.loads(ds.attrs["config"])
    truth = cfg["truth"] if isinstance(cfg["truth"], str) else "given as values"
    fig.suptitle(
        f"{ds.attrs['model']}: K={cfg['num_tokens']}, truth {truth}, "
        f"{ds.sizes['replicate']} replicates, seed {ds.attrs['seed']} (bands: 2 SE)",
        fontsize=11,
    )
    fig.tight_layout(rect=(0, 0.08, 1, 0.95))
    return fig
