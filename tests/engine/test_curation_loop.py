"""Curation in the loop: paired with the plain loop, reproducible, and at its fixed point."""

from __future__ import annotations

import numpy as np
import pytest

from bayescollapse import RunConfig, Setting, run
from bayescollapse.cli import main
from bayescollapse.models.curation import token_rewards
from bayescollapse.theory.curation import fixed_point

SMALL = {"real_fraction": "0.2", "sample_size": "100"}


def _config(*settings, **kw):
    options = {"num_tokens": 6, "generations": 4, "replicates": 4, "seed": 7, **kw}
    return RunConfig(settings=settings, **options)


def test_none_is_the_plain_loop_bit_for_bit_and_curated_settings_share_its_data():
    plain = run(_config(Setting(method="mle", **SMALL)))
    both = run(
        _config(
            Setting(method="mle", **SMALL),
            Setting(method="mle", curation="best-of:4", **SMALL),
            Setting(method="conjugate", curation="bradley-terry:4:1", **SMALL),
        )
    )
    for name in plain.data_vars:
        first = {"setting": 0} if "setting" in plain[name].dims else {}
        np.testing.assert_array_equal(
            both[name].isel(first).values, plain[name].isel(first).values, name
        )
    # common random numbers: every setting of the regime sees the same real items
    counts = both["real_count"].values
    np.testing.assert_array_equal(counts[1], counts[0])
    np.testing.assert_array_equal(counts[2], counts[0])
    assert list(both["curation"].values) == ["none", "best-of:4", "bradley-terry:4:1"]
    assert both["fit_label"].values[1] == "mle best-of:4"
    assert np.isnan(both["reward_mean"].values[0]).all()  # no reward for the plain loop


def test_a_curated_run_reproduces_from_its_seed():
    config = _config(Setting(method="conjugate", curation="filter", reward="top:3", **SMALL))
    a, b = run(config), run(config)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, name)
    rate = a["acceptance_rate"].values[0, :, 1:]
    assert np.all((rate > 0) & (rate <= 1))


@pytest.mark.parametrize(
    "curation, reward, options",
    [
        ("best-of:2", "rank", {"k": 2}),
        ("bradley-terry:3:0.5", "rank", {"k": 3, "beta": 0.5}),
        ("filter", "values:0.2,1,0.5,0.1,0.9", {}),
    ],
)
def test_with_real_data_the_loop_settles_at_the_maps_fixed_point(curation, reward, options):
    # law: at large n the MLE loop follows the deterministic map
    # P -> alpha P* + (1 - alpha) q(P) (bayescollapse.theory.curation), whose fixed point
    # it settles at (20 generations: 0.7^20 of the start's distance is left); the last
    # generation's fit, averaged over 30 replicates, lies within z = 4.5 standard errors
    # (over replicates) of it, per token (5 tokens). The map's curvature biases the mean by
    # O(1/n) = 1e-4, far inside the SE (~1e-3).
    config = RunConfig(
        settings=(
            Setting(
                method="mle",
                curation=curation,
                reward=reward,
                real_fraction="0.3",
                sample_size="10000",
            ),
        ),
        num_tokens=5,
        generations=20,
        replicates=30,
        seed=11,
    )
    ds = run(config)
    truth = ds["truth"].values
    rule = curation.split(":")[0]
    star = fixed_point(truth, 0.3, rule, token_rewards(reward, truth), **options)
    theta = ds["theta_mean"].values[0, :, -1]
    se = theta.std(axis=0, ddof=1) / np.sqrt(theta.shape[0])
    assert np.all(np.abs(theta.mean(axis=0) - star) < 4.5 * se + 1e-12)
    assert np.abs(star - truth).max() > 10 * se.max()  # the fixed point is not the truth


def test_without_real_data_best_of_climbs_the_reward_every_generation():
    # law (Ferbach et al. 2024): with alpha = 0 the expected reward of P_t never falls
    # under best-of; each generation's mean over 30 replicates exceeds the last one's
    # minus z = 4.5 standard errors of the paired difference, and it rises overall
    config = RunConfig(
        settings=(
            Setting(
                method="mle",
                scheme="replace",
                real_fraction="zero",
                sample_size="2000",
                curation="best-of:2",
            ),
        ),
        num_tokens=8,
        generations=6,
        replicates=30,
        seed=3,
    )
    reward = run(config)["reward_mean"].values[0]  # (replicate, generation)
    steps = np.diff(reward, axis=1)
    se = steps.std(axis=0, ddof=1) / np.sqrt(steps.shape[0])
    assert np.all(steps.mean(axis=0) >= -4.5 * se)
    assert steps.sum(axis=1).mean() > 4.5 * steps.sum(axis=1).std(ddof=1) / np.sqrt(30)


