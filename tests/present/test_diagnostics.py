"""The rule that flags unreliable generations, on hand-set diagnostics."""

import numpy as np
from scipy import stats

from bayescollapse import RunConfig, Setting, run
from bayescollapse.present.diagnostics import flagged_generations


def test_flag_rule_counts_exceedances_against_a_binomial_allowance():
    # 5 replicates x 20 tokens = 100 R-hats per generation; Binomial(100, 0.01) has its
    # 99.9 % quantile at 5, so 5 values above 1.01 are chance and 6 are not
    assert stats.binom.ppf(0.999, 100, 0.01) == 5
    ds = run(RunConfig(settings=(Setting(),), generations=4, replicates=5, seed=1)).copy(deep=True)
    assert flagged_generations(ds, ds["setting"].values[0]) is None  # exact: nothing to flag
    r_hat = np.full((1, 5, 5, 20), 1.001)
    r_hat[0, :, 1].flat[:5] = 1.02  # generation 1: 5 exceed -> fine
    r_hat[0, :, 2].flat[:6] = 1.02  # generation 2: 6 exceed -> flagged
    r_hat[0, 0, 3, 0] = 1.06  # generation 3: one chain not mixed -> flagged
    ds["theta_r_hat"][:] = r_hat
    ds["ess_bulk_min"][:] = 1000.0
    ds["ess_bulk_min"][0, 2, 4] = 399.0  # generation 4: too few effective draws -> flagged
    ds["divergences"][:] = 0.0
    flags = flagged_generations(ds, ds["setting"].values[0])
    assert flags.values.tolist() == [False, False, True, True, True]
    ds["divergences"][0, 0, 0] = 1.0  # any divergence flags its generation
    assert flagged_generations(ds, ds["setting"].values[0]).values.tolist()[0]
