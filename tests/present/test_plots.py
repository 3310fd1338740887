"""Figures: nothing clipped, empty panels say why."""

import numpy as np

from bayescollapse import RunConfig, Setting, run
from bayescollapse.present.plots import plot_error
from bayescollapse.present.posterior_plots import plot_calibration


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
    assert "(p = " in ecdf.get_legend_handles_labels()[1][0]  # the table's p-value
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
