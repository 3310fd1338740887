"""
Bayesian linear regression: replace against accumulate
======================================================

Each generation labels a fresh design with the previous fit. Replacing the data, the
least-squares excess risk grows with every generation (``E_t = E_{t-1} + V_{t-1} d / (n
- d - 1)``); accumulating it, the error is a martingale whose increments sum to a bounded
total (Gerstgrasser et al. 2024). The wide pale lines are those exact laws
(:mod:`bayescollapse.theory.regression`). The conjugate posterior contracts on the
synthetic labels, so its HDIs cover ``w*`` less and less. Full size: `study 9 of the
report <../report/index.html#regression>`_.
"""

from bayescollapse import RunConfig, run, settings_grid
from bayescollapse.present.plots import plot_error

settings = settings_grid(
    scheme=["replace", "accumulate"],
    real_fraction=["zero"],
    sample_size=["50"],
    method=["mle", "conjugate"],
)
config = RunConfig(
    model="linear-regression", settings=settings, dim=5, generations=12, replicates=100, seed=8
)
ds = run(config, progress=False)
fig = plot_error(ds)
