"""Tail metrics: hand values, and the truth's exponent recorded with the results."""

import numpy as np
import pytest

from bayescollapse import RunConfig, Setting, run
from bayescollapse.metrics.tails import ranks, tail_metrics, zipf_exponent


def test_ranks_break_ties_by_index():
    np.testing.assert_array_equal(ranks(np.array([0.1, 0.4, 0.1, 0.4])), [3, 1, 4, 2])


def test_tail_metrics_hand_values():
    # truth ranks: token 2 (0.4) 1st, token 0 (0.3) 2nd, token 3 (0.2) 3rd, token 1 (0.1) 4th
    truth = np.array([0.3, 0.1, 0.4, 0.2])
    point = np.array([[0.5, 0.0, 0.5, 0.0], [0.25, 0.25, 0.25, 0.25]])
    counts = np.array([[5, 0, 5, 0], [1, 1, 1, 1]])
    out = tail_metrics(point, truth, counts, tail_rank=2)
    np.testing.assert_array_equal(out["surviving_tokens"], [2, 4])
    np.testing.assert_array_equal(out["first_lost_rank"], [3, np.nan])  # token 3 has rank 3
    # ranks 3, 4 are tokens 3 and 1: true mass 0.3; fitted 0 and 0.5
    np.testing.assert_allclose(out["tail_mass_lost"], [0.3, -0.2])
    # row 0: -log 0.5 at log ranks 1 and 2, a flat law: exponent 0; row 1 uniform: 0
    np.testing.assert_allclose(out["tail_exponent"], [0.0, 0.0], atol=1e-12)


def test_a_token_outside_the_truths_support_is_not_counted():
    truth = np.array([0.5, 0.5, 0.0])
    out = tail_metrics(np.array([[0.5, 0.5, 0.0]]), truth, np.array([[3, 3, 0]]), tail_rank=1)
    assert out["surviving_tokens"][0] == 2 and np.isnan(out["first_lost_rank"][0])


@pytest.mark.parametrize("s", [0.7, 1.0, 1.6])
def test_zipf_exponent_is_exact_for_zipf_laws(s):
    k = np.arange(1, 31)
    p = k**-s / (k**-s).sum()
    assert zipf_exponent(p, k) == pytest.approx(s, rel=1e-12)
    assert np.isnan(zipf_exponent(np.array([1.0, 0.0, 0.0]), np.arange(1, 4)))


def test_results_record_the_truths_exponent_and_the_tail_rank():
    ds = run(
        RunConfig(
            settings=(Setting(method="mle"),),
            truth="zipf:1.3",
            num_tokens=12,
            tail_rank=3,
            generations=1,
            replicates=2,
            seed=1,
        )
    )
    assert float(ds["truth_tail_exponent"]) == pytest.approx(1.3, rel=1e-12)
    theta, truth = ds["theta_mean"].values, ds["truth"].values
    expected = (truth - theta)[..., 3:].sum(axis=-1)  # zipf ranks are token order
    np.testing.assert_allclose(ds["tail_mass_lost"].values, expected, atol=1e-15)


@pytest.mark.parametrize(("rank", "message"), [(12, "leaves no tail"), (-1, "tail_rank -1")])
def test_bad_tail_rank_is_refused(rank, message):
    with pytest.raises(ValueError, match=message):
        RunConfig(num_tokens=12, tail_rank=rank)
