"""
PyMC posteriors across generations, read with ArviZ
===================================================

The PyMC path samples every generation's posterior with NUTS (nutpie), the model compiled
once and refitted. Here the exact conjugate posterior and PyMC see the same real data;
:func:`bayescollapse.run_tree` keeps the last generation's posteriors as ArviZ groups,
so ArviZ works on them as they are. The figure follows three tokens' posterior means and
94 % HDIs across generations, truth dotted, a row per fit. Full size: `study 3 of the
report <../report/index.html#calibration>`_.
"""

import arviz as az

from bayescollapse import RunConfig, run_tree, settings_grid
from bayescollapse.io.posteriors import posterior_node
from bayescollapse.present.posterior_plots import plot_posterior_paths

settings = settings_grid(real_fraction=["0.2"], sample_size=["200"], method=["conjugate", "pymc"])
config = RunConfig(
    settings=settings,
    num_tokens=8,
    generations=6,
    replicates=4,
    draws=300,
    tune=300,
    keep_posteriors="last",
    seed=11,
)
tree = run_tree(config, progress=False)
ds = tree["results"].to_dataset()
fig = plot_posterior_paths(ds)

# %%
# The kept node of the PyMC fit at the last generation holds ArviZ's groups; its summary
# gives the sampler's R-hat and ESS per token (first replicate shown).
pymc_label = str(ds["setting"].values[1])  # "mixture a=0.2 n=200 pymc ancestral"
node = posterior_node(tree, pymc_label, generation=6)
az.summary(node, var_names=["theta"], coords={"replicate": [0]}, kind="diagnostics")

# %%
# The run's own record of the diagnostics, over every sampled variable.
ds[["r_hat_max", "ess_bulk_min"]].sel(generation=6).max("replicate").reset_coords(
    drop=True
).to_dataframe()
