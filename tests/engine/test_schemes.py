"""Training sets through the loop: decoding, weighted refits and fixed real pools."""

import numpy as np
import pytest

from bayescollapse import RunConfig, Setting, run
from bayescollapse.theory.weighting import weighted_gaussian_mle_error


def _run(*settings, **kw):
    kw = {"generations": 4, "replicates": 6, "seed": 11, **kw}
    return run(RunConfig(settings=settings, **kw))


def _assert_same(a, b):
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)


@pytest.mark.parametrize(
    ("model", "method", "neutral"),
    [
        ("dirichlet-categorical", "mle", {"temperature": 1.0, "top_k": 20, "top_p": 1.0}),
        ("dirichlet-categorical", "conjugate", {"top_k": 25}),
        ("markov", "conjugate", {"top_k": 20, "top_p": 1.0}),
        ("gaussian", "conjugate", {"variance_scale": 1.0, "real_weight": "0.5"}),
    ],
)
def test_neutral_decoding_and_weight_reproduce_the_plain_loop_exactly(model, method, neutral):
    # temperature 1, top-k >= K, top-p 1, a variance scale of 1 and w = 1/2 (every item counts
    # once) change nothing: same seed, same numbers, bit for bit
    base = {"method": method, "scheme": "mixture", "real_fraction": "0.2", "sample_size": "200"}
    plain = _run(Setting(**base), model=model)
    other = _run(Setting(**base, **neutral), model=model)
    _assert_same(plain, other)


def test_decoding_settings_share_the_synthetic_stream():
    # in one run, a setting that differs only in its decoding (here top-k 25 > K = 20, which
    # keeps every token) draws from the same streams as plain sampling: the same numbers; a
    # stream keyed by the decoding would write other synthetic sets from generation 1 on
    base = {"method": "mle", "scheme": "replace", "real_fraction": "zero", "sample_size": "500"}
    ds = _run(Setting(**base), Setting(**base, top_k=25), generations=3)
    np.testing.assert_array_equal(ds["train_count"][0], ds["train_count"][1])
    plain = Setting(**base).stream_key_text()
    for other in ({"temperature": 0.5}, {"top_p": 0.9}, {"real_data": "fixed"}):
        assert Setting(**base, **other).stream_key_text() == plain
    assert Setting(**{**base, "method": "conjugate"}).stream_key_text() != plain


@pytest.mark.parametrize("rule", [{"top_k": 5}, {"top_p": 0.6}, {"top_k": 8, "temperature": 0.5}])
def test_truncation_loses_exactly_the_tokens_outside_the_kept_set(rule):
    # replace scheme, MLE: generation 1's data are written from decode(theta_0) alone, so the
    # tokens outside the kept set have count 0 and (n = 20,000; kept tokens have p >= 0.03
    # here, so P(missing one) < 1e-200) every kept token is seen
    from bayescollapse.models.decoding import Decoding

    setting = Setting(method="mle", scheme="replace", real_fraction="zero", sample_size="20000")
    ds = _run(Setting(**{**vars(setting), "name": "", "group": "", **rule}), generations=1)
    theta0 = ds["theta_mean"].isel(setting=0, generation=0).values
    kept = Decoding(**rule).probabilities(theta0) > 0
    counts = ds["train_count"].isel(setting=0, generation=1).values
    np.testing.assert_array_equal(counts > 0, kept)
    lost = ds["lost_tokens"].isel(setting=0, generation=1).values
    np.testing.assert_array_equal(lost, (~kept).sum(axis=1))


def test_weight_one_fits_the_real_part_alone():
    # w = 1: synthetic items count 0, so the training data are the real items and the
    # conjugate posterior is Dirichlet(a0 + real counts); the real count is the one every
    # paired setting sees
    kw = {"scheme": "mixture", "real_fraction": "0.3", "sample_size": "300"}
    ds = _run(Setting(method="conjugate", **kw), Setting(method="conjugate", real_weight="1", **kw))
    weighted = ds.isel(setting=1, generation=slice(1, None))
    np.testing.assert_array_equal(
        ds["real_count"].isel(setting=0).values, ds["real_count"].isel(setting=1).values
    )
    np.testing.assert_array_equal(weighted["train_count"].sum("token"), weighted["real_count"])
    a0, k = 1.0, ds.sizes["token"]
    expected = (a0 + weighted["train_count"]) / (k * a0 + weighted["real_count"])
    np.testing.assert_allclose(weighted["theta_mean"], expected, rtol=1e-12)


