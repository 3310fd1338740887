"""Slow checks of the PyMC path inside the generation loop, against the conjugate oracle."""

import numpy as np
import pytest

from bayescollapse import RunConfig, Setting, run

pytestmark = pytest.mark.slow


def _run(method, replicates, block, **setting):
    cfg = RunConfig(
        settings=(Setting(method=method, **setting),),
        num_tokens=10,
        truth="zipf:1.1",
        generations=8,
        replicates=replicates,
        replicate_block=block,
        seed=77,
        draws=500,
        tune=500,
    )
    return run(cfg).isel(setting=0)


@pytest.mark.parametrize("synthetic", ["ancestral", "predictive"])
def test_pymc_loop_has_the_law_of_the_conjugate_loop(synthetic):
    # law: NUTS targets the exact posterior Dirichlet(a0 + c), so the whole pymc loop has the
    # conjugate loop's law. Compare E||P_t - P*||^2 and the HDI coverage at every generation,
    # tolerance z = 4.5 combined standard errors (18 comparisons: family false alarm ~1e-4).
    setting = dict(real_fraction="0.2", sample_size="100", synthetic=synthetic)
    pymc = _run("pymc", 16, 16, **setting)
    exact = _run("conjugate", 2000, 2000, **setting)
    z = 4.5
    for var in ("sq_l2_to_truth", "hdi_coverage"):
        a, b = pymc[var], exact[var]
        se = np.sqrt(
            a.var("replicate", ddof=1) / a.sizes["replicate"]
            + b.var("replicate", ddof=1) / b.sizes["replicate"]
        )
        assert np.all(np.abs(a.mean("replicate") - b.mean("replicate")) < z * se), var
    assert float(pymc["divergences"].sum()) == 0
    assert float(pymc["r_hat_max"].max()) < 1.05


def test_k50_collapse_runs_without_divergences():
    # the hard case for NUTS: pure synthetic data leave many zero-count tokens (K = 50, n = 200)
    cfg = RunConfig(
        settings=(
            Setting(method="pymc", scheme="replace", real_fraction="zero", sample_size="200"),
        ),
        num_tokens=50,
        truth="zipf:1.1",
        generations=10,
        replicates=4,
        seed=5,
    )
    ds = run(cfg).isel(setting=0)
    assert float(ds["lost_tokens"].min()) >= 3  # every fit had zero-count tokens (typically ~10)
    assert float(ds["divergences"].sum()) == 0
    assert float(ds["r_hat_max"].max()) < 1.05
    assert float(ds["ess_bulk_min"].min()) > 200
