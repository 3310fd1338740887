"""Claim: the seed paper's study on the PyMC path (K = 50, n = 1000, T = 200, R = 100;
alpha = 0.1 constant and alpha_t = 0.5 t^-0.5 decaying) runs in at most 7 minutes on this
machine at the ESS its summaries need (1000, as configs/paper_pymc.toml sets), its loop
within 1.2x of the sampler's own floor, with the adaptation carried
across generations as correct as tuning afresh: 0 divergences, R-hat and ESS flags no
worse, and the conjugate oracle agreeing within Monte Carlo error at every diagnosed
generation.

Measured side by side in one process, each part timed on generations 0..G and
extrapolated to the study (its one compilation, then per setting 201 generations of
4 blocks x 25 replicates, NUTS diagnostics at 21 of them: 0, 10, ..., 200):

- ours: ``run()`` with the defaults (2 chains x 1000 draws; each block's generation 0
  tunes 500 steps, the later ones start from the previous generation's adaptation and
  re-tune 100); the diagnostics are timed apart;
- floor: every ``sample_nuts`` call of that run replayed alone (the same compiled model,
  data, seed, draws, tuning and carried start: the same draws), with no recording,
  diagnostics or synthetic data;
- fresh: the same run tuning every generation in full (``adaptation='fresh'``, 500 steps);
- fewer draws: the same run with a target bulk ESS of 1000 (2 x 500 draws), carried and
  tuned afresh (whose R-hat and ESS flags the carried ones are held to at that length);
- naive: per replicate and generation a new ``pm.Model`` (``pm.Dirichlet`` +
  ``pm.Multinomial``) and ``pm.sample`` with the same draws, timed on a few fits;
- oracle: at every diagnosed generation (0 and G) each PyMC posterior mean is held to
  the exact Dirichlet mean of the data that fit saw, within z Monte Carlo standard errors
  (z for a family-wise 1 % over all of them), for both adaptations.
"""

import copy
import time

import numpy as np
import pymc as pm
from scipy import stats

import bayescollapse.models.pymc_fit as pymc_fit
from bayescollapse import RunConfig, Setting, run
from bayescollapse.models.categorical.truth import make_truth

K, N, T, R, BLOCK, EVERY, MEASURED = 50, 1000, 200, 100, 25, 10, 10
#: the target bulk ESS the study's summaries need: posterior means at an MCSE of 0.05 sd
#: need 400, the ends of a 94 % interval at 0.1 sd a tail ESS of about 630 (half the
#: default draws); its R-hat share above 1.01 is then chance's at that length, the same
#: carried or tuned afresh (both are measured)
FEWER = 1000
SCHEDULES = {"constant": "0.1", "decaying": "power:0.5:-0.5"}
BLOCKS = R // BLOCK


def config(generations: int, replicates: int = R, **sampler) -> RunConfig:
    settings = tuple(
        Setting(name=name, method="pymc", real_fraction=alpha, sample_size=str(N))
        for name, alpha in SCHEDULES.items()
    )
    return RunConfig(
        settings=settings,
        num_tokens=K,
        generations=generations,
        replicates=replicates,
        replicate_block=BLOCK,
        diagnostics_every=EVERY,
        seed=2026,
        **sampler,
    )


def instrumented():
    """Record every sampler call (to replay it) and time the diagnostics, from now on."""
    calls: list[dict] = []
    spent: list[float] = []
    sample, diagnose = pymc_fit.sample_nuts, pymc_fit.nuts_diagnostics

    def recording(compiled, family, *, rng, cores=None, warm=None, **data):
        calls.append(
            dict(compiled=compiled, family=family, rng=copy.deepcopy(rng), cores=cores)
            | dict(warm=copy.deepcopy(warm), data=data)
        )
        return sample(compiled, family, rng=rng, cores=cores, warm=warm, **data)

    def timed(*args, **kwargs):
        start = time.perf_counter()
        out = diagnose(*args, **kwargs)
        spent.append(time.perf_counter() - start)
        return out

    pymc_fit.sample_nuts, pymc_fit.nuts_diagnostics = recording, timed
    return calls, spent, lambda: _restore(sample, diagnose)


def _restore(sample, diagnose):
    pymc_fit.sample_nuts, pymc_fit.nuts_diagnostics = sample, diagnose


def measured(**sampler):
    """Run generations 0..MEASURED; return results, wall seconds, diagnostics, calls."""
    calls, spent, restore = instrumented()
    start = time.perf_counter()
    results = run(config(MEASURED, **sampler))
    wall = time.perf_counter() - start
    restore()
    return results, wall, sum(spent), calls


def floor(calls) -> float:
    """Seconds of the recorded sampler calls replayed alone."""
    start = time.perf_counter()
    for c in calls:
        pymc_fit.sample_nuts(
            c["compiled"], c["family"], rng=c["rng"], cores=c["cores"], warm=c["warm"], **c["data"]
        )
    return time.perf_counter() - start


def oracle(results, calls) -> tuple[float, int]:
    """Largest |PyMC mean - exact mean| / MCSE over the diagnosed generations, and the count.

    The calls run setting by setting, block by block, generation by generation.
    """
    z = []
    for i, c in enumerate(calls):
        s, rest = divmod(i, BLOCKS * (MEASURED + 1))
        b, t = divmod(rest, MEASURED + 1)
        if t % EVERY:
            continue
        post = c["data"]["prior"] + c["data"]["counts"]
        exact = post / post.sum(axis=-1, keepdims=True)
        cell = dict(setting=s, generation=t, replicate=slice(b * BLOCK, (b + 1) * BLOCK))
        ours = results.isel(cell)
        z.append((ours["theta_mean"].values - exact) / ours["theta_mcse_mean"].values)
    z = np.abs(np.concatenate([x.ravel() for x in z]))
    return float(z.max()), z.size


