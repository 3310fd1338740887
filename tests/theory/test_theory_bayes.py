"""Conjugate and Gaussian closed forms of bayescollapse.theory.closed_forms against simulation."""

import numpy as np
import pytest

from bayescollapse import RunConfig, Setting, run
from bayescollapse.present.curves import expected_curves
from bayescollapse.theory.closed_forms import (
    categorical_moments,
    gaussian_mle_moments,
    mle_sq_error,
)

Z = 4.5  # per comparison false alarm ~7e-6; a few dozen comparisons per test stay below 1e-3


@pytest.mark.parametrize(
    ("setting", "prior"),
    [
        (
            Setting(method="conjugate", synthetic="plugin", real_fraction="0.2", sample_size="40"),
            1.0,
        ),
        (
            Setting(
                method="conjugate",
                synthetic="ancestral",
                scheme="replace",
                real_fraction="zero",
                sample_size="30",
            ),
            0.5,
        ),
        (
            Setting(
                method="conjugate",
                synthetic="ancestral",
                real_fraction="power:0.5:-0.5",
                sample_size="power:20:1.5",
            ),
            2.0,
        ),
        (Setting(method="mle", real_fraction="power:0.5:-2", sample_size="power:20:2"), 1.0),
    ],
    ids=[
        "conjugate-plugin-bounded",
        "conjugate-ancestral-collapse",
        "conjugate-ancestral-recovery",
        "mle-summable-bounded",
    ],
)
def test_simulation_follows_exact_expectation_at_every_generation(setting, prior):
    # laws: the exact recursions of theory.categorical_moments for D_t and E[H(P_t)]
    reps = 3000
    cfg = RunConfig(
        settings=(setting,),
        num_tokens=6,
        truth="zipf:1",
        generations=12,
        replicates=reps,
        seed=21,
        prior_concentration=prior,
        posterior_metrics=False,
    )
    ds = run(cfg)
    curves = expected_curves(ds)
    for var in ("sq_l2_to_truth", "gini_simpson"):
        sim = ds[var].isel(setting=0)
        se = sim.std("replicate", ddof=1) / np.sqrt(reps)
        gap = np.abs(sim.mean("replicate") - curves[var].isel(setting=0))
        assert np.all(gap < Z * se), var


def test_conjugate_recursion_reduces_to_mle_with_no_prior():
    truth = np.array([0.6, 0.25, 0.1, 0.05])
    a, n = np.r_[1, np.full(20, 0.3)], np.r_[50, np.arange(10, 50, 2)]
    np.testing.assert_allclose(
        categorical_moments(truth, a, n)["sq_error"], mle_sq_error(truth, a, n), rtol=1e-12
    )


def test_expected_curves_only_where_exact():
    settings = (
        Setting(method="mle", real_fraction="0.3", sample_size="20"),
        Setting(method="conjugate", scheme="accumulate", real_fraction="0.3", sample_size="20"),
        Setting(method="conjugate", prior_update="carry", real_fraction="0.3", sample_size="20"),
    )
    ds = run(RunConfig(settings=settings, num_tokens=3, generations=3, replicates=2, seed=1))
    curves = expected_curves(ds)
    exact = mle_sq_error(
        ds["truth"].values, ds["real_fraction"][0].values, ds["sample_size"][0].values
    )
    np.testing.assert_allclose(curves["sq_l2_to_truth"].isel(setting=0), exact, rtol=1e-12)
    assert np.isnan(curves["sq_l2_to_truth"].isel(setting=[1, 2])).all()


def _simulate_gaussian(real_fraction, sample_size, ddof, reps, rng):
    """Brute force: materialise every point (independent of the recursion's algebra)."""
    mu_star, sd_star = 1.0, 2.0
    mu, var = np.empty((reps, len(sample_size))), np.empty((reps, len(sample_size)))
    for t, (a, n) in enumerate(zip(real_fraction, sample_size, strict=True)):
        if t == 0:
            x = rng.normal(mu_star, sd_star, size=(reps, n))
        else:
            fresh = rng.random((reps, n)) < a
            synthetic = rng.normal(mu[:, t - 1 : t], np.sqrt(var[:, t - 1 : t]), size=(reps, n))
            x = np.where(fresh, rng.normal(mu_star, sd_star, size=(reps, n)), synthetic)
        mu[:, t], var[:, t] = x.mean(axis=1), x.var(axis=1, ddof=ddof)
    return (mu - mu_star) ** 2, var, sd_star**2


@pytest.mark.parametrize("ddof", [0, 1])
@pytest.mark.parametrize("real_fraction", [0.0, 0.3])
def test_gaussian_moments_match_brute_force(ddof, real_fraction, rng):
    # laws: M_t = (1-a)^2 M_{t-1} + E var_t / n, V_t = E var_t (n-1)/(n-ddof) (theory.py)
    a = np.r_[1.0, np.full(8, real_fraction)]
    n = np.r_[12, np.full(8, 10)]
    reps = 40_000
    sq_err, var, sigma2 = _simulate_gaussian(a, n, ddof, reps, rng)
    theory = gaussian_mle_moments(1.0, sigma2, a, n, ddof=ddof)
    for sim, expected in ((sq_err, theory["mean_sq_error"]), (var, theory["variance"])):
        se = sim.std(axis=0, ddof=1) / np.sqrt(reps)
        assert np.all(np.abs(sim.mean(axis=0) - expected) < Z * se)


def test_gaussian_pure_synthetic_closed_forms():
    n, t = 25, np.arange(10)
    out = gaussian_mle_moments(0.0, 3.0, np.r_[1.0, np.zeros(9)], np.full(10, n))
    np.testing.assert_allclose(out["variance"], 3.0 * ((n - 1) / n) ** (t + 1), rtol=1e-12)
    unbiased = gaussian_mle_moments(0.0, 3.0, np.r_[1.0, np.zeros(9)], np.full(10, n), ddof=1)
    np.testing.assert_allclose(unbiased["variance"], 3.0, rtol=1e-12)
    with pytest.raises(ValueError, match="sample sizes >= 2"):
        gaussian_mle_moments(0.0, 1.0, [1, 0], [1, 1], ddof=1)
