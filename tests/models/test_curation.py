"""Curation rules and rewards: parsed in one line, pinned by hand, and held to their laws."""

from __future__ import annotations

import numpy as np
import pytest

from bayescollapse.models import curation as curation_module
from bayescollapse.models.curation import Curation, token_rewards

TRUTH = np.array([0.1, 0.5, 0.4])


@pytest.mark.parametrize(
    "spec, canonical, k, beta",
    [
        ("none", "none", 1, 0.0),
        ("best-of:4", "best-of:4", 4, 0.0),
        ("bradley-terry:8:0.50", "bradley-terry:8:0.5", 8, 0.5),
        ("filter", "filter", 1, 0.0),
    ],
)
def test_rules_are_read_into_their_canonical_spec(spec, canonical, k, beta):
    c = Curation.parse(spec)
    assert (c.spec, c.k, c.beta) == (canonical, k, beta)


@pytest.mark.parametrize(
    "spec, message",
    [
        ("best", "curation 'best' is not one of none, best-of:K, bradley-terry:K:BETA, filter"),
        ("best-of", "curation 'best-of' is not one of"),
        ("best-of:2.5", "curation 'best-of:2.5' is not one of"),
        ("best-of:0", r"curation 'best-of:0': K must be an integer in 1\.\.1024"),
        ("bradley-terry:4", "curation 'bradley-terry:4' is not one of"),
        ("bradley-terry:4:inf", "BETA must be a finite number"),
        ("filter:2", "curation 'filter:2' is not one of"),
    ],
)
def test_bad_rules_are_refused_in_one_line(spec, message):
    with pytest.raises(ValueError, match=message) as err:
        Curation.parse(spec)
    assert "\n" not in str(err.value)


def test_token_rewards_are_pinned_by_hand(tmp_path):
    np.testing.assert_array_equal(token_rewards("rank", TRUTH), [1, 3, 2])
    np.testing.assert_allclose(token_rewards("truth", TRUTH), np.log(TRUTH))
    np.testing.assert_array_equal(token_rewards("top:2", TRUTH), [0, 1, 1])
    np.testing.assert_array_equal(token_rewards("values:3,-1,0.5", TRUTH), [3, -1, 0.5])
    path = tmp_path / "r.txt"
    path.write_text("0.2 0.4\n1\n")
    np.testing.assert_array_equal(token_rewards(f"file:{path}", TRUTH), [0.2, 0.4, 1])


@pytest.mark.parametrize(
    "spec, message",
    [
        ("rank:2", "reward 'rank:2' is not one of"),
        ("top:4", r"reward 'top:4' is not one of .* \(M in 1\.\.3\)"),
        ("values:1,2", "reward 'values:1,2' must hold 3 finite numbers"),
        ("values:1,x,2", "must hold numbers only"),
        ("values:1,inf,2", "must hold 3 finite numbers"),
        ("file:/nonexistent", "reward file /nonexistent is not a regular file"),
        ("file:/dev/zero", "reward file /dev/zero is not a regular file"),
    ],
)
def test_bad_rewards_are_refused_in_one_line(spec, message):
    with pytest.raises(ValueError, match=message):
        token_rewards(spec, TRUTH)


def test_the_filter_takes_an_acceptance_law_only():
    with pytest.raises(ValueError, match=r"every value must lie in \[0, 1\], got values in"):
        Curation.parse("filter").resolved(token_rewards("rank", TRUTH))


def _one_step(spec: str, reward, p, *, reps=4000, n=30, seed=1):
    """Mean kept counts of `reps` curated synthetic sets of n items from the fixed law p."""
    from bayescollapse.models.categorical.family import WRITER
    from bayescollapse.models.probability_fits import PointProbabilities

    fit = PointProbabilities(np.tile(p, (reps, 1)), WRITER)
    cur = Curation.parse(spec).resolved(reward)
    rng = np.random.default_rng(seed)

    def write(m):
        return fit.synthetic(m, mode="plugin", rng=rng)

    return curation_module.curated_counts(write, np.full(reps, n), cur, rng)


P = np.array([0.4, 0.25, 0.2, 0.1, 0.05])
REWARD = np.array([1.0, 3.0, 3.0, 0.0, 2.0])  # a tie for the best
ACCEPT = np.array([0.1, 0.9, 0.5, 0.0, 1.0])


def _max_z(spec, law, reward):
    counts, _ = _one_step(spec, reward, P)
    n = counts.sum(axis=1)
    assert np.all(n == 30)
    se = np.sqrt(30 * law * (1 - law) / counts.shape[0])  # multinomial counts' SE of the mean
    return np.max(np.abs(counts.mean(axis=0) - 30 * law) / np.where(se > 0, se, 1))


def _laws():
    from bayescollapse.theory.curation import best_of_law, bradley_terry_law, filter_law

    return [
        ("best-of:3", best_of_law(P, REWARD, 3), REWARD),
        ("bradley-terry:3:0.8", bradley_terry_law(P, REWARD, 3, 0.8), REWARD),
        ("filter", filter_law(P, ACCEPT), ACCEPT),
    ]


