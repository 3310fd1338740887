"""The Gaussian PyMC path against its oracle, the conjugate NIG posterior."""

import arviz as az
import numpy as np
import pytest

from bayescollapse import RunConfig, Setting, run, settings_grid, validate_results
from bayescollapse.models.gaussian import Gaussian, GaussianStats
from bayescollapse.models.registry import make_fitter


@pytest.fixture(scope="module")
def fits():
    fam = Gaussian(
        prior_mean=0.0, prior_kappa=1.0, prior_alpha=2.0, prior_beta=2.0, draws=500, tune=500
    )
    data = GaussianStats(np.array([12, 40]), np.array([0.8, -2.0]), np.array([20.0, 35.0]))
    pymc = make_fitter(fam, "pymc", 2).fit(
        data, prior=fam.initial_prior(2), rng=np.random.default_rng(1)
    )
    exact = make_fitter(fam, "conjugate", 2).fit(data, prior=fam.initial_prior(2), rng=None)
    return pymc, exact


def test_posterior_means_match_conjugate(fits):
    # law: NUTS targets the NIG posterior; compare E mu and E sigma with the closed forms
    # within z = 4.5 Monte Carlo standard errors (4 comparisons)
    pymc, exact = fits
    post = pymc.tree["posterior"]
    z = 4.5
    assert np.all(np.abs(pymc.mu_mean - exact.mu_mean) < z * az.mcse(post["mu"]).values)
    assert np.all(np.abs(pymc.sigma_mean - exact.sigma_mean) < z * az.mcse(post["sigma"]).values)
    assert pymc.diagnostics["divergences"] == 0.0  # one count per sampler run
    assert np.all(pymc.diagnostics["r_hat_max"] < 1.05)


def test_weighted_statistics_give_the_tempered_posterior():
    # law: a weighted refit's statistics (fractional n, weighted m2) enter the likelihood
    # -n log sigma - (m2 + n (mean - mu)^2) / (2 sigma^2) as they are: NUTS targets the NIG
    # update of the same statistics (the power posterior). z = 4.5 MCSEs on 4 means.
    fam = Gaussian(
        prior_mean=0.0, prior_kappa=1.0, prior_alpha=2.0, prior_beta=2.0, draws=500, tune=500
    )
    stats = GaussianStats(np.array([12, 40]), np.array([0.8, -2.0]), np.array([20.0, 35.0]))
    weighted = Gaussian.weigh(stats, 0.35)
    pymc = make_fitter(fam, "pymc", 2).fit(
        weighted, prior=fam.initial_prior(2), rng=np.random.default_rng(2)
    )
    exact = make_fitter(fam, "conjugate", 2).fit(weighted, prior=fam.initial_prior(2), rng=None)
    post = pymc.tree["posterior"]
    z = 4.5
    assert np.all(np.abs(pymc.mu_mean - exact.mu_mean) < z * az.mcse(post["mu"]).values)
    assert np.all(np.abs(pymc.sigma_mean - exact.sigma_mean) < z * az.mcse(post["sigma"]).values)
    # and not the untempered posterior: its sd of mu is ~sqrt(0.35) times the tempered one's
    plain = make_fitter(fam, "conjugate", 2).fit(stats, prior=fam.initial_prior(2), rng=None)
    assert np.all(post["mu"].std(("chain", "draw")).values > 1.4 * np.sqrt(plain.mu_var))


def test_carried_prior_is_the_exact_posterior(fits):
    pymc, exact = fits
    for a, b in zip(pymc.carried_prior, exact.carried_prior, strict=True):
        np.testing.assert_allclose(a, b)


@pytest.mark.parametrize("mode", ["ancestral", "predictive", "plugin"])
def test_synthetic_sets(fits, mode):
    pymc, _ = fits
    out = pymc.synthetic(np.array([30, 0]), mode=mode, rng=np.random.default_rng(2))
    assert out.n.tolist() == [30, 0] and out.m2[1] == 0 and out.m2[0] > 0
    again = pymc.synthetic(np.array([30, 0]), mode=mode, rng=np.random.default_rng(2))
    np.testing.assert_array_equal(out.mean, again.mean)


def test_gaussian_pymc_through_the_loop():
    settings = settings_grid(
        method=["pymc"],
        synthetic=["ancestral", "predictive"],
        real_fraction=["0.3"],
        sample_size=["40"],
    )
    ds = run(
        RunConfig(
            model="gaussian",
            settings=settings,
            generations=2,
            replicates=2,
            seed=3,
            draws=200,
            tune=200,
            prior="weakly-informative",
        )
    )
    validate_results(ds)
    assert np.isfinite(ds["r_hat_max"]).all() and np.isfinite(ds["sigma_covered"]).all()
    for name in ("mu_r_hat", "sigma_ess_bulk", "sigma_ess_tail", "mu_mcse_mean"):
        assert np.isfinite(ds[name]).all(), name
    with pytest.raises(ValueError, match="'weakly-informative' is for the pymc method"):
        run(
            RunConfig(
                model="gaussian",
                settings=(Setting(method="conjugate"),),
                prior="weakly-informative",
                generations=1,
                replicates=1,
            )
        )
