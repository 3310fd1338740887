"""Figures: nothing clipped, empty panels say why."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from bayescollapse import RunConfig, Setting, run
from bayescollapse.models.registry import is_bayesian
from bayescollapse.present.plots import plot_error
from bayescollapse.present.posterior_plots import (
    plot_calibration,
    plot_drift,
    plot_posterior_paths,
)
from tests.present.figure_checks import outside, repeated_looks, unlabelled_axes


def _inside(fig, artist) -> bool:
    fig.canvas.draw()
    box = artist.get_window_extent(fig.canvas.get_renderer())
    return box.x0 >= 0 and box.y0 >= 0 and box.x1 <= fig.bbox.x1 and box.y1 <= fig.bbox.y1


def test_single_regime_gaussian_figure_is_not_clipped():
    settings = (
        Setting(method="conjugate", real_fraction="0.2", sample_size="30"),
        Setting(method="unbiased", real_fraction="0.2", sample_size="30"),
    )
    ds = run(RunConfig(model="gaussian", settings=settings, generations=2, replicates=3, seed=1))
    fig = plot_error(ds)
    assert _inside(fig, fig._suptitle) and all(_inside(fig, leg) for leg in fig.legends)


def test_calibration_figure_shows_ecdf_pit_or_says_why_not():
    cfg = RunConfig(settings=(Setting(),), generations=1, replicates=20, seed=2)
    fig = plot_calibration(run(cfg))
    ecdf = fig.axes[-1]
    assert "ECDF" in ecdf.get_title() and len(ecdf.get_lines()) >= 2  # the gaps and zero
    # the table's p-values, once per setting: coverage lines and gaps share one entry
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels[0].startswith("mixture") and "(PIT p, gen 0: " in labels[0]
    assert len([label for label in labels if "PIT p" in label]) == 1
    # without posterior metrics the PIT is NaN: the panel says so instead of garbled ticks
    ds = run(
        RunConfig(
            settings=(Setting(),), generations=1, replicates=3, seed=2, posterior_metrics=False
        )
    )
    assert np.isnan(ds["pit"]).all()
    empty = plot_calibration(ds).axes[-1]
    assert any("no PIT test" in t.get_text() for t in empty.texts)
    assert list(empty.get_yticks()) == []


def _settings(count: int, methods=("mle", "conjugate")) -> tuple[Setting, ...]:
    """``count`` settings in up to 3 regimes: the methods' fits under decodings."""
    decodings = [1.0, 0.8, 1.2, 0.9, 1.1, 0.7, 1.3]
    fits = [(m, t) for m in methods for t in decodings][:count]
    regimes = ["zero", "0.3", "0.6"][: min(3, count)]
    return tuple(
        Setting(method=m, temperature=t, real_fraction=regimes[i % len(regimes)])
        for i, (m, t) in enumerate(fits)
    )


@pytest.mark.parametrize("count", [1, 3, 14])
def test_error_figure_layout_at_any_number_of_settings(count):
    # 14 settings used to repeat tab10's colours (mle T=0.7 and conjugate T=1.5 both blue)
    cfg = RunConfig(settings=_settings(count), num_tokens=5, generations=2, replicates=2, seed=1)
    fig = plot_error(run(cfg, progress=False))
    assert outside(fig) == []
    assert repeated_looks(fig) == []
    assert unlabelled_axes(fig) == []
    plt.close(fig)


@pytest.mark.parametrize("count", [1, 3, 14])
def test_posterior_figures_layout_at_any_number_of_settings(count):
    # the posterior paths overlaid 6 settings and their HDI bands in one tangle; drift had
    # no y labels: now a row per setting, units on every axis, no two settings alike
    settings = _settings(count, methods=("conjugate", "pymc"))
    if count == 14:  # PyMC is slow: the conjugate fit under two synthetic modes instead
        settings = tuple(
            Setting(
                method="conjugate",
                synthetic=mode,
                temperature=s.temperature,
                real_fraction=s.real_fraction,
            )
            for mode in ("ancestral", "predictive")
            for s in _settings(7, ("conjugate",))
        )
    cfg = RunConfig(settings=settings, num_tokens=5, generations=2, replicates=3, seed=1)
    ds = run(cfg, progress=False)
    for plot in (plot_posterior_paths, plot_calibration, plot_drift):
        fig = plot(ds)
        assert outside(fig) == [], plot.__name__
        assert repeated_looks(fig) == [], plot.__name__
        assert unlabelled_axes(fig) == [], plot.__name__
        plt.close(fig)
    paths = plot_posterior_paths(ds)
    assert len(paths.axes) == count * 3  # a row per setting, a column per parameter


