"""
The three regimes of the loop, beside their exact curves
========================================================

The seed paper's loop on a Zipf truth over K = 20 tokens: with no real data the fit
collapses, a constant real fraction holds the error at a floor, and a real fraction that
decays while the sample size grows (``alpha_t = 0.5 t^-0.5``, ``n_t = 100 t^1.5``) lets it
recover. MLE and the exact conjugate posterior see the same real data in every
replicate (common random numbers). The wide pale lines are the exact expected errors of
:mod:`bayescollapse.theory.closed_forms`: the simulated means should stay on them within
their bands. Full size, with PyMC beside them: `study 1 of the report
<../report/index.html#paper_study>`_.
"""

from bayescollapse import RunConfig, cross_settings, run, summary_frame
from bayescollapse.present.plots import plot_error

regimes = {
    "collapse": {"real_fraction": "zero", "sample_size": "100"},
    "bounded": {"real_fraction": "0.2", "sample_size": "100"},
    "recovery": {"real_fraction": "power:0.5:-0.5", "sample_size": "power:100:1.5"},
}
settings = cross_settings(regimes, method=["mle", "conjugate"])
config = RunConfig(settings=settings, num_tokens=20, generations=20, replicates=30, seed=7)
ds = run(config, progress=False)
fig = plot_error(ds)

# %%
# The last generation as a table: one row per setting, the mean squared error over
# replicates and its standard error.
summary_frame(ds, "sq_l2_to_truth", generation=-1)
