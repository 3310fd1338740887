"""Simulation against the closed forms of bayescollapse.theory.closed_forms (MLE path)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bayescollapse import RunConfig, Setting, run
from bayescollapse.present.curves import expected_curves
from bayescollapse.theory.closed_forms import (
    accumulate_mle_sq_error,
    gini_simpson_of,
    mle_gini_simpson,
    mle_sq_error,
    mle_sq_error_floor,
)

TRUTH = "zipf:1"
K = 6
REPS = 4000
Z = 4.5  # per comparison false alarm ~7e-6; ~30 comparisons per test keep the family below 1e-3


def _simulate(setting: Setting, generations: int) -> "xr.Dataset":  # noqa: F821
    cfg = RunConfig(
        settings=(setting,),
        num_tokens=K,
        truth=TRUTH,
        generations=generations,
        replicates=REPS,
        seed=11,
    )
    return run(cfg).isel(setting=0)


@pytest.mark.parametrize(
    ("real_fraction", "sample_size"),
    [("0.2", "40"), ("power:0.5:-1", "power:20:1")],
    ids=["constant", "decaying-alpha-growing-n"],
)
def test_mixture_sq_error_follows_exact_recursion(real_fraction, sample_size):
    # law: D_t = (1 - a_t)^2 (1 - 1/n_t) D_{t-1} + H(P*)/n_t, D_0 = H(P*)/n_0 (theory.py)
    ds = _simulate(Setting(method="mle", real_fraction=real_fraction, sample_size=sample_size), 12)
    expected = mle_sq_error(
        ds["truth"].values, ds["real_fraction"].values, ds["sample_size"].values
    )
    err = ds["sq_l2_to_truth"]
    se = err.std("replicate", ddof=1) / np.sqrt(REPS)
    assert np.all(np.abs(err.mean("replicate") - expected) < Z * se)


@pytest.mark.parametrize(
    ("real_fraction", "sample_size"),
    [("zero", "30"), ("0.2", "power:20:1")],
    ids=["pure-synthetic", "mixed-growing-n"],
)
def test_accumulate_sq_error_follows_exact_recursion(real_fraction, sample_size):
    # law: the pooled MLE, c_t = n_t / sum_{s<=t} n_s:
    # D_t = (1 - c a)^2 D_{t-1} + c^2 (H - (1 - a)^2 D_{t-1}) / n_t (theory.py); z = 4.5 per
    # generation. The mixture recursion (c = 1) must lie outside those bounds
    setting = Setting(
        method="mle", scheme="accumulate", real_fraction=real_fraction, sample_size=sample_size
    )
    ds = _simulate(setting, 12)
    args = (ds["truth"].values, ds["real_fraction"].values, ds["sample_size"].values)
    expected = accumulate_mle_sq_error(*args)
    err = ds["sq_l2_to_truth"]
    se = err.std("replicate", ddof=1) / np.sqrt(REPS)
    assert np.all(np.abs(err.mean("replicate") - expected) < Z * se)
    assert np.any(np.abs(err.mean("replicate") - mle_sq_error(*args)) > Z * se)
    np.testing.assert_allclose(
        expected_curves(ds.expand_dims("setting"))["sq_l2_to_truth"][0], expected
    )


def test_pure_synthetic_gini_simpson_decays_geometrically():
    # law: E[H(P_t)] = H(P*) (1 - 1/n)^(t+1) for replace with constant n (generation 0 included)
    n = 30
    ds = _simulate(Setting(method="mle", scheme="replace", real_fraction="zero", sample_size=n), 15)
    h_star = gini_simpson_of(ds["truth"].values)
    expected = h_star * (1 - 1 / n) ** (ds["generation"].values + 1)
    np.testing.assert_allclose(
        mle_gini_simpson(ds["truth"].values, ds["real_fraction"].values, ds["sample_size"].values),
        expected,
    )
    h = ds["gini_simpson"]
    se = h.std("replicate", ddof=1) / np.sqrt(REPS)
    assert np.all(np.abs(h.mean("replicate") - expected) < Z * se)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12), k=st.integers(2, 8))
def test_pure_synthetic_mle_never_regains_a_lost_token(seed, n, k):
    # a token with zero count has MLE probability 0, so no later synthetic set can contain it
    cfg = RunConfig(
        settings=(Setting(method="mle", scheme="replace", real_fraction="zero", sample_size=n),),
        num_tokens=k,
        truth="uniform",
        generations=12,
        replicates=5,
        seed=seed,
    )
    lost = (run(cfg)["train_count"].isel(setting=0) == 0).values  # (replicate, generation, token)
    # once lost, lost for good: "ever lost so far" equals "lost now" at every generation
    np.testing.assert_array_equal(np.logical_or.accumulate(lost, axis=1), lost)


def test_floor_is_the_fixed_point_of_the_recursion():
    truth = np.array([0.5, 0.3, 0.2])
    long = mle_sq_error(truth, np.full(400, 0.1), np.full(400, 50))
    assert long[-1] == pytest.approx(mle_sq_error_floor(truth, 0.1, 50), rel=1e-12)
    assert mle_sq_error_floor(truth, 0.0, 50) == pytest.approx(gini_simpson_of(truth))


@pytest.mark.parametrize(
    "change",
    [{"top_k": 3}, {"temperature": 0.8}, {"real_data": "fixed"}, {"real_weight": "0.7"}],
    ids=["top-k", "temperature", "fixed-pool", "weighted"],
)
def test_expected_curves_only_for_plain_loops(change):
    # the closed forms assume fresh real data, plain decoding and unweighted refits: a
    # setting that changes any of these gets no curve, while its plain twin keeps one
    settings = (Setting(name="plain", method="mle"), Setting(name="other", method="mle", **change))
    ds = run(RunConfig(settings=settings, num_tokens=K, generations=2, replicates=2, seed=1))
    curves = expected_curves(ds)["sq_l2_to_truth"]
    assert curves.sel(setting="plain").notnull().all()
    assert curves.sel(setting="other").isnull().all()