@pytest.mark.parametrize("priors", [(0.0,), (0.0, 0.1, 1.0), tuple(0.1 * i for i in range(14))])
def test_phase_figure_keeps_its_legend_and_title_in_the_canvas(priors):
    # `phase --figure` cut its one-row legend off at both edges
    from bayescollapse import phase_diagram
    from bayescollapse.present.plots import plot_phase

    ds = phase_diagram(
        "zipf:1",
        5,
        betas=[0.0, 1.0, 2.0],
        gammas=[0.0, 1.0, 2.0],
        sim_betas=[0.5],
        sim_gammas=[1.0],
        seed=1,
        prior_concentrations=priors,
        generations=12,
        replicates=4,
    )
    fig = plot_phase(ds)
    assert outside(fig) == [] and unlabelled_axes(fig) == []
    assert fig.get_figwidth() <= 4.6 * 4  # 14 priors wrap into rows, not one 64-inch row
    plt.close(fig)


def test_a_weighted_refits_figure_shows_the_mean_error_with_plain_ticks():
    # the weighted refit's --figure plotted sigma^2 (not what the weighting is about) with
    # tick labels like 9.8x10^-1
    settings = tuple(
        Setting(method="mle", scheme="mixture", real_weight=w, real_fraction="0.5")
        for w in ("0.5", "0.9")
    )
    cfg = RunConfig(model="gaussian", settings=settings, generations=3, replicates=4, seed=1)
    ds = run(cfg, progress=False)
    fig = plot_error(ds)
    assert fig.axes[0].get_ylabel() == "(mu_t - mu*)^2" and outside(fig) == []
    plt.close(fig)
    fig = plot_error(ds, metric="sigma2_mean")  # near 1: a narrow log range
    ax = fig.axes[0]
    fig.canvas.draw()
    labels = [t.get_text() for t in (*ax.get_yticklabels(), *ax.get_yticklabels(minor=True))]
    assert any(labels) and not any("times" in lab for lab in labels)  # no 9.8x10^-1
    plt.close(fig)


def test_plain_log_labels_only_decades_in_powers():
    from bayescollapse.present.plots import PlainLog

    fig, ax = plt.subplots()
    ax.set_yscale("log")
    ax.set_ylim(0.9, 1.1)  # a narrow range: matplotlib labels the minor ticks
    formatter = PlainLog(labelOnlyBase=False)
    formatter.set_axis(ax.yaxis)
    formatter.set_locs([0.9, 0.98, 1.0, 1.1])
    assert formatter(0.98) == "0.98" and formatter(0.015) == "0.015"
    assert "10^{0}" in formatter(1.0) or formatter(1.0) == "$\\\\mathdefault{10^{0}}$"


def test_a_curated_runs_figure_shows_reward_and_entropy_the_reward_linear_when_negative():
    # the curation's figure showed the distance to the truth, not what curating moves
    settings = (Setting(method="mle"), Setting(method="mle", curation="best-of:4"))
    cfg = RunConfig(settings=settings, num_tokens=5, generations=2, replicates=3, seed=1)
    ds = run(cfg, progress=False)
    fig = plot_error(ds)
    assert fig.axes[0].get_ylabel() == "expected reward E_{P_t} r"
    # and the diversity the climb costs, below it (no coverage row: point estimates only)
    assert [ax.get_ylabel() for ax in fig.axes] == [
        "expected reward E_{P_t} r",
        "entropy of P_t (nats)",
    ]
    plt.close(fig)
    ds["reward_mean"] = ds["reward_mean"] - 100.0  # a reward below zero: no log axis
    fig = plot_error(ds)
    assert fig.axes[0].get_yscale() == "linear"
    plt.close(fig)


