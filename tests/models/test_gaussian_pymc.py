"""The Gaussian PyMC path against its oracle, the conjugate NIG posterior."""

import arviz as az
import numpy as np
import pytest

from bayescollapse import RunConfig, Setting, run, settings_grid, validate_results
from bayescollapse.models.gaussian.family import Gaussian, GaussianStats
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
    # the posterior sd of mu is the tempered one, within z = 4.5 MCSEs of the sd, and nearer
    # it than the untempered posterior's (about sqrt(0.35) times as large); at n = 4.2
    # weighted points the sd's MCSE is too wide to set the untempered one 4.5 MCSEs away
    sd = post["mu"].std(("chain", "draw")).values
    mcse_sd = az.mcse(post["mu"], method="sd").values
    assert np.all(np.abs(sd - np.sqrt(exact.mu_var)) < z * mcse_sd)
    plain = make_fitter(fam, "conjugate", 2).fit(stats, prior=fam.initial_prior(2), rng=None)
    assert np.all(np.abs(sd - np.sqrt(exact.mu_var)) < np.abs(sd - np.sqrt(plain.mu_var)))


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


def _weakly_informative_posterior_means(n, mean, m2, mu_sd=10.0, sigma_scale=10.0):
    """E mu and E sigma of the weakly informative model, by quadrature on a (mu, sigma) grid."""
    sd = np.sqrt(m2 / n)
    mu = mean + np.linspace(-8, 8, 801) * sd / np.sqrt(n)
    sigma = sd * np.linspace(0.3, 3.0, 801)
    m, s = np.meshgrid(mu, sigma, indexing="ij")
    log_post = (
        -(m**2) / (2 * mu_sd**2)
        - s**2 / (2 * sigma_scale**2)
        - n * np.log(s)
        - (m2 + n * (mean - m) ** 2) / (2 * s**2)
    )
    w = np.exp(log_post - log_post.max())
    return (w * m).sum() / w.sum(), (w * s).sum() / w.sum()


def test_gaussian_pymc_through_the_loop():
    # law: with the weakly informative prior (no closed form) each generation's posterior
    # means of mu and sigma, given its training statistics, are those of the exact posterior,
    # computed by quadrature; checked within z = 5 Monte Carlo standard errors at every
    # replicate and generation (24 comparisons per mode)
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
    for s_ in range(ds.sizes["setting"]):
        for r in range(ds.sizes["replicate"]):
            for t in range(ds.sizes["generation"]):
                cell = ds.isel(setting=s_, replicate=r, generation=t)
                n = float(cell["train_size"])
                mu, sigma = _weakly_informative_posterior_means(
                    n, float(cell["train_mean"]), n * float(cell["train_var"])
                )
                assert abs(float(cell["mu_mean"]) - mu) < 5 * float(cell["mu_mcse_mean"])
                assert abs(float(cell["sigma_mean"]) - sigma) < 5 * float(cell["sigma_mcse_mean"])
    assert (ds["divergences"] == 0).all()
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
