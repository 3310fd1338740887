"""The linear-regression family: its exact data, its fits and the replace-loop law."""

import numpy as np
import pytest
from scipy import stats

from bayescollapse import RunConfig, run
from bayescollapse.models.regression.data import (
    RegressionStats,
    design_gram,
    design_stats,
    labels_on,
    rows_given_stats,
    rows_stats,
)
from bayescollapse.models.regression.family import LinearRegression, spectrum_values
from bayescollapse.models.regression.fits import (
    LeastSquaresFitter,
    NIGFitter,
    nig_regression_kl,
    nig_regression_update,
)
from bayescollapse.theory.regression import least_squares_replace


def _config(**kwargs):
    base = {"model": "linear-regression", "seed": 1, "generations": 1, "replicates": 4}
    return RunConfig.from_dict({**base, **kwargs})


def test_wishart_draws_have_the_design_moments():
    # law: X'X ~ Wishart(n, Sigma): E X'X = n Sigma, Var (X'X)_jj = 2 n Sigma_jj^2 and
    # E (X'X)^-1 = Sigma^-1 / (n - d - 1). z = 4.5 on each of the 3 + 3 + 1 means checked.
    rng = np.random.default_rng(2)
    spectrum, n, reps = spectrum_values("power:1", 3), 12, 40_000
    gram = design_gram(spectrum, np.full(reps, n), rng)
    diag = np.diagonal(gram, axis1=1, axis2=2)
    se = np.sqrt(2 * n * spectrum**2 / reps)
    assert np.all(np.abs(diag.mean(axis=0) - n * spectrum) < 4.5 * se)
    off = gram[:, 0, 1]  # mean 0, variance n Sigma_00 Sigma_11
    assert abs(off.mean()) < 4.5 * np.sqrt(n * spectrum[0] * spectrum[1] / reps)
    inverse = np.diagonal(np.linalg.inv(gram), axis1=1, axis2=2) * spectrum
    expected = 1 / (n - 3 - 1)
    assert np.all(
        np.abs(inverse.mean(axis=0) - expected) < 4.5 * inverse.std(axis=0) / np.sqrt(reps)
    )


def test_statistics_without_rows_match_statistics_of_rows():
    # law: the labels' statistics drawn from X'X alone have the law of those of real rows:
    # E y'y = n (w' Sigma w + sigma^2), E X'y = n Sigma w. Both paths (n >= d: Bartlett;
    # n < d: rows) in one call. z = 4.5.
    rng = np.random.default_rng(5)
    spectrum = np.array([1.0, 0.25, 4.0])
    w, sigma, reps = np.array([0.5, -1.0, 0.2]), 0.7, 30_000
    for n in (2, 40):
        data = design_stats(
            spectrum, np.tile(w, (reps, 1)), np.full(reps, sigma), np.full(reps, n), rng
        )
        mean_yy = n * (w @ (spectrum * w) + sigma**2)
        assert abs(data.yy.mean() - mean_yy) < 4.5 * data.yy.std() / np.sqrt(reps)
        se = data.xy.std(axis=0) / np.sqrt(reps)
        assert np.all(np.abs(data.xy.mean(axis=0) - n * spectrum * w) < 4.5 * se)
        np.testing.assert_array_equal(data.n, n)


def test_rows_given_statistics_have_exactly_those_statistics():
    rng = np.random.default_rng(0)
    data = design_stats(
        np.ones(2), np.array([[1.0, 2.0], [0.0, 1.0]]), np.ones(2), np.array([9, 2]), rng
    )
    x, y = rows_given_stats(data, rng)
    assert x.shape == (2, 9, 2) and y.shape == (2, 9)
    gram, cross, square = rows_stats(x[0], y[0])
    np.testing.assert_allclose(gram, data.xx[0], rtol=1e-10)
    np.testing.assert_allclose(cross, data.xy[0], rtol=1e-10)
    assert square == pytest.approx(data.yy[0], rel=1e-10)
    gram, cross, square = rows_stats(x[1, :2], y[1, :2])  # n = 2 <= d: singular, still exact
    np.testing.assert_allclose(gram, data.xx[1], atol=1e-10)
    np.testing.assert_allclose(cross, data.xy[1], atol=1e-10)
    assert np.isnan(y[1, 2:]).all()


