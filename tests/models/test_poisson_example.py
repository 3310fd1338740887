"""The Poisson plug-in family: its closed forms, and that a plug-in family is first-class.

``bayescollapse.models.examples.poisson`` registers the model ``poisson`` from outside the
core (no core file names it); these tests run it through every door a built-in family
has: Python, TOML, the command line with its own flags, summarize, diagnose, figures, the
memory estimate and the theory curve.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from bayescollapse import RunConfig, expected_curves, open_results, run, settings_grid
from bayescollapse.cli import main
from bayescollapse.engine.memory import estimate_memory

PLUGIN = "bayescollapse.models.examples.poisson"


def _config(**kwargs) -> RunConfig:
    keys = dict(model="poisson", plugins=(PLUGIN,), generations=3, replicates=4, seed=5)
    return RunConfig(**{**keys, **kwargs})


def test_the_family_is_registered_only_by_its_plugin():
    # importing the package does not register it; naming the plug-in does (a fresh process)
    code = (
        "from bayescollapse.models import REGISTRY\n"
        "before = 'poisson' in REGISTRY\n"
        f"from bayescollapse import RunConfig\nRunConfig(model='poisson', plugins=({PLUGIN!r},))\n"
        "print(before, 'poisson' in REGISTRY)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_conjugate_posterior_is_the_gamma_update_by_hand():
    # Gamma(a0, b0) prior, counts n = 4 with total 10: posterior Gamma(a0 + 10, b0 + 4)
    from bayescollapse.models.examples.poisson import PoissonStats
    from bayescollapse.models.registry import make_fitter

    family = _config(prior_shape=1.0, prior_rate=0.1).family()
    data = PoissonStats(np.array([4.0]), np.array([10.0]))
    fit = make_fitter(family, "conjugate", 1).fit(data, prior=family.initial_prior(1), rng=None)
    np.testing.assert_allclose([fit.shape[0], fit.rate[0]], [11.0, 4.1])
    np.testing.assert_allclose(fit.rate_mean, 11 / 4.1)
    mle = make_fitter(family, "mle", 1).fit(data, prior=None, rng=None)
    np.testing.assert_allclose(mle.rate_mean, 2.5)


def test_mse_recursion_by_hand():
    from bayescollapse.models.examples.poisson import mle_mse_recursion

    # D0 = 3/10; D1 = 3/10 + 0.3 ((1 - 0.5)^2 + 0.5 * 0.5 / 10) = 0.3 + 0.3 * 0.275
    np.testing.assert_allclose(
        mle_mse_recursion(3.0, np.array([1.0, 0.5]), np.array([10, 10])), [0.3, 0.3825]
    )


@pytest.mark.parametrize("scheme, alpha", [("mixture", "0.3"), ("replace", "zero")])
def test_mle_loop_follows_the_mse_recursion(scheme, alpha):
    # law: E (rate_t - rate*)^2 = D_t of mle_mse_recursion under the mixture loop (and the
    # replace loop, alpha = 0); the mean over R replicates is within z = 4 standard errors
    # (SE from the replicates' spread; 2 cases x 5 generations, false alarm ~6e-4 in all)
    config = _config(
        settings=settings_grid(
            scheme=[scheme], real_fraction=[alpha], sample_size=["20"], method=["mle"]
        ),
        generations=4,
        replicates=4000,
        truth="rate:2.5",
    )
    ds = run(config)
    errors = ds["rate_sq_error"].isel(setting=0).values  # (replicate, generation)
    expected = expected_curves(ds)["rate_sq_error"].isel(setting=0).values
    se = errors.std(axis=0, ddof=1) / np.sqrt(errors.shape[0])
    assert np.all(np.abs(errors.mean(axis=0) - expected) < 4 * se)
    if scheme == "replace":  # D_t = (t + 1) rate / n: the error grows linearly
        np.testing.assert_allclose(expected, 2.5 / 20 * np.arange(1, 6))


def test_predictive_counts_have_the_negative_binomial_law(rng):
    # law: m counts, each from its own rate ~ Gamma(a, b): their total has mean m a / b and
    # variance m a (b + 1) / b^2; means and variances of 20000 totals within z = 4 SEs
    from bayescollapse.models.examples.poisson import GammaPosterior

    a, b, m = 3.0, 2.0, 7
    post = GammaPosterior(np.full(20000, a), np.full(20000, b), 0.94, prior=None)
    totals = post.synthetic(np.full(20000, m), mode="predictive", rng=rng).total
    mean, var = m * a / b, m * a * (b + 1) / b**2
    assert abs(totals.mean() - mean) < 4 * np.sqrt(var / totals.size)
    fourth = np.mean((totals - totals.mean()) ** 4)
    assert abs(totals.var(ddof=1) - var) < 4 * np.sqrt((fourth - var**2) / totals.size)


def test_memory_estimate_and_validation_come_from_the_family():
    parts = estimate_memory(_config())
    assert parts["working"] > 0 and parts["results"] > 0
    with pytest.raises(ValueError, match="prior_shape must be > 0, got -1.0"):
        _config(prior_shape=-1.0)
    with pytest.raises(ValueError, match="prior_rate inf is not a finite number"):
        _config(prior_rate=float("inf"))
    with pytest.raises(ValueError, match="'num_tokens' is not a parameter of model 'poisson'"):
        _config(num_tokens=5)
    with pytest.raises(ValueError, match="no real pool to reuse"):
        _config(settings=settings_grid(method=["mle"], real_data=["fixed"]))


def test_the_command_line_runs_summarizes_and_diagnoses_it(tmp_path, capsys):
    assert main(["run", "--plugin", PLUGIN, "--model", "poisson", "--help"]) == 0
    assert "--prior-shape A0" in capsys.readouterr().out
    out, fig = tmp_path / "p.nc", tmp_path / "p.png"
    argv = [
        "run",
        "--plugin",
        PLUGIN,
        "--model",
        "poisson",
        "--method",
        "mle",
        "conjugate",
        "--prior-shape",
        "1",
        "3",
        "--generations",
        "3",
        "--replicates",
        "3",
        "--sample-size",
        "40",
        "--seed",
        "2",
        "--out",
        str(out),
        "--figure",
        str(fig),
        "--no-progress",
    ]
    assert main(argv) == 0
    ds = open_results(out)
    assert sorted(ds["prior_shape"].values.tolist()) == [1.0, 1.0, 3.0]  # mle, then the axis
    assert fig.stat().st_size > 10_000
    # a fresh process has not imported the plug-in: opening the file asks the user to name it
    fresh = [sys.executable, "-m", "bayescollapse", "summarize", str(out)]
    refused = subprocess.run(fresh, capture_output=True, text=True)
    assert refused.returncode == 2 and f"--plugin {PLUGIN}" in refused.stderr
    assert subprocess.run([*fresh, "--plugin", PLUGIN], capture_output=True).returncode == 0
    capsys.readouterr()
    assert main(["summarize", str(out), "--plugin", PLUGIN, "--paired"]) == 0
    assert "conjugate ancestral a0=3" in capsys.readouterr().out
    figures = tmp_path / "figs"
    assert main(["diagnose", str(out), "--plugin", PLUGIN, "--figures", str(figures)]) == 0
    assert {p.name for p in figures.iterdir()} == {
        "posterior_paths.png",
        "calibration.png",
        "drift.png",
    }


def test_a_toml_study_with_a_params_table_runs(tmp_path):
    study = tmp_path / "poisson.toml"
    study.write_text(
        f'model = "poisson"\nplugins = ["{PLUGIN}"]\ngenerations = 2\nreplicates = 2\n'
        "seed = 4\n[params]\nprior_shape = 2.5\n"
        '[[settings]]\nmethod = "conjugate"\nsample_size = "25"\n'
    )
    out = tmp_path / "t.nc"
    assert main(["run", "--config", str(study), "--out", str(out), "--no-progress"]) == 0
    ds = open_results(out)
    assert float(ds["prior_shape"][0]) == 2.5 and ds.attrs["model"] == "poisson"
    assert (
        main(
            ["run", "--config", str(study), "--prior-rate", "-2", "--out", str(tmp_path / "bad.nc")]
        )
        == 2
    )


@pytest.fixture
def bare_family_name():
    from bayescollapse.models import registry

    yield "bare-poisson"
    registry.FAMILIES.pop("bare-poisson", None)
    registry._METHODS.pop("bare-poisson", None)


def test_a_family_without_sampler_or_calibration_variables_runs_everywhere(
    tmp_path, capsys, bare_family_name
):
    # the summary table, diagnose and the figures show what the family records and skip
    # what it does not (no KeyError on r_hat_max, central_coverage or a dim it lacks)
    from dataclasses import dataclass

    from bayescollapse.models import registry
    from bayescollapse.models.examples.poisson import Poisson, _ConjugateFitter

    kept = (
        "rate_mean",
        "rate_sq_error",
        "kl_truth_to_model",
        "train_size",
        "train_total",
        "real_count",
        "rate_hdi_lower",
        "rate_hdi_upper",
        "rate_covered",
    )

    @registry.register_family
    @dataclass(frozen=True)
    class Bare(Poisson):
        name = bare_family_name
        variables = {k: v for k, v in Poisson.variables.items() if k in kept}
        r_hat_variables = ()

        def record(self, fit, data, truth, previous_fit, summarise_posterior, *, rng=None):
            row = super().record(fit, data, truth, previous_fit, summarise_posterior, rng=rng)
            return {k: v for k, v in row.items() if k in kept}

    registry.register_method(
        "bare-poisson", "conjugate", lambda f, r: _ConjugateFitter(0.9), bayesian=True
    )
    ds = run(RunConfig(model="bare-poisson", generations=2, replicates=2, seed=3))
    out = tmp_path / "bare.nc"
    from bayescollapse import save_results

    save_results(ds, out)
    assert main(["summarize", str(out)]) == 0
    assert "max R-hat" not in capsys.readouterr().out
    assert main(["diagnose", str(out), "--figures", str(tmp_path / "f")]) == 0
    assert [p.name for p in (tmp_path / "f").iterdir()] == ["posterior_paths.png"]


def test_a_sweep_of_the_plugin_family_equals_its_run(tmp_path):
    # the plug-in is imported on the Dask worker from the configuration it records
    from distributed import Client, LocalCluster

    from bayescollapse.engine.sweep import sweep

    config = _config(
        settings=settings_grid(method=["mle", "conjugate"], sample_size=["25"]),
        replicates=4,
        replicate_block=2,
    )
    cluster = LocalCluster(
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, Client(cluster) as client:
        report = sweep(config, tmp_path / "p.zarr", client=client)
    assert len(report.run) == 4 and not report.failed
    stored = open_results(tmp_path / "p.zarr")
    np.testing.assert_array_equal(stored["rate_mean"].values, run(config)["rate_mean"].values)