def flags(results) -> str:
    """Per-replicate R-hat and ESS flags at the diagnosed generations."""
    diagnosed = results.isel(generation=slice(0, None, EVERY))
    r_hat = diagnosed["r_hat_max"].values
    ess = diagnosed["ess_bulk_min"].values
    share = float(np.mean(diagnosed["theta_r_hat"].values > 1.01))
    return (
        f"max R-hat {np.nanmax(r_hat):.4f} ({int((r_hat > 1.05).sum())} replicates > 1.05, "
        f"{100 * share:.2f} % of parameters > 1.01), "
        f"min bulk ESS {np.nanmin(ess):.0f} ({int((ess < 400).sum())} replicates < 400)"
    )


def naive_fit(counts: np.ndarray, seed: int) -> None:
    with pm.Model():
        theta = pm.Dirichlet("theta", a=np.ones(K))
        pm.Multinomial("obs", n=int(counts.sum()), p=theta, observed=counts)
        pm.sample(draws=1000, tune=500, chains=2, random_seed=seed, progressbar=False)


def study_minutes(compile_s: float, wall: float, diag: float) -> tuple[float, float, float]:
    """Extrapolate a measured run to the study: (minutes, plain s/gen, diagnosis s/gen)."""
    fits = len(SCHEDULES) * (MEASURED + 1)
    diagnosed = len(SCHEDULES) * (MEASURED // EVERY + 1)
    plain, per_diag = (wall - diag) / fits, diag / diagnosed
    study = compile_s + len(SCHEDULES) * ((T + 1) * plain + (T // EVERY + 1) * per_diag)
    return study / 60, plain, per_diag


def main():
    start = time.perf_counter()
    run(config(1, replicates=BLOCK))  # compile once (the study pays this once)
    compile_s = time.perf_counter() - start

    ours, wall, diag, calls = measured()
    floor_s = floor(calls)
    fresh, fresh_wall, fresh_diag, fresh_calls = measured(adaptation="fresh")
    fewer, fewer_wall, fewer_diag, fewer_calls = measured(ess=FEWER)
    fewer_fresh, *_, fewer_fresh_calls = measured(ess=FEWER, adaptation="fresh")
    minutes, plain, per_diag = study_minutes(compile_s, wall, diag)
    fresh_minutes, fresh_plain, _ = study_minutes(compile_s, fresh_wall, fresh_diag)
    fewer_minutes, _, _ = study_minutes(compile_s, fewer_wall, fewer_diag)
    fits = len(SCHEDULES) * (MEASURED + 1)

    rng = np.random.default_rng(0)
    truth = make_truth("zipf:1", K)
    samples = 3
    start = time.perf_counter()
    for i in range(samples):
        naive_fit(rng.multinomial(N, truth), seed=i)
    naive = (time.perf_counter() - start) / samples * len(SCHEDULES) * R * (T + 1)

    runs = (("carried", ours, calls), ("fresh", fresh, fresh_calls))
    fewer_runs = (
        (f"carried, ess {FEWER}", fewer, fewer_calls),
        (f"fresh, ess {FEWER}", fewer_fresh, fewer_fresh_calls),
    )
    for name, res, cs in (*runs, *fewer_runs):
        worst, count = oracle(res, cs)
        bound = stats.norm.isf(0.01 / (2 * count))
        print(
            f"{name}: oracle at generations 0 and {MEASURED}: {count} posterior means, max "
            f"|error|/MCSE {worst:.2f} (bound z = {bound:.2f}, family-wise 1 %: "
            f"{'ok' if worst < bound else 'FAILED'}); divergences "
            f"{int(res['divergences'].sum())} in {len(cs)} sampler runs; {flags(res)}"
        )
    print(
        f"per generation (4 blocks): loop {plain:.2f} s, floor {floor_s / fits:.2f} s "
        f"(ratio {plain / (floor_s / fits):.2f}x, target <= 1.2x), diagnostics {per_diag:.2f} s "
        f"when diagnosed; fresh tuning {fresh_plain:.2f} s ({fresh_plain / plain:.2f}x the "
        f"carried); compile {compile_s:.1f} s"
    )
    print(
        f"study including its diagnostics against the floor: "
        f"{minutes * 60 / (compile_s + len(SCHEDULES) * (T + 1) * floor_s / fits):.2f}x; "
        f"fresh tuning (the previous default): {fresh_minutes:.1f} min; with ess {FEWER} "
        f"(2 x {FEWER // 2} draws): {fewer_minutes:.1f} min"
    )
    print(f"naive loop (rebuild + pm.sample per replicate and generation): {naive / 3600:.1f} h")
    print(
        f"paper study on the PyMC path at the ESS its summaries need ({FEWER}): "
        f"{fewer_minutes:.1f} min (target <= 7 min; at the default 2 x 1000 draws "
        f"{minutes:.1f} min), loop/floor {plain / (floor_s / fits):.2f}x (target <= 1.2x), "
        f"{naive / (minutes * 60):.0f}x the naive loop"
    )


if __name__ == "__main__":
    main()
