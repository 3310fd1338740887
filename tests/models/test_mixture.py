"""The gaussian-mixture family: its data, metrics, EM, the complete-data oracle and its laws."""

import numpy as np
import pytest
from scipy.special import gammaln

from bayescollapse import RunConfig, run
from bayescollapse.models.mixture.data import MixturePoints, draw_mixture, parse_truth
from bayescollapse.models.mixture.distances import (
    mixture_kl,
    mixture_log_density,
    mixture_modes,
    mixture_w2,
)
from bayescollapse.models.mixture.em import em_fit
from bayescollapse.models.mixture.family import GaussianMixture
from bayescollapse.models.mixture.record import shape_metrics
from bayescollapse.theory.closed_forms import categorical_moments
from bayescollapse.theory.mixture import component_moments

SEPARATED = "mixture:0.3:-5:1,0.7:5:1.5"


def _config(**kwargs):
    base = {"model": "gaussian-mixture", "seed": 1, "generations": 1, "replicates": 4}
    return RunConfig.from_dict({**base, **kwargs})


def _one(*values):
    return tuple(np.array([v], dtype=float) for v in values)


# -- the truth and the data --


def test_truth_is_read_sorted_by_mean_and_bad_truths_are_named():
    truth = parse_truth("mixture:0.3:2:1,0.7:-2:0.5")
    assert truth.weights.tolist() == [0.7, 0.3] and truth.sigma.tolist() == [0.5, 1.0]
    assert truth.values.tolist() == [0.7, 0.3, -2.0, 2.0, 0.5, 1.0]
    drawn = parse_truth("random:3:7")
    assert drawn.components == 3 and np.all(np.diff(drawn.mu) > 0)
    assert np.array_equal(drawn.mu, parse_truth("random:3:7").mu)
    for spec, words in (
        ("mixture:0.5:0:1,0.6:1:1", "sum to 1.1, not 1"),
        ("mixture:0.5:0:1,0.5:0:2", "share a mean"),
        ("mixture:0.5:0:-1,0.5:1:1", "sds must be finite numbers > 0"),
        ("normal:0:1", "use 'mixture:W:MU:SD"),
    ):
        with pytest.raises(ValueError, match=words):
            parse_truth(spec)
    with pytest.raises(ValueError, match="truth 'random:3:1' has 3 components, the model 2"):
        GaussianMixture().make_truth("random:3:1")
    with pytest.raises(ValueError, match="a mixture needs >= 2 components"):
        _config(truth="mixture:1:0:1")


def test_points_combine_left_justified_and_give_each_components_statistics():
    nan = np.nan
    a = MixturePoints(np.array([[1.0, 3.0], [2.0, nan]]), np.array([[0, 1], [1, -1]]), None)
    a = MixturePoints(a.x, a.z, (a.z >= 0).astype(float))
    b = MixturePoints(np.array([[5.0], [4.0]]), np.array([[1], [0]]), np.array([[2.0], [1.0]]))
    both = a + b
    np.testing.assert_array_equal(both.x, [[1.0, 3.0, 5.0], [2.0, 4.0, nan]])
    np.testing.assert_array_equal(both.z, [[0, 1, 1], [1, 0, -1]])
    assert both.n.tolist() == [3, 2]
    stats = both.component_stats(2)
    # row 0, component 1: points 3 (weight 1) and 5 (weight 2): count 3, mean 13/3,
    # m2 = (3 - 13/3)^2 + 2 (5 - 13/3)^2 = 16/9 + 8/9 = 8/3
    np.testing.assert_allclose(stats.count, [[1, 3], [1, 1]])
    np.testing.assert_allclose(stats.mean, [[1, 13 / 3], [4, 2]])
    np.testing.assert_allclose(stats.m2, [[0, 8 / 3], [0, 0]])
    assert both.label_counts(2).tolist() == [[1, 2], [1, 1]]


