"""Distances to the truth, pinned by hand: a 2-state chain and two normals."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bayescollapse.metrics.distances import (
    entropy,
    gaussian_distances,
    kl,
    markov_distances,
)

#: the true 2-state chain and a fitted one; stationary laws solved by hand:
#: pi*(0) = 0.2 / (0.1 + 0.2) = 2/3, pi_model(0) = 0.3 / (0.4 + 0.3) = 3/7
TRUTH = np.array([[0.9, 0.1], [0.2, 0.8]])
MODEL = np.array([[0.6, 0.4], [0.3, 0.7]])
PI_TRUTH = np.array([2 / 3, 1 / 3])
PI_MODEL = np.array([3 / 7, 4 / 7])


def _chain_metrics():
    counts = np.array([[[6, 4], [0, 0]]])  # context 1 unseen, transition 0 -> 1 seen
    return markov_distances(MODEL[None], TRUTH, counts, pi_truth=PI_TRUTH, pi_model=PI_MODEL[None])


def test_kl_rate_is_the_truths_kl_weighted_by_the_truths_stationary_law():
    out = _chain_metrics()
    row0 = 0.9 * np.log(0.9 / 0.6) + 0.1 * np.log(0.1 / 0.4)  # KL(P*(.|0) || P(.|0))
    row1 = 0.2 * np.log(0.2 / 0.3) + 0.8 * np.log(0.8 / 0.7)
    assert out["kl_rate"][0] == pytest.approx(2 / 3 * row0 + 1 / 3 * row1, rel=1e-12)
    rev0 = 0.6 * np.log(0.6 / 0.9) + 0.4 * np.log(0.4 / 0.1)
    rev1 = 0.3 * np.log(0.3 / 0.2) + 0.7 * np.log(0.7 / 0.8)
    assert out["kl_rate_reverse"][0] == pytest.approx(2 / 3 * rev0 + 1 / 3 * rev1, rel=1e-12)
    assert abs(out["kl_rate"][0] - out["kl_rate_reverse"][0]) > 0.05  # the direction matters


def test_tv_rate_uses_the_truths_stationary_weights():
    # row TVs 0.3 and 0.1: weighted by pi* 0.2333; by the model's law it would be 0.1857,
    # unweighted 0.2
    out = _chain_metrics()
    assert out["tv_rate"][0] == pytest.approx(2 / 3 * 0.3 + 1 / 3 * 0.1, rel=1e-12)


def test_unigram_entropy_and_lost_counts():
    out = _chain_metrics()
    unigram_truth = PI_TRUTH @ TRUTH  # (2/3 * 0.9 + 1/3 * 0.2, ...) = (2/3, 1/3)
    unigram_model = PI_MODEL @ MODEL  # (3/7, 4/7): each chain's unigram law is its pi
    expected_tv = 0.5 * np.abs(unigram_truth - unigram_model).sum()
    assert out["unigram_tv"][0] == pytest.approx(expected_tv, rel=1e-12)
    h0 = -(0.6 * np.log(0.6) + 0.4 * np.log(0.4))
    h1 = -(0.3 * np.log(0.3) + 0.7 * np.log(0.7))
    assert out["entropy_rate"][0] == pytest.approx(3 / 7 * h0 + 4 / 7 * h1, rel=1e-12)
    assert out["contexts_lost"][0] == 1  # context 1 has no training transition
    assert out["transitions_lost"][0] == 2  # 1 -> 0 and 1 -> 1 are true and unseen


def test_gaussian_distances_hand_values():
    # truth N(0, 1), model N(1, 4): KL(N* || N) = log 2 + (1 + 1) / 8 - 1/2,
    # KL(N || N*) = log(1/2) + (4 + 1) / 2 - 1/2, W2 = sqrt((1 - 0)^2 + (2 - 1)^2)
    out = gaussian_distances(np.array([1.0]), np.array([4.0]), 0.0, 1.0)
    assert out["kl_truth_to_model"][0] == pytest.approx(np.log(2) - 0.25, rel=1e-12)
    assert out["kl_model_to_truth"][0] == pytest.approx(2.0 - np.log(2), rel=1e-12)
    assert out["w2_to_truth"][0] == pytest.approx(np.sqrt(2.0), rel=1e-12)
    assert out["sigma_ratio"][0] == 2.0 and out["log_var_ratio"][0] == pytest.approx(np.log(4))
    assert out["mu_sq_error"][0] == 1.0 and out["abs_mu_error"][0] == 1.0


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 4), st.integers(2, 7), st.booleans())
def test_markov_rates_equal_the_row_definitions(seed, reps, tokens, zeros):
    # the rates from shared logs equal kl(), tv() and entropy() row by row, weighted by the
    # stationary laws, with inf wherever a row's KL is infinite; equal up to rounding: a KL
    # is a difference of sums of order 1, so its error is absolute (1e-14), not relative
    rng = np.random.default_rng(seed)
    contexts = tokens
    truth = rng.dirichlet(np.ones(tokens), size=contexts)
    counts = rng.multinomial(6, rng.dirichlet(np.ones(tokens), size=(reps, contexts)))
    model = (counts + (0.0 if zeros else 0.5)) / (counts + (0.0 if zeros else 0.5)).sum(
        axis=-1, keepdims=True
    )
    if zeros:
        truth[0, -1] = 0.0
        truth[0] /= truth[0].sum()
    pi_truth, pi_model = rng.dirichlet(np.ones(contexts)), rng.dirichlet(np.ones(contexts), reps)
    got = markov_distances(model, truth, counts, pi_truth=pi_truth, pi_model=pi_model)
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(
            got["kl_rate"], kl(truth, model) @ pi_truth, rtol=1e-12, atol=1e-14
        )
        np.testing.assert_allclose(
            got["kl_rate_reverse"], kl(model, truth) @ pi_truth, rtol=1e-12, atol=1e-14
        )
    np.testing.assert_allclose(
        got["entropy_rate"], np.sum(pi_model * entropy(model), axis=-1), rtol=1e-12, atol=1e-15
    )
