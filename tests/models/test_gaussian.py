import numpy as np
import pytest
from scipy import stats
from scipy.special import digamma, polygamma

from bayescollapse import RunConfig, Setting, run
from bayescollapse.models.gaussian.family import Gaussian, GaussianStats, GaussianTruth
from bayescollapse.models.registry import make_fitter
from bayescollapse.theory.closed_forms import gaussian_mle_moments

Z = 4.5  # per comparison false alarm ~7e-6


def _stats(points):
    x = np.atleast_2d(points)
    return GaussianStats(
        np.full(x.shape[0], x.shape[1]),
        x.mean(axis=1),
        ((x - x.mean(axis=1, keepdims=True)) ** 2).sum(axis=1),
    )


def test_nig_posterior_matches_brute_force_integration():
    # oracle: the unnormalised posterior prior x likelihood integrated on a (mu, sigma2) grid
    x = np.array([0.3, -1.2, 2.1, 0.8, 0.4, 1.7])
    fam = Gaussian(prior_mean=0.5, prior_kappa=2.0, prior_alpha=3.0, prior_beta=2.0)
    post = make_fitter(fam, "conjugate", 1).fit(_stats(x), prior=fam.initial_prior(1), rng=None)
    mu = np.linspace(-4, 5, 1201)[:, None]
    s2 = np.linspace(1e-3, 20, 2000)[None, :]
    log_p = (
        stats.invgamma.logpdf(s2, 3.0, scale=2.0)
        + stats.norm.logpdf(mu, 0.5, np.sqrt(s2 / 2.0))
        + stats.norm.logpdf(x[:, None, None], mu, np.sqrt(s2)).sum(axis=0)
    )
    w = np.exp(log_p - log_p.max())
    w /= w.sum()
    assert post.mu_mean[0] == pytest.approx((w * mu).sum(), rel=1e-4)
    assert post.sigma2_mean[0] == pytest.approx((w * s2).sum(), rel=1e-3)
    assert post.sigma_mean[0] == pytest.approx((w * np.sqrt(s2)).sum(), rel=1e-3)


def test_jeffreys_posterior_closed_form():
    # p(mu, sigma2) ~ 1/sigma2: sigma2 | x ~ InvGamma((n-1)/2, SS/2), so E sigma2 = SS/(n-3)
    x = np.array([1.0, 2.5, -0.5, 0.7, 3.1, 1.9, 0.2])
    fam = Gaussian(prior="jeffreys")
    post = make_fitter(fam, "conjugate", 1).fit(_stats(x), prior=fam.initial_prior(1), rng=None)
    ss = ((x - x.mean()) ** 2).sum()
    assert post.mu_mean[0] == pytest.approx(x.mean())
    assert post.sigma2_mean[0] == pytest.approx(ss / (len(x) - 3))
    assert post.kappa[0] == len(x) and post.alpha[0] == (len(x) - 1) / 2


def test_hdis_have_their_mass_and_equal_end_densities():
    fam = Gaussian()
    data = _stats(np.array([[0.1, 0.5, -0.3, 1.2, 0.9], [3.0, 2.2, 2.9, 3.4, 2.5]]))
    post = make_fitter(fam, "conjugate", 2).fit(data, prior=fam.initial_prior(2), rng=None)
    hdi = post.hdi()
    df, scale = 2 * post.alpha, np.sqrt(post.beta / (post.alpha * post.kappa))
    lo, hi = hdi["mu"]
    mass = stats.t.cdf(hi, df, post.mu, scale) - stats.t.cdf(lo, df, post.mu, scale)
    np.testing.assert_allclose(mass, 0.94, atol=1e-9)
    lo, hi = hdi["sigma"]  # sigma = sqrt(sigma2), sigma2 ~ InvGamma(alpha, beta)
    ig = stats.invgamma(post.alpha, scale=post.beta)
    np.testing.assert_allclose(ig.cdf(hi**2) - ig.cdf(lo**2), 0.94, atol=1e-9)
    pdf_sigma = lambda s: ig.pdf(s**2) * 2 * s  # noqa: E731
    np.testing.assert_allclose(pdf_sigma(lo), pdf_sigma(hi), rtol=1e-5)


