"""Claim: the seed paper's study on the PyMC path (K = 50, n = 1000, T = 200, R = 100;
alpha = 0.1 constant and alpha_t = 0.5 t^-0.5 decaying) runs in under 30 minutes on this
machine, >= 50x faster than the naive loop, with 0 divergences and the conjugate oracle
agreeing within Monte Carlo error.

Measured side by side in one process, each part timed on a subset and extrapolated:

- ours: ``run()`` of both settings (R = 100 in blocks of 25, 2 chains x 1000 draws after
  500 tuning, NUTS diagnostics every 10 generations) on generations 0..G; the
  diagnostics are timed apart, so the study's time is its one compilation plus, per
  setting, 201 fits and 21 diagnosed ones (generations 0, 10, ..., 200);
- naive: per replicate and generation a new ``pm.Model`` (``pm.Dirichlet`` +
  ``pm.Multinomial``) and ``pm.sample`` with the same draws, timed on a few fits and
  scaled to 2 x 100 x 201 fits;
- oracle: at generation 0 the PyMC fits and a conjugate run see the same real data
  (common random numbers), so every PyMC posterior mean is held to the exact
  Dirichlet mean within z Monte Carlo standard errors (z for a family-wise 1 %).
"""

import time

import numpy as np
import pymc as pm
from scipy import stats

import bayescollapse.models.pymc_fit as pymc_fit
from bayescollapse import RunConfig, Setting, run
from bayescollapse.models.categorical.truth import make_truth

K, N, T, R, BLOCK, EVERY, MEASURED = 50, 1000, 200, 100, 25, 10, 5
SCHEDULES = {"constant": "0.1", "decaying": "power:0.5:-0.5"}


def config(method: str, generations: int, replicates: int = R) -> RunConfig:
    settings = tuple(
        Setting(name=name, method=method, real_fraction=alpha, sample_size=str(N))
        for name, alpha in SCHEDULES.items()
    )
    return RunConfig(
        settings=settings,
        num_tokens=K,
        generations=generations,
        replicates=replicates,
        replicate_block=BLOCK,
        seed=2026,
    )


def timed_diagnostics() -> list[float]:
    """Time every call of the NUTS diagnostics from now on (the run is unchanged)."""
    spent: list[float] = []
    inner = pymc_fit.nuts_diagnostics

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        out = inner(*args, **kwargs)
        spent.append(time.perf_counter() - start)
        return out

    pymc_fit.nuts_diagnostics = wrapper
    return spent


def naive_fit(counts: np.ndarray, seed: int) -> None:
    with pm.Model():
        theta = pm.Dirichlet("theta", a=np.ones(K))
        pm.Multinomial("obs", n=int(counts.sum()), p=theta, observed=counts)
        pm.sample(draws=1000, tune=500, chains=2, random_seed=seed, progressbar=False)


def main():
    start = time.perf_counter()
    run(config("pymc", 1, replicates=BLOCK))  # compile once (the study pays this once)
    compile_s = time.perf_counter() - start

    spent = timed_diagnostics()
    start = time.perf_counter()
    ours = run(config("pymc", MEASURED))
    wall = time.perf_counter() - start
    fits = len(SCHEDULES) * (MEASURED + 1)  # per setting: generations 0..MEASURED
    diag = sum(spent) / fits
    plain = (wall - sum(spent)) / fits
    diagnosed = T // EVERY + 1
    study = compile_s + len(SCHEDULES) * ((T + 1) * plain + diagnosed * diag)
    every_gen = compile_s + len(SCHEDULES) * (T + 1) * (plain + diag)

    rng = np.random.default_rng(0)
    truth = make_truth("zipf:1", K)
    samples = 3
    start = time.perf_counter()
    for i in range(samples):
        naive_fit(rng.multinomial(N, truth), seed=i)
    naive = (time.perf_counter() - start) / samples * len(SCHEDULES) * R * (T + 1)

    exact = run(config("conjugate", 1))
    first = ours.isel(generation=0)
    z_err = (first["theta_mean"] - exact["theta_mean"].isel(generation=0)) / first[
        "theta_mcse_mean"
    ]
    count = int(z_err.size)
    z_bound = stats.norm.isf(0.01 / (2 * count))
    worst = float(np.abs(z_err).max())
    beyond_3 = int((np.abs(z_err) > 3).sum())
    divergences = int(ours["divergences"].sum())
    print(
        f"measured: {fits} (setting, generation) fits of 4 blocks x 25 replicates in {wall:.1f} s, "
        f"compile {compile_s:.1f} s; per generation (4 blocks) {plain:.2f} s + "
        f"{diag:.2f} s when diagnosed"
    )
    print(
        f"oracle at generation 0: {count} posterior means, max |error|/MCSE {worst:.2f} "
        f"(bound z = {z_bound:.2f}, family-wise 1 %: {'ok' if worst < z_bound else 'FAILED'}), "
        f"{beyond_3} beyond 3 MCSE (expected {count * 2 * stats.norm.sf(3):.1f}); "
        f"divergences {divergences} in {int(ours['divergences'].size)} sampler runs"
    )
    print(f"study with diagnostics every generation: {every_gen / 60:.1f} min")
    print(f"naive loop (rebuild + pm.sample per replicate and generation): {naive / 3600:.1f} h")
    print(
        f"paper study on the PyMC path: {study / 60:.1f} min (target < 30 min), "
        f"{naive / study:.0f}x the naive loop (target >= 50x)"
    )


if __name__ == "__main__":
    main()
