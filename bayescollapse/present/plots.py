"""Figures from a results dataset: error against generation, one panel per regime.

Plotting sits at the edge: these functions take a saved-results :class:`xarray.Dataset`
and return a Matplotlib figure; callers decide where to save it.
"""

from __future__ import annotations

import json
import textwrap

import matplotlib

matplotlib.use("Agg")  # files, not windows: the CLI and analyses run headless

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import LogFormatterSciNotation, MaxNLocator  # noqa: E402

from bayescollapse.present.curves import expected_curves  # noqa: E402
from bayescollapse.present.styles import THEORY, fit_styles  # noqa: E402

THEORY_LABEL = "exact expectation (wide pale line)"

__all__ = [
    "draw_band",
    "gathered_legend",
    "legend_below",
    "log_axis",
    "plot_error",
    "plot_phase",
    "replicate_band",
    "say_empty",
]


def _coverage_panel(ax, cover, members, styles: dict, hdi_prob: float, label: str) -> None:
    """Draw the share of true values inside the HDIs of the regime's Bayesian settings.

    A regime of point estimates only has no HDI: its panel says so instead of staying empty.
    """
    drawn = False
    for setting in members:
        if not np.isfinite(cover.sel(setting=setting)).any():
            continue  # a point estimate has no HDI
        draw_band(
            ax,
            cover.sel(setting=setting),
            styles[str(cover["fit_label"].sel(setting=setting).values)],
        )
        drawn = True
    if not drawn:
        say_empty(ax, "no HDI: point estimates only")
    ax.axhline(hdi_prob, color="k", ls=":", lw=1.2)
    ax.set_ylim(-0.02, 1.02)
    ax.set_ylabel(label)
    ax.grid(alpha=0.3)


def say_empty(ax, text: str) -> None:
    """Say in the middle of an empty panel why it has nothing to draw."""
    ax.text(
        0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=9, color="0.3"
    )


def log_axis(ax) -> None:
    """Put the y axis on a log scale, labelled by :class:`PlainLog`."""
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(PlainLog())
    ax.yaxis.set_minor_formatter(PlainLog(labelOnlyBase=False))


def replicate_band(values: xr.DataArray, *, z: float = 2.0) -> tuple[xr.DataArray, xr.DataArray]:
    """Mean over replicates and ``z`` standard errors of that mean (NaN-aware).

    An infinite value (a KL divergence once a true token is lost) makes the mean infinite
    and is left out of the standard error.
    """
    finite = values.where(np.isfinite(values))
    count = finite.count("replicate")
    mean = values.mean("replicate")
    with np.errstate(invalid="ignore", divide="ignore"):
        se = finite.std("replicate", ddof=1) / np.sqrt(count)
    return mean, z * se.fillna(0.0)


def draw_band(ax, values: xr.DataArray, style: dict, label: str | None = None) -> None:
    """Draw the mean of ``values`` over replicates against generation, with its 2 SE band."""
    mean, half = replicate_band(values)
    gen = values["generation"].values
    ax.plot(gen, mean, lw=1.6, label=label, **style)
    ax.fill_between(gen, mean - half, mean + half, color=style["color"], alpha=0.15, lw=0)


def gathered_legend(axes) -> tuple[list, list[str]]:
    """Return the legend entries of ``axes``, each label once, in order of first appearance."""
    handles, labels = [], []
    for ax in np.ravel(axes):
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    return handles, labels


def legend_below(fig, handles, labels, *, fontsize=None, char_points: float = 7.0) -> None:
    """Put one legend under the panels, inside the canvas, in as many columns as fit.

    ``char_points`` is the width of a label's character in points (7 at the default font
    size); the figure needs a constrained layout, which makes room for the legend.
    """
    longest = max((len(label) for label in labels), default=1)
    room = int(fig.get_figwidth() * 72 / (char_points * longest + 40))
    ncol = max(1, min(len(labels), room))
    rows = -(-len(labels) // ncol)
    if rows > 2:  # a long legend gets its own room, so the panels keep their height
        size = FontProperties(size=fontsize or plt.rcParams["legend.fontsize"])
        line = 1.4 * size.get_size_in_points() / 72  # inches a legend row takes
        fig.set_figheight(fig.get_figheight() + (rows - 2) * line)
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncol=ncol,
        frameon=False,
        fontsize=fontsize,
    )