def test_a_pool_drawn_without_replacement_gives_distinct_points(rng):
    pool = draw_mixture(np.array([[0.5, 0.5]]), np.array([[-1.0, 1.0]]), np.ones((1, 2)), [50], rng)
    drawn = pool.draw([50], replace=False, rng=rng)
    assert sorted(drawn.x[0]) == sorted(pool.x[0])
    assert np.unique(pool.draw([50], replace=True, rng=rng).x).size < 50  # repeats


def test_labels_follow_the_weights(rng):
    # law: a point's label is Categorical(w); counts of 200_000 labels within z = 4.5
    weights = np.array([[0.1, 0.6, 0.3]])
    points = draw_mixture(weights, np.zeros((1, 3)), np.ones((1, 3)), [200_000], rng)
    share = points.label_counts(3)[0] / 200_000
    se = np.sqrt(weights[0] * (1 - weights[0]) / 200_000)
    assert np.all(np.abs(share - weights[0]) < 4.5 * se)


# -- the metrics, pinned by closed forms --


def test_w2_and_kl_of_two_normals_are_their_closed_forms():
    # one component (or two equal ones) is a normal: W2^2 = (m1 - m2)^2 + (s1 - s2)^2 and
    # KL(N1 || N2) = log(s2 / s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1 / 2
    first = (np.array([[0.4, 0.6]]), np.array([[0.3, 0.3]]), np.array([[1.2, 1.2]]))
    second = _one([1.0], [-0.5], [2.0])
    w2 = mixture_w2(first, second)
    assert abs(w2[0] - np.hypot(0.8, 0.8)) < 1e-9
    kl = mixture_kl(first, second)
    assert abs(kl[0] - (np.log(2 / 1.2) + (1.44 + 0.64) / 8 - 0.5)) < 1e-12


def test_w2_of_a_shifted_mixture_is_the_shift_and_kl_of_itself_is_zero():
    # a shift by d moves every quantile by d: W2 = |d| exactly
    truth = parse_truth("mixture:0.3:-2:0.5,0.7:1:1.5")
    p = truth.params
    shifted = (p[0], p[1] + 0.7, p[2])
    assert abs(mixture_w2(shifted, p)[0] - 0.7) < 1e-9
    assert abs(mixture_kl(p, p)[0]) < 1e-14 and mixture_w2(p, p)[0] < 1e-12


def test_the_truth_has_its_tail_mass_and_modes_count_the_density_peaks():
    truth = parse_truth("mixture:0.5:-2:1,0.5:2:1")
    row = shape_metrics(truth.params, truth, lost_below=0.01)
    assert abs(row["tail_mass"][0] - 0.02) < 1e-12  # 1 % below q01, 1 % above q99
    assert row["modes"][0] == 2 and row["bimodal"][0] == 1 and row["components_lost"][0] == 0
    assert row["w2_to_truth"][0] < 1e-12 and abs(row["kl_truth_to_model"][0]) < 1e-14
    # 0.5 N(-s, 1) + 0.5 N(s, 1) is bimodal exactly when s > 1
    near = mixture_modes(np.array([[0.5, 0.5]]), np.array([[-0.95, 0.95]]), np.ones((1, 2)))
    far = mixture_modes(np.array([[0.5, 0.5]]), np.array([[-1.05, 1.05]]), np.ones((1, 2)))
    assert near[0] == 1 and far[0] == 2
    lost = shape_metrics(_one([0.995, 0.005], [-2, 2], [1, 1]), truth, lost_below=0.01)
    assert lost["components_lost"][0] == 1
    assert (
        shape_metrics(*[_one([0.995, 0.005], [-2, 2], [1, 1])], truth, lost_below=0.001)[
            "components_lost"
        ][0]
        == 0
    )


# -- EM --


def _separated(rng, reps=6, size=2000):
    truth = parse_truth(SEPARATED)
    return truth, GaussianMixture().sample_truth(truth, np.full(reps, size), rng=rng)


