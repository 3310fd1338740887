"""Common random numbers, paired comparisons and priors as setting axes."""

import json

import numpy as np
import pytest

from bayescollapse import RunConfig, Setting, run, settings_grid
from bayescollapse.cli import main
from bayescollapse.engine.config import cross_settings
from bayescollapse.io.results import open_results
from bayescollapse.present.paired import compare, paired_difference


@pytest.fixture(scope="module")
def paired():
    # one regime, four ways to fit it: they must share every real draw
    settings = (
        Setting(method="mle", real_fraction="0.3", sample_size="50"),
        Setting(method="conjugate", real_fraction="0.3", sample_size="50"),
        Setting(method="conjugate", synthetic="plugin", real_fraction="0.3", sample_size="50"),
        Setting(
            method="conjugate",
            real_fraction="0.3",
            sample_size="50",
            prior_params={"prior_concentration": 5.0},
        ),
        Setting(method="conjugate", real_fraction="0.5", sample_size="50"),  # another regime
    )
    cfg = RunConfig(settings=settings, num_tokens=6, generations=5, replicates=40, seed=11)
    return run(cfg)


def test_settings_that_differ_in_fit_share_the_real_data(paired):
    # generation 0 is real data only: identical counts for every fit of the regime
    counts = paired["train_count"].isel(generation=0).values
    for s in range(1, 4):
        np.testing.assert_array_equal(counts[s], counts[0])
    # later generations: the same number of real samples in every replicate and generation
    real = paired["real_count"].values
    for s in range(1, 4):
        np.testing.assert_array_equal(real[s], real[0])
    # ...and the synthetic parts are their own: training sets differ after generation 0
    later = paired["train_count"].isel(generation=slice(1, None)).values
    assert not (later[1] == later[2]).all()
    # a regime with other schedules has its own real data
    assert not (counts[4] == counts[1]).all()


def test_real_data_do_not_depend_on_the_other_settings():
    # the conjugate setting alone sees the same real data as beside the mle one
    one = Setting(method="conjugate", real_fraction="0.3", sample_size="50")
    alone = run(RunConfig(settings=(one,), num_tokens=6, generations=2, replicates=4, seed=3))
    both = run(
        RunConfig(
            settings=(Setting(method="mle", real_fraction="0.3", sample_size="50"), one),
            num_tokens=6,
            generations=2,
            replicates=4,
            seed=3,
        )
    )
    np.testing.assert_array_equal(
        alone["theta_mean"].isel(setting=0).values, both["theta_mean"].isel(setting=1).values
    )


def test_paired_difference_by_hand():
    # x - y = (0.5, 0.5, 1.0): mean 2/3, sd sqrt(1/12), paired SE sqrt(1/12)/sqrt(3) = 1/6;
    # unpaired SE sqrt((1 + 7/12) / 3); the pair with an infinite value is left out
    out = paired_difference(np.array([1.0, 2.0, 3.0, np.inf]), np.array([0.5, 1.5, 2.0, 1.0]))
    assert out["difference"] == pytest.approx(2 / 3)
    assert out["paired_se"] == pytest.approx(1 / 6)
    assert out["unpaired_se"] == pytest.approx(np.sqrt((1 + 7 / 12) / 3))
    assert out["pairs"] == 3


def test_paired_p_values_come_from_t_with_pairs_minus_one_degrees():
    # by hand (t tables): |t| = 2.365 with 7 degrees of freedom is the two-sided 5 % point,
    # where the normal would give 0.018; with 30 pairs the two nearly agree
    from scipy import stats

    from bayescollapse.present.tables import _t_pvalue

    assert _t_pvalue(stats, 2.365, 8) == "0.05"
    assert _t_pvalue(stats, -2.365, 8) == "0.05"
    assert _t_pvalue(stats, 2.0, 1) == "-" and _t_pvalue(stats, np.nan, 8) == "-"


def test_compare_pairs_each_setting_with_its_regime_baseline(paired):
    cmp = compare(paired, baseline="mle")
    base = cmp["baseline"].values
    assert base[0] == "" and base[4] == ""  # the baseline itself; a regime without mle
    assert set(base[1:4]) == {str(paired["setting"].values[0])}
    # the difference is the mean of the per-replicate differences, recomputed here
    metric = paired["sq_l2_to_truth"]
    diff = (metric.isel(setting=1) - metric.isel(setting=0)).mean("replicate")
    np.testing.assert_allclose(cmp["difference"].isel(setting=1), diff)
    # at generation 0 the fits see the same data, so their errors are positively correlated
    # and Var(x - y) = Var x + Var y - 2 Cov(x, y) is below the unpaired Var x + Var y
    g0 = cmp.isel(generation=0, setting=slice(1, 4))
    assert (g0["paired_se"] < g0["unpaired_se"]).all()
    assert float(g0["paired_se"][0]) < 0.6 * float(g0["unpaired_se"][0])
    # by fit label too, and a missing baseline is named
    by_label = compare(paired, baseline="conjugate ancestral")
    assert by_label["baseline"].values[0] == str(paired["setting"].values[1])
    with pytest.raises(ValueError, match="no setting has a baseline 'pymc'"):
        compare(paired, baseline="pymc")
    with pytest.raises(ValueError, match="metric 'theta_mean' is not a per-replicate"):
        compare(paired, metric="theta_mean")