def test_least_squares_and_ridge_by_hand():
    # rows (1, 0), (0, 1), (1, 1) with labels 1, 2, 4: OLS w = (4/3, 7/3), RSS = 1/3
    rows = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    labels = np.array([1.0, 2.0, 4.0])
    gram, cross, square = rows_stats(rows, labels)
    data = RegressionStats(np.array([3.0]), gram[None], cross[None], np.array([square]))
    fit = LeastSquaresFitter(np.ones(2)).fit(data, prior=None, rng=None)
    np.testing.assert_allclose(fit.w, [[4 / 3, 7 / 3]])
    np.testing.assert_allclose(fit.sigma2, [1 / 9])  # RSS / n
    unbiased = LeastSquaresFitter(np.ones(2), ddof=1).fit(data, prior=None, rng=None)
    np.testing.assert_allclose(unbiased.sigma2, [1 / 3])  # RSS / (n - d)
    ridge = LeastSquaresFitter(np.ones(2), ridge=1.0).fit(data, prior=None, rng=None)
    np.testing.assert_allclose(ridge.w, [np.linalg.solve(gram + np.eye(2), cross)])


def test_the_nig_posterior_by_hand_and_its_mean_is_ridge():
    rows = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, -1.0]])
    labels = np.array([1.0, 2.0, 4.0, 0.5])
    gram, cross, square = rows_stats(rows, labels)
    data = RegressionStats(np.array([4.0]), gram[None], cross[None], np.array([square]))
    kappa = 0.5
    prior = (np.zeros((1, 2)), kappa * np.eye(2)[None], np.array([2.0]), np.array([3.0]))
    m, p, a, b = nig_regression_update(prior, data)
    ridge = np.linalg.solve(gram + kappa * np.eye(2), cross)
    np.testing.assert_allclose(m[0], ridge)  # the posterior mean is ridge with lambda = kappa0
    assert a[0] == 2.0 + 4 / 2
    rss_pen = square - ridge @ (gram + kappa * np.eye(2)) @ ridge  # y'y - mn' Pn mn
    assert b[0] == pytest.approx(3.0 + rss_pen / 2)
    fit = NIGFitter(np.ones(2), 0.94).fit(data, prior=prior, rng=None)
    assert nig_regression_kl(fit.carried_prior, fit.carried_prior) == pytest.approx(0.0, abs=1e-12)


def test_the_pit_of_a_nearly_flat_posterior_follows_the_t_pivot():
    # law: with a prior of vanishing weight the posterior of w_j is t_n(w_hat_j,
    # RSS / n (X'X)^-1_jj), while the classical pivot (w_hat_j - w_j) / se_j, se_j^2 =
    # RSS / (n - d) (X'X)^-1_jj, is t_{n-d}. So P(PIT_j <= u) = 1 - F_{t_{n-d}}(-q_u
    # sqrt((n - d) / n)), q_u the t_n quantile: exact at any n. Coordinate 0 of 20000
    # independent replicates, u = 0.1, 0.5, 0.9, binomial z = 4.5.
    n, d, reps = 12, 3, 20_000
    cfg = _config(
        dim=d,
        replicates=reps,
        prior_kappa=1e-9,
        prior_alpha=1e-9,
        prior_beta=1e-9,
        settings=[{"method": "conjugate", "sample_size": str(n), "real_fraction": "0.5"}],
    )
    pit = run(cfg)["pit"].isel(setting=0, generation=0, parameter=0).values
    for u in (0.1, 0.5, 0.9):
        q = stats.t.ppf(u, n)
        expected = 1 - stats.t.cdf(-q * np.sqrt((n - d) / n), n - d)
        se = np.sqrt(expected * (1 - expected) / reps)
        assert abs((pit <= u).mean() - expected) < 4.5 * se, (u, (pit <= u).mean(), expected)