def test_em_is_the_complete_data_mle_on_separated_components(rng):
    # with the means 10 sds apart a point's label is all but known: EM, blind to the
    # labels, must give the complete-data MLE on the same points to a tenth of either
    # estimate's sampling se (sqrt(w (1 - w) / n), sigma / sqrt(n w), sigma / sqrt(2 n w))
    truth, data = _separated(rng)
    fam = GaussianMixture()
    em = fam_fit(fam, "mle", data, rng)
    oracle = fam_fit(fam, "complete-data-mle", data, rng)
    np.testing.assert_allclose(em.weights.sum(axis=1), 1.0, rtol=1e-12)
    n, w, s = 2000, truth.weights, truth.sigma
    se = {
        "weights": np.sqrt(w * (1 - w) / n),
        "mu": s / np.sqrt(n * w),
        "sigma": s / np.sqrt(2 * n * w),
    }
    for name, scale in se.items():
        assert np.all(np.abs(getattr(em, name) - getattr(oracle, name)) < 0.1 * scale), name
    assert np.all(em.diagnostics["em_converged"] == 1)
    assert np.all(em.diagnostics["em_iterations"] < fam.em_max_iter)


def fam_fit(fam, method, data, rng):
    from bayescollapse.models.registry import make_fitter

    return make_fitter(fam, method, data.x.shape[0]).fit(
        data, prior=fam.initial_prior(data.x.shape[0]), rng=rng
    )


def test_em_reaches_a_likelihood_no_lower_than_the_complete_data_fit(rng):
    # EM maximises the likelihood: at its fit the log-likelihood is at least that at any
    # other parameters, here the complete-data MLE's, on overlapping components
    truth = parse_truth("mixture:0.4:-1:1,0.6:1.5:0.8")
    data = GaussianMixture().sample_truth(truth, np.full(5, 400), rng=rng)
    fam = GaussianMixture()
    em = fam_fit(fam, "mle", data, rng)

    def loglik(fit):
        terms = mixture_log_density(np.nan_to_num(data.x), fit.weights, fit.mu, fit.sigma)
        top = terms.max(axis=-1, keepdims=True)
        per_point = top[..., 0] + np.log(np.exp(terms - top).sum(axis=-1))
        return (data.weight * per_point).sum(axis=1) / data.weight.sum(axis=1)

    oracle = fam_fit(fam, "complete-data-mle", data, rng)
    assert np.all(loglik(em) >= loglik(oracle) - 1e-9)
    np.testing.assert_allclose(loglik(em), em.diagnostics["em_log_likelihood"], atol=1e-6)


def test_em_stops_at_its_iteration_cap_and_says_it_did_not_converge(rng):
    truth, data = _separated(rng, reps=3, size=300)
    out = em_fit(data.x, data.weight, 2, rng=rng, restarts=2, max_iter=2)
    assert out.iterations.tolist() == [2, 2, 2] and not out.converged.any()
    loose = em_fit(data.x, data.weight, 2, rng=rng, restarts=1, tol=1e-2)
    strict = em_fit(data.x, data.weight, 2, rng=rng, restarts=1, tol=1e-12)
    assert np.all(loose.iterations < strict.iterations) and strict.converged.all()


# -- the complete-data laws --


def _weights_law_holds(ds, setting, law, reps, z=4.0):
    error = ds["weight_sq_error"].isel(setting=setting)
    mean, se = error.mean("replicate").values, error.std("replicate").values / np.sqrt(reps)
    assert np.all(np.abs(mean - law) < z * se + 1e-12), np.abs(mean - law) / se


