import numpy as np
import pytest

from bayescollapse.models.categorical.truth import make_truth
from bayescollapse.theory.closed_forms import (
    _bounded_limit,
    gini_simpson_of,
    mle_sq_error,
    power_schedule_regime,
)
from bayescollapse.theory.phase import phase_theory, power_schedules
from bayescollapse.theory.regimes import classify_curve, trend_test

TRUTH = make_truth("zipf:1", 10)
H = gini_simpson_of(TRUTH)


def _long(beta, gamma, horizon, a0=0.5, n0=50):
    a, n = power_schedules([beta], [gamma], horizon, real_fraction0=a0, sample_size0=n0)
    return mle_sq_error(TRUTH, a[0, 0], n[0, 0])


@pytest.mark.parametrize(("beta", "gamma"), [(0.0, 1.0), (0.5, 1.5), (0.25, 2.0)])
def test_recovery_rate_and_constant_against_long_recursion(beta, gamma):
    # theory: D_t ~ C t^-rate. The first neglected terms, relative: a_T / 2 (1 - (1 - a)^2 is
    # 2a - a^2, not 2a) and rate / (2 a_T T), the lag of D_t behind its moving fixed point
    # (relaxation rate 2 a_T); the check allows their sum doubled, plus 1e-3, at T = 10^5.
    horizon = 100_000
    regime = power_schedule_regime(TRUTH, 0.5, beta, 50, gamma)
    expected_rate = gamma - beta
    assert regime.name == "recovery" and regime.rate == pytest.approx(expected_rate)
    d = _long(beta, gamma, horizon)
    a_end = 0.5 * horizon**-beta
    lag = regime.rate / (2 * a_end * horizon) if beta > 0 else 0.0
    ratio = d[-1] * horizon**regime.rate / regime.constant
    assert abs(ratio - 1) < 2 * ((a_end / 2 if beta > 0 else 0.0) + lag) + 1e-3


def test_bounded_and_collapse_limits_against_long_recursion():
    # constant schedules: the fixed point; summable schedules: the closed-form linear sum
    assert _long(0, 0, 5000)[-1] == pytest.approx(power_schedule_regime(TRUTH, 0.5, 0, 50, 0).limit)
    assert power_schedule_regime(TRUTH, 0.5, 2, 50, 2).name == "bounded"
    closed = _bounded_limit(H, 0.5, 2, 50, 2, horizon=100_000)
    assert _long(2, 2, 100_000)[-1] == pytest.approx(closed, rel=1e-9)
    # the regime's limit sums to t = 10^6; the tail beyond 10^5 moves it by about 1e-6
    assert power_schedule_regime(TRUTH, 0.5, 2, 50, 2).limit == pytest.approx(closed, rel=1e-5)
    for beta, gamma in [(1.5, 0.5), (0.8, 0.2), (2.0, 1.0)]:
        regime = power_schedule_regime(TRUTH, 0.5, beta, 50, gamma)
        assert regime.name == "collapse" and regime.limit == H
    assert _long(1.5, 0.5, 100_000)[-1] == pytest.approx(H, rel=1e-3)


def test_numeric_classifier_agrees_with_analytic_away_from_boundaries():
    betas, gammas = np.linspace(0, 3, 13), np.linspace(0, 3, 13)
    ds = phase_theory(TRUTH, betas, gammas, horizon=10_000)
    b, g = np.meshgrid(betas, gammas, indexing="ij")
    # distance to the analytic boundaries gamma = beta (beta <= 1), beta = 1, gamma = 1 (beta >= 1)
    margin = np.minimum.reduce(
        [
            np.where(b <= 1, np.abs(g - b), np.inf),
            np.where(g >= 1, np.abs(b - 1), np.inf),
            np.where(b >= 1, np.abs(g - 1), np.inf),
        ]
    )
    far = margin > 0.5
    numeric = ds["theory_regime"].isel(prior_concentration=0).values
    assert far.sum() > 60
    np.testing.assert_array_equal(numeric[far], ds["analytic_regime"].values[far])


def test_trend_test_detects_known_slopes(rng):
    t = np.arange(61)
    tt = np.maximum(t, 1)
    noise = rng.lognormal(0, 0.3, size=(500, t.size))
    falling = trend_test(t, 0.1 * tt**-1.0 * noise, rng=rng)
    flat = trend_test(t, 0.1 * noise, rng=rng, collapse_level=1.0)
    rising = trend_test(t, 0.01 * tt**0.7 * noise, rng=rng)
    at_level = trend_test(t, 0.95 * noise / noise.mean(), rng=rng, collapse_level=1.0)
    assert falling.regime == "recovery" and falling.slope == pytest.approx(
        -1, abs=5 * falling.slope_se
    )
    assert flat.regime == "bounded"
    assert rising.regime == "collapse"
    assert at_level.regime == "collapse"  # flat, but at the one-token level
    few = trend_test(t, 0.1 * rng.lognormal(0, 3, size=(3, t.size)), rng=rng)
    assert few.regime == "undetermined"
    exact = classify_curve(t, 0.1 * tt**-0.5)
    assert exact.regime == "recovery" and exact.slope == pytest.approx(-0.5)


@pytest.mark.parametrize(("level", "regime"), [(0.85, "bounded"), (0.95, "collapse")])
def test_a_flat_curve_is_bounded_below_the_collapse_threshold(level, regime):
    # the rule: a flat curve whose final error is within 10 % of H(P*) is collapse, below that
    # bounded. At 0.85 H and 0.95 H the verdict pins the threshold between them: a threshold
    # of 0.8 H or of 0.99 H would give the other verdict for one of the two.
    t = np.arange(41)
    flat = np.full(41, level * H)
    assert classify_curve(t, flat, collapse_level=H).regime == regime
    noisy = flat * (1 + 0.01 * np.random.default_rng(1).standard_normal((50, 41)))
    trend = trend_test(t, noisy, rng=np.random.default_rng(2), collapse_level=H)
    assert trend.regime == regime