@pytest.mark.parametrize("method", ["mle", "unbiased"])
def test_the_replace_loop_follows_its_law(method):
    # law (bayescollapse.theory.regression): E_t = E_{t-1} + V_{t-1} d / (n - d - 1),
    # V_t = V_{t-1} (n - d) / (n - ddof d). At n = 12, d = 5 the factor d / (n - d - 1)
    # is 0.83 (a planted n - d would give 0.71); z = 4 per generation on the excess risk
    # and the noise variance, 4000 replicates.
    n, d, reps = 12, 5, 4000
    cfg = _config(
        dim=d,
        replicates=reps,
        generations=3,
        settings=[
            {"method": method, "scheme": "replace", "real_fraction": "zero", "sample_size": str(n)}
        ],
    )
    ds = run(cfg).isel(setting=0)
    law = least_squares_replace(np.ones(d), 1.0, np.full(4, n), ddof=int(method == "unbiased"))
    for name in ("excess_risk", "sigma2_mean"):
        values = ds[name]
        se = values.std("replicate") / np.sqrt(reps)
        z = (values.mean("replicate") - law[name]) / se
        assert bool((np.abs(z) < 4).all()), (name, z.values)


@pytest.mark.parametrize("method", ["mle", "unbiased"])
@pytest.mark.parametrize("alpha", ["0.5", "power:0.5:-0.5"])
def test_the_mixture_loop_follows_its_law(method, alpha):
    # law (bayescollapse.theory.regression, derived there): with Binomial(n, alpha_t) real
    # rows on a fresh design, E_t = c E_{t-1} + d / (n - d - 1) (alpha sigma*^2 +
    # (1 - alpha) V_{t-1}), c = (1 - alpha)^2 + alpha (1 - alpha) (n - 2)(d + 2) /
    # ((n - d - 1)(n + 2)), and V_t from the residuals. At n = 14, d = 5 the leverage term
    # is 0.66 of alpha (1 - alpha): dropping it (the large-n law (1 - alpha)^2) puts E_1
    # 11-13 SEs off and E_4 14-22 (measured). z = 4 per generation, 8000 replicates.
    from bayescollapse.theory.regression import least_squares_mixture

    d, n, reps = 5, 14, 8000
    setting = {"method": method, "real_fraction": alpha, "sample_size": str(n)}
    ds = run(_config(dim=d, replicates=reps, generations=4, settings=[setting]))
    law = LinearRegression.expected_curve(ds, str(ds["setting"].values[0]))
    row = ds.isel(setting=0)
    again = least_squares_mixture(
        d,
        1.0,
        row["real_fraction"].values,
        row["sample_size"].values,
        ddof=int(method == "unbiased"),
    )
    np.testing.assert_array_equal(law["excess_risk"], again["excess_risk"])
    for name in ("excess_risk", "sigma2_mean"):
        values = row[name]
        se = values.std("replicate") / np.sqrt(reps)
        z = (values.mean("replicate") - law[name]) / se
        assert bool((np.abs(z) < 4).all()), (name, z.values)


def test_the_expected_curve_is_drawn_where_a_law_is_known():
    settings = [
        {"method": m, "scheme": s, "real_fraction": "zero", "sample_size": "20"}
        for s, m in (("replace", "mle"), ("accumulate", "mle"), ("replace", "conjugate"))
    ]
    ds = run(_config(dim=2, settings=settings))
    curves = [LinearRegression.expected_curve(ds, str(s)) for s in ds["setting"].values]
    assert curves[0] is not None
    assert curves[1] is None  # accumulating on a fresh design: no exact law here
    assert curves[2] is None  # the posterior mean is not least squares


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"truth": "random:x:1"}, "use 'random:SEED:SIGMA'"),
        ({"truth": [1.0, 2.0]}, "d \\+ 1 = 11 numbers"),
        ({"dim": 0}, "dim must be an integer >= 1"),
        ({"spectrum": "power:-1"}, "spectrum 'power:-1' is not"),
        ({"ridge_lambda": 0.0}, "ridge_lambda must be a finite number > 0"),
        ({"settings": [{"real_data": "fixed"}]}, "sufficient statistics, not rows"),
    ],
)
def test_bad_settings_are_refused_in_one_line(change, message):
    with pytest.raises(ValueError, match=message):
        run(_config(**change))


