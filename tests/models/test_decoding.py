"""Decoding rules: hand values, their order, neutrality, and the laws they give synthetic data."""

import numpy as np
import pytest

from bayescollapse.models.categorical.family import DirichletCategorical
from bayescollapse.models.decoding import PLAIN, Decoding
from bayescollapse.models.gaussian.fits import NIGPosterior, PointGaussian
from bayescollapse.models.probability_fits import DirichletPosterior, PointProbabilities

P = np.array([0.5, 0.3, 0.2])


def test_temperature_hand_values():
    # p^(1/T) / sum: T = 0.5 squares, T = 2 takes square roots
    np.testing.assert_allclose(Decoding(temperature=0.5).probabilities(P), P**2 / (P**2).sum())
    root = np.sqrt(P)
    np.testing.assert_allclose(Decoding(temperature=2).probabilities(P), root / root.sum())


def test_temperature_keeps_zeros_and_tends_to_greedy():
    out = Decoding(temperature=0.01).probabilities(np.array([0.0, 0.6, 0.4]))
    assert out[0] == 0.0
    np.testing.assert_allclose(out, [0.0, 1.0, 0.0], atol=1e-15)  # (0.4/0.6)^100 ~ 2e-18


def test_top_k_hand_values_and_ties():
    np.testing.assert_allclose(Decoding(top_k=2).probabilities(P), [0.625, 0.375, 0.0])
    np.testing.assert_allclose(Decoding(top_k=1).probabilities(P), [1.0, 0.0, 0.0])
    # ties with the k-th most probable token are kept (as Hugging Face's top-k does)
    tied = np.array([0.4, 0.3, 0.3])
    np.testing.assert_array_equal(Decoding(top_k=2).probabilities(tied), tied)


def test_top_p_keeps_the_smallest_set_reaching_p():
    # masses before each token in rank order: 0, 0.5, 0.8 -> kept while < p
    np.testing.assert_allclose(Decoding(top_p=0.5).probabilities(P), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(Decoding(top_p=0.51).probabilities(P), [0.625, 0.375, 0.0])
    np.testing.assert_allclose(Decoding(top_p=0.81).probabilities(P), P)
    # rank order, not token order: the most probable token last
    np.testing.assert_allclose(
        Decoding(top_p=0.5).probabilities(np.array([0.2, 0.3, 0.5])), [0.0, 0.0, 1.0]
    )


def test_steps_apply_in_order_temperature_top_k_top_p():
    # T = 0.5 gives [25, 9, 4] / 38; top-k 2 gives [25, 9] / 34; top-p 0.7 keeps only the first
    # (0.735 >= 0.7). Applied in another order (top-p first on P) two tokens would survive.
    out = Decoding(temperature=0.5, top_k=2, top_p=0.7).probabilities(P)
    np.testing.assert_allclose(out, [1.0, 0.0, 0.0])
    out = Decoding(temperature=0.5, top_k=2, top_p=0.8).probabilities(P)
    np.testing.assert_allclose(out, [25 / 34, 9 / 34, 0.0])


def test_rows_are_decoded_one_at_a_time():
    rows = np.random.default_rng(1).dirichlet(np.ones(6), size=(4, 3))  # (R, C, V) as Markov
    rule = Decoding(temperature=0.7, top_k=4, top_p=0.9)
    out = rule.probabilities(rows)
    for idx in np.ndindex(4, 3):
        np.testing.assert_allclose(out[idx], rule.probabilities(rows[idx]))
    np.testing.assert_allclose(out.sum(axis=-1), 1.0)


def test_neutral_values_leave_the_law_bit_for_bit():
    rows = np.random.default_rng(2).dirichlet(np.ones(5), size=7)
    for rule in (PLAIN, Decoding(top_k=5), Decoding(top_k=9), Decoding(top_p=1.0)):
        assert rule.probabilities(rows) is rows or np.array_equal(rule.probabilities(rows), rows)
    assert Decoding(top_k=5).label == "top-k=5" and PLAIN.label == "" and PLAIN.plain


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"temperature": 0}, "temperature 0"),
        ({"temperature": -1.0}, "temperature -1.0"),
        ({"temperature": float("nan")}, "temperature nan"),
        ({"temperature": float("inf")}, "temperature inf"),
        ({"temperature": "0.7"}, "temperature '0.7'"),
        ({"top_k": -1}, "top_k -1"),
        ({"top_k": 2.5}, "top_k 2.5"),
        ({"top_k": True}, "top_k True"),
        ({"top_p": 0.0}, "top_p 0.0"),
        ({"top_p": 1.5}, "top_p 1.5"),
        ({"variance_scale": 0}, "variance_scale 0"),
    ],
)
def test_bad_values_are_refused_by_name(kwargs, named):
    with pytest.raises(ValueError, match=named) as err:
        Decoding(**kwargs)
    assert "\n" not in str(err.value)


