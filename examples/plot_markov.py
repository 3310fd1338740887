"""
A next-token language model with context
========================================

An order-1 Markov chain over 8 tokens, trained on sequences of 20 tokens: each sequence
is real with probability ``alpha_t``, otherwise written by the previous generation's
model. The headline error is the KL rate ``sum_c pi*(c) KL(P*(.|c) || P_t(.|c))``;
rare contexts lose their transitions first. The conjugate fit (independent Dirichlet
rows) keeps every transition alive, where the MLE's KL rate turns infinite once a true
transition is lost (the figure then draws the conjugate fit alone). Full size, with the
hierarchical PyMC fit and a text truth: `study 5 of the report
<../report/index.html#markov_regimes>`_.
"""

from bayescollapse import RunConfig, run, settings_grid, summary_frame
from bayescollapse.present.plots import plot_error

settings = settings_grid(
    real_fraction=["zero", "0.2"], sample_size=["50"], method=["mle", "conjugate"]
)
config = RunConfig(
    model="markov",
    settings=settings,
    num_tokens=8,
    order=1,
    sequence_length=20,
    generations=15,
    replicates=20,
    seed=5,
)
ds = run(config, progress=False)
fig = plot_error(ds)

# %%
# Transitions the model has lost for good, at the last generation.
summary_frame(ds, ["transitions_lost", "tv_rate"], generation=-1)