def test_least_squares_with_fewer_rows_than_features_says_what_to_use():
    from bayescollapse.errors import InputError

    cfg = _config(dim=10, settings=[{"method": "mle", "sample_size": "5"}])
    with pytest.raises(InputError, match="5 rows for d = 10 \\(use ridge or conjugate\\)"):
        run(cfg)
    cfg = _config(
        dim=10, settings=[{"method": m, "sample_size": "5"} for m in ("ridge", "conjugate")]
    )
    assert bool(np.isfinite(run(cfg)["excess_risk"]).all())


@pytest.mark.parametrize("method", ["mle", "unbiased"])
def test_accumulating_on_a_fixed_design_follows_its_law(method):
    # law (bayescollapse.theory.regression): the pooled fit is the mean of the batches' own
    # fits, so its error is a known combination of independent errors: E_1 = 1.25 E_0 for
    # the unbiased noise, bounded near pi^2 / 6 E_0 (Gerstgrasser et al. 2024). Planted
    # bugs: fresh rows drawn each generation end 4.3 (mle) and 6.6 (unbiased) SEs off by
    # generation 4; a fit of the newest batch alone (the replace law) is 3.5 times the
    # risk. z = 4 per generation, 4000 replicates.
    from bayescollapse.theory.regression import least_squares_accumulate_fixed

    n, d, reps, generations = 12, 5, 4000, 4
    setting = {"method": method, "scheme": "accumulate", "real_fraction": "zero"}
    cfg = _config(
        dim=d,
        design="fixed",
        replicates=reps,
        generations=generations,
        settings=[{**setting, "sample_size": str(n)}],
    )
    ds = run(cfg)
    law = least_squares_accumulate_fixed(d, 1.0, n, generations, ddof=int(method == "unbiased"))
    curve = LinearRegression.expected_curve(ds, str(ds["setting"].values[0]))
    np.testing.assert_array_equal(curve["excess_risk"], law["excess_risk"])
    for name in ("excess_risk", "sigma2_mean"):
        values = ds[name].isel(setting=0)
        se = values.std("replicate") / np.sqrt(reps)
        z = (values.mean("replicate") - law[name]) / se
        assert bool((np.abs(z) < 4).all()), (name, z.values)


def test_a_fixed_design_is_relabelled_every_generation():
    from bayescollapse.models.registry import make_fitter

    fam = LinearRegression(dim=2, design="fixed")
    rng = np.random.default_rng(0)
    truth = fam.make_truth("random:1:1")
    real = fam.sample_truth(truth, np.array([6, 6]), rng=rng)
    fit = make_fitter(fam, "conjugate", 2).fit(real, prior=fam.initial_prior(2), rng=rng)
    for mode in ("ancestral", "plugin"):
        synthetic = fit.synthetic(np.array([6, 6]), mode=mode, rng=rng)
        np.testing.assert_array_equal(synthetic.xx, real.xx)  # the same rows
        assert not np.allclose(synthetic.xy, real.xy)  # new labels
    with pytest.raises(ValueError, match="relabels generation 0's 6 rows"):
        fit.synthetic(np.array([7, 7]), mode="plugin", rng=rng)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"real_fraction": "0.2"}, "real_fraction must be 'zero'"),
        ({"real_fraction": "zero", "synthetic": "predictive"}, "needs design 'fresh'"),
    ],
)
def test_a_fixed_design_refuses_what_it_cannot_relabel(setting, message):
    with pytest.raises(ValueError, match=message):
        run(_config(design="fixed", settings=[setting]))