def test_exact_statistics_have_the_normal_sampling_law(rng):
    # mean ~ N(mu, s^2/n) and m2 / s^2 ~ chi2(n - 1), independently; KS tests with p > 1e-3
    reps, n = 20_000, 7
    out = GaussianStats.of_normal(1.5, 2.0, np.full(reps, n), rng=rng)
    assert stats.kstest(out.mean, stats.norm(1.5, 2.0 / np.sqrt(n)).cdf).pvalue > 1e-3
    assert stats.kstest(out.m2 / 4.0, stats.chi2(n - 1).cdf).pvalue > 1e-3
    assert abs(np.corrcoef(out.mean, out.m2)[0, 1]) < Z / np.sqrt(reps)


def test_combined_statistics_equal_those_of_the_pooled_points(rng):
    a, b = rng.normal(size=(3, 5)), rng.normal(2, 3, size=(3, 8))
    pooled = _stats(np.concatenate([a, b], axis=1))
    both = _stats(a) + _stats(b)
    np.testing.assert_array_equal(both.n, pooled.n)
    np.testing.assert_allclose(both.mean, pooled.mean)
    np.testing.assert_allclose(both.m2, pooled.m2)
    empty = GaussianStats(np.zeros(3, int), np.zeros(3), np.zeros(3))
    np.testing.assert_allclose((empty + _stats(a)).m2, _stats(a).m2)
    from_points = GaussianStats.of_points(np.concatenate([a, b], axis=1), np.array([13, 5, 0]))
    np.testing.assert_allclose(from_points.mean[:2], [pooled.mean[0], a[1].mean()])
    assert from_points.n[2] == 0 and from_points.m2[2] == 0


def test_predictive_points_follow_the_student_t(rng, variance_se):
    # predictive: each point ~ t_{2 alpha}(mu_n, beta (kappa+1) / (alpha kappa)); the set's
    # mean then has variance scale^2 df / (df - 2) / m
    fam = Gaussian()
    reps, m = 20_000, 6
    data = _stats(np.tile([0.2, 1.1, -0.4, 0.9, 0.5, 0.3, 1.4], (reps, 1)))
    post = make_fitter(fam, "conjugate", reps).fit(data, prior=fam.initial_prior(reps), rng=None)
    out = post.synthetic(np.full(reps, m), mode="predictive", rng=rng)
    df = 2 * post.alpha[0]
    scale2 = post.beta[0] * (post.kappa[0] + 1) / (post.alpha[0] * post.kappa[0])
    var_mean = scale2 * df / (df - 2) / m
    assert abs(out.mean.mean() - post.mu[0]) < Z * np.sqrt(var_mean / reps)
    # the SE of the sample variance from the sample's fourth moment: t tails are heavy
    assert abs(out.mean.var(ddof=1) - var_mean) < Z * variance_se(out.mean)


def _simulate(setting, generations=10, reps=4000, **kw):
    cfg = RunConfig(
        model="gaussian",
        settings=(setting,),
        truth="normal:1:2",
        generations=generations,
        replicates=reps,
        seed=13,
        **kw,
    )
    return run(cfg).isel(setting=0)


def test_pure_synthetic_mle_variance_shrinks():
    # law: E[sigma2_t] = sigma2 ((n - 1)/n)^(t + 1), generation 0 counted as the first fit
    n = 20
    ds = _simulate(Setting(method="mle", scheme="replace", real_fraction="zero", sample_size=n))
    expected = 4.0 * ((n - 1) / n) ** (ds["generation"].values + 1)
    v = ds["sigma2_mean"]
    se = v.std("replicate", ddof=1) / np.sqrt(v.sizes["replicate"])
    assert np.all(np.abs(v.mean("replicate") - expected) < Z * se)


def test_pure_synthetic_unbiased_keeps_the_variance_in_expectation():
    # E[sigma2_t] = sigma2 exactly, but sigma2_t is a product of t+1 independent
    # chi2(n-1)/(n-1) factors: right-skewed, its sample mean converges slowly. Test the exact
    # law of the log instead: E log sigma2_t = log sigma2 + (t+1)(psi(k/2) + log(2/k)), k = n-1,
    # Var = (t+1) psi'(k/2); and the median drifting down is the visible collapse.
    n = 20
    k = n - 1
    ds = _simulate(
        Setting(method="unbiased", scheme="replace", real_fraction="zero", sample_size=n)
    )
    t1 = ds["generation"].values + 1
    log_v = np.log(ds["sigma2_mean"])
    expected = np.log(4.0) + t1 * (digamma(k / 2) + np.log(2 / k))
    se = np.sqrt(t1 * polygamma(1, k / 2) / log_v.sizes["replicate"])
    assert np.all(np.abs(log_v.mean("replicate") - expected) < Z * se)
    theory = gaussian_mle_moments(
        1.0, 4.0, ds["real_fraction"].values, ds["sample_size"].values, ddof=1
    )
    np.testing.assert_allclose(theory["variance"], 4.0)


