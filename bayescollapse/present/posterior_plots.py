"""Figures of the posterior across generations: paths, calibration, drift.

Each function takes a results Dataset (``bayescollapse run``, either model) and returns a
Matplotlib figure; only Bayesian settings (``conjugate``, ``pymc``) are drawn.
"""

from __future__ import annotations

import json
import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from bayescollapse.present.plots import (  # noqa: E402
    draw_band,
    gathered_legend,
    legend_below,
    log_axis,
    say_empty,
)
from bayescollapse.present.styles import setting_styles  # noqa: E402

__all__ = ["bayesian_settings", "plot_posterior_paths", "plot_calibration", "plot_drift"]


def bayesian_settings(ds: xr.Dataset) -> list[str]:
    """Labels of the settings that fit a posterior (the results' ``bayesian`` coordinate)."""
    return [str(s) for s in ds["setting"].values[ds["bayesian"].values.astype(bool)]]


def _styles(ds: xr.Dataset, settings: list[str]) -> dict[str, dict]:
    """Line keywords of the drawn settings: colour by method, dash by regime and variant."""
    return setting_styles(ds.sel(setting=settings))


def _panel_grid(panels: int, cols: int = 3) -> tuple[plt.Figure, np.ndarray]:
    """Return a figure of ``panels`` axes in rows of ``cols`` (readable at a page's width).

    The axes come as one row, shape (1, panels), the unused cells of the last row removed.
    """
    cols = min(panels, cols)
    rows = -(-panels // cols)
    fig, grid = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.6 * rows + 0.6), squeeze=False)
    for ax in grid.ravel()[panels:]:
        ax.remove()
    return fig, grid.ravel()[:panels][None, :]


def _finish(fig, axes, title: str, *, integer: bool = True) -> plt.Figure:
    """Grid the panels, gather one legend below them and title the figure, in the canvas."""
    for ax in np.ravel(axes):
        ax.grid(alpha=0.3)
        if integer:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.set_layout_engine("constrained")
    legend_below(fig, *gathered_legend(axes), fontsize=8, char_points=6)
    fig.suptitle(textwrap.fill(title, width=int(fig.get_figwidth() * 12)), fontsize=10)
    return fig


