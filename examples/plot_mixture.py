"""
A Gaussian mixture: EM against the labels kept
==============================================

Shumailov et al. (2024) showed collapse first on a mixture of Gaussians refitted by EM
on its own samples: the tails vanish and the components shrink. Here two components
under the replace loop, fitted by EM (blind to which component wrote a point) and by the
exact complete-data posterior (the labels kept); the headline is the 2-Wasserstein
distance to the true mixture. Full size (2000 generations, and NUTS with its diagnostics):
`study 10 of the report <../report/index.html#mixture>`_.
"""

from bayescollapse import RunConfig, run, settings_grid, summary_frame
from bayescollapse.present.plots import plot_error

settings = settings_grid(
    scheme=["replace"],
    real_fraction=["zero"],
    sample_size=["100"],
    method=["mle", "complete-data"],
)
config = RunConfig(
    model="gaussian-mixture",
    settings=settings,
    truth="mixture:0.5:-2:1,0.5:2:1",
    generations=30,
    replicates=10,
    seed=12,
)
ds = run(config, progress=False)
fig = plot_error(ds)

# %%
# Mass beyond the truth's 1 % and 99 % quantiles (0.02 for the truth) at the last
# generation: the tails go first.
summary_frame(ds, ["tail_mass", "w2_to_truth"], generation=-1)