def _headline(ds: xr.Dataset, family) -> str:
    """Return the figure's metric: the family's, or what weighting or curation is about."""
    weights = ds.coords.get("real_weight_schedule")
    if weights is not None and bool((weights.values != "none").any()):
        return getattr(family, "weighted_metric", None) or family.plot_metric
    curation = ds.coords.get("curation")
    if curation is not None and bool((curation.values != "none").any()) and "reward_mean" in ds:
        return "reward_mean"  # what curating by a reward moves
    return family.plot_metric


def axis_label(ds: xr.Dataset, name: str, family) -> str:
    """Return a variable's axis label: the family's, else its name with its CF unit."""
    if name in family.labels:
        return family.labels[name]
    units = ds[name].attrs.get("units", "") if name in ds else ""
    text = name.replace("_", " ")
    return f"{text} ({units})" if units not in ("", "1") else text


class PlainLog(LogFormatterSciNotation):
    """Log-axis labels: decades as powers of ten, any other tick plainly (0.98, 0.015).

    Matplotlib labels the minor ticks of a narrow range as 9.8x10^-1.
    """

    def __call__(self, x, pos=None):
        label = super().__call__(x, pos)
        if not label or x <= 0 or np.isclose(np.log10(x), round(np.log10(x))):
            return label
        return f"{x:.3g}"


def plot_error(
    ds: xr.Dataset,
    *,
    metric: str | None = None,
    coverage: bool = True,
    theory: bool = True,
    log: bool = True,
) -> plt.Figure:
    """Plot ``metric`` against generation: one panel per regime (``group``), one line per fit.

    ``metric`` defaults to the model's headline error (``sq_l2_to_truth`` for the
    categorical model, ``sigma2_mean`` for the Gaussian), or, when a setting weights its
    refit, to the error the weighting is about (the family's ``weighted_metric``: the
    Gaussian mean's squared error).

    Lines are the mean over replicates with a band of 2 standard errors, coloured by
    method and dashed by variant (:func:`~.styles.fit_styles`). Where the metric has an
    exact expected curve (:func:`bayescollapse.theory.closed_forms.expected_curves`), it
    is drawn as a wide pale line in its fit's colour behind the simulation
    (``theory=False`` hides it). A curated run (the expected reward on top) shows the
    entropy of its fits below, the diversity the reward's climb costs. With ``coverage``,
    a last row shows the share of tokens whose true probability lies inside the posterior
    HDIs, with the nominal level dotted.
    """
    from bayescollapse.models import REGISTRY

    family = REGISTRY[ds.attrs["model"]]
    metric = metric or _headline(ds, family)
    cover = family.coverage_metric
    if metric not in ds:
        raise ValueError(f"results have no metric {metric!r}; choose one of {sorted(ds.data_vars)}")
    # a curated run is about its reward and the diversity it costs: entropy below it
    metrics = [metric, *(["entropy"] if metric == "reward_mean" and "entropy" in ds else [])]
    groups = list(dict.fromkeys(ds["group"].values.tolist()))
    has_bayes = coverage and bool(np.isfinite(ds[cover]).any())
    rows = len(metrics) + has_bayes
    width = max(4.2 * len(groups), 7.0)  # one regime still has room for title and legend
    fig, axes = plt.subplots(
        rows,
        len(groups),
        figsize=(width, 3.4 * rows + 0.9),
        squeeze=False,
        sharex=True,
        layout="constrained",
    )
    styles = fit_styles(ds)
    hdi_prob = json.loads(ds.attrs["config"]).get("hdi_prob", 0.94)
    curves = expected_curves(ds) if theory else None
    for row, name in enumerate(metrics):
        # a log axis needs positive values
        row_log = log and name == metric and bool(np.nanmin(ds[name].values) > 0)
        for col, group in enumerate(groups):
            ax = axes[row, col]
            members = ds["setting"].values[ds["group"].values == group]
            _metric_panel(ax, ds[name], members, styles, curves, row_log)
            ax.set_ylabel(axis_label(ds, name, family) if col == 0 else "")
            if row == 0:
                ax.set_title(group, fontsize=10)
    for col, group in enumerate(groups):
        if has_bayes:
            members = ds["setting"].values[ds["group"].values == group]
            label = f"{axis_label(ds, cover, family)} ({hdi_prob:.0%})" if col == 0 else ""
            _coverage_panel(axes[-1, col], ds[cover], members, styles, hdi_prob, label)
        axes[-1, col].set_xlabel("generation")
        axes[-1, col].xaxis.set_major_locator(MaxNLocator(integer=True))
    handles, labels = gathered_legend(axes[0])
    if THEORY_LABEL in labels:  # one neutral entry for every setting's curve
        i = labels.index(THEORY_LABEL)
        handles.append(Line2D([], [], color="0.4", **THEORY))
        labels.append(labels.pop(i))
        handles.pop(i)
    legend_below(fig, handles, labels)
    cfg = json.loads(ds.attrs["config"])
    truth = cfg["truth"] if isinstance(cfg["truth"], str) else "given as values"
    size = family.describe(ds)
    title = (
        f"{ds.attrs['model']}: {size + ', ' if size else ''}truth {truth}, "
        f"{_replicates(ds, metric)}, seed {ds.attrs['seed']}; bands:\u00a02\u00a0SE"
    )
    fig.suptitle(textwrap.fill(title, width=int(width * 11)), fontsize=11)
    return fig


