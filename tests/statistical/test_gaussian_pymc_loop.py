"""Slow: the Gaussian PyMC loop has the law of the conjugate (NIG) loop."""

import numpy as np
import pytest

from bayescollapse import RunConfig, Setting, run

pytestmark = pytest.mark.slow


def _run(method, replicates, block):
    cfg = RunConfig(
        model="gaussian",
        truth="normal:1:2",
        settings=(
            Setting(method=method, real_fraction="0.2", sample_size="30", synthetic="ancestral"),
        ),
        generations=8,
        replicates=replicates,
        replicate_block=block,
        seed=8,
        prior_kappa=1.0,
        prior_alpha=2.0,
        prior_beta=2.0,
    )
    return run(cfg).isel(setting=0)


def test_gaussian_pymc_loop_has_the_law_of_the_conjugate_loop():
    # law: NUTS targets the exact NIG posterior, so both loops share their law. Compare the
    # means of log sigma2_t, (mu_t - mu*)^2 and the sigma coverage at every generation,
    # z = 4.5 combined standard errors (27 comparisons: family false alarm ~2e-4)
    pymc, exact = _run("pymc", 32, 16), _run("conjugate", 4000, 4000)
    z = 4.5
    for var, f in (("sigma2_mean", np.log), ("mu_sq_error", None), ("sigma_covered", None)):
        a, b = pymc[var], exact[var]
        if f is not None:
            a, b = f(a), f(b)
        se = np.sqrt(
            a.var("replicate", ddof=1) / a.sizes["replicate"]
            + b.var("replicate", ddof=1) / b.sizes["replicate"]
        )
        assert np.all(np.abs(a.mean("replicate") - b.mean("replicate")) < z * se + 1e-12), var
    assert float(pymc["divergences"].sum()) == 0
    assert float(pymc["r_hat_max"].max()) < 1.05
