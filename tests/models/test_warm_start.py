"""NUTS's adaptation carried across generations: the standardised model, the state, the loop."""

from dataclasses import replace

import numpy as np
import nutpie
import pymc as pm
import pytest

import bayescollapse.models.pymc_fit as pymc_fit
from bayescollapse import RunConfig, Setting, run
from bayescollapse.models.warm_start import LOC, SCALE, WarmStart, standardise


def _model():
    with pm.Model(coords={"k": range(3)}) as model:
        data = pm.Data("y", np.array([0.5, -1.0, 2.0]), dims="k")
        mu = pm.Normal("mu", 0.0, 2.0)
        sigma = pm.HalfNormal("sigma", 1.5)  # a log transform
        w = pm.Dirichlet("w", np.ones(3), dims="k")  # a simplex transform: 2 values for 3
        pm.Normal("obs", mu + w, sigma, observed=data, dims="k")
        pm.Deterministic("spread", sigma * w.max())
    return model


def test_standardised_model_has_the_models_density_and_values():
    # at z the standardised model is the model at u = loc + scale * z, Jacobians of its own
    # transforms included (the constant one of z itself, sum log scale, is left out)
    model = _model()
    out, origin = standardise(model)
    np.testing.assert_allclose(origin, [0.0, np.log(1.5), 0.0, 0.0])  # the support point
    rng = np.random.default_rng(3)
    loc, scale, z = rng.normal(size=4), rng.uniform(0.5, 2, 4), rng.normal(size=4)
    out[LOC].set_value(loc)
    out[SCALE].set_value(scale)
    u = loc + scale * z
    point = {"mu": u[0], "sigma_log__": u[1], "w_simplex__": u[2:]}
    expected = model.compile_logp()(point)
    assert out.compile_logp()({"_standard": z}) == pytest.approx(expected, rel=1e-12)
    values = model.compile_fn(model.unobserved_value_vars, inputs=model.value_vars)(point)
    names = [v.name for v in model.unobserved_value_vars]
    reported = {v.name: v for v in out.unobserved_value_vars}
    got = out.compile_fn([reported[n] for n in names], inputs=out.value_vars)({"_standard": z})
    for name, a, b in zip(names, values, got, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-12, err_msg=name)
    assert out.named_vars_to_dims["w"] == ("k",) and "w_simplex__" not in out.named_vars_to_dims


def test_warm_start_takes_the_posteriors_moments_step_and_last_draws():
    warm = WarmStart(loc=np.array([1.0, 2.0]), scale=np.array([2.0, 1.0]))
    assert not warm.ready
    assert WarmStart.at(np.array([0.5])).scale.tolist() == [1.0]
    z = np.array([[[0.0, 1.0], [1.0, 1.0], [2.0, 1.0]], [[-1.0, 1.0], [3.0, 1.0], [1.0, 1.0]]])
    steps = np.array([[0.9, 0.3, 0.3], [0.9, 0.5, 0.5]])
    warm.update(z, steps)
    assert warm.ready
    # values 1 + 2 z: 1, 3, 5, -1, 7, 3 (mean 3, sd sqrt(8)); the second is constant, 3
    np.testing.assert_allclose(warm.loc, [3.0, 3.0])
    np.testing.assert_allclose(warm.scale, [np.sqrt(8.0), 1.0])
    assert warm.step_size == pytest.approx(0.4)  # the median of the chains' last, 0.3 and 0.5
    assert warm.starts.shape == (6, 2)  # at most 50 last draws of each chain
    start = warm.initial_point(12)
    assert any(np.allclose(start, (s - 3.0) / [np.sqrt(8.0), 1.0]) for s in warm.starts)
    assert warm.data() == {LOC: warm.loc, SCALE: warm.scale}


@pytest.fixture
def nutpie_calls(monkeypatch):
    """Every ``nutpie.sample`` call's tuning, draws and initial step, in order."""
    calls = []
    sample = nutpie.sample

    def recording(model, **kwargs):
        calls.append({k: kwargs.get(k) for k in ("tune", "draws", "initial_step")})
        return sample(model, **kwargs)

    monkeypatch.setattr(nutpie, "sample", recording)
    return calls