def test_weights_give_fractional_pseudo_counts():
    # w = 0.8: real items count 1, synthetic items (1 - 0.8) / 0.8 = 0.25
    kw = {"scheme": "mixture", "real_fraction": "0.5", "sample_size": "400"}
    ds = _run(Setting(method="conjugate", real_weight="0.8", **kw), model="gaussian")
    t = ds.isel(setting=0, generation=slice(1, None))
    np.testing.assert_allclose(t["train_size"], t["real_count"] + 0.25 * (400 - t["real_count"]))


def test_weighted_mle_follows_its_exact_recursion_at_every_generation():
    # law: weighting.weighted_gaussian_mle_error, exact with the binomial number of real points
    # and the fitted variance. Mean over 3000 replicates of (mu_t - mu*)^2 and sigma2_t against
    # it at each of 21 generations, z = 4 each: family-wise false alarm ~ 42 x 6e-5 = 3e-3.
    # The unweighted recursion (w = 1/2) has a third of the limit: outside these bounds.
    reps, n, alpha, w, z = 3000, 40, 0.4, 0.2, 4.0
    setting = Setting(
        method="mle", real_fraction=str(alpha), sample_size=str(n), real_weight=str(w)
    )
    ds = _run(setting, model="gaussian", generations=20, replicates=reps, seed=5)
    exact = weighted_gaussian_mle_error(
        1.0, ds["real_fraction"][0], ds["sample_size"][0], ds["real_weight"][0]
    )
    for name, key in (("mu_sq_error", "mean_sq_error"), ("sigma2_mean", "variance")):
        x = ds[name].isel(setting=0).values
        se = x.std(axis=0, ddof=1) / np.sqrt(reps)
        assert np.all(np.abs(x.mean(axis=0) - exact[key]) < z * se), name
    plain = weighted_gaussian_mle_error(
        1.0, ds["real_fraction"][0], ds["sample_size"][0], np.full(21, 0.5)
    )
    x = ds["mu_sq_error"].isel(setting=0).values
    se = x.std(axis=0, ddof=1) / np.sqrt(reps)
    assert np.all(np.abs(x.mean(axis=0) - plain["mean_sq_error"])[5:] > z * se[5:])


def test_fixed_pool_never_recovers_a_token_it_lacks():
    # real_data 'fixed': every real item comes from generation 0's sample. A token absent from
    # it (count 0 at generation 0) is in no real or MLE-synthetic set afterwards; with fresh
    # real data such tokens come back (K = 60 tokens under zipf:1.5 with n = 100 misses many)
    kw = {"method": "mle", "real_fraction": "0.5", "sample_size": "100"}
    ds = _run(
        Setting(**kw),
        Setting(**kw, real_data="fixed"),
        num_tokens=60,
        truth="zipf:1.5",
        generations=8,
        replicates=20,
    )
    counts = ds["train_count"].values  # setting, replicate, generation, token
    absent = counts[:, :, 0, :] == 0
    fixed_later = counts[1, :, 1:, :]
    assert absent[1].any()
    assert np.all(fixed_later[np.broadcast_to(absent[1][:, None, :], fixed_later.shape)] == 0)
    fresh_later = counts[0, :, 1:, :]
    assert np.any(fresh_later[np.broadcast_to(absent[0][:, None, :], fresh_later.shape)] > 0)


def test_fixed_pool_at_alpha_one_is_the_pool_every_generation():
    # alpha = 1 and n_t = n_0: the real part is a subsample of the whole pool, the pool itself
    ds = _run(Setting(method="mle", real_fraction="1", sample_size="50", real_data="fixed"))
    counts = ds["train_count"].isel(setting=0).values
    np.testing.assert_array_equal(counts, np.broadcast_to(counts[:, :1, :], counts.shape))


def test_resampled_pool_draws_from_the_pools_empirical_law():
    # law: with alpha = 1 each generation's counts are Multinomial(n, pool / n0): the mean over
    # generations 1..T of a token's count is n p_pool, variance n p (1 - p) / T per replicate.
    # z = 4.5 per cell over the cells with n p >= 5 (Bonferroni-sized for ~300 cells).
    gens, n = 60, 200
    ds = _run(
        Setting(method="mle", real_fraction="1", sample_size=str(n), real_data="resampled"),
        generations=gens,
        replicates=15,
    )
    counts = ds["train_count"].isel(setting=0).values
    pool = counts[:, 0, :] / n
    mean = counts[:, 1:, :].mean(axis=1)
    se = np.sqrt(n * pool * (1 - pool) / gens)
    cells = n * pool >= 5
    assert np.all(np.abs(mean - n * pool)[cells] < 4.5 * se[cells])
    assert np.all(
        counts[:, 1:, :][np.broadcast_to(pool[:, None, :] == 0, counts[:, 1:].shape)] == 0
    )