@pytest.mark.parametrize("mode", ["plugin", "ancestral"])
@pytest.mark.parametrize("alpha", ["zero", "0.5"])
def test_the_flat_posterior_follows_its_law(mode, alpha):
    # law (bayescollapse.theory.regression.flat_posterior_mixture): with a prior of
    # vanishing weight the posterior mean is least squares and E sigma^2 = RSS / (n - 2);
    # an ancestral draw adds E sigma^2 d / (n - d - 1) to the labeller's error each
    # generation. A planted ancestral law without that term is 17-31 SEs off from
    # generation 1 (measured). z = 4 per generation, 8000 replicates, both curves.
    from bayescollapse.theory.regression import flat_posterior_mixture

    d, n, reps = 5, 14, 8000
    setting = {"method": "conjugate", "synthetic": mode, "real_fraction": alpha}
    setting.update(sample_size=str(n), scheme="replace" if alpha == "zero" else "mixture")
    flat = {"prior_kappa": 1e-9, "prior_alpha": 1e-9, "prior_beta": 1e-9}
    ds = run(_config(dim=d, replicates=reps, generations=4, settings=[setting], **flat))
    row = ds.isel(setting=0)
    law = flat_posterior_mixture(
        d, 1.0, row["real_fraction"].values, row["sample_size"].values, mode=mode
    )
    for name in ("excess_risk", "sigma2_mean"):
        values = row[name]
        se = values.std("replicate") / np.sqrt(reps)
        z = (values.mean("replicate") - law[name]) / se
        assert bool((np.abs(z) < 4).all()), (name, z.values)


def test_a_subsample_of_the_pool_has_the_law_of_rows_drawn_from_it():
    # law: m rows drawn without replacement from a pool of N rows have statistics of mean
    # m / N times the pool's, whichever rows they are; and taking every row gives the pool
    # exactly. Two parts of different laws (w = (1, 0) on 8 rows, (0, 2) on 3 rows: fewer
    # rows than d + 1, a singular part). z = 4.5 on each mean, 20000 draws.
    from bayescollapse.models.regression.data import subsample_batches

    rng = np.random.default_rng(8)
    parts = [
        design_stats(np.ones(2), np.array([w]), np.ones(1), np.array([n]), rng)
        for w, n in (([1.0, 0.0], 8), ([0.0, 2.0], 3))
    ]
    pool = parts[0] + parts[1]
    whole = subsample_batches(parts, np.array([11]), rng)
    np.testing.assert_allclose(whole.xx, pool.xx, atol=1e-9)
    np.testing.assert_allclose(whole.xy, pool.xy, atol=1e-9)
    assert whole.yy == pytest.approx(pool.yy, rel=1e-9)
    draws = [subsample_batches(parts, np.array([4]), rng) for _ in range(4000)]
    for name in ("xy", "yy"):
        values = np.array([getattr(d, name)[0] for d in draws])
        expected = 4 / 11 * getattr(pool, name)[0]
        se = values.std(axis=0) / np.sqrt(len(draws))
        assert np.all(np.abs(values.mean(axis=0) - expected) < 4.5 * se), name


def test_accumulate_subsample_runs_and_keeps_parts_only_when_asked():
    settings = [
        {"method": "mle", "scheme": s, "real_fraction": "0.2", "sample_size": "20"}
        for s in ("accumulate-subsample", "accumulate")
    ]
    cfg = _config(dim=3, generations=3, settings=settings)
    assert cfg.family().keep_batches
    ds = run(cfg)
    np.testing.assert_array_equal(ds["train_size"].isel(setting=0), 20)  # n_t rows drawn
    np.testing.assert_array_equal(ds["train_size"].isel(setting=1, generation=3), 80)
    assert not _config(dim=3, settings=settings[1:]).family().keep_batches