def _config(**fields):
    setting = Setting(method="pymc", real_fraction="0.2", sample_size="200")
    return RunConfig(
        settings=(setting,),
        num_tokens=8,
        **{"generations": 4, "replicates": 4, "seed": 11} | fields,
    )


def test_carried_generations_retune_from_the_previous_step(nutpie_calls):
    run(_config(retune=37, tune=200, draws=300))
    assert [c["tune"] for c in nutpie_calls] == [200, 37, 37, 37, 37]
    assert nutpie_calls[0]["initial_step"] is None
    assert all(0 < c["initial_step"] < 2 for c in nutpie_calls[1:])


def test_a_model_registered_with_a_longer_retune_gets_it_unless_the_run_sets_one(nutpie_calls):
    # the hierarchical Markov model asks for 300 steps (100 lowered its smallest bulk ESS
    # against tuning afresh); a run's own retune still wins, and a plain model keeps 100
    from bayescollapse.models.registry import register_pymc_model

    with pytest.raises(ValueError, match="retune must be an integer >= 1, got 0"):
        register_pymc_model("markov", "bad", "m:f", retune=0)
    setting = Setting(method="pymc-hierarchical", real_fraction="0.5", sample_size="20")
    config = RunConfig(
        model="markov",
        settings=(setting,),
        num_tokens=3,
        generations=2,
        replicates=2,
        seed=1,
        tune=150,
        draws=100,
    )
    run(config)
    assert [c["tune"] for c in nutpie_calls] == [150, 300, 300]
    nutpie_calls.clear()
    run(replace(config, retune=40))
    assert [c["tune"] for c in nutpie_calls] == [150, 40, 40]
    nutpie_calls.clear()
    run(_config(tune=150, draws=100, generations=1))
    assert [c["tune"] for c in nutpie_calls] == [150, 100]


def test_fresh_adaptation_tunes_every_generation_in_full(nutpie_calls):
    run(_config(adaptation="fresh", tune=200, draws=300, generations=2))
    assert [(c["tune"], c["initial_step"]) for c in nutpie_calls] == [(200, None)] * 3


def test_target_ess_sets_the_draws_and_is_recorded(nutpie_calls):
    results = run(_config(ess=301, generations=1))
    assert [c["draws"] for c in nutpie_calls] == [151, 151]  # ceil(301 / 2 chains)
    assert '"ess": 301' in results.attrs["config"] and results.attrs["nuts_draws"] == 151


@pytest.fixture
def sampler_data(monkeypatch):
    """The data of every sampler run, in order."""
    seen = []
    sample = pymc_fit.sample_nuts

    def recording(compiled, family, **kwargs):
        seen.append({k: kwargs[k] for k in ("counts", "prior")})
        return sample(compiled, family, **kwargs)

    monkeypatch.setattr(pymc_fit, "sample_nuts", recording)
    return seen


@pytest.mark.parametrize("a0", [1.0, 0.5], ids=["log-gamma", "boosted"])
def test_carried_fits_agree_with_the_exact_posterior_of_their_data(sampler_data, a0):
    # law: a fit of counts c under prior a is Dirichlet(a + c) whatever NUTS started from,
    # so each posterior mean lies within z Monte Carlo standard errors of (a + c) / sum(a + c);
    # z for a family-wise 1 % (Bonferroni) over every token, replicate and generation. A
    # carried start that biased the draws (a wrong scale or location) would fail it; the
    # sampler stays clean: no divergence, no replicate's R-hat above 1.05 or bulk ESS below
    # 400 (the `diagnose` flags). a0 < 1 builds the boosted form, whose Gamma and Uniform
    # variables have transforms (and Jacobians) of their own
    from scipy import stats

    results = run(_config(replicates=6, generations=5, params={"prior_concentration": a0}))
    prior_plus = np.stack([d["prior"] + d["counts"] for d in sampler_data])  # (T, R, K)
    exact = prior_plus / prior_plus.sum(axis=-1, keepdims=True)
    ours = results.isel(setting=0)
    error = (ours["theta_mean"].values - exact.transpose(1, 0, 2)) / ours["theta_mcse_mean"].values
    z = stats.norm.isf(0.01 / (2 * error.size))
    assert np.abs(error).max() < z
    assert int(ours["divergences"].sum()) == 0
    assert float(ours["r_hat_max"].max()) < 1.05 and float(ours["ess_bulk_min"].min()) >= 400
