"""The vectorised NUTS diagnostics against ArviZ's own, parameter for parameter."""

import arviz as az
import numpy as np
import pytest
import xarray as xr

from bayescollapse.metrics.sampler import nuts_diagnostics


@pytest.mark.parametrize("draws", [400, 401])
def test_vectorised_diagnostics_equal_arviz(draws):
    # closed form: the same estimators as ArviZ 1 (rank-normalised split R-hat, bulk and
    # tail ESS by Geyer's initial monotone sequence, MCSE of the mean), so the values agree
    # to rounding: AR(1) chains of varied autocorrelation, a chain offset, and parameters
    # with ties (rounded draws), which take the average-rank path; an odd number of draws
    # (the split drops each chain's middle draw, which the tail quantiles keep)
    rng = np.random.default_rng(3)
    chains, reps, tokens = 2, 3, 7
    phi = rng.uniform(0.0, 0.95, (reps, tokens))
    x = np.zeros((chains, draws, reps, tokens))
    noise = rng.standard_normal(x.shape)
    for t in range(1, draws):
        x[:, t] = phi * x[:, t - 1] + noise[:, t]
    x[1] += 0.1
    x[..., 0] = np.round(x[..., 0])
    post = xr.Dataset({"theta": (("chain", "draw", "replicate", "token"), x)})
    stats = xr.Dataset({"diverging": (("chain", "draw"), np.eye(2, draws, dtype=bool))})
    ours = nuts_diagnostics(post, stats, ("theta",))
    theta = post["theta"]
    expected = {
        "r_hat": az.rhat(theta),
        "ess_bulk": az.ess(theta, method="bulk"),
        "ess_tail": az.ess(theta, method="tail"),
        "mcse_mean": az.mcse(theta, method="mean"),
    }
    for name, ref in expected.items():
        np.testing.assert_allclose(
            ours[f"theta_{name}"], ref.transpose("replicate", "token").values, rtol=1e-10
        )
    np.testing.assert_allclose(ours["r_hat_max"], expected["r_hat"].max("token").values)
    assert ours["divergences"] == 2
