import numpy as np
import pytest
from scipy import stats

from bayescollapse.models.categorical.family import DirichletCategorical
from bayescollapse.models.registry import make_fitter


@pytest.fixture
def counts():
    return np.array([[5, 0, 3, 12], [0, 0, 20, 0]])


def test_mle_is_frequencies(counts, rng):
    fit = make_fitter(DirichletCategorical(4), "mle", 2).fit(counts, prior=None, rng=rng)
    np.testing.assert_allclose(fit.mean, counts / counts.sum(axis=1, keepdims=True))


def test_conjugate_posterior_closed_form(counts, rng):
    # Dirichlet(a0) prior + counts c -> Dirichlet(a0 + c): mean (a0+c)/A, var m(1-m)/(A+1)
    fam = DirichletCategorical(4, prior_concentration=0.5)
    fit = make_fitter(fam, "conjugate", 2).fit(counts, prior=fam.initial_prior(2), rng=rng)
    a = 0.5 + counts
    np.testing.assert_array_equal(fit.concentration, a)
    np.testing.assert_allclose(fit.mean, a / a.sum(axis=1, keepdims=True))
    for r in range(2):
        np.testing.assert_allclose(fit.var[r], stats.dirichlet(a[r]).var(), rtol=1e-12)
    lo, hi = fit.hdi()
    b = a.sum(axis=1, keepdims=True) - a
    np.testing.assert_allclose(stats.beta.cdf(hi, a, b) - stats.beta.cdf(lo, a, b), 0.94, atol=1e-9)
    np.testing.assert_array_equal(fit.carried_prior, a)


def test_ancestral_draws_are_dirichlet_multinomial(rng, variance_se):
    # ancestral: one theta ~ Dir(a) per set, then Multinomial(n, theta): the Dirichlet-multinomial,
    # Var X_k = n m_k (1 - m_k) (n + A) / (1 + A); plugin/predictive: Multinomial(n, m).
    fam = DirichletCategorical(3)
    reps = 20_000
    counts = np.tile([4, 1, 0], (reps, 1))
    fit = make_fitter(fam, "conjugate", reps).fit(counts, prior=fam.initial_prior(reps), rng=rng)
    a = np.array([5.0, 2.0, 1.0])
    big_a, m, n = a.sum(), a / a.sum(), 30
    x = fit.synthetic(np.full(reps, n), mode="ancestral", rng=rng)
    var_dm = n * m * (1 - m) * (n + big_a) / (1 + big_a)
    var_mult = n * m * (1 - m)
    # the sample variance's SE comes from the sample's fourth moment (conftest.variance_se)
    z = 4  # false alarm ~6e-5 per token
    assert np.all(np.abs(x.mean(axis=0) - n * m) < z * np.sqrt(var_dm / reps))
    assert np.all(np.abs(x.var(axis=0, ddof=1) - var_dm) < z * variance_se(x))
    for mode in ("plugin", "predictive"):
        y = fit.synthetic(np.full(reps, n), mode=mode, rng=rng)
        assert np.all(np.abs(y.mean(axis=0) - n * m) < z * np.sqrt(var_mult / reps))
        assert np.all(np.abs(y.var(axis=0, ddof=1) - var_mult) < z * variance_se(y))
    np.testing.assert_array_equal(x.sum(axis=1), n)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_tokens": 1}, "num_tokens must be an integer >= 2"),
        ({"num_tokens": 3, "prior_concentration": 0}, "prior_concentration must be > 0"),
        ({"num_tokens": 3, "chains": 1}, "chains must be >= 2"),
        ({"num_tokens": 3, "hdi_prob": 1.0}, "hdi_prob"),
    ],
)
def test_bad_family_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DirichletCategorical(**kwargs)


def test_unknown_method_and_mode(rng):
    fam = DirichletCategorical(3)
    with pytest.raises(
        ValueError,
        match="method 'bayes' does not fit model 'dirichlet-categorical'; use one of mle, conj",
    ):
        make_fitter(fam, "bayes", 1)
    fit = make_fitter(fam, "conjugate", 1).fit(
        np.array([[1, 2, 3]]), prior=fam.initial_prior(1), rng=rng
    )
    with pytest.raises(ValueError, match="synthetic mode 'posterior'"):
        fit.synthetic(np.array([3]), mode="posterior", rng=rng)
