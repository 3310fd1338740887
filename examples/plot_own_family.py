"""
Your own family: a Poisson count model as a plug-in
===================================================

A whole model family is one module that no core file names:
``bayescollapse.models.examples.poisson`` registers the Poisson count family (MLE, the
Gamma-Poisson conjugate posterior and a PyMC model). Importing it is all it takes; it
then gets the loop, its own parameters, validation, figures and tables. The module is a
template for your own family (see :doc:`../guide/own-model` and :doc:`../contributing`).
Naming it in ``plugins`` records it with the results, so a TOML file or the command line
(``--plugin bayescollapse.models.examples.poisson``) can name it too.
"""

from bayescollapse import RunConfig, run, settings_grid, summary_frame
from bayescollapse.present.plots import plot_error

settings = settings_grid(
    real_fraction=["zero", "0.3"], sample_size=["30"], method=["mle", "conjugate"]
)
config = RunConfig(
    model="poisson",
    plugins=("bayescollapse.models.examples.poisson",),
    settings=settings,
    truth="rate:3",
    generations=20,
    replicates=50,
    seed=6,
)
ds = run(config, progress=False)
fig = plot_error(ds)

# %%
# The family's own summary columns, at the last generation.
summary_frame(ds, generation=-1)
