"""Figures of the posterior across generations: paths, calibration, drift.

Each function takes a results Dataset (``bayescollapse run``, either model) and returns a
Matplotlib figure; only Bayesian settings (``conjugate``, ``pymc``) are drawn.
"""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from bayescollapse.plots import replicate_band  # noqa: E402

__all__ = ["bayesian_settings", "plot_posterior_paths", "plot_calibration", "plot_drift"]


def bayesian_settings(ds: xr.Dataset) -> list[str]:
    """Labels of the settings that fit a posterior (the results' ``bayesian`` coordinate)."""
    return [str(s) for s in ds["setting"].values[ds["bayesian"].values.astype(bool)]]


def _colors(ds: xr.Dataset, settings: list[str]) -> dict[str, tuple]:
    return {s: plt.cm.tab10(i % 10) for i, s in enumerate(settings)}


def _finish(fig, axes, title: str) -> plt.Figure:
    for ax in np.ravel(axes):
        ax.grid(alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    handles, labels = [], []
    for ax in np.ravel(axes):
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(
        handles, labels, loc="lower center", ncol=min(len(labels), 3), frameon=False, fontsize=8
    )
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.06 + 0.03 * ((len(labels) - 1) // 3), 1, 0.95))
    return fig


def _path_panels(ds: xr.Dataset, tokens: list[int] | None) -> list[tuple]:
    """(title, selection, mean, lower, upper, true value) of each panel of the paths figure."""
    if "token" not in ds.dims:  # the Gaussian model: mu and sigma
        return [
            ("mu", {}, "mu_mean", "mu_hdi_lower", "mu_hdi_upper", float(ds["truth_mu"])),
            (
                "sigma",
                {},
                "sigma_mean",
                "sigma_hdi_lower",
                "sigma_hdi_upper",
                float(ds["truth_sigma"]),
            ),
        ]
    k = ds.sizes["token"]
    tokens = tokens if tokens is not None else sorted({0, k // 2, k - 1})
    bad = [t for t in tokens if not 0 <= t < k]
    if bad:
        raise ValueError(f"token {bad[0]} is out of range 0..{k - 1}")
    where: dict = {}
    if "context" in ds.dims:  # the Markov model: the rows of its most visited context
        where = {"context": int(np.argmax(ds["truth_stationary"].values))}
    label = f"context {where['context']}, " if where else ""
    return [
        (
            f"{label}token {t}",
            {**where, "token": t},
            "theta_mean",
            "theta_hdi_lower",
            "theta_hdi_upper",
            float(ds["truth"].sel(**where, token=t)),
        )
        for t in tokens
    ]


def plot_posterior_paths(
    ds: xr.Dataset, *, tokens: list[int] | None = None, replicate: int = 0
) -> plt.Figure:
    """Posterior mean and HDI of chosen parameters across generations, one replicate.

    One panel per parameter (chosen token probabilities; or mu and sigma for the Gaussian
    model); one line with its HDI band per Bayesian setting; the true value dashed.
    """
    settings = bayesian_settings(ds)
    if not settings:
        raise ValueError("the results have no Bayesian setting (conjugate or pymc) to plot")
    panels = _path_panels(ds, tokens)
    colors = _colors(ds, settings)
    gen = ds["generation"].values
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.6), squeeze=False)
    for ax, (title, where, mean, lower, upper, true) in zip(axes[0], panels, strict=True):
        for s in settings:
            row = ds.sel(setting=s, **where).isel(replicate=replicate)
            ax.plot(gen, row[mean], color=colors[s], lw=1.6, label=s)
            ax.fill_between(gen, row[lower], row[upper], color=colors[s], alpha=0.18, lw=0)
        ax.axhline(true, color="k", ls="--", lw=1.1, label="truth")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("generation")
    prob = json.loads(ds.attrs["config"]).get("hdi_prob", 0.94)
    return _finish(fig, axes, f"posterior mean and {prob:.0%} HDI, replicate {replicate}")


def plot_calibration(ds: xr.Dataset) -> plt.Figure:
    """Coverage of the truth by central credible intervals against generation, per level.

    One panel per level; lines are the mean over replicates of the share of tokens covered
    (band: 2 standard errors), the nominal level dotted. A last panel shows, per
    generation, the p-value of the PIT uniformity test
    (:func:`bayescollapse.metrics.pit_uniformity_pvalue`) with the 1e-3 line.
    """
    from bayescollapse.metrics import pit_uniformity_pvalue

    settings = bayesian_settings(ds)
    if not settings:
        raise ValueError("the results have no Bayesian setting (conjugate or pymc) to plot")
    colors = _colors(ds, settings)
    gen = ds["generation"].values
    levels = ds["level"].values
    fig, axes = plt.subplots(
        1, len(levels) + 1, figsize=(4 * (len(levels) + 1), 3.6), squeeze=False
    )
    for ax, level in zip(axes[0], levels, strict=False):
        for s in settings:
            mean, half = replicate_band(ds["central_coverage"].sel(setting=s, level=level))
            ax.plot(gen, mean, color=colors[s], lw=1.6, label=s)
            ax.fill_between(gen, mean - half, mean + half, color=colors[s], alpha=0.18, lw=0)
        ax.axhline(level, color="k", ls=":", lw=1.2, label="nominal level")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(f"{level:.0%} central interval", fontsize=10)
        ax.set_xlabel("generation")
        ax.set_ylabel("share of true parameters covered" if level == levels[0] else "")
    ax = axes[0, -1]
    for s in settings:
        pit = ds["pit"].sel(setting=s)
        p = [pit_uniformity_pvalue(pit.sel(generation=g).values) for g in gen]
        ax.plot(gen, np.maximum(p, 1e-300), color=colors[s], lw=1.6, marker=".", label=s)
    ax.axhline(1e-3, color="k", ls=":", lw=1.2)
    ax.set_yscale("log")
    ax.set_title("PIT uniformity p-value", fontsize=10)
    ax.set_xlabel("generation")
    return _finish(fig, axes, "calibration: does the posterior cover the truth?")


def plot_drift(ds: xr.Dataset) -> plt.Figure:
    """Posterior drift between generations and contraction relative to the prior."""
    settings = bayesian_settings(ds)
    if not settings:
        raise ValueError("the results have no Bayesian setting (conjugate or pymc) to plot")
    colors = _colors(ds, settings)
    gen = ds["generation"].values
    fig, axes = plt.subplots(1, 2, figsize=(9.5, 3.6), squeeze=False)
    panels = [
        ("kl_posterior_to_prev", "KL(posterior_t || posterior_t-1)", True),
        ("contraction", "contraction: 1 - var_post / var_prior", False),
    ]
    for ax, (var, title, log) in zip(axes[0], panels, strict=True):
        for s in settings:
            mean, half = replicate_band(ds[var].sel(setting=s))
            ax.plot(gen, mean, color=colors[s], lw=1.6, label=s)
            ax.fill_between(gen, mean - half, mean + half, color=colors[s], alpha=0.18, lw=0)
        if log:
            ax.set_yscale("log")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("generation")
    return _finish(fig, axes, "posterior drift and contraction (mean over replicates, 2 SE)")