def test_every_probability_fit_writes_from_the_decoded_law():
    # top-k 1 writes the mode only: every synthetic item is the decoded law's one token
    rule = Decoding(top_k=1)
    sizes = np.array([40, 40])
    rng = np.random.default_rng(3)
    probs = np.array([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3]])
    point = PointProbabilities(probs, DirichletCategorical(3).writer)
    np.testing.assert_array_equal(
        point.synthetic(sizes, mode="plugin", rng=rng, decoding=rule), [[0, 40, 0], [40, 0, 0]]
    )
    post = DirichletPosterior(np.array([[1.0, 50.0, 2.0]]), DirichletCategorical(3).writer)
    for mode in ("ancestral", "predictive", "plugin"):
        out = post.synthetic(np.array([25]), mode=mode, rng=rng, decoding=rule)
        assert out[0, 1] == 25 or mode == "ancestral"  # a draw may rank another token first
        assert (out > 0).sum() == 1


def test_gaussian_variance_scale_laws():
    # law: plugin points are N(mu, c sigma2): E[m2 / (m - 1)] = c sigma2. Predictive points
    # are Student-t with squared scale beta (1 + c kappa) / (alpha kappa) and 2 alpha degrees
    # of freedom: variance beta (1 + c kappa) / (kappa (alpha - 1)). z = 4 on each mean.
    reps, m, c, z = 4000, 30, 0.25, 4.0
    rng = np.random.default_rng(4)
    rule = Decoding(variance_scale=c)
    point = PointGaussian(np.zeros(reps), np.full(reps, 2.0))
    stats = point.synthetic(np.full(reps, m), mode="plugin", rng=rng, decoding=rule)
    s2 = stats.m2 / (m - 1)
    assert abs(s2.mean() - c * 2.0) < z * s2.std() / np.sqrt(reps)
    kappa, alpha, beta = 3.0, 6.0, 10.0
    post = NIGPosterior(
        np.zeros(reps), np.full(reps, kappa), np.full(reps, alpha), np.full(reps, beta)
    )
    stats = post.synthetic(np.full(reps, m), mode="predictive", rng=rng, decoding=rule)
    s2 = stats.m2 / (m - 1)
    expected = beta * (1 + c * kappa) / (kappa * (alpha - 1))
    assert abs(s2.mean() - expected) < z * s2.std() / np.sqrt(reps)
    # and not the unscaled predictive's variance (c = 1), which is 60 % larger here
    assert abs(s2.mean() - beta * (1 + kappa) / (kappa * (alpha - 1))) > z * s2.std() / np.sqrt(
        reps
    )


MIN_P_PLUGIN = """
import numpy as np
from bayescollapse.models.decoding import Decoder, register_decoder


def min_p(p, value):
    keep = p >= value * p.max(axis=-1, keepdims=True)
    q = np.where(keep, p, 0.0)
    return q / q.sum(axis=-1, keepdims=True)


register_decoder(Decoder("min_p", 0.0, min_p, "min-p", help="keep tokens >= p times the top"),
                 replace=True)
"""


@pytest.fixture
def min_p_plugin(tmp_path, monkeypatch):
    from bayescollapse.models import decoding

    (tmp_path / "min_p_plugin.py").write_text(MIN_P_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    before = dict(decoding.DECODERS)
    yield "min_p_plugin"
    decoding.DECODERS.clear()
    decoding.DECODERS.update(before)


def test_a_registered_decoder_is_a_setting_axis_from_python_and_the_command_line(
    min_p_plugin, tmp_path
):
    # a plug-in's rule runs after the built-in ones, names the setting, and at its neutral
    # value leaves the loop exactly the plain one (the same streams: common random numbers)
    from bayescollapse import RunConfig, open_results, run, settings_grid
    from bayescollapse.cli import main
    from bayescollapse.models.registry import load_plugins

    load_plugins([min_p_plugin])  # before a setting names its rule, as for a method
    keys = dict(num_tokens=6, truth="zipf:1", generations=2, replicates=3, seed=4)
    grid = dict(scheme=["replace"], real_fraction=["zero"], method=["mle"], sample_size=["200"])
    config = RunConfig(
        plugins=(min_p_plugin,), settings=settings_grid(**grid, min_p=[0.0, 0.9]), **keys
    )
    ds = run(config)
    assert ds["fit_label"].values.tolist() == ["mle", "mle min-p=0.9"]
    # P* = zipf:1: the fitted p_2 / p_1 is about 1/2 (0.5 +- 0.09 at n = 200), so min-p 0.9
    # keeps the top token alone: generation 1 (synthetic only) puts all 200 items on it
    counts = ds["train_count"].isel(setting=1, generation=1).values
    np.testing.assert_array_equal(counts.max(axis=1), [200, 200, 200])
    plain = run(RunConfig(settings=settings_grid(**grid), **keys))
    np.testing.assert_array_equal(plain["theta_mean"][0], ds["theta_mean"][0])
    out = tmp_path / "m.nc"
    argv = [
        "run",
        "--plugin",
        min_p_plugin,
        "--method",
        "mle",
        "--min-p",
        "0.2",
        "0.4",
        "--tokens",
        "5",
        "--generations",
        "1",
        "--replicates",
        "2",
        "--seed",
        "1",
        "--out",
        str(out),
        "--no-progress",
    ]
    assert main(argv) == 0
    assert open_results(out)["fit_label"].values.tolist() == ["mle min-p=0.2", "mle min-p=0.4"]
    with pytest.raises(ValueError, match="decoder 'max_p' is not one a plug-in registered"):
        settings_grid(decoders=[{"max_p": 0.1}])