@pytest.mark.parametrize(
    ("method", "scheme", "synthetic"),
    [
        ("complete-data-mle", "replace", "plugin"),
        ("complete-data", "mixture", "ancestral"),
        ("complete-data", "replace", "predictive"),
    ],
)
def test_the_weights_follow_the_categorical_loop(method, scheme, synthetic):
    # law: with the labels kept the weights are a Wright-Fisher chain (complete-data-mle
    # under replace: E w_t = w*, E sum w(1 - w) shrinks by (1 - 1/n) a generation), a
    # Dirichlet-multinomial one for the posterior mean (categorical_moments, a0 = 0.5);
    # E |w_t - w*|^2 at each of 13 generations within z = 4 standard errors
    reps, n, gens = 600, 30, 12
    cfg = _config(
        truth="mixture:0.2:-2:1,0.5:0:0.5,0.3:3:1",
        generations=gens,
        replicates=reps,
        prior_concentration=0.5,
        settings=[
            {
                "method": method,
                "scheme": scheme,
                "synthetic": synthetic,
                "real_fraction": "0.3" if scheme == "mixture" else "zero",
                "sample_size": str(n),
            }
        ],
    )
    ds = run(cfg)
    law = GaussianMixture.expected_curve(ds, str(ds["setting"].values[0]))["weight_sq_error"]
    _weights_law_holds(ds, 0, law, reps)
    truth = np.array([0.2, 0.5, 0.3])
    a = 0.3 if scheme == "mixture" else 0.0
    direct = categorical_moments(
        truth,
        np.full(gens + 1, a),
        np.full(gens + 1, n),
        prior_concentration=0.5 if method == "complete-data" else 0.0,
        synthetic=synthetic,
    )
    np.testing.assert_allclose(law, direct["sq_error"])
    if method == "complete-data-mle":  # Wright-Fisher: the mean stays, the spread decays
        weights = ds["weights_mean"].isel(setting=0)
        se = weights.std("replicate") / np.sqrt(reps)
        assert bool((abs(weights.mean("replicate") - truth) < 4 * se + 1e-12).all())
        spread = (weights * (1 - weights)).sum("component").mean("replicate").values
        expected = (1 - truth @ truth) * (1 - 1 / n) ** np.arange(1, gens + 2)
        se = (weights * (1 - weights)).sum("component").std("replicate").values / np.sqrt(reps)
        assert np.all(np.abs(spread - expected) < 4 * se)


@pytest.mark.parametrize(
    ("method", "scheme"), [("complete-data-mle", "mixture"), ("complete-data", "replace")]
)
def test_each_component_follows_the_gaussian_laws_given_its_counts(method, scheme):
    # law: given the path of a component's real and synthetic counts, its fitted mean and
    # variance have the exact moments of theory.mixture.component_moments (plug-in writing):
    # E[(mu_t - mu*)^2 - f(counts)] = 0 and E[sigma_t^2 - V(counts)] = 0 (the MLE's
    # variance, the posterior mean of sigma^2), z = 4 at each generation and component
    # (2 x 9 x 2 means). Planted: the posterior writing with sd E sigma instead of
    # sqrt(E sigma^2) fails it
    reps, gens = 800, 8
    prior = {"prior_kappa": 4.0, "prior_mean": 1.0, "prior_alpha": 3.0, "prior_beta": 2.0}
    cfg = _config(
        truth="mixture:0.4:-1:1,0.6:2:0.7",
        generations=gens,
        replicates=reps,
        **prior,
        settings=[
            {
                "method": method,
                "scheme": scheme,
                "synthetic": "plugin",
                "real_fraction": "0.3" if scheme == "mixture" else "zero",
                "sample_size": "24",
            }
        ],
    )
    ds = run(cfg).isel(setting=0)
    truth = parse_truth("mixture:0.4:-1:1,0.6:2:0.7")
    bayes = method == "complete-data"
    hyper = (1.0, 4.0, 3.0, 2.0) if bayes else None
    for j in range(2):
        real = ds["real_component_count"].isel(component=j).values
        synthetic = ds["component_count"].isel(component=j).values - real
        law = component_moments(truth.mu[j], truth.sigma[j] ** 2, real, synthetic, prior=hyper)
        mu = ds["mu_mean"].isel(component=j).values
        sigma2 = ds["sigma_mean"].isel(component=j).values ** 2
        if bayes:  # E sigma^2 from E sigma = sqrt(beta) G(a - 1/2) / G(a), a = alpha0 + c / 2
            a = 3.0 + (real + synthetic) / 2
            sigma2 = sigma2 * np.exp(2 * (gammaln(a) - gammaln(a - 0.5))) / (a - 1)
        checks = [(mu - truth.mu[j]) ** 2 - law["sq_error"], sigma2 - law["variance"]]
        # given the counts: where a component has < 2 points its MLE is not defined, so
        # those replicates are left out (the posterior is defined at any count)
        kept = (real + synthetic >= 2).all(axis=1) | bayes
        assert kept.mean() > 0.95
        for gap in checks:
            gap = gap[kept]
            z = gap.mean(axis=0) / (gap.std(axis=0) / np.sqrt(gap.shape[0]))
            assert np.all(np.abs(z) < 4), z


