"""The one-pass token row equals the metrics' definitions, value for value."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bayescollapse.metrics import token_row
from bayescollapse.metrics.distances import categorical_distances
from bayescollapse.metrics.tails import tail_metrics
from bayescollapse.metrics.token_row import token_metrics


def _case(seed: int, reps: int, tokens: int, truth_zeros: bool, weighted: bool):
    rng = np.random.default_rng(seed)
    truth = rng.dirichlet(np.full(tokens, 0.7))
    if truth_zeros:
        truth[rng.random(tokens) < 0.3] = 0.0
        truth[0] = max(truth[0], 0.1)
        truth /= truth.sum()
    counts = rng.multinomial(12, rng.dirichlet(np.full(tokens, 0.5)), size=reps).astype(float)
    if weighted:
        counts *= 0.25
    # a posterior-mean-like row (every entry positive), MLE rows (zeros), and ties in truth
    point = counts / np.maximum(counts.sum(axis=-1, keepdims=True), 1e-300)
    point[0] = rng.dirichlet(np.ones(tokens))
    return point, truth, counts, int(rng.integers(0, tokens))


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(1, 6),
    st.integers(2, 40),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_token_row_equals_the_definitions(seed, reps, tokens, truth_zeros, weighted, sparse):
    # both paths: the dense one, and the sums over positive entries that large, mostly
    # zero fits take (forced here: any size, any share of zeros)
    point, truth, counts, tail_rank = _case(seed, reps, tokens, truth_zeros, weighted)
    cells, share = token_row.SPARSE_CELLS, token_row.SPARSE_SHARE
    if sparse:
        token_row.SPARSE_CELLS, token_row.SPARSE_SHARE = 0, 2.0
    try:
        got = token_metrics(point, truth, counts, tail_rank=tail_rank)
    finally:
        token_row.SPARSE_CELLS, token_row.SPARSE_SHARE = cells, share
    expected = {
        **categorical_distances(point, truth, counts),
        **tail_metrics(point, truth, counts, tail_rank=tail_rank),
    }
    assert got.keys() == expected.keys()
    for name, value in expected.items():
        np.testing.assert_allclose(got[name], value, rtol=1e-9, atol=1e-12, err_msg=name)


def test_token_row_hand_values():
    # truth ranks: token 2 (0.4) 1st, token 0 (0.3) 2nd, token 3 (0.2) 3rd, token 1 (0.1) 4th
    truth = np.array([0.3, 0.1, 0.4, 0.2])
    point = np.array([[0.5, 0.0, 0.5, 0.0]])
    out = token_metrics(point, truth, np.array([[5, 0, 5, 0]]), tail_rank=2)
    assert out["tv_to_truth"][0] == pytest.approx(0.3)
    assert np.isinf(out["kl_truth_to_model"][0])
    assert out["kl_model_to_truth"][0] == pytest.approx(
        0.5 * np.log(0.5 / 0.3) + 0.5 * np.log(0.5 / 0.4)
    )
    assert out["sq_l2_to_truth"][0] == pytest.approx(0.04 + 0.01 + 0.01 + 0.04)
    assert out["gini_simpson"][0] == pytest.approx(0.5)
    assert out["lost_tokens"][0] == 2 and out["lost_mass"][0] == pytest.approx(0.3)
    assert out["surviving_tokens"][0] == 2 and out["first_lost_rank"][0] == 3
    assert out["tail_mass_lost"][0] == pytest.approx(0.3)
    assert out["tail_exponent"][0] == pytest.approx(0.0, abs=1e-12)
