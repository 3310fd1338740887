"""The closed forms of curation against brute-force enumeration, and their theorems."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bayescollapse.theory.curation import (
    best_of_law,
    bradley_terry_law,
    expected_next_mle,
    expected_reward,
    filter_law,
    fixed_point,
    reward_target,
)

P = np.array([0.5, 0.3, 0.15, 0.05])
R = np.array([1.0, 2.0, 2.0, 0.0])  # tokens 1 and 2 tie for the best reward


def _enumerate(p, k, keep):
    """Law of the kept item, summing over every K-tuple of candidates (brute force)."""
    q = np.zeros(p.size)
    for tup in itertools.product(range(p.size), repeat=k):
        q += np.prod(p[list(tup)]) * keep(np.array(tup))
    return q


def _best_of_keep(reward):
    def keep(tup):
        best = reward[tup] == reward[tup].max()
        out = np.zeros(P.size)
        np.add.at(out, tup[best], 1 / best.sum())  # ties: uniform among the tied
        return out

    return keep


def _bradley_terry_keep(reward, beta):
    def keep(tup):
        w = np.exp(beta * reward[tup])
        out = np.zeros(P.size)
        np.add.at(out, tup, w / w.sum())
        return out

    return keep


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_best_of_k_is_the_enumerated_law_with_ties_uniform(k):
    np.testing.assert_allclose(best_of_law(P, R, k), _enumerate(P, k, _best_of_keep(R)))


@pytest.mark.parametrize("k, beta", [(2, 1.0), (3, 0.7), (4, -0.5), (5, 3.0)])
def test_bradley_terry_is_the_enumerated_choice(k, beta):
    reward = np.array([0.0, 1.0, 3.0, -2.0])
    exact = _enumerate(P, k, _bradley_terry_keep(reward, beta))
    np.testing.assert_allclose(bradley_terry_law(P, reward, k, beta), exact, rtol=1e-9)


def test_filter_reweights_by_the_acceptance():
    accept = np.array([0.2, 1.0, 0.0, 0.5])
    rate = 0.5 * 0.2 + 0.3 + 0.05 * 0.5
    np.testing.assert_allclose(filter_law(P, accept), P * accept / rate)
    with pytest.raises(ValueError, match="acceptance law is 0"):
        filter_law(P, np.array([0.0, 0.0, 0.0, 0.0]))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0.01, 1.0), min_size=2, max_size=6),
    st.lists(st.integers(-3, 3), min_size=6, max_size=6),
    st.integers(1, 6),
    st.floats(0.0, 3.0),
)
def test_curation_never_lowers_the_expected_reward(weights, rewards, k, beta):
    # Ferbach et al. (2024), Theorem 2.1: E_q r >= E_p r for best-of and Bradley-Terry with
    # beta >= 0 (a rule keeping the lowest reward, or weights exp(-beta r), breaks it)
    p = np.array(weights) / sum(weights)
    r = np.array(rewards[: p.size], dtype=float)
    base = expected_reward(p, r)
    assert expected_reward(best_of_law(p, r, k), r) >= base - 1e-12
    assert expected_reward(bradley_terry_law(p, r, k, beta), r) >= base - 1e-9
    for q in (best_of_law(p, r, k), bradley_terry_law(p, r, k, beta)):
        assert q.sum() == pytest.approx(1.0, abs=1e-9) and np.all(q >= -1e-15)


def test_many_candidates_tend_to_the_truth_restricted_to_the_best():
    target = reward_target(P, R)
    np.testing.assert_allclose(target, [0, 2 / 3, 1 / 3, 0])
    assert np.abs(best_of_law(P, R, 200) - target).sum() < 1e-12
    assert np.abs(bradley_terry_law(P, R, 64, 8.0) - target).sum() < 1e-3


def test_the_fixed_point_solves_the_expected_mle_map():
    for rule, options in (("best-of", {"k": 4}), ("bradley-terry", {"k": 3, "beta": 1.0})):
        star = fixed_point(P, 0.2, rule, R, **options)
        np.testing.assert_allclose(
            expected_next_mle(star, P, 0.2, rule, R, **options), star, atol=1e-12
        )
        assert expected_reward(star, R) > expected_reward(P, R)  # curation climbs the reward
    # best-of:1 curates nothing: the fixed point is the truth
    np.testing.assert_allclose(fixed_point(P, 0.3, "best-of", R, k=1), P)
    with pytest.raises(ValueError, match=r"alpha must lie in \(0, 1\]"):
        fixed_point(P, 0.0, "best-of", R, k=2)
