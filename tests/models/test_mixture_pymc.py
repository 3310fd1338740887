"""NUTS on the marginalised mixture against the complete-data oracle, and label switching."""

import numpy as np
import pytest

from bayescollapse import RunConfig, run
from bayescollapse.models.mixture.family import GaussianMixture

pytestmark = pytest.mark.slow

#: the means 10 sds apart: a point's label is all but known (misread odds 1e-6), so the
#: posterior without labels is the complete-data posterior
SEPARATED = "mixture:0.4:-4:0.8,0.6:4:0.8"


@pytest.fixture(scope="module")
def results():
    settings = [
        {"method": m, "sample_size": "300", "real_fraction": "0.5"}
        for m in ("complete-data", "pymc", "pymc-unordered")
    ]
    cfg = RunConfig.from_dict(
        {
            "model": "gaussian-mixture",
            "truth": SEPARATED,
            "seed": 3,
            "generations": 2,
            "replicates": 6,
            "settings": settings,
        }
    )
    return run(cfg)


def test_nuts_agrees_with_the_oracle_on_separated_components(results):
    # law: on the same real points (generation 0, common random numbers) the ordered
    # model's posterior means equal the exact complete-data ones up to Monte Carlo error:
    # |mean_NUTS - mean_exact| < 4 MCSE for each of 6 parameters x 6 replicates
    ds = results.isel(generation=0)
    oracle, nuts = ds.isel(setting=0), ds.isel(setting=1)
    for name in ("weights", "mu", "sigma"):
        gap = np.abs(nuts[f"{name}_mean"] - oracle[f"{name}_mean"]).values
        mcse = nuts[f"{name}_mcse_mean"].values
        assert np.all(gap < 4 * mcse), (name, gap / mcse)
    # and the intervals: 94 % HDIs of the same width to 10 %
    width = ds["mu_hdi_upper"] - ds["mu_hdi_lower"]
    ratio = (width.isel(setting=1) / width.isel(setting=0)).values
    assert np.all(np.abs(ratio - 1) < 0.1), ratio


def test_ordered_means_never_switch_and_the_sampler_is_not_flagged(results):
    ordered = results.isel(setting=1)
    assert float(ordered["label_switching"].max()) == 0.0
    assert float(ordered["divergences"].sum()) == 0
    assert float(ordered["r_hat_max"].max()) < 1.02


def test_free_means_switch_labels_and_both_the_record_and_r_hat_say_so(results):
    # each chain of the unordered model settles on one of the two labellings at random:
    # a replicate shows no switching only if both chains found the sorted one (odds 1/4
    # each, 4^-12 for all 6 replicates at 2 generations); the record relabels them, and
    # the raw draws' R-hat flags the chains' disagreement where they split
    free = results.isel(setting=2)
    switching = free["label_switching"].values
    assert switching.max() > 0.4
    split = (switching > 0.2) & (switching < 0.8)  # the chains disagree
    assert np.all(free["r_hat_max"].values[split] > 1.5)
    said = GaussianMixture.warnings(results)
    assert len(said) == 1 and "pymc-unordered" in said[0] and "labels switched" in said[0]
    # relabelled, its summaries agree with the ordered model's at generation 0
    gap = np.abs(free["mu_mean"] - results.isel(setting=1)["mu_mean"]).isel(generation=0)
    assert float(gap.max()) < 0.05