def test_a_regime_of_point_estimates_says_why_its_coverage_panel_is_empty():
    settings = (
        Setting(method="mle", real_fraction="zero"),
        Setting(method="conjugate", real_fraction="0.3"),
    )
    cfg = RunConfig(settings=settings, num_tokens=5, generations=2, replicates=3, seed=1)
    fig = plot_error(run(cfg, progress=False))
    mle_coverage, conjugate_coverage = fig.axes[2], fig.axes[3]
    assert [t.get_text() for t in mle_coverage.texts] == ["no HDI: point estimates only"]
    assert len(conjugate_coverage.texts) == 0
    plt.close(fig)


#: every family with its quick fits (no sampler: the PyMC paths draw the same figure)
FAMILIES = {
    "dirichlet-categorical": ("mle", "conjugate"),
    "markov": ("mle", "conjugate"),
    "gaussian": ("mle", "unbiased", "conjugate"),
    "linear-regression": ("mle", "ridge", "conjugate"),
    "gaussian-mixture": ("complete-data-mle", "complete-data"),
    "poisson": ("mle", "conjugate"),
}


def _family_settings(count: int, methods) -> tuple[Setting, ...]:
    """``count`` distinct settings: fits varied by synthetic mode and prior update, in up
    to 3 regimes."""
    regimes = ["zero", "0.3", "0.6"][: min(3, count)]
    chosen, seen = [], set()
    for update in ("refit", "carry"):
        for mode in ("ancestral", "predictive", "plugin"):
            for m in methods:
                if update == "carry" and not is_bayesian(m):
                    continue  # a point estimate has no posterior to carry
                for regime in regimes:
                    fit = Setting(
                        method=m, synthetic=mode, prior_update=update, real_fraction=regime
                    )
                    if (fit.fit_label, regime) not in seen and len(chosen) < count:
                        seen.add((fit.fit_label, regime))
                        chosen.append(fit)
    assert len(chosen) == count, f"only {len(chosen)} distinct settings from {methods}"
    return tuple(chosen)


@pytest.mark.parametrize("count", [1, 3, 14])
@pytest.mark.parametrize("model", list(FAMILIES))
def test_every_familys_figures_are_laid_out_at_any_number_of_settings(model, count):
    # nothing outside the canvas, no two settings alike, every axis labelled, and the
    # y axis names its quantity, not its variable (the Markov figure read "kl_rate")
    settings = _family_settings(count, FAMILIES[model])
    cfg = RunConfig(
        model=model,
        plugins=("bayescollapse.models.examples.poisson",) if model == "poisson" else (),
        settings=settings,
        generations=2,
        replicates=3,
        seed=1,
        **({"num_tokens": 4} if model in ("dirichlet-categorical", "markov") else {}),
    )
    ds = run(cfg, progress=False)
    figures = [plot_error(ds)]
    if bool(ds["bayesian"].any()):
        figures += [plot(ds) for plot in (plot_posterior_paths, plot_calibration, plot_drift)]
    for fig in figures:
        assert outside(fig) == []
        assert repeated_looks(fig) == []
        assert unlabelled_axes(fig) == []
        plt.close(fig)
    ylabel = figures[0].axes[0].get_ylabel()
    assert ylabel and ylabel.split(" (")[0] not in ds.data_vars, ylabel


def test_a_line_with_an_infinite_mean_says_so_in_its_panel():
    # the MLE's KL rate is infinite once a true transition is lost: its line used to vanish
    # from the figure without a word
    settings = (Setting(method="mle", real_fraction="zero", sample_size="20"),)
    cfg = RunConfig(model="markov", settings=settings, num_tokens=8, generations=2, seed=5)
    ds = run(cfg, progress=False)
    infinite = np.isinf(ds["kl_rate"].mean("replicate").values[0])
    assert infinite.any()
    first = int(infinite.argmax())
    fig = plot_error(ds)
    notes = [t.get_text() for t in fig.axes[0].texts]
    assert notes == [f"mle: infinite from generation {first}"]
    plt.close(fig)