def _metric_panel(ax, values: xr.DataArray, members, styles: dict, curves, log: bool) -> None:
    """Draw one regime's settings of one metric, each beside its exact curve if it has one."""
    gen = values["generation"].values
    exact = curves[values.name] if curves is not None and values.name in curves else None
    off_scale = []
    for setting in members:
        label = str(values["fit_label"].sel(setting=setting).values)
        line = values.sel(setting=setting)
        draw_band(ax, line, styles[label], label)
        infinite = np.isinf(line.mean("replicate").values)
        if infinite.any():  # an MLE's KL once a token is lost: no point to draw
            off_scale.append(f"{label}: infinite from generation {int(gen[infinite.argmax()])}")
        if exact is not None and np.isfinite(exact.sel(setting=setting)).all():
            ax.plot(
                gen,
                exact.sel(setting=setting),
                color=styles[label]["color"],
                label=THEORY_LABEL,
                zorder=1,
                **THEORY,
            )
    if off_scale:
        note = "\n".join(off_scale)
        ax.text(0.98, 0.02, note, ha="right", va="bottom", transform=ax.transAxes, fontsize=7)
    if log:
        log_axis(ax)
    ax.grid(alpha=0.3)


def _replicates(ds: xr.Dataset, metric: str) -> str:
    """'R replicates', naming the fits that ran fewer (runs put side by side by concat_runs).

    Examples
    --------
    >>> ds = xr.Dataset(
    ...     {"m": (("setting", "replicate", "generation"),
    ...            [[[1.0], [2.0]], [[3.0], [np.nan]], [[4.0], [np.nan]]])},
    ...     coords={"fit_label": ("setting", ["mle", "pymc", "pymc"])})
    >>> _replicates(ds, "m")
    '2 replicates (pymc 1)'
    """
    first = ds[metric].isel(generation=0).notnull()
    ran = first.any([d for d in first.dims if d not in ("setting", "replicate")]).sum("replicate")
    most = int(ran.max())
    fewer = dict.fromkeys(  # one entry per fit, whatever the regimes
        f"{ds['fit_label'].values[i]} {int(n)}" for i, n in enumerate(ran.values) if 0 < n < most
    )
    return f"{most} replicates" + (f" ({'; '.join(fewer)})" if fewer else "")


_REGIME_COLORS = {"recovery": "#4daf4a", "bounded": "#ffb000", "collapse": "#e41a1c"}