def test_the_conjugate_fit_is_the_components_nig_update(rng):
    # pinned: the complete-data posterior of each component is nig_update of its points
    from bayescollapse.models.gaussian.fits import GaussianStats, nig_update

    truth, data = _separated(rng, reps=2, size=50)
    fam = GaussianMixture(prior_kappa=2.0, prior_mean=0.5)
    fit = fam_fit(fam, "complete-data", data, rng)
    stats = data.component_stats(2)
    expected = nig_update((0.5, 2.0, 2.0, 1.0), GaussianStats(stats.count, stats.mean, stats.m2))
    for got, want in zip((fit.mu, fit.kappa, fit.alpha, fit.beta), expected, strict=True):
        np.testing.assert_allclose(got, want)
    np.testing.assert_allclose(fit.a, 1.0 + stats.count)
    np.testing.assert_allclose(fit.weights_mean.sum(axis=1), 1.0)


def test_calibration_of_the_oracle_holds_at_generation_zero():
    # law: under the prior's own truth a posterior's HDIs cover at their level; here with
    # a vague prior and n = 200 the 94 % HDIs of 6 parameters over 300 replicates cover
    # 0.94 within z = 4 (binomial se of the 1800 indicators, correlated within a replicate:
    # the replicate-level se is used)
    ds = run(
        _config(
            generations=1,
            replicates=300,
            settings=[{"method": "complete-data", "sample_size": "200"}],
        )
    ).isel(setting=0, generation=0)
    covered = ds["covered"].values
    assert abs(covered.mean() - 0.94) < 4 * covered.std() / np.sqrt(covered.size)


def test_em_and_the_oracle_part_where_components_overlap_but_not_where_separated():
    # law (separated): EM and the complete-data MLE have the same law across generations:
    # the paired mean difference of |w_t - w*|^2 at the last generation within z = 4
    reps = 200
    settings = [
        {"method": m, "scheme": "replace", "real_fraction": "zero", "sample_size": "200"}
        for m in ("mle", "complete-data-mle")
    ]
    ds = run(_config(truth=SEPARATED, generations=6, replicates=reps, settings=settings))
    gap = (ds["weight_sq_error"].isel(setting=0) - ds["weight_sq_error"].isel(setting=1)).isel(
        generation=-1
    )
    assert abs(float(gap.mean())) < 4 * float(gap.std()) / np.sqrt(reps)
    # overlapping (means 1.2 sds apart): EM cannot tell the labels; one generation's
    # weights are far noisier than the oracle's
    near = run(
        _config(
            truth="mixture:0.5:-0.6:1,0.5:0.6:1",
            generations=1,
            replicates=100,
            em_max_iter=50,
            settings=settings,
        )
    )
    error = near["weight_sq_error"].isel(generation=0).mean("replicate").values
    assert error[0] > 5 * error[1]
    (warning,) = GaussianMixture.warnings(near)  # EM's slow convergence there is said
    assert "EM stopped at its iteration cap in" in warning and "of 200 fits" in warning


# -- runs from every door --


