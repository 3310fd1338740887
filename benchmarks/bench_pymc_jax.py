"""Claim: a JAX sampler through PyMC (numpyro, chains vectorised, replicates a model
dimension as in ours) is kept only if it beats nutpie on this machine (CPU, 2 cores), at
K = 50 (a block of 25 replicates) and K = 1000 (a block of 5), n = 1000.

Measured side by side in one process on the same block model (the exact Gamma-Poisson
Dirichlet of ``models/categorical/pymc_models.py``), the same data and the same draws
(2 chains x 1000 after 500 tuning steps): nutpie compiled once and refitted with
``with_data`` (our path), against ``pm.sample(nuts_sampler="numpyro")``, which traces and
JIT-compiles the model at every call (PyMC's JAX path has no compile-once refit), timed on
its first call and on a second one with new data. Both posteriors are held to the exact
Dirichlet mean (the largest error in posterior sds). JAX is not a dependency: install
``jax`` and ``numpyro`` (e.g. ``pip install --target DIR jax numpyro`` and put DIR on
``PYTHONPATH``) to run this; without them it says so and stops.
"""

import time

import numpy as np
import pymc as pm

from bayescollapse.models.categorical.family import DirichletCategorical
from bayescollapse.models.categorical.pymc_models import build_model
from bayescollapse.models.pymc_fit import compile_model, quiet_pymc, sample_nuts
from bayescollapse.models.warm_start import standardise

N, DRAWS, TUNE = 1000, 1000, 500


def block_data(k: int, replicates: int, seed: int) -> np.ndarray:
    truth = 1 / np.arange(1, k + 1)
    return np.random.default_rng(seed).multinomial(N, truth / truth.sum(), size=replicates)


def worst_error(theta: np.ndarray, counts: np.ndarray) -> float:
    """Largest |posterior mean - exact mean| in posterior sds, over a (draws, R, K) array."""
    post = 1.0 + counts
    exact = post / post.sum(axis=-1, keepdims=True)
    return float(np.max(np.abs(theta.mean(axis=0) - exact) / theta.std(axis=0)))


def nutpie_fits(k: int, replicates: int) -> tuple[float, float, float]:
    """(compile s, s per fit, worst error) of our path, fresh tuning, over 2 fits."""
    family = DirichletCategorical(k, draws=DRAWS, tune=TUNE, adaptation="fresh")
    start = time.perf_counter()
    compiled = compile_model(standardise(build_model(family, replicates))[0])
    compile_s = time.perf_counter() - start
    times, worst = [], 0.0
    for seed in (1, 2):
        counts = block_data(k, replicates, seed).astype(float)
        start = time.perf_counter()
        tree = sample_nuts(
            compiled,
            family,
            rng=np.random.default_rng(seed),
            counts=counts,
            prior=np.ones_like(counts),
        )
        times.append(time.perf_counter() - start)
        theta = tree["posterior"]["theta"].values.reshape(-1, replicates, k)
        worst = max(worst, worst_error(theta, counts))
    return compile_s, min(times), worst


def numpyro_fits(k: int, replicates: int) -> tuple[float, float, float]:
    """(first call s, second call s, worst error) of PyMC's numpyro path."""
    family = DirichletCategorical(k)
    model = build_model(family, replicates)
    times, worst = [], 0.0
    for seed in (1, 2):
        counts = block_data(k, replicates, seed).astype(float)
        start = time.perf_counter()
        with model, quiet_pymc():
            pm.set_data({"counts": counts, "prior": np.ones_like(counts)})
            tree = pm.sample(
                draws=DRAWS,
                tune=TUNE,
                chains=2,
                nuts_sampler="numpyro",
                random_seed=seed,
                progressbar=False,
                compute_convergence_checks=False,
                nuts={"chain_method": "vectorized"},
            )
        times.append(time.perf_counter() - start)
        theta = tree["posterior"]["theta"].values.reshape(-1, replicates, k)
        worst = max(worst, worst_error(theta, counts))
    return times[0], times[1], worst


def main():
    try:
        import jax  # noqa: F401
        import numpyro  # noqa: F401
    except ImportError:
        print("skipped: jax and numpyro are not installed (see the docstring)")
        return
    lines = []
    for k, replicates in ((50, 25), (1000, 5)):
        compile_s, ours, ours_err = nutpie_fits(k, replicates)
        first, second, jax_err = numpyro_fits(k, replicates)
        print(
            f"K={k}, block of {replicates}: nutpie {ours:.2f} s a fit (compile once "
            f"{compile_s:.1f} s; worst error {ours_err:.2f} sd), numpyro {first:.2f} s first "
            f"call, {second:.2f} s next (worst error {jax_err:.2f} sd)"
        )
        lines.append(f"K={k}: numpyro / nutpie {second / ours:.1f}x")
    print("a fit, numpyro (vectorised chains) against nutpie: " + ", ".join(lines))


if __name__ == "__main__":
    main()