def test_the_command_line_and_toml_run_the_family(tmp_path, capsys):
    from bayescollapse.cli import main
    from bayescollapse.io.results import open_results

    toml = tmp_path / "reg.toml"
    toml.write_text(
        'model = "linear-regression"\ngenerations = 2\nreplicates = 2\nseed = 5\n'
        '[params]\ndim = 4\ndesign = "fixed"\nspectrum = "power:1"\n'
        '[[settings]]\nmethod = "unbiased"\nscheme = "accumulate"\nreal_fraction = "zero"\n'
        'sample_size = "30"\n'
    )
    out = tmp_path / "reg.nc"
    argv = ["run", "--config", str(toml), "--out", str(out), "--figure", str(tmp_path / "r.png")]
    assert main([*argv, "--no-progress"]) == 0
    ds = open_results(out)
    assert ds.sizes["feature"] == 4 and float(ds["feature_variance"][-1]) == 0.25
    np.testing.assert_array_equal(ds["train_size"].isel(setting=0, generation=2), 90)
    flags = ["run", "--model", "linear-regression", "--dim", "3", "--method", "mle", "ridge"]
    assert main([*flags, "--out", str(tmp_path / "f.nc"), "--no-progress"]) == 0
    assert main(["summarize", str(tmp_path / "f.nc")]) == 0
    assert "excess risk" in capsys.readouterr().out


@pytest.mark.parametrize("mode", ["plugin", "ancestral"])
def test_an_informative_posterior_follows_its_law_on_a_fixed_design(mode):
    # law (bayescollapse.theory.regression.conjugate_replace_fixed): given the design, the
    # posterior mean is ridge, R w_L + P^-1 X'e with R = P^-1 X'X, so its mean R^(t+1) w*
    # shrinks toward the prior each generation; E sigma^2 = E bn / (an - 1); an ancestral
    # draw adds E sigma^2 P^-1 to the labeller's covariance. kappa0 = 4 against n = 12 rows:
    # the shrinkage is strong. The family's own fitter and synthetic sets on one design
    # shared by 20000 replicates; z = 4 per generation on both curves. Planted: no
    # shrinkage (least squares' law) is 16-215 SEs off; an ancestral law without the draw's
    # covariance 24-25 SEs from generation 1 (measured).
    from bayescollapse.models.registry import make_fitter
    from bayescollapse.theory.regression import conjugate_replace_fixed

    rng = np.random.default_rng(1)
    d, n, reps, generations = 3, 12, 20_000, 4
    fam = LinearRegression(
        dim=d, spectrum="power:1", prior_kappa=4.0, prior_alpha=3.0, prior_beta=2.0
    )
    spectrum = fam.feature_variances
    gram = design_gram(spectrum, np.array([n]), rng)[0]
    w_star, sigma = np.array([1.0, -0.5, 0.8]), 0.7
    design = (np.broadcast_to(gram, (reps, d, d)).copy(), np.full(reps, n))
    data = labels_on(
        design, spectrum, np.tile(w_star, (reps, 1)), np.full(reps, sigma), design[1], rng
    )
    fitter = make_fitter(fam, "conjugate", reps)
    risk, noise = [], []
    for _ in range(generations + 1):
        fit = fitter.fit(data, prior=fam.initial_prior(reps), rng=rng)
        risk.append(((fit.w_mean - w_star) ** 2 * spectrum).sum(axis=1))
        noise.append(fit.sigma2_mean)
        data = fit.synthetic(design[1], mode=mode, rng=rng)
    law = conjugate_replace_fixed(
        gram,
        n,
        w_star,
        sigma**2,
        spectrum,
        prior=(4.0, 3.0, 2.0),
        generations=generations,
        mode=mode,
    )
    for name, values in (("excess_risk", np.array(risk)), ("sigma2_mean", np.array(noise))):
        z = (values.mean(axis=1) - law[name]) / (values.std(axis=1) / np.sqrt(reps))
        assert bool((np.abs(z) < 4).all()), (name, z)


