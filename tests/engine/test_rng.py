"""Random streams: what settings share (their real data) and what they must not share."""

import numpy as np

from bayescollapse import RunConfig, Setting, run
from bayescollapse.engine.rng import block_rng, cell_streams, stable_key


def test_streams_are_reproducible_and_distinct():
    a = block_rng(1, 2, 0, 5).random(4)
    np.testing.assert_array_equal(a, block_rng(1, 2, 0, 5).random(4))
    for other in (
        block_rng(2, 2, 0, 5),
        block_rng(1, 3, 0, 5),
        block_rng(1, 2, 1, 5),
        block_rng(1, 2, 0, 6),
        block_rng(1, 2, 0, 5, stream="real"),
    ):
        assert not np.array_equal(a, other.random(4))


def test_cell_streams_key_real_data_by_the_data_and_the_rest_by_the_fit():
    one = cell_streams(7, data_key=1, fit_key=2, block=0, generation=3)
    two = cell_streams(7, data_key=1, fit_key=9, block=0, generation=3)
    np.testing.assert_array_equal(one.real.random(3), two.real.random(3))
    assert not np.array_equal(one.fit.random(3), two.fit.random(3))
    assert not np.array_equal(one.metric.random(3), two.metric.random(3))
    assert stable_key("x") == stable_key("x") != stable_key("y")


def test_method_and_synthetic_mode_keep_their_own_streams():
    # settings that differ in method or synthetic mode share the real data but not the
    # synthetic draws: under replace, generation 1's set mean is mu_0 + sigma_0 z / sqrt(n),
    # and the standardised z of MLE and unbiased fits (same real data, same mu_0) would be
    # identical if their streams were shared
    kw = {"scheme": "replace", "real_fraction": "zero", "sample_size": "50"}
    ds = run(
        RunConfig(
            settings=(Setting(method="mle", **kw), Setting(method="unbiased", **kw)),
            model="gaussian",
            generations=1,
            replicates=8,
            seed=3,
        )
    )
    g0, g1 = ds.isel(generation=0), ds.isel(generation=1)
    np.testing.assert_array_equal(g0["train_mean"][0], g0["train_mean"][1])  # shared real data
    z = (g1["train_mean"] - g0["mu_mean"]) / np.sqrt(g0["sigma2_mean"] / 50)
    assert np.all(np.abs(z[0] - z[1]) > 1e-6)
    keys = {
        stable_key(Setting(method=m, synthetic=s).stream_key_text())
        for m, s in (("conjugate", "ancestral"), ("conjugate", "plugin"), ("pymc", "ancestral"))
    }
    assert len(keys) == 3
    data_keys = {Setting(method=m).data_key_text() for m in ("mle", "conjugate", "pymc")}
    assert len(data_keys) == 1
