"""The PyMC path against its oracle, the conjugate Dirichlet posterior."""

import arviz as az
import numpy as np
import pytest
import xarray as xr

from bayescollapse import RunConfig, Setting, run
from bayescollapse.models.categorical.family import DirichletCategorical
from bayescollapse.models.categorical.pymc_models import build_model
from bayescollapse.models.registry import make_fitter


@pytest.fixture(scope="module", params=[0.5, 1.0], ids=["boosted", "log-gamma"])
def pymc_fit(request):
    # zero counts included on purpose: collapse creates them and they are NUTS's hard case;
    # a0 = 0.5 builds the boosted Gamma form, a0 = 1 the plain log-Gamma form
    fam = DirichletCategorical(5, prior_concentration=request.param, draws=400, tune=400)
    counts = np.array([[30, 0, 7, 0, 63], [0, 0, 100, 0, 0]])
    fitter = make_fitter(fam, "pymc", 2)
    fit = fitter.fit(counts, prior=fam.initial_prior(2), rng=np.random.default_rng(5))
    exact = make_fitter(fam, "conjugate", 2).fit(counts, prior=fam.initial_prior(2), rng=None)
    return fam, fitter, fit, exact


def test_posterior_mean_and_sd_match_conjugate(pymc_fit):
    # law: theta | c ~ Dirichlet(a0 + c). Compare mean and sd with the exact values using the
    # Monte Carlo standard errors of the draws; z = 4.5 over 20 comparisons: false alarm ~1e-4.
    _, _, fit, exact = pymc_fit
    theta = fit.theta
    mcse_mean = az.mcse(theta, method="mean").values
    mcse_sd = az.mcse(theta, method="sd").values
    z = 4.5
    assert np.all(np.abs(fit.mean - exact.mean) < z * mcse_mean)
    assert np.all(np.abs(np.sqrt(fit.var) - np.sqrt(exact.var)) < z * mcse_sd)


def test_diagnostics_recorded_and_clean(pymc_fit):
    _, _, fit, _ = pymc_fit
    d = fit.diagnostics
    assert d["divergences"] == 0.0  # one sampler run per block: one count, not one per replicate
    assert np.all(d["r_hat_max"] < 1.05)
    assert np.all(d["ess_bulk_min"] > 100)
    assert set(fit.tree.children) == {"posterior", "sample_stats"}


def test_refit_reuses_compiled_model(pymc_fit):
    fam, fitter, _, _ = pymc_fit
    compiled = fitter.compiled
    again = fitter.fit(
        np.array([[1, 1, 1, 1, 1], [5, 0, 0, 0, 0]]),
        prior=fam.initial_prior(2),
        rng=np.random.default_rng(6),
    )
    assert fitter.compiled is compiled
    assert again.mean.shape == (2, 5)


def test_same_seed_same_draws(pymc_fit):
    fam, fitter, _, _ = pymc_fit
    c = np.array([[3, 1, 0, 0, 6], [2, 2, 2, 2, 2]])
    a = fitter.fit(c, prior=fam.initial_prior(2), rng=np.random.default_rng(9))
    b = fitter.fit(c, prior=fam.initial_prior(2), rng=np.random.default_rng(9))
    np.testing.assert_array_equal(a.theta.values, b.theta.values)