@pytest.mark.parametrize("case", range(3))
def test_kept_items_follow_the_rules_one_step_law(case):
    # law: the kept items of a curated synthetic set are iid from q(p) (best-of from the
    # order statistics, Bradley-Terry its K-wise choice, filter p reweighted by a:
    # bayescollapse.theory.curation); their mean counts over 4000 sets of 30 lie within
    # z = 4.5 standard errors of 30 q per token (5 tokens: false alarm ~3e-5 per test)
    spec, law, reward = _laws()[case]
    assert _max_z(spec, law, reward) < 4.5


@pytest.mark.parametrize("planted", ["lowest", "negative-beta"])
def test_a_planted_wrong_rule_fails_the_one_step_law(planted, monkeypatch):
    # the check above would catch a one-line bug in the choice: keeping the lowest reward
    # instead of the highest, or Bradley-Terry weights exp(-BETA r)
    right = curation_module.choose

    def wrong(curation, rewards, rng):
        return right(curation, -rewards, rng)

    monkeypatch.setattr(curation_module, "choose", wrong)
    spec, law, reward = _laws()[0 if planted == "lowest" else 1]
    assert _max_z(spec, law, reward) > 4.5


def test_the_filter_reports_its_acceptance_rate_and_refuses_a_law_it_never_accepts():
    # law: each candidate passes with probability sum(p a); the reported rate (every
    # candidate drawn, those beyond what was needed too) averaged over 400 replicates lies
    # within z = 4.5 standard errors (over replicates) of it
    # by the rate seen, the excess dropped), so at least n and at most a few times it
    counts, report = _one_step("filter", ACCEPT, P, reps=400)
    rate = report["acceptance_rate"]
    assert np.all(counts.sum(axis=1) == 30)
    assert abs(rate.mean() - P @ ACCEPT) < 4.5 * rate.std(ddof=1) / np.sqrt(rate.size)
    with pytest.raises(ValueError, match="'filter' keeps no candidate: the acceptance law is 0"):
        _one_step("filter", np.array([0.0, 0.0, 0.0, 1.0, 0.0]), np.array([0.5, 0.5, 0, 0, 0]))


def test_point_rewards_are_pinned_by_hand():
    from bayescollapse.models.curation import point_rewards

    x = np.array([-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(point_rewards("linear:1.5")(x), [-1.5, 0.0, 3.0])
    np.testing.assert_array_equal(point_rewards("quadratic:0.5")(x), [-0.5, 0.0, -2.0])
    assert point_rewards("quadratic:2").normal_mean(np.array([1.0]), np.array([3.0])) == -20
    for bad in ("linear", "linear:x", "cubic:1", "quadratic:nan"):
        with pytest.raises(ValueError, match=f"reward '{bad}' is not 'linear:B' or 'quadratic:C'"):
            point_rewards(bad)
    with pytest.raises(ValueError, match=r"needs a reward r <= 0: 'quadratic:C' with C >= 0"):
        Curation.parse("filter").resolved(point_rewards("linear:1"))


@pytest.mark.parametrize(
    "spec, reward, options",
    [
        ("best-of:3", "linear:1", {"k": 3}),
        ("bradley-terry:3:1", "linear:0.7", {"k": 3, "beta": 1.0}),
        ("filter", "quadratic:0.4", {}),
    ],
)
def test_kept_points_have_the_rules_one_step_moments(spec, reward, options):
    # law: the kept points of a curated set of n are iid from q (theory:
    # normal_curated_moments, exact to 1e-7); over 4000 sets of 20 points from N(0.5,
    # 1.3^2), the mean of the set means and of the unbiased set variances lie within z =
    # 4.5 standard errors (over the sets) of the mean and variance of q
    from bayescollapse.models.curation import point_rewards
    from bayescollapse.models.gaussian.family import Gaussian
    from bayescollapse.models.gaussian.fits import PointGaussian
    from bayescollapse.theory.curation import normal_curated_moments

    reps, n = 4000, 20
    fit = PointGaussian(np.full(reps, 0.5), np.full(reps, 1.3**2))
    cur = Curation.parse(spec).resolved(point_rewards(reward))
    rng = np.random.default_rng(5)
    stats, report = Gaussian.curate(
        fit, np.full(reps, n), cur, mode="plugin", rng=rng, decoding=_plain()
    )
    mean, var = normal_curated_moments(
        0.5, 1.3, spec.split(":")[0], point_rewards(reward), **options
    )
    unbiased = stats.m2 / (n - 1)
    for values, expected in ((stats.mean, mean), (unbiased, var)):
        se = values.std(ddof=1) / np.sqrt(reps)
        assert abs(values.mean() - expected) < 4.5 * se
    assert np.all(stats.n == n)
    if spec == "filter":  # law: the rate is E exp(-C X^2) = 1 / sqrt(1 + 2 C sigma^2) e^(...)
        c, s2 = 0.4, 1.3**2
        rate = np.exp(-c * 0.5**2 / (1 + 2 * c * s2)) / np.sqrt(1 + 2 * c * s2)
        got = report["acceptance_rate"]
        assert abs(got.mean() - rate) < 4.5 * got.std(ddof=1) / np.sqrt(got.size)


def _plain():
    from bayescollapse.models.decoding import PLAIN

    return PLAIN
