"""The Poisson plug-in's PyMC model against its exact Gamma posterior (the oracle)."""

import numpy as np
import pytest

from bayescollapse import RunConfig, run, settings_grid

PLUGIN = "bayescollapse.models.examples.poisson"


@pytest.mark.slow
def test_pymc_rate_matches_the_conjugate_posterior_within_monte_carlo_error():
    # law: at generation 0 both fits see the same real counts (paired settings); the NUTS
    # posterior mean of the rate estimates the Gamma posterior mean with Monte Carlo SE
    # rate_mcse_mean: every replicate within z = 4.5 (8 replicates, false alarm ~5e-5)
    config = RunConfig(
        model="poisson",
        plugins=(PLUGIN,),
        settings=settings_grid(method=["conjugate", "pymc"], sample_size=["30"]),
        generations=1,
        replicates=8,
        draws=500,
        tune=500,
        seed=9,
    )
    ds = run(config).isel(generation=0)
    exact, sampled = ds["rate_mean"].isel(setting=0), ds["rate_mean"].isel(setting=1)
    mcse = ds["rate_mcse_mean"].isel(setting=1)
    assert bool((abs(sampled - exact) < 4.5 * mcse).all())
    assert float(ds["divergences"].isel(setting=1).sum()) == 0
    np.testing.assert_array_equal(
        ds["train_total"].isel(setting=0), ds["train_total"].isel(setting=1)
    )