@pytest.mark.parametrize("method", ["mle", "unbiased"])
@pytest.mark.parametrize("kind", ["fresh", "fixed"])
def test_accumulating_follows_its_law_given_the_designs(kind, method):
    # law (bayescollapse.theory.regression.accumulate_given_designs): pooled least squares
    # makes the error a martingale, w_t - w* = w_{t-1} - w* + C_t^-1 X_t' e_t, so given the
    # batches' designs (fresh: a new Gram a batch; fixed: one) the risk and the pooled
    # noise estimate follow a linear recursion. The family's fitter and pool on designs
    # shared by 20000 replicates, labels drawn given each design; z = 4 per generation.
    # Planted: the residuals' cross term left out is 19-43 SEs off from generation 1.
    from bayescollapse.models.registry import make_fitter
    from bayescollapse.theory.regression import accumulate_given_designs

    rng = np.random.default_rng(2)
    d, n, reps, generations = 3, 10, 20_000, 4
    fam = LinearRegression(dim=d, spectrum="power:1")
    spectrum = fam.feature_variances
    if kind == "fresh":
        grams = design_gram(spectrum, np.full(generations + 1, n), rng)
    else:
        grams = np.repeat(design_gram(spectrum, np.array([n]), rng), generations + 1, axis=0)
    w_star, sigma = np.array([1.0, -0.5, 0.8]), 0.7
    fitter = make_fitter(fam, method, reps)
    labeller, noise, pool = np.tile(w_star, (reps, 1)), np.full(reps, sigma), None
    risk, variance = [], []
    for gram in grams:
        design = (np.broadcast_to(gram, (reps, d, d)).copy(), np.full(reps, n))
        batch = labels_on(design, spectrum, labeller, noise, design[1], rng)
        pool = batch if pool is None else fam.combine(pool, batch)
        fit = fitter.fit(pool, prior=None, rng=rng)
        risk.append(((fit.w_mean - w_star) ** 2 * spectrum).sum(axis=1))
        variance.append(fit.sigma2_mean)
        labeller, noise = fit.w_mean, np.sqrt(fit.sigma2_mean)
    law = accumulate_given_designs(grams, n, sigma**2, spectrum, ddof=int(method == "unbiased"))
    for name, values in (("excess_risk", np.array(risk)), ("sigma2_mean", np.array(variance))):
        z = (values.mean(axis=1) - law[name]) / (values.std(axis=1) / np.sqrt(reps))
        assert bool((np.abs(z) < 4).all()), (name, z)


def test_the_fresh_design_increments_give_the_pi2_over_6_bound():
    # law: over fresh Gaussian designs, a batch's increment tr(C_t^-1 S_t C_t^-1) (C_t the
    # Gram of the t + 1 batches so far, isotropic rows) has mean n d / (N (N - d - 1)),
    # N = n (t + 1), by exchangeability of the rows; z = 4.5 at t = 0..3 over 20000 draws.
    # Summed, the increments stay below pi^2 / 6 d / (n - d - 1): Gerstgrasser et al.'s
    # bound for labels with the true noise (checked to 200 generations).
    rng = np.random.default_rng(6)
    d, n, reps = 3, 10, 20_000
    cumulative = np.zeros((reps, d, d))
    for t in range(4):
        batch = design_gram(np.ones(d), np.full(reps, n), rng)
        cumulative = cumulative + batch
        inverse = np.linalg.inv(cumulative)
        values = np.einsum("rii->r", inverse @ batch @ inverse)
        big = n * (t + 1)
        expected = n * d / (big * (big - d - 1))
        assert abs(values.mean() - expected) < 4.5 * values.std() / np.sqrt(reps), t
    sizes = n * np.arange(1, 201)
    total = (n * d / (sizes * (sizes - d - 1))).sum()
    assert total < np.pi**2 / 6 * d / (n - d - 1)