def plot_posterior_paths(
    ds: xr.Dataset, *, tokens: list[int] | None = None, replicate: int = 0
) -> plt.Figure:
    """Posterior mean and HDI of chosen parameters across generations, one replicate.

    One row per Bayesian setting and one column per parameter, as the results' family
    chooses them (its ``path_panels``: chosen token probabilities, or mu and sigma for the
    Gaussian model; ``tokens`` is the user's choice): the posterior mean with its HDI band
    in the setting's colour, the true value dotted. A column shares its y axis.
    """
    from bayescollapse.models import REGISTRY

    settings = bayesian_settings(ds)
    if not settings:
        raise ValueError("the results have no Bayesian setting (conjugate or pymc) to plot")
    panels = REGISTRY[ds.attrs["model"]].path_panels(ds, tokens)
    prob = json.loads(ds.attrs["config"]).get("hdi_prob", 0.94)
    if not panels:
        raise ValueError(f"model {ds.attrs['model']!r} names no parameters to draw the paths of")
    styles = _styles(ds, settings)
    gen = ds["generation"].values
    fig, axes = plt.subplots(
        len(settings),
        len(panels),
        figsize=(max(3.4 * len(panels), 6.0), 2.3 * len(settings) + 1.2),
        squeeze=False,
        sharex=True,
        sharey="col",
    )
    for r, s in enumerate(settings):
        style = styles[s]
        for c, panel in enumerate(panels):
            ax = axes[r, c]
            row = ds.sel(setting=s, **panel.where).isel(replicate=replicate)
            ax.plot(gen, row[panel.mean], lw=1.6, label="posterior mean", **style)
            ax.fill_between(
                gen,
                row[panel.lower],
                row[panel.upper],
                color=style["color"],
                alpha=0.2,
                lw=0,
                label=f"{prob:.0%} HDI",
            )
            ax.axhline(panel.truth, color="k", ls=":", lw=1.1, label="truth")
            if r == 0:
                ax.set_title(panel.title, fontsize=10)
            if c == 0:
                ax.set_ylabel(textwrap.fill(s, 22), fontsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("generation")
    return _finish(
        fig, axes, f"posterior mean and {prob:.0%} HDI per setting (rows), replicate {replicate}"
    )


def _pit_tests(ds: xr.Dataset, settings: list[str], generations: tuple[int, ...]) -> dict:
    """Return the PIT test (:func:`bayescollapse.metrics.pit_gaps`) per (setting, generation)."""
    from bayescollapse.metrics.pit import pit_gaps

    return {
        (s, g): pit_gaps(ds["pit"].sel(setting=s, generation=g).values)
        for s in settings
        for g in generations
    }


def _pit_label(setting: str, tests: dict, generations: tuple[int, ...]) -> str:
    """Return a setting's legend label with its PIT p-values (as ``diagnose`` prints them)."""
    shown = [(g, tests[setting, g].p_value) for g in generations]
    shown = [f"gen {g}: {p:.2g}" for g, p in shown if np.isfinite(p)]
    return f"{setting} (PIT p, {', '.join(shown)})" if shown else setting


def _pit_ecdf(ax, settings: list[str], styles: dict, labels: dict, tests: dict, generation: int):
    """Draw the PIT's mean ECDF gap over replicates at one generation, with its 95 % band.

    The same test as the ``diagnose`` table's p-value (:func:`bayescollapse.metrics.pit_gaps`).
    """
    from bayescollapse.metrics.pit import GRID, MIN_REPLICATES

    drawn = False
    for k, s in enumerate(settings):
        gaps = tests[s, generation]
        if not np.isfinite(gaps.p_value):
            continue
        x = GRID + (k - (len(settings) - 1) / 2) * 0.012  # side by side, not on top
        ax.errorbar(
            x,
            gaps.gap,
            yerr=gaps.half_width,
            color=styles[s]["color"],
            ls=styles[s]["linestyle"],
            lw=1.4,
            marker="o",
            ms=3,
            capsize=2,
            label=labels[s],
        )
        drawn = True
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("PIT value x")
    ax.set_ylabel("share of PIT <= x, minus x" if generation == 0 else "")
    ax.set_title(f"PIT: ECDF - uniform, generation {generation}", fontsize=10)
    if not drawn:
        say_empty(
            ax, f"no PIT test\n(point estimates, boundary\ntruths or < {MIN_REPLICATES} replicates)"
        )
        ax.set_yticks([])


def plot_calibration(ds: xr.Dataset) -> plt.Figure:
    """Coverage of the truth by central credible intervals, and the ECDF of the PIT.

    One panel per level: the mean over replicates of the share of true values covered
    (interior truths only; band: 2 standard errors), the nominal level dotted. Two last
    panels show the share of PIT values at most x minus x (the ECDF gap from uniform) at
    generation 0 and at the last, mean over replicates, with a 95 % simultaneous band
    whose unit is the replicate (values of one replicate share a posterior): the test of
    :mod:`bayescollapse.metrics.pit`, whose p-values at both generations each setting's
    legend entry and the ``diagnose`` table print. At a fixed truth and finite n the PIT
    is close to, not exactly, uniform.
    """
    settings = bayesian_settings(ds)
    if not settings:
        raise ValueError("the results have no Bayesian setting (conjugate or pymc) to plot")
    styles = _styles(ds, settings)
    gen = ds["generation"].values
    ends = (int(gen[0]), int(gen[-1]))
    tests = _pit_tests(ds, settings, ends)
    labels = {s: _pit_label(s, tests, ends) for s in settings}  # one legend entry each
    levels = ds["level"].values
    fig, axes = _panel_grid(len(levels) + 2)
    for ax, level in zip(axes[0], levels, strict=False):
        for s in settings:
            draw_band(ax, ds["central_coverage"].sel(setting=s, level=level), styles[s], labels[s])
        ax.axhline(level, color="k", ls=":", lw=1.2, label="nominal level")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(f"{level:.0%} central interval", fontsize=10)
        ax.set_xlabel("generation")
        ax.set_ylabel("share of truths covered" if level == levels[0] else "")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax, g in zip(axes[0, -2:], ends, strict=True):
        _pit_ecdf(ax, settings, styles, labels, tests, g)
    return _finish(fig, axes, "calibration: does the posterior cover the truth?", integer=False)


def plot_drift(ds: xr.Dataset) -> plt.Figure:
    """Posterior drift between generations and contraction relative to the prior."""
    settings = bayesian_settings(ds)
    if not settings:
        raise ValueError("the results have no Bayesian setting (conjugate or pymc) to plot")
    styles = _styles(ds, settings)
    panels = [
        ("kl_posterior_to_prev", "drift: KL(posterior_t || posterior_t-1)", "KL (nats)"),
        ("contraction", "contraction: 1 - var_post / var_prior", "share removed"),
    ]
    panels = [panel for panel in panels if panel[0] in ds]  # a mixture has no contraction
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4.2), squeeze=False)
    for ax, (var, title, unit) in zip(axes[0], panels, strict=True):
        for s in settings:
            draw_band(ax, ds[var].sel(setting=s), styles[s], s)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("generation")
        ax.set_ylabel(unit)
    log_axis(axes[0, 0])
    if "contraction" in ds:
        low = float(np.nanmin(ds["contraction"].sel(setting=settings).values))
        axes[0, 1].set_ylim(min(0.0, low) - 0.02, 1.02)  # the whole scale: 0 none, 1 all
    return _finish(fig, axes, "posterior drift and contraction (mean over replicates, 2 SE)")