def plot_phase(ds: xr.Dataset) -> plt.Figure:
    """Draw the phase diagram of :func:`bayescollapse.theory.phase.phase_diagram`.

    One panel per prior concentration (0: MLE), four to a row. The background is the
    regime of the exact expected error curve at the horizon, with contours of
    ``log10 E||P_t - P*||^2`` there;
    the dashed lines are the MLE's asymptotic boundaries
    (:func:`bayescollapse.theory.closed_forms.power_schedule_regime`), drawn on every panel for
    reference. Markers are the simulated grid, coloured by the trend test's verdict
    ('?' where the test cannot decide).
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    names = list(_REGIME_COLORS)
    cmap = ListedColormap([_REGIME_COLORS[n] for n in names])
    beta, gamma = ds["beta"].values, ds["gamma"].values
    priors = ds["prior_concentration"].values
    cols = min(len(priors), 4)  # many priors wrap into rows of four panels
    rows = -(-len(priors) // cols)
    width = max(4.6 * cols, 7.0)
    fig, axes = plt.subplots(
        rows, cols, figsize=(width, 4.4 * rows + 0.6), squeeze=False, layout="constrained"
    )
    for ax in axes.flat[len(priors) :]:
        ax.set_visible(False)
    for ax, a0 in zip(axes.flat, priors, strict=False):
        row = ds.sel(prior_concentration=a0)
        codes = np.vectorize(names.index)(
            row["theory_regime"].values.T
        )  # rows: gamma, columns: beta
        extent = (beta[0], beta[-1], gamma[0], gamma[-1])
        ax.imshow(
            codes,
            origin="lower",
            extent=extent,
            aspect="auto",
            cmap=cmap,
            vmin=-0.5,
            vmax=2.5,
            alpha=0.35,
            interpolation="nearest",
        )
        levels = np.log10(np.maximum(row["theory_error"].values.T, 1e-12))
        contour = ax.contour(
            beta, gamma, levels, levels=np.arange(-6, 1), colors="0.35", linewidths=0.6
        )
        ax.clabel(contour, fmt=lambda v: f"1e{v:.0f}", fontsize=7)
        edge = {"color": "0.15", "lw": 1.4, "ls": "--"}
        ax.plot([0, 1], [0, 1], **edge)
        ax.plot([1, 1], [1, gamma[-1]], **edge)
        ax.plot([1, beta[-1]], [1, 1], **edge)
        sim = row[["sim_regime", "sim_slope"]]
        for sb in sim["sim_beta"].values:
            for sg in sim["sim_gamma"].values:
                verdict = str(sim["sim_regime"].sel(sim_beta=sb, sim_gamma=sg).values)
                color = _REGIME_COLORS.get(verdict, "white")
                ax.scatter(sb, sg, s=90, c=color, edgecolors="k", linewidths=1.2, zorder=3)
                if verdict not in _REGIME_COLORS:
                    ax.text(sb, sg, "?", ha="center", va="center", fontsize=8, zorder=4)
        title = "MLE" if a0 == 0 else f"conjugate, prior a0={a0:g}"
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("beta (decay of the real fraction alpha_t)")
        ax.set_ylabel("gamma (growth of the sample size n_t)")
    handles = [Patch(color=_REGIME_COLORS[n], alpha=0.5, label=f"{n} (theory)") for n in names]
    handles += [
        Line2D([], [], color="0.15", lw=1.4, ls="--", label="MLE asymptotic boundary"),
        Line2D([], [], marker="o", ls="", mfc="0.8", mec="k", label="simulation verdict"),
        Line2D([], [], color="0.35", lw=0.6, label="log10 E||P_t - P*||^2 at horizon"),
    ]
    fig.legend(  # in rows that fit the canvas (one row of six was cut at both edges)
        handles=handles,
        loc="outside lower center",
        ncol=3 if width < 12 else len(handles),
        frameon=False,
        fontsize=8,
    )
    title = (
        f"alpha_t = {ds.attrs['real_fraction0']:g} t^-beta, n_t = {ds.attrs['sample_size0']:g} "
        f"t^gamma; truth {ds.attrs['truth']}, K={ds.attrs['num_tokens']}; theory at "
        f"t={ds.attrs['horizon']}, simulation {ds.attrs['sim_replicates']} replicates x "
        f"{ds.attrs['sim_generations']} generations"
    )
    fig.suptitle(textwrap.fill(title, width=int(width * 13)), fontsize=10)
    return fig
