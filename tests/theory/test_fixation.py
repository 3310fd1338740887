"""Absorption times of the MLE replace loop: the exact chain against the loop, and the diffusion."""

import numpy as np
import pytest

from bayescollapse import RunConfig, Setting, run
from bayescollapse.theory.fixation import (
    AbsorptionLaw,
    absorption_law,
    first_loss_diffusion,
    fixation_diffusion,
)

N, K, T = 10, 3, 200


def _loop_times(seed: int, replicates: int):
    """First-loss and fixation generations of the MLE replace loop (NaN: not yet), the truth."""
    cfg = RunConfig(
        settings=(
            Setting(method="mle", scheme="replace", real_fraction="zero", sample_size=str(N)),
        ),
        num_tokens=K,
        truth="zipf:1",
        generations=T,
        replicates=replicates,
        seed=seed,
    )
    ds = run(cfg)
    left = ds["surviving_tokens"].isel(setting=0).values  # (replicate, generation)
    times = []
    for ended in (left < K, left <= 1):
        first = ended.argmax(axis=1).astype(float)
        times.append(np.where(ended.any(axis=1), first, np.nan))
    return times[0], times[1], ds["truth"].values


def test_the_loop_matches_the_exact_wright_fisher_chain():
    # law: the MLE loop under replace is Wright-Fisher with n = 10; the replicate means of
    # the first-loss and fixation generations (those reached by T) must match the exact
    # chain's conditional means within z = 4 standard errors, and the share reached its
    # probability within z = 4. Catches a loop whose synthetic data are not n draws of the
    # last fit (a sample size off by one moves the fixation mean by about 10 %: z > 6).
    first, fixed, truth = _loop_times(seed=3, replicates=3000)
    law = absorption_law(N, truth, T)
    for times, survival in ((first, law.first_loss), (fixed, law.fixation)):
        mean, reached = AbsorptionLaw.conditional_mean(survival)
        done = times[~np.isnan(times)]
        se = done.std(ddof=1) / np.sqrt(done.size)
        assert abs(done.mean() - mean) < 4 * se, (done.mean(), mean, se)
        share_se = np.sqrt(reached * (1 - reached) / times.size) + 1 / times.size
        assert abs(done.size / times.size - reached) < 4 * share_se


def test_the_chain_sums_to_one_and_never_revives_a_token():
    law = absorption_law(6, [0.2, 0.3, 0.5], 40)
    for survival in (law.first_loss, law.fixation):
        assert np.all(np.diff(survival) <= 1e-15) and 0 < survival[0] <= 1
    # the first loss comes no later than fixation
    assert np.all(law.first_loss <= law.fixation + 1e-15)


def test_the_diffusion_approximates_the_chain_at_large_n():
    # two tokens at p = 1/2, n = 400: the exact mean fixation time (from the middle)
    # within 2 % of the diffusion's 2n log 2; it is not exact at n = 400, so no tighter
    law = absorption_law(400, [0.5, 0.5], 6000)
    mean, reached = AbsorptionLaw.conditional_mean(law.fixation)
    assert reached > 1 - 1e-5  # the tail beyond moves the mean by < 0.01
    # the start is Multinomial(400, 1/2), not exactly 1/2: average the diffusion over it
    from scipy.stats import binom

    k = np.arange(401)
    diffusion = sum(
        binom.pmf(c, 400, 0.5) * fixation_diffusion([c / 400, 1 - c / 400], 400) for c in k
    )
    assert abs(mean / diffusion - 1) < 0.02
    assert first_loss_diffusion([0.5, 0.5], 400) == pytest.approx(800 * np.log(2))


def test_a_chain_too_large_is_refused_in_one_line():
    with pytest.raises(ValueError, match=r"n = 50, K = 6 has 3478761 states"):
        absorption_law(50, np.full(6, 1 / 6), 10)