def test_cli_and_toml_run_the_mixture_and_refuse_a_bad_truth(tmp_path, capsys):
    from bayescollapse.cli import main
    from bayescollapse.io.results import open_results

    out = tmp_path / "mix.nc"
    flags = ["run", "--model", "gaussian-mixture", "--truth", "mixture:0.5:-2:1,0.5:2:1"]
    flags += ["--method", "mle", "complete-data", "--generations", "2", "--replicates", "3"]
    assert main([*flags, "--em-restarts", "2", "--out", str(out), "--no-progress"]) == 0
    ds = open_results(out)
    assert ds.sizes["component"] == 2 and ds.sizes["setting"] == 2
    assert float(ds["em_iterations"].isel(setting=0).min()) >= 1
    assert main(["summarize", str(out)]) == 0
    assert "tail mass" in capsys.readouterr().out
    assert main(["diagnose", str(out), "--figures", str(tmp_path / "d")]) == 0
    assert (tmp_path / "d" / "posterior_paths.png").is_file()
    assert "complete-data" in capsys.readouterr().out
    bad = ["run", "--model", "gaussian-mixture", "--truth", "mixture:0.5:0:1,0.6:1:1"]
    assert main([*bad, "--out", str(tmp_path / "bad.nc"), "--no-progress"]) == 2
    assert "sum to 1.1, not 1" in capsys.readouterr().err
    toml = tmp_path / "mix.toml"
    toml.write_text(
        'model = "gaussian-mixture"\ntruth = "random:3:4"\ngenerations = 1\nreplicates = 2\n'
        "[params]\nem_restarts = 2\nlost_below = 0.05\n"
        '[[settings]]\nmethod = "mle"\nsample_size = "60"\n'
    )
    out = tmp_path / "toml.nc"
    assert main(["run", "--config", str(toml), "--out", str(out), "--no-progress"]) == 0
    ds = open_results(out)
    assert ds.sizes["component"] == 3 and ds.sizes["parameter"] == 9


def test_every_scheme_pool_weight_and_decoding_runs_on_labelled_points():
    # the loop's other ways of forming a training set work on points with labels
    settings = [
        {"method": "mle", "scheme": "accumulate", "real_fraction": "zero"},
        {"method": "complete-data", "scheme": "accumulate-subsample", "real_fraction": "zero"},
        {"method": "complete-data-mle", "real_fraction": "0.5", "real_weight": "0.8"},
        {"method": "mle", "real_fraction": "0.5", "real_data": "fixed", "sample_size": "30"},
        {"method": "complete-data", "real_fraction": "0.5", "real_data": "resampled"},
        {
            "method": "complete-data-mle",
            "scheme": "replace",
            "real_fraction": "zero",
            "variance_scale": 0.5,
        },
    ]
    for s in settings:
        s.setdefault("sample_size", "40")
    ds = run(_config(generations=3, settings=settings))
    size = ds["train_size"].isel(replicate=0)
    assert size.isel(setting=0).values.tolist() == [40, 80, 120, 160]  # accumulated
    assert size.isel(setting=1).values.tolist() == [40, 40, 40, 40]  # subsampled
    # a variance scale of 0.5 under replace shrinks the sds by sqrt(0.5) a generation
    ratio = ds["sigma_mean"].isel(setting=5).mean(("replicate", "component"))
    assert float(ratio.isel(generation=3) / ratio.isel(generation=0)) < 0.5
    with pytest.raises(ValueError, match="decodes token laws"):
        _config(settings=[{"method": "mle", "temperature": 0.5}])


def test_a_setting_without_a_method_runs_the_familys_exact_posterior():
    # the package's default method is 'conjugate'; the mixture's exact posterior is named
    # 'complete-data', and a setting that names no method runs it (its own name kept)
    default = RunConfig.from_dict({"model": "gaussian-mixture"}).settings[0]
    assert default.method == "complete-data" and "complete-data" in default.name
    named = RunConfig.from_dict({"model": "gaussian-mixture", "settings": [{"name": "mine"}]})
    assert named.settings[0].method == "complete-data" and named.settings[0].name == "mine"
    assert RunConfig.from_dict({"model": "gaussian"}).settings[0].method == "conjugate"
