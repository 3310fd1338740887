import json
import sys

import numpy as np
import pytest
import xarray as xr

from bayescollapse import RunConfig, Setting, run, settings_grid, validate_results


def _cfg(**kw):
    base = dict(
        settings=settings_grid(
            method=["mle", "conjugate"], real_fraction=["zero", "0.3"], sample_size=["50"]
        ),
        num_tokens=5,
        generations=4,
        replicates=4,
        seed=123,
    )
    return RunConfig(**{**base, **kw})


def test_same_seed_same_results_and_schema():
    a, b = run(_cfg()), run(_cfg())
    validate_results(a)
    xr.testing.assert_equal(a, b)
    assert a.attrs["seed"] == 123
    assert a["theta_mean"].dims == ("setting", "replicate", "generation", "token")


def test_different_seed_differs():
    a, b = run(_cfg()), run(_cfg(seed=124))
    assert not np.array_equal(a["train_count"].values, b["train_count"].values)


def test_setting_alone_gives_the_same_numbers():
    # streams are keyed by (setting content, block, generation), not by position in the run
    full = run(_cfg())
    one = _cfg().settings[3]
    alone = run(_cfg(settings=(one,)))
    xr.testing.assert_equal(
        full.sel(setting=[one.name]).drop_vars("setting"), alone.drop_vars("setting")
    )


def test_unseeded_run_records_its_seed_says_it_and_reproduces(capsys):
    cfg = _cfg(seed=None)
    first = run(cfg, progress=False)
    recorded = RunConfig.from_dict(json.loads(first.attrs["config"]))
    assert recorded.seed == first.attrs["seed"]
    # the drawn seed is said, so a run whose file was lost can still be repeated
    assert f"drawn seed {first.attrs['seed']} " in capsys.readouterr().err
    xr.testing.assert_equal(first, run(recorded, progress=False))
    assert capsys.readouterr().err == ""  # a given seed is not said again


def test_progress_bar_shows_when_watched_and_is_silenced_by_false(capsys, monkeypatch):
    cfg = _cfg(settings=(Setting(method="mle"),), generations=2, replicates=1)
    run(cfg)  # pytest's captured stderr is no terminal: no bar by default
    assert capsys.readouterr().err == ""
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    run(cfg)
    assert "3/3" in capsys.readouterr().err  # 1 setting x 1 block x 3 generations
    run(cfg, progress=False)
    assert capsys.readouterr().err == ""
    monkeypatch.undo()

    class ZMQInteractiveShell:  # what IPython's get_ipython() returns in a Jupyter kernel
        pass

    fake = type("IPython", (), {"get_ipython": staticmethod(ZMQInteractiveShell)})
    monkeypatch.setitem(sys.modules, "IPython", fake)
    run(cfg)
    assert "3/3" in capsys.readouterr().err
    seen = []
    run(cfg, progress=seen.append)  # a callable gets every cell
    assert seen == [1, 1, 1]
    with pytest.raises(TypeError, match="progress must be a callable, True, False or None"):
        run(cfg, progress="yes")


def test_block_gets_its_own_stream():
    ds = run(_cfg(replicate_block=2))
    counts = ds["train_count"].isel(setting=0, generation=0).values
    assert not np.array_equal(counts[:2], counts[2:])


@pytest.mark.parametrize("scheme", ["accumulate", "accumulate-subsample"])
def test_accumulating_schemes(scheme):
    ds = run(
        RunConfig(
            settings=(
                Setting(scheme=scheme, method="mle", real_fraction="zero", sample_size="30"),
            ),
            num_tokens=4,
            generations=3,
            replicates=3,
            seed=1,
        )
    )
    totals = ds["train_count"].sum("token").isel(setting=0)
    if scheme == "accumulate":  # the pool grows by n_t per generation
        np.testing.assert_array_equal(totals, np.tile([30, 60, 90, 120], (3, 1)))
    else:  # a subsample of n_t from the pool
        np.testing.assert_array_equal(totals, 30)


def test_carry_prior_accumulates_concentration():
    # carry: prior_t = posterior_{t-1}, so the posterior's total concentration after
    # generation t is deterministic: K a0 + (t + 1) n = 4 + 100 (t + 1). Its marginal
    # variances give it back exactly: Var theta_k = m_k (1 - m_k) / (A + 1).
    ds = run(
        RunConfig(
            settings=(
                Setting(
                    method="conjugate", prior_update="carry", real_fraction="0.5", sample_size="100"
                ),
            ),
            num_tokens=4,
            generations=3,
            replicates=2,
            seed=1,
        )
    )
    m = ds["theta_mean"].isel(setting=0).values
    var = ds["theta_sd"].isel(setting=0).values ** 2
    total = m * (1 - m) / var - 1
    expected = 4.0 + 100.0 * (np.arange(4) + 1)
    np.testing.assert_allclose(
        total, np.broadcast_to(expected[None, :, None], total.shape), rtol=1e-9
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"generations": 0}, "generations must be an integer >= 1, got 0"),
        (
            {"replicates": 4, "replicate_block": 3},
            "replicate_block 3 must be an integer >= 1 that divides",
        ),
        ({"seed": -1}, r"seed -1 is not an integer in \[0, 2\*\*63\)"),
        ({"model": "gpt"}, "model 'gpt' is not one of"),
        ({"truth": "zipf"}, "unknown truth 'zipf'"),
        ({"settings": (Setting(), Setting())}, "two settings are identical"),
        ({"settings": (Setting(sample_size="power:10:-3"),)}, "sample sizes must be integers >= 1"),
    ],
)
def test_bad_run_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _cfg(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scheme": "mix"}, "scheme 'mix' is not one of mixture, replace"),
        ({"method": "vi"}, "method 'vi' is not one of mle, conjugate, pymc"),
        ({"synthetic": "map"}, "synthetic mode 'map'"),
        ({"scheme": "replace", "real_fraction": "0.2"}, "real_fraction must be 'zero'"),
        ({"method": "mle", "prior_update": "carry"}, "needs a Bayesian method"),
        ({"real_fraction": "1.2"}, None),
    ],
)
def test_bad_setting(kwargs, message):
    if message is None:  # schedule values are checked against the run's generations
        with pytest.raises(ValueError, match="real_fraction '1.2' gives 1.2"):
            _cfg(settings=(Setting(**kwargs),))
        return
    with pytest.raises(ValueError, match=message):
        Setting(**kwargs)


