"""The hierarchical PyMC model of the Markov family: its graph, and its posterior's law."""

import numpy as np

from bayescollapse.models.markov import MarkovLM
from bayescollapse.models.markov_pymc import build_hierarchical_model
from bayescollapse.models.registry import make_fitter


def test_the_model_declares_what_the_family_reads():
    # the rows are theta (replicate, context, token); the counts are float data, so weighted
    # refits' fractional pseudo-counts go in unrounded; the base m and concentration kappa
    # are per replicate
    model = build_hierarchical_model(MarkovLM(3, order=1), 2)
    assert model.named_vars_to_dims["theta"] == ("replicate", "context", "token")
    assert model.named_vars_to_dims["m"] == ("replicate", "token")
    assert [v.name for v in model.data_vars] == ["counts"]
    assert model["counts"].type.dtype == "float64"
    assert model["counts"].get_value().shape == (2, 3, 3)


M, KAPPA = np.array([0.5, 0.25, 0.15, 0.1]), 30.0  # the base row and pooling of the truth


def _fit_simulated_rows(rng, per_row: int):
    """Fit the hierarchical model to 16 rows theta_c ~ Dirichlet(KAPPA M), per_row counts each."""
    theta = rng.dirichlet(KAPPA * M, size=16)
    counts = np.stack([rng.multinomial(per_row, row) for row in theta])[None]
    fam = MarkovLM(4, order=2, draws=400, tune=400)
    fit = make_fitter(fam, "pymc-hierarchical", 1).fit(counts, prior=None, rng=rng)
    assert fit.diagnostics["divergences"] == 0
    return fit.tree["posterior"].isel(replicate=0)


def test_hierarchical_model_recovers_its_base_distribution(rng):
    # law: counts simulated from theta_c ~ Dirichlet(kappa m); the posterior of m must hold
    # the true m within z = 4 posterior standard deviations, for every token
    post_m = _fit_simulated_rows(rng, 60)["m"]
    mean, sd = post_m.mean(("chain", "draw")).values, post_m.std(("chain", "draw")).values
    assert np.all(np.abs(mean - M) < 4 * sd)


def test_kappa_is_learned_from_the_rows_spread_not_their_totals(rng):
    # law: rows theta_c ~ Dirichlet(kappa m) with kappa = 30; the posterior of log kappa must
    # hold log 30 within z = 4 posterior sds. The Poisson form of the likelihood pulled
    # kappa to the counts per row (here 600: log kappa 6.4), whatever the rows' spread
    log_kappa = np.log(_fit_simulated_rows(rng, 600)["kappa"])
    mean, sd = float(log_kappa.mean()), float(log_kappa.std())
    assert abs(mean - np.log(KAPPA)) < 4 * sd