@pytest.mark.parametrize(
    ("setting", "config", "message"),
    [
        ({"real_weight": "0.6", "scheme": "accumulate"}, {}, "real_weight '0.6' needs scheme"),
        ({"real_weight": "1.5"}, {}, "real_weight '1.5' gives 1.5"),
        ({"real_data": "pool"}, {}, "real_data 'pool' is not one of"),
        ({"real_data": "fixed", "sample_size": "power:100:1"}, {}, "reaches"),
        ({"variance_scale": 0.5}, {}, "variance_scale 0.5 is the gaussian"),
        ({"top_k": 3}, {"model": "gaussian"}, "top_k 3 decodes token laws"),
        ({"real_data": "resampled"}, {"model": "markov"}, "not supported for the markov"),
    ],
)
def test_settings_that_cannot_run_are_refused_in_one_line(setting, config, message):
    with pytest.raises(ValueError, match=message) as err:
        RunConfig(settings=(Setting(**setting),), generations=3, **config)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("model", ["dirichlet-categorical", "markov", "gaussian"])
def test_kept_posteriors_of_weighted_refits_hold_whole_items(model):
    # the fit sees fractional pseudo-observations; the kept observed data and the posterior
    # predictive count each item once (integers summing to n_t), so ArviZ's PPC compares
    # like with like
    from bayescollapse import run_tree
    from bayescollapse.io.posteriors import posterior_node, wide

    setting = Setting(method="conjugate", real_weight="0.7", real_fraction="0.3", sample_size="50")
    tree = run_tree(
        RunConfig(
            settings=(setting,),
            model=model,
            generations=2,
            replicates=2,
            seed=1,
            keep_posteriors="last",
        )
    )
    node = posterior_node(tree, 0, 2)
    observed = wide(node["observed_data"])
    if model == "gaussian":  # the points, n_t = 50 of them per replicate
        np.testing.assert_array_equal(observed["x"].count("point"), [50, 50])
        return
    values = observed["counts"].values
    np.testing.assert_array_equal(values, np.round(values))
    if model == "dirichlet-categorical":
        np.testing.assert_array_equal(values.sum(axis=-1), [50, 50])


def test_accumulate_subsample_draws_from_the_whole_pool():
    # law: the n items are drawn without replacement from the pool (all batches so far), so
    # E[count_k] = n pool_k / |pool| (hypergeometric). Pool: [900, 100, 0] plus a batch of
    # 300 synthetic items from a uniform fit: E = 300 (pool_k + 100) / 1300 = (230.8, 46.2,
    # 23.1). Drawing from the newest batch alone would give (100, 100, 100). z = 4 per token.
    from bayescollapse.engine.schemes import TrainingSet, next_training_set
    from bayescollapse.models.categorical.family import WRITER, DirichletCategorical
    from bayescollapse.models.probability_fits import PointProbabilities

    reps, n = 4000, 300
    pool = np.tile([900, 100, 0], (reps, 1))
    # the last training set differs from the pool (it was a subsample): a scheme that drew
    # from it and the batch would give E = 300 ([50, 50, 200] + 100) / 600 = (75, 75, 150)
    last = np.tile([50, 50, 200], (reps, 1))
    previous = TrainingSet(last, pool, np.full(reps, 1000))
    fit = PointProbabilities(np.full((reps, 3), 1 / 3), WRITER)
    out = next_training_set(
        "accumulate-subsample",
        previous,
        fit,
        family=DirichletCategorical(3),
        truth=np.array([0.9, 0.1, 0.0]),
        real_fraction=0.0,
        sample_size=n,
        synthetic="plugin",
        real_rng=np.random.default_rng(1),
        rng=np.random.default_rng(2),
    )
    assert np.all(out.data <= out.pool) and np.all(out.data.sum(axis=1) == n)
    np.testing.assert_array_equal(out.pool, pool + out.synthetic)
    expected = n * (np.array([900, 100, 0]) + n / 3) / (1000 + n)
    se = out.data.std(axis=0) / np.sqrt(reps)
    assert np.all(np.abs(out.data.mean(axis=0) - expected) < 4 * se)


