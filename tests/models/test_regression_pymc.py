"""The regression PyMC paths against their oracle, the conjugate NIG posterior."""

import arviz as az
import numpy as np
import pytest

from bayescollapse import RunConfig, run
from bayescollapse.models.registry import make_fitter
from bayescollapse.models.regression.data import design_stats
from bayescollapse.models.regression.family import LinearRegression


@pytest.fixture(scope="module")
def fits():
    # a power-law spectrum: the posterior of w is correlated and unequally scaled
    fam = LinearRegression(
        dim=3, spectrum="power:1", prior_kappa=1.0, prior_alpha=3.0, prior_beta=2.0, draws=500
    )
    rng = np.random.default_rng(4)
    w = np.array([[0.5, -1.0, 2.0], [0.0, 0.3, -0.2]])
    data = design_stats(fam.feature_variances, w, np.array([1.0, 0.5]), np.array([15, 60]), rng)
    prior = fam.initial_prior(2)
    pymc = make_fitter(fam, "pymc", 2).fit(data, prior=prior, rng=np.random.default_rng(1))
    exact = make_fitter(fam, "conjugate", 2).fit(data, prior=prior, rng=None)
    return pymc, exact


def test_nuts_matches_the_conjugate_posterior(fits):
    # law: NUTS targets the NIG posterior; E w_j and E sigma within z = 4.5 Monte Carlo
    # SEs of the closed forms (8 comparisons), and the posterior sds of w within z = 4.5
    # MCSEs of the sd
    pymc, exact = fits
    post = pymc.tree["posterior"]
    z = 4.5
    mcse = az.mcse(post["w"]).transpose("replicate", "feature").values
    assert np.all(np.abs(pymc.w_mean - exact.w_mean) < z * mcse)
    assert np.all(np.abs(pymc.sigma_mean - exact.sigma_mean) < z * az.mcse(post["sigma"]).values)
    sd_mcse = az.mcse(post["w"], method="sd").transpose("replicate", "feature").values
    assert np.all(np.abs(np.sqrt(pymc.w_var) - np.sqrt(exact.w_var)) < z * sd_mcse)
    assert pymc.diagnostics["divergences"] == 0.0
    assert np.all(pymc.diagnostics["r_hat_max"] < 1.05)
    # the carried prior of a NIG model is the exact posterior it samples
    for mine, theirs in zip(pymc.carried_prior, exact.carried_prior, strict=True):
        np.testing.assert_allclose(mine, theirs)


def test_every_pymc_method_runs_the_loop_with_its_diagnostics():
    settings = [
        {"method": m, "sample_size": "40", "real_fraction": "0.5"}
        for m in ("conjugate", "pymc", "pymc-student-t")
    ]
    cfg = RunConfig.from_dict(
        {
            "model": "linear-regression",
            "dim": 2,
            "settings": settings,
            "generations": 1,
            "replicates": 2,
            "seed": 3,
            "draws": 300,
            "tune": 300,
        }
    )
    ds = run(cfg)
    assert list(ds["diagnosed_variables"].values) == ["", "w, sigma, sigma2", "w, sigma, sigma2"]
    assert bool(np.isfinite(ds["w_r_hat"].isel(setting=[1, 2])).all())
    assert bool(np.isfinite(ds["kl_posterior_to_prev"].isel(generation=1)).all())
    # the Student-t model reads no NIG prior: no contraction, no carried posterior
    assert bool(np.isnan(ds["contraction"].isel(setting=2)).all())
    carry = [{"method": "pymc-student-t", "prior_update": "carry"}]
    with pytest.raises(ValueError, match="carry"):
        run(RunConfig.from_dict({"model": "linear-regression", "dim": 2, "settings": carry}))