@pytest.mark.parametrize("mode", ["ancestral", "predictive", "plugin"])
def test_synthetic_counts_through_posterior_predictive(pymc_fit, mode):
    _, _, fit, _ = pymc_fit
    rng = np.random.default_rng(1)
    out = fit.synthetic(np.array([50, 7]), mode=mode, rng=rng)
    assert out.shape == (2, 5)
    np.testing.assert_array_equal(out.sum(axis=1), [50, 7])
    again = fit.synthetic(np.array([50, 7]), mode=mode, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(out, again)


def test_moment_matched_dirichlet_recovers_the_exact_precision(pymc_fit):
    # law: Var theta_k = m_k (1 - m_k) / (A + 1) under Dirichlet(A m). The pooled estimate of
    # A + 1 uses sample variances, whose relative SE is about sqrt(2 / ESS); z = 4.
    _, _, fit, exact = pymc_fit
    precision = fit.dirichlet.sum(axis=-1)
    target = exact.concentration.sum(axis=-1)
    ess = fit.diagnostics["ess_bulk_min"]
    assert np.all(np.abs((precision + 1) / (target + 1) - 1) < 4 * np.sqrt(2 / ess))


def test_fractional_pseudo_counts_give_the_tempered_posterior(pymc_fit):
    # law: a weighted refit's pseudo-counts c (fractional) give theta | c ~ Dirichlet(a0 + c),
    # the posterior of the tempered likelihood. z = 4.5 on the MCSE of each of 10 means.
    fam, fitter, _, _ = pymc_fit
    counts = np.array([[7.5, 0.25, 12.0, 0.0, 3.75], [0.5, 0.5, 40.25, 0.0, 0.0]])
    prior = fam.initial_prior(2)
    fit = fitter.fit(counts, prior=prior, rng=np.random.default_rng(8))
    exact = (prior + counts) / (prior + counts).sum(axis=1, keepdims=True)
    mcse = az.mcse(fit.theta, method="mean").values
    assert np.all(np.abs(fit.mean - exact) < 4.5 * mcse)
    # and not the posterior of the counts rounded to integers, which a cast would give
    rounded = (prior + np.round(counts)) / (prior + np.round(counts)).sum(axis=1, keepdims=True)
    assert np.any(np.abs(fit.mean - rounded) > 4.5 * mcse)


@pytest.mark.parametrize(
    ("a0", "auxiliaries"),
    [(0.5, {"_h", "_u"}), (0.99, {"_h", "_u"}), (1.0, {"_log_g"}), (3.0, {"_log_g"})],
)
def test_gamma_form_follows_the_smallest_concentration(a0, auxiliaries):
    # the plain log-Gamma form stalls below a = 1 (see categorical_pymc): it must be built
    # only when every concentration the model sees is >= 1, and compiled apart
    fam = DirichletCategorical(5, prior_concentration=a0)
    names = set(build_model(fam, 2).named_vars)
    assert auxiliaries <= names and not ({"_log_g", "_h", "_u"} - auxiliaries) & names
    same_as_one = fam.model_key() == DirichletCategorical(5, prior_concentration=1.0).model_key()
    assert same_as_one == (a0 >= 1)


def test_carried_prior_far_above_one_matches_conjugate(pymc_fit):
    # law: theta | c ~ Dirichlet(a + c) for a carried prior a (a0 plus earlier counts), the
    # case 'carry' creates every generation; z = 4.5 on the MCSE of each of 10 means
    fam, fitter, _, _ = pymc_fit
    prior = fam.initial_prior(2) + np.array([[40, 0, 3, 0, 200], [0, 0, 500, 0, 1]])
    counts = np.array([[10, 0, 1, 0, 40], [0, 0, 90, 0, 0]])
    fit = fitter.fit(counts, prior=prior, rng=np.random.default_rng(4))
    exact = (prior + counts) / (prior + counts).sum(axis=1, keepdims=True)
    assert np.all(np.abs(fit.mean - exact) < 4.5 * az.mcse(fit.theta, method="mean").values)


def test_diagnostics_schedule_leaves_everything_else_unchanged():
    # diagnostics_every=3 computes R-hat/ESS/MCSE at generations 0, 3 and 4 (the last) only;
    # they use no random stream, so every other value equals the diagnosed-always run's
    base = dict(
        num_tokens=5,
        prior_concentration=0.5,
        generations=4,
        replicates=2,
        seed=3,
        draws=100,
        tune=100,
        settings=(Setting(method="pymc", sample_size="50"),),
    )
    every = run(RunConfig(**base))
    some = run(RunConfig(**base, diagnostics_every=3))
    diagnostic = [
        v
        for v in some.data_vars
        if v.endswith(("r_hat", "ess_bulk", "ess_tail", "mcse_mean", "_max", "_min"))
    ]
    assert "theta_r_hat" in diagnostic and "divergences" not in diagnostic
    xr.testing.assert_equal(every.drop_vars(diagnostic), some.drop_vars(diagnostic))
    assert sorted(diagnostic) == sorted(
        [
            "theta_r_hat",
            "theta_ess_bulk",
            "theta_ess_tail",
            "theta_mcse_mean",
            "r_hat_max",
            "ess_bulk_min",
            "ess_tail_min",
        ]
    )
    kept = [0, 3, 4]
    for v in diagnostic:
        xr.testing.assert_identical(every[v].sel(generation=kept), some[v].sel(generation=kept))
        assert some[v].sel(generation=[1, 2]).isnull().all()
    assert some["divergences"].notnull().all()
