"""Claim: compiling the PyMC model once and refitting it with new data each generation is
several times faster than rebuilding (or re-sampling after ``pm.set_data``) per generation.

Measures, side by side in one run, the time per generation of three ways to fit the same
counts (K = 20 tokens, a block of 4 replicates, 2 chains x 500 draws after 500 tuning):

- rebuild: a new ``pm.Model`` per generation, ``pm.sample(nuts_sampler="nutpie")``;
- set_data: one model, ``pm.set_data`` then ``pm.sample(nuts_sampler="nutpie")``;
- bayescollapse: the fitter of ``make_fitter(DirichletCategorical(...), "pymc", 4)``, compiled once.

Prints the ratios (rebuild / ours, set_data / ours); the compile-once cost is included in ours.
"""

import time

import numpy as np
import pymc as pm

from bayescollapse.models.categorical.family import DirichletCategorical
from bayescollapse.models.categorical.pymc_models import build_model
from bayescollapse.models.registry import make_fitter

K, R, GENERATIONS, DRAWS = 20, 4, 4, 500


def counts_for(generation):
    rng = np.random.default_rng(generation)
    return rng.multinomial(200, np.arange(K, 0, -1) / np.arange(K, 0, -1).sum(), size=R)


def _sample_with(model, generation):
    with model:
        pm.set_data({"counts": counts_for(generation)})
        pm.sample(
            draws=DRAWS,
            tune=DRAWS,
            chains=2,
            nuts_sampler="nutpie",
            random_seed=generation,
            progressbar=False,
        )


def rebuild():
    for g in range(GENERATIONS):
        _sample_with(build_model(DirichletCategorical(K), R), g)


def set_data():
    model = build_model(DirichletCategorical(K), R)
    for g in range(GENERATIONS):
        _sample_with(model, g)


def compiled_once():
    fam = DirichletCategorical(K, draws=DRAWS, tune=DRAWS)
    fitter = make_fitter(fam, "pymc", R)
    for g in range(GENERATIONS):
        fitter.fit(counts_for(g), prior=fam.initial_prior(R), rng=np.random.default_rng(g))


def timed(fn):
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) / GENERATIONS


if __name__ == "__main__":
    times = {
        name: timed(fn)
        for name, fn in [
            ("rebuild", rebuild),
            ("set_data", set_data),
            ("bayescollapse", compiled_once),
        ]
    }
    for name, t in times.items():
        print(f"{name:14s} {t:7.2f} s per generation ({GENERATIONS} generations)")
    ours = times["bayescollapse"]
    print(f"ratio rebuild / compiled-once:  {times['rebuild'] / ours:5.1f}x")
    print(f"ratio set_data / compiled-once: {times['set_data'] / ours:5.1f}x")