def test_cli_crosses_curations_and_refuses_bad_ones_in_one_line(tmp_path, capsys):
    out = tmp_path / "c.nc"
    argv = ["run", "--tokens", "6", "--generations", "2", "--replicates", "2", "--seed", "1"]
    cur = ["--curation", "none", "best-of:4", "bradley-terry:4:1", "--reward", "rank"]
    assert main([*argv, *cur, "--out", str(out), "--no-progress"]) == 0
    from bayescollapse import open_results

    assert list(open_results(out)["curation"].values) == ["none", "best-of:4", "bradley-terry:4:1"]
    capsys.readouterr()
    gaussian = ["run", "--model", "gaussian", "--generations", "2", "--replicates", "2"]
    for bad, message in (
        (["--curation", "best-of:x"], "curation 'best-of:x' is not one of"),
        (["--curation", "filter", "--reward", "rank"], "must lie in [0, 1]"),
        (["--curation", "best-of:2", "--reward", "top:9"], "reward 'top:9' is not one of"),
    ):
        assert main([*argv, *bad, "--out", str(tmp_path / "x.nc"), "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
    for bad, message in (
        ([*gaussian, "--curation", "best-of:2", "--reward", "rank"], "reward 'rank' is not"),
        ([*gaussian, "--curation", "filter", "--reward", "linear:1"], "needs a reward r <= 0"),
    ):
        assert main([*bad, "--out", str(tmp_path / "x.nc"), "--no-progress"]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err


@pytest.mark.parametrize(
    "curation, reward, options",
    [("filter", "quadratic:0.5", {}), ("best-of:2", "quadratic:1", {"k": 2})],
)
def test_the_gaussian_loop_settles_at_the_maps_fixed_point(curation, reward, options):
    # law: at large n the Gaussian MLE loop follows the pooled-moment map of
    # bayescollapse.theory.curation.gaussian_fixed_point; the last generation's mu and
    # sigma^2, averaged over 30 replicates, lie within z = 4.5 standard errors (over
    # replicates) of its fixed point (the map's own accuracy, ~1e-5, is far inside)
    from bayescollapse.models.curation import point_rewards
    from bayescollapse.theory.curation import gaussian_fixed_point

    setting = Setting(
        method="mle", curation=curation, reward=reward, real_fraction="0.3", sample_size="5000"
    )
    config = RunConfig(
        model="gaussian",
        truth="normal:1:1",
        settings=(setting,),
        generations=25,
        replicates=30,
        seed=4,
    )
    ds = run(config)
    rule = curation.split(":")[0]
    mu, var = gaussian_fixed_point(1.0, 1.0, 0.3, rule, point_rewards(reward), **options)
    for name, expected in (("mu_mean", mu), ("sigma2_mean", var)):
        values = ds[name].values[0, :, -1]
        se = values.std(ddof=1) / np.sqrt(values.size)
        assert abs(values.mean() - expected) < 4.5 * se, name
    assert abs(mu - 1.0) > 0.2  # the fixed point is not the truth


def _curated_cli_run(tmp_path, model, reward, methods):
    out = tmp_path / f"{model}.nc"
    argv = ["run", "--model", model, "--generations", "2", "--replicates", "2", "--seed", "3"]
    argv += ["--method", *methods, "--curation", "none", "best-of:4", "bradley-terry:4:1"]
    argv += ["--reward", reward, "--real-fraction", "0.2", "--sample-size", "40"]
    argv += ["--draws", "200", "--tune", "200"] if "pymc" in methods else []
    assert main([*argv, "--out", str(out), "--no-progress"]) == 0
    from bayescollapse import open_results

    ds = open_results(out)
    assert ds.sizes["setting"] == 3 * len(methods)
    curated = ds["curation"].values != "none"
    assert np.isfinite(ds["reward_mean"].values[curated]).all()
    return ds


@pytest.mark.parametrize(
    "model, reward",
    [("dirichlet-categorical", "rank"), ("markov", "truth"), ("gaussian", "linear:1")],
)
def test_every_model_runs_curated_from_the_cli(tmp_path, model, reward):
    _curated_cli_run(tmp_path, model, reward, ["mle", "conjugate"])


@pytest.mark.slow
@pytest.mark.parametrize(
    "model, reward",
    [("dirichlet-categorical", "rank"), ("markov", "truth"), ("gaussian", "linear:1")],
)
def test_the_pymc_path_runs_curated_from_the_cli(tmp_path, model, reward):
    # for a Bayesian fit the candidates are its posterior predictive draws: the PyMC fit's
    # mean law (ancestral: one posterior draw) writes them, as for its uncurated twin
    _curated_cli_run(tmp_path, model, reward, ["pymc"])


def test_the_truths_reward_is_recorded_and_a_filter_that_accepts_nothing_is_refused():
    ds = run(
        _config(
            Setting(method="mle", **SMALL),
            Setting(method="mle", curation="best-of:2", reward="top:2", **SMALL),
        )
    )
    truth = ds["truth"].values
    top_two = np.sort(truth)[-2:].sum()  # E_{P*} r for r = 1 on the 2 most probable tokens
    assert np.isnan(ds["reward_of_truth"].values[0])
    assert ds["reward_of_truth"].values[1] == pytest.approx(top_two)
    with pytest.raises(ValueError, match="accepts no token the truth puts mass on"):
        _config(Setting(curation="filter", reward="values:0,0,0,0,0,0", **SMALL))


@pytest.mark.parametrize(
    "model, reward",
    [("dirichlet-categorical", "top:3"), ("markov", "top:3"), ("gaussian", "quadratic:1")],
)
def test_a_filter_with_nothing_to_write_keeps_nothing_and_reports_no_rate(model, reward):
    # alpha = 1: every item is real, the synthetic part is empty in every generation
    setting = Setting(method="mle", curation="filter", reward=reward, real_fraction="1")
    ds = run(RunConfig(model=model, settings=(setting,), generations=2, replicates=2, seed=1))
    assert np.isnan(ds["acceptance_rate"].values).all()
    assert np.isfinite(ds["reward_mean"].values).all()