def test_pymc_path_through_the_loop():
    # law: whatever the synthetic mode, generation t's pymc posterior targets
    # Dirichlet(a0 + c_t) for its own training counts c_t; its mean lies within z = 5 Monte
    # Carlo SEs of that closed form for every token, replicate and generation (216 checks:
    # false alarm ~1e-4). Generation 0 of pymc and conjugate sees the same real counts.
    settings = settings_grid(
        method=["pymc", "conjugate"],
        synthetic=["ancestral", "predictive", "plugin"],
        real_fraction=["0.3"],
        sample_size=["60"],
    )
    ds = run(
        RunConfig(
            settings=settings,
            num_tokens=4,
            generations=2,
            replicates=4,
            replicate_block=2,
            seed=3,
            draws=300,
            tune=300,
        )
    )
    validate_results(ds)
    pymc = ds.sel(setting=ds["fit_method"] == "pymc")
    counts = pymc["train_count"]
    exact = (1.0 + counts) / (4.0 + counts.sum("token"))
    assert (np.abs(pymc["theta_mean"] - exact) < 5 * pymc["theta_mcse_mean"]).all()
    assert pymc["divergences"].sizes == {"setting": 3, "block": 2, "generation": 3}
    assert (pymc["divergences"] == 0).all()  # the boosted Gamma-Poisson form: none expected
    g0 = ds["train_count"].isel(generation=0).values
    assert all((g0[i] == g0[0]).all() for i in range(1, 6))  # common random numbers
    np.testing.assert_array_equal(ds["train_count"].sum("token"), 60)


def test_sparse_truth_coverage_agrees_between_pymc_and_conjugate():
    # law: a true probability of 0 is left out of coverage and PIT for every path (it is on
    # the boundary of the support; the exact HDI reaches it, draws never do). On the same
    # counts (common random numbers at generation 0) the pymc intervals estimate the exact
    # ones, so the per-replicate coverage of the interior tokens agrees within Monte Carlo
    # error: paired mean difference within z = 4 paired SE (or identical), per level.
    settings = (
        Setting(method="conjugate", real_fraction="0.5", sample_size="80"),
        Setting(method="pymc", real_fraction="0.5", sample_size="80"),
    )
    cfg = RunConfig(
        settings=settings,
        num_tokens=5,
        truth="values:0.4,0.3,0.2,0.1,0",
        generations=1,
        replicates=8,
        replicate_block=2,
        seed=21,
        prior_concentration=0.5,
    )
    g0 = run(cfg).isel(generation=0)
    assert np.isnan(g0["pit"].isel(token=4)).all() and np.isfinite(g0["pit"].isel(token=0)).all()
    for var in ("central_coverage", "hdi_coverage"):
        diff = (g0[var].isel(setting=1) - g0[var].isel(setting=0)).values
        diff = diff.reshape(diff.shape[0], -1)
        se = diff.std(axis=0, ddof=1) / np.sqrt(diff.shape[0])
        assert np.all((np.abs(diff.mean(axis=0)) <= 4 * se) | (diff == 0).all(axis=0))


def test_a_unit_sets_its_fitter_up_once_in_the_cache_it_is_given():
    # the fitter cache is passed, not a global patched: a unit fills the dict it gets, a
    # second unit of the same method, family and block size reuses the same fitter, and
    # the numbers equal those of the process's cache
    from bayescollapse.engine.loop import run_unit

    config = RunConfig(
        settings=(Setting(method="mle"), Setting(method="conjugate")),
        num_tokens=4,
        generations=2,
        replicates=4,
        replicate_block=2,
        seed=8,
    )
    cache: dict = {}
    first, _ = run_unit(config, 0, 0, fitters=cache)
    fitter = next(iter(cache.values()))
    again, _ = run_unit(config, 0, 1, fitters=cache)
    assert len(cache) == 1 and next(iter(cache.values())) is fitter
    run_unit(config, 1, 0, fitters=cache)
    assert len(cache) == 2
    default, _ = run_unit(config, 0, 0)
    np.testing.assert_array_equal(first["theta_mean"], default["theta_mean"])
