"""Simulation against the closed forms of bayescollapse.theory (MLE path)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bayescollapse import RunConfig, Setting, run
from bayescollapse.theory import (
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
