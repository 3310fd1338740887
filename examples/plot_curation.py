"""
Curation by a reward: the climb and what it costs
=================================================

Before each refit, the synthetic data are curated: of K candidates per item the one of
highest reward is kept (``best-of:K``). The reward here is the true rank reversed, so
curation pushes mass toward the likeliest tokens: the expected reward climbs, and the
entropy falls unless real data hold it up. Curated settings share their streams with
the uncurated ones, so the gaps are paired. Full size, with Bradley-Terry curation and
the closed-form fixed point: `study 8 of the report <../report/index.html#curation>`_.
"""

from bayescollapse import RunConfig, run, settings_grid, summary_frame
from bayescollapse.present.plots import plot_error

settings = settings_grid(
    real_fraction=["zero", "0.2"],
    sample_size=["100"],
    method=["mle"],
    curation=["none", "best-of:2", "best-of:4"],
    reward=["rank"],
)
config = RunConfig(settings=settings, num_tokens=20, generations=15, replicates=20, seed=4)
ds = run(config, progress=False)
fig = plot_error(ds)  # a curated run's figure shows the expected reward

# %%
# The diversity the reward bought its climb with: entropy at the last generation.
summary_frame(ds, ["reward_mean", "entropy"], generation=-1)