def test_priors_are_a_setting_axis_recorded_in_coords(paired):
    a0 = paired["prior_concentration"].values
    assert a0.tolist() == [1.0, 1.0, 1.0, 5.0, 1.0]
    assert str(paired["prior_label"].values[3]) == "a0=5"
    assert "a0=5" in str(paired["setting"].values[3])
    # the prior acts: the posterior mean at generation 0 is (a0 + c) / (K a0 + n)
    counts = paired["train_count"].isel(setting=3, generation=0)
    expected = (5.0 + counts) / (6 * 5.0 + 50)
    np.testing.assert_allclose(paired["theta_mean"].isel(setting=3, generation=0), expected)
    cfg = json.loads(paired.attrs["config"])
    assert RunConfig.from_dict(cfg).settings[3].prior_params == (("prior_concentration", 5.0),)


def test_fit_method_coordinate_selects():
    # 'method' collided with Dataset.sel's keyword and silently selected nothing
    ds = run(RunConfig(settings=settings_grid(method=["mle", "conjugate"]), generations=1, seed=1))
    picked = ds.sel(setting=ds["fit_method"] == "conjugate")
    assert picked.sizes["setting"] == 1
    assert "method" not in ds.coords
    assert ds["bayesian"].values.tolist() == [False, True]


def test_gaussian_prior_axis_and_bad_prior_parameters():
    grid = settings_grid(
        method=["conjugate"], prior=["nig", "jeffreys"], real_fraction=["0.2"], sample_size=["20"]
    )
    ds = run(RunConfig(model="gaussian", settings=grid, generations=1, replicates=3, seed=2))
    assert ds["prior"].values.tolist() == ["nig", "jeffreys"]
    # Jeffreys: posterior mean of mu is the sample mean exactly
    g0 = ds.isel(generation=0, setting=1)
    np.testing.assert_allclose(g0["mu_mean"], g0["train_mean"])
    with pytest.raises(ValueError, match="prior parameter 'prior_concentration' is not one of"):
        RunConfig(
            model="gaussian",
            settings=(Setting(method="conjugate", prior_params={"prior_concentration": 2}),),
        )
    assert Setting(method="mle", prior_params={"prior_concentration": 2.0}).prior_params == ()
    with pytest.raises(ValueError, match="prior_concentration must be > 0, got -1.0"):
        RunConfig(settings=(Setting(prior_params={"prior_concentration": -1}),))


def test_cross_settings_names_regimes_from_python():
    regimes = {
        "collapse": {"scheme": "replace", "real_fraction": "zero"},
        "stable": {"real_fraction": "0.1"},
    }
    grid = cross_settings(regimes, method=["mle", "conjugate"], prior_concentration=[1.0])
    assert [s.group for s in grid] == ["collapse", "collapse", "stable", "stable"]
    assert grid[0].prior_params == () and grid[1].prior_params == (("prior_concentration", 1.0),)


def test_cli_prior_axis_and_paired_summary(tmp_path, capsys):
    out = tmp_path / "p.nc"
    argv = ["run", "--method", "mle", "conjugate", "--prior-concentration", "0.5", "2"]
    argv += ["--generations", "2", "--replicates", "6", "--tokens", "5", "--seed", "4"]
    assert main([*argv, "--out", str(out), "--no-progress"]) == 0
    ds = open_results(out)
    assert sorted(ds["prior_label"].values.tolist()) == ["", "a0=0.5", "a0=2"]
    capsys.readouterr()
    assert main(["summarize", str(out), "--paired"]) == 0
    text = capsys.readouterr().out
    assert "paired SE" in text and "unpaired SE" in text and "a0=2" in text and "p (t)" in text
    assert main(["summarize", str(out), "--paired", "pymc"]) == 2
    assert "no setting has a baseline 'pymc'" in capsys.readouterr().err


def test_toml_prior_axis_in_cross_and_settings(tmp_path):
    toml = tmp_path / "study.toml"
    toml.write_text(
        "num_tokens = 4\ngenerations = 1\nreplicates = 2\nseed = 1\n"
        '[[settings]]\nname = "stable"\nreal_fraction = "0.2"\nsample_size = "30"\n'
        '[[settings]]\nname = "strong prior"\nreal_fraction = "0.2"\nsample_size = "30"\n'
        "prior_concentration = 10.0\n"
        '[cross]\nmethod = ["conjugate"]\nsynthetic = ["plugin", "ancestral"]\n'
    )
    out = tmp_path / "s.nc"
    assert main(["run", "--config", str(toml), "--out", str(out), "--no-progress"]) == 0
    ds = open_results(out)
    assert ds["prior_concentration"].values.tolist() == [1.0, 1.0, 10.0, 10.0]
    assert ds["group"].values.tolist() == ["stable", "stable", "strong prior", "strong prior"]
    bad = tmp_path / "bad.toml"
    bad.write_text("[[settings]]\nprior_kapa = 1.0\n")
    assert main(["run", "--config", str(bad), "--out", str(tmp_path / "b.nc")]) == 2
    assert not (tmp_path / "b.nc").exists()
