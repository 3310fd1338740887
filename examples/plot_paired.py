"""
Bayes against MLE, paired: what common random numbers buy
=========================================================

Settings of one regime draw the same real data, so the difference between two fits is
measured on paired replicates. :func:`bayescollapse.compare` gives each setting minus a
baseline (here ``mle``) with its paired standard error and the unpaired one independent
runs would have had. At generation 0 the fits share everything and the paired SE is a
small fraction of the unpaired one; afterwards only the real part is shared, so the gain
shrinks, and with no real data it vanishes. Full size: `study 2 of the report
<../report/index.html#bayes_vs_mle>`_.
"""

import matplotlib.pyplot as plt

from bayescollapse import RunConfig, compare, comparison_frame, cross_settings, run

regimes = {
    "collapse": {"scheme": "replace", "real_fraction": "zero", "sample_size": "100"},
    "alpha = 0.5": {"real_fraction": "0.5", "sample_size": "100"},
}
settings = cross_settings(regimes, method=["mle", "conjugate"], prior_concentration=[0.1])
ds = run(RunConfig(settings=settings, num_tokens=20, generations=15, replicates=100, seed=3))
cmp = compare(ds, baseline="mle")

fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
for label in cmp["setting"].values:
    row = cmp.sel(setting=label)
    if row["fit_method"] == "mle":
        continue
    ratio = row["paired_se"] / row["unpaired_se"]
    ax.plot(cmp["generation"], ratio, marker="o", label=str(row["group"].values))
ax.axhline(1, color="0.5", lw=0.8)
ax.set(xlabel="generation", ylabel="paired SE / unpaired SE", ylim=(0, 1.2))
ax.set_title("conjugate minus MLE: the paired standard error's share")
ax.legend(title="regime")

# %%
# The tidy table of the comparison at the last generation: the difference in the
# headline error, its paired standard error and z.
comparison_frame(cmp).query("generation == 15")