def test_a_weight_on_a_scheme_without_weighted_refits_is_refused_where_it_is_formed():
    # RunConfig refuses it first; next_training_set, called directly, refuses it too
    from bayescollapse.engine.schemes import TrainingSet, next_training_set
    from bayescollapse.models.categorical.family import WRITER, DirichletCategorical
    from bayescollapse.models.probability_fits import PointProbabilities

    counts = np.tile([5, 5], (2, 1))
    with pytest.raises(ValueError, match="real_weight is not defined for scheme 'accumulate'"):
        next_training_set(
            "accumulate",
            TrainingSet(counts, counts, np.full(2, 10)),
            PointProbabilities(np.full((2, 2), 0.5), WRITER),
            family=DirichletCategorical(2),
            truth=np.array([0.5, 0.5]),
            real_fraction=0.5,
            sample_size=10,
            synthetic="plugin",
            real_rng=np.random.default_rng(1),
            rng=np.random.default_rng(2),
            real_weight=0.5,
        )


def test_gaussian_fixed_pool_is_the_same_points_every_generation():
    # alpha = 1 and n_t = n_0: every generation's real part is the whole pool of points
    ds = _run(
        Setting(method="mle", real_fraction="1", sample_size="60", real_data="fixed"),
        model="gaussian",
    )
    for name in ("train_mean", "train_var"):
        x = ds[name].isel(setting=0).values
        np.testing.assert_allclose(x, np.broadcast_to(x[:, :1], x.shape), rtol=1e-12)


def test_gaussian_resampled_pool_is_a_bootstrap_of_the_pool():
    # law: n points drawn with replacement from a pool of N: the set mean has mean xbar_pool
    # and variance s2_pool / n (s2 with divisor N), given the pool. Over 40 generations and
    # 300 replicates, the mean of (xbar_t - xbar_pool)^2 n / s2_pool is 1 within z = 4 SE.
    # Fixed (no replacement, m = N / 2) has the finite-population variance: half as large.
    gens, reps, n = 40, 300, 50
    for pool, factor in (("resampled", 1.0), ("fixed", (100 - 50) / (100 - 1))):
        sizes = "list:" + ",".join(["100"] + ["50"] * gens)
        ds = _run(
            Setting(method="mle", real_fraction="1", sample_size=sizes, real_data=pool),
            model="gaussian",
            generations=gens,
            replicates=reps,
        )
        mean0 = ds["train_mean"].isel(setting=0, generation=0).values[:, None]
        var0 = ds["train_var"].isel(setting=0, generation=0).values[:, None]
        later = ds["train_mean"].isel(setting=0, generation=slice(1, None)).values
        ratio = (later - mean0) ** 2 * n / (var0 * factor)
        assert abs(ratio.mean() - 1) < 4 * ratio.std() / np.sqrt(ratio.size), pool


@pytest.fixture
def own_schemes():
    from bayescollapse.engine import schemes

    before = dict(schemes.SCHEMES)
    yield schemes
    schemes.SCHEMES.clear()
    schemes.SCHEMES.update(before)


def test_a_registered_scheme_is_a_setting_axis_like_the_built_in_ones(own_schemes):
    # a plug-in adds a way of forming training sets without editing the engine: here
    # "previous-and-batch" trains on the previous training set and the new batch together
    schemes = own_schemes

    def previous_and_batch(previous, batch, *, family, **_):
        both = family.combine(previous.data, batch)
        return both, both

    schemes.register_scheme(schemes.Scheme("previous-and-batch", previous_and_batch))
    with pytest.raises(ValueError, match="already registered"):
        schemes.register_scheme(schemes.Scheme("previous-and-batch", previous_and_batch))
    config = RunConfig(
        settings=(Setting(scheme="previous-and-batch", method="mle", sample_size="30"),),
        num_tokens=4,
        generations=3,
        replicates=2,
        seed=1,
    )
    ds = run(config)
    assert ds["scheme"].values.tolist() == ["previous-and-batch"]
    # the training set of generation t holds 30 (t + 1) items: every batch so far
    totals = ds["train_count"].sum("token").isel(setting=0).values
    np.testing.assert_array_equal(totals, np.tile([30, 60, 90, 120], (2, 1)))


def test_schemes_and_sources_are_refused_by_their_registries():
    from bayescollapse import Setting
    from bayescollapse.engine import schemes

    with pytest.raises(ValueError, match="scheme 'magic' is not one of mixture, replace"):
        Setting(scheme="magic")
    with pytest.raises(ValueError, match="real_data 'lake' is not one of fresh, fixed"):
        Setting(real_data="lake")
    assert not schemes.SCHEMES["replace"].real and schemes.SCHEMES["mixture"].weighted
    assert schemes.REAL_SOURCES["fixed"].at_most_pool
    with pytest.raises(ValueError, match="scheme 'replace' trains on synthetic data only"):
        Setting(scheme="replace", real_fraction="0.1")