@pytest.mark.parametrize("method", ["mle", "unbiased"])
def test_constant_real_fraction_bounds_the_error(method):
    # law: the exact (M_t, V_t) recursion of theory.gaussian_mle_moments at every generation;
    # with constant a > 0 it converges to a fixed point with M > 0 and V > 0 (bounded error)
    ds = _simulate(Setting(method=method, real_fraction="0.3", sample_size="15"), generations=12)
    theory = gaussian_mle_moments(
        1.0,
        4.0,
        ds["real_fraction"].values,
        ds["sample_size"].values,
        ddof=int(method == "unbiased"),
    )
    for var, key in (("mu_sq_error", "mean_sq_error"), ("sigma2_mean", "variance")):
        sim = ds[var]
        se = sim.std("replicate", ddof=1) / np.sqrt(sim.sizes["replicate"])
        assert np.all(np.abs(sim.mean("replicate") - theory[key]) < Z * se), var
    long = gaussian_mle_moments(
        1.0, 4.0, np.r_[1, np.full(500, 0.3)], np.full(501, 15), ddof=int(method == "unbiased")
    )
    # a finite positive fixed point: no collapse (V > 0), no blow-up, no recovery (M > 0)
    assert 0 < long["mean_sq_error"][-1] < 4.0 and 1.0 < long["variance"][-1] < 8.0
    np.testing.assert_allclose(long["variance"][-1], long["variance"][-2], rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"truth": "normal:0:0"}, "the true sigma 0 is not a finite number > 0"),
        ({"truth": "normal:0:-1"}, "the true sigma -1 is not a finite number > 0"),
        ({"truth": "gauss:0:1"}, "unknown truth 'gauss:0:1': use 'normal:MU:SIGMA'"),
        ({"prior": "flat"}, "prior 'flat' is not one of nig, jeffreys, weakly-informative"),
        ({"prior_kappa": 0.0}, "prior_kappa must be > 0 for the NIG prior"),
    ],
)
def test_bad_gaussian_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        RunConfig(model="gaussian", **kwargs)


def test_bad_gaussian_runs():
    with pytest.raises(ValueError, match="too small for the unbiased variance"):
        _simulate(Setting(method="unbiased", real_fraction="0.5", sample_size="1"), reps=2)
    with pytest.raises(ValueError, match="'accumulate-subsample' needs individual points"):
        _simulate(
            Setting(
                method="mle", scheme="accumulate-subsample", real_fraction="0.5", sample_size="10"
            ),
            reps=2,
        )
    with pytest.raises(ValueError, match="'jeffreys' is improper and conjugate-only"):
        RunConfig(model="gaussian", prior="jeffreys", settings=(Setting(method="pymc"),))
    with pytest.raises(ValueError, match="method 'unbiased' does not fit model"):
        RunConfig(settings=(Setting(method="unbiased"),))


def test_truth_is_recorded():
    ds = _simulate(
        Setting(method="mle", real_fraction="0.5", sample_size="10"), generations=2, reps=2
    )
    assert float(ds["truth_mu"]) == 1.0 and float(ds["truth_sigma"]) == 2.0
    assert GaussianTruth(1.0, 2.0) == Gaussian().make_truth("normal:1:2")


def test_a_truth_given_as_a_pair_of_numbers_is_read_like_its_spec():
    fam = Gaussian()
    assert fam.make_truth((1.5, 2.0)) == fam.make_truth("normal:1.5:2")
    with pytest.raises(ValueError, match=r"a Gaussian truth is \(mu, sigma\), got \(1.0,\)"):
        fam.make_truth((1.0,))


def test_the_jeffreys_posterior_refuses_a_training_set_of_one_point():
    from bayescollapse.errors import InputError

    fam = Gaussian(prior="jeffreys")
    fitter = make_fitter(fam, "conjugate", 1)
    with pytest.raises(InputError, match="needs training sets of >= 2 points"):
        fitter.fit(_stats(np.array([[0.4]])), prior=fam.initial_prior(1), rng=None)
