"""The hierarchical PyMC model of the Markov family: its graph, and its posterior's law."""

import numpy as np
import pytest

from bayescollapse.models.markov.family import MarkovLM
from bayescollapse.models.markov.pymc_models import build_hierarchical_model, build_rows_model
from bayescollapse.models.registry import make_fitter


def test_the_model_declares_what_the_family_reads():
    # the collapsed model samples only the base m and the concentration kappa per
    # replicate (the rows come from draw_rows); the counts are float data, so weighted
    # refits' fractional pseudo-counts go in unrounded
    model = build_hierarchical_model(MarkovLM(3, order=1), 2)
    assert [v.name for v in model.free_RVs] == ["m", "log_kappa"]
    assert model.named_vars_to_dims["m"] == ("replicate", "token")
    assert "theta" not in model.named_vars
    assert [v.name for v in model.data_vars] == ["counts"]
    assert model["counts"].type.dtype == "float64"
    assert model["counts"].get_value().shape == (2, 3, 3)
    rows = build_rows_model(MarkovLM(3, order=1), 2)
    assert rows.named_vars_to_dims["theta"] == ("replicate", "context", "token")


def test_the_collapsed_likelihood_is_the_dirichlet_multinomial():
    # pinned by hand: log p(c | kappa, m) summed over rows, against scipy's
    # Dirichlet-multinomial pmf without its multinomial coefficient (a constant of the data)
    from scipy.special import gammaln
    from scipy.stats import dirichlet_multinomial

    model = build_hierarchical_model(MarkovLM(3, order=1), 1)
    counts = np.array([[[2.0, 0.0, 1.0], [0.0, 0.0, 0.0], [4.0, 1.0, 0.0]]])
    m, kappa = np.array([0.5, 0.3, 0.2]), 2.5
    with model:
        model.set_data("counts", counts)
    (term,) = model.replace_rvs_by_values(model.potentials)
    potential = model.compile_fn(term, inputs=model.value_vars)
    simplex = model.rvs_to_transforms[model["m"]].forward(m[None]).eval()
    point = {"m_simplex__": simplex, "log_kappa": np.log([kappa])}
    expected = sum(
        dirichlet_multinomial.logpmf(c, kappa * m, c.sum())
        - (gammaln(c.sum() + 1) - gammaln(c + 1).sum())
        for c in counts[0]
    )
    np.testing.assert_allclose(potential(point), expected, rtol=1e-10)


M, KAPPA = np.array([0.5, 0.25, 0.15, 0.1]), 30.0  # the base row and pooling of the truth


def _simulated_rows(rng, per_row: int) -> np.ndarray:
    """Counts (1, 16, 4) of 16 rows theta_c ~ Dirichlet(KAPPA M), per_row counts each."""
    theta = rng.dirichlet(KAPPA * M, size=16)
    return np.stack([rng.multinomial(per_row, row) for row in theta])[None]


def _fit(counts, rng, draws=400):
    fam = MarkovLM(4, order=2, draws=draws, tune=400)
    fit = make_fitter(fam, "pymc-hierarchical", 1).fit(counts, prior=None, rng=rng)
    assert fit.diagnostics["divergences"] == 0
    return fit.tree["posterior"].isel(replicate=0)


def _fit_simulated_rows(rng, per_row: int):
    """Fit the hierarchical model to 16 simulated rows."""
    return _fit(_simulated_rows(rng, per_row), rng)


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


def test_each_draws_rows_come_from_their_exact_conditional(rng):
    # law: given a draw's (kappa, m), draw_rows gives theta_c ~ Dirichlet(kappa m + c_c),
    # whose mean is (kappa m + c_c) / (kappa + N_c). The completion noise theta - that mean
    # is independent across draws whatever the chain's autocorrelation, so its average over
    # the 2000 draws is within z = 4.5 standard errors of 0 for every row entry (Bonferroni
    # over 64 at 5 %). A completion that forgot the counts, or m, fails by far.
    counts = _simulated_rows(rng, 20).astype(float)
    counts[0, :3] = 0  # three contexts unseen: their rows are the prior's, Dirichlet(kappa m)
    post = _fit(counts, rng, draws=1000)
    kappa, m = post["kappa"].values[..., None, None], post["m"].values[..., None, :]
    conditional_mean = (kappa * m + counts[0]) / (kappa + counts[0].sum(axis=-1, keepdims=True))
    noise = (post["theta"].values - conditional_mean).reshape(2000, -1)
    z = noise.mean(axis=0) / (noise.std(axis=0, ddof=1) / np.sqrt(2000))
    assert np.abs(z).max() < 4.5


def test_a_completion_that_forgets_the_rows_is_refused_in_one_line(rng):
    from bayescollapse.models.registry import register_pymc_model

    register_pymc_model(
        "markov", "_no-rows", build_hierarchical_model, complete=lambda post, data, r: post
    )
    fam = MarkovLM(4, order=2, draws=50, tune=50)
    with pytest.raises(ValueError, match=r"lacks variable\(s\) theta after its completion"):
        make_fitter(fam, "_no-rows", 1).fit(_simulated_rows(rng, 5), prior=None, rng=rng)
