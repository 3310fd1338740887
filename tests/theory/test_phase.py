"""The phase diagram: its schedules, and the simulated verdicts against the theory's."""

import numpy as np
import pytest

from bayescollapse.models.categorical.truth import make_truth
from bayescollapse.theory.closed_forms import gini_simpson_of, power_schedule_regime
from bayescollapse.theory.phase import phase_simulation, power_schedules

TRUTH = make_truth("zipf:1", 10)
H = gini_simpson_of(TRUTH)


def test_power_schedules_hand_values():
    # a_t = a0 t^-beta (a_0 = 1: real data only), n_t = round(n0 t^gamma) (n_0 = n0)
    a, n = power_schedules([0.0, 1.0], [0.0, 2.0], 3, real_fraction0=0.5, sample_size0=10)
    np.testing.assert_allclose(a[1, 0], [1.0, 0.5, 0.25, 0.5 / 3])
    np.testing.assert_allclose(a[0, 1], [1.0, 0.5, 0.5, 0.5])
    np.testing.assert_array_equal(n[0, 1], [10, 10, 40, 90])
    np.testing.assert_array_equal(n[1, 0], [10, 10, 10, 10])


def test_simulated_regimes_agree_with_theory_at_three_corners():
    # the fast version of the grid test below: one schedule pair deep in each regime
    # (collapse: alpha_t = 0.5 t^-2 at fixed n; bounded: the same alpha_t with n growing like
    # t^2.5, whose real data add up to a bounded error; recovery: constant alpha with that n),
    # 400 replicates, 60 generations, z = 2 slope intervals
    pairs = [(2, 0), (2, 2.5), (0, 2.5)]
    for beta, gamma in pairs:
        sim = phase_simulation(
            "zipf:1", 10, [beta], [gamma], seed=3, generations=60, replicates=400
        )
        expected = power_schedule_regime(TRUTH, 0.5, beta, 50, gamma).name
        assert str(sim["sim_regime"].values.ravel()[0]) == expected, (beta, gamma)


@pytest.mark.slow
def test_simulated_regimes_agree_with_theory_on_the_grid():
    # the trend test on simulated MLE errors against the analytic regime, at 16 schedule pairs
    # (several in each regime, none on the slowly converging diagonal gamma = beta > 0);
    # z = 2 slope intervals, 2000 replicates
    betas, gammas = [0, 0.5, 1, 2], [0, 0.75, 1.5, 2.5]
    sim = phase_simulation("zipf:1", 10, betas, gammas, seed=3, generations=100, replicates=2000)
    analytic = [[power_schedule_regime(TRUTH, 0.5, b, 50, g).name for g in gammas] for b in betas]
    np.testing.assert_array_equal(sim["sim_regime"].isel(prior_concentration=0).values, analytic)
    assert {"recovery", "bounded", "collapse"} <= set(np.ravel(analytic))
