"""Claim: at K = 1000 tokens a PyMC replicate-generation costs at most 0.5 s (n = 1000,
R = 5 in one block, 2 chains x 1000 draws, diagnostics every 10 generations), or the
profile says what bounds it.

Measured side by side in one process on generations 0..10 (compilation excluded): the
default (adaptation carried from each generation to the next, re-tuning 100 steps) and
tuning afresh every generation (500 steps); then a profile of the carried run splits a
replicate-generation into the sampler (nutpie's own wait), the extraction of its trace,
the NUTS diagnostics (at generations 0 and 10) and the rest (recording, synthetic data).
"""

import cProfile
import pstats
import time
from dataclasses import replace

from bayescollapse import RunConfig, Setting, run

K, N, R, T = 1000, 1000, 5, 10


def config(**fields) -> RunConfig:
    setting = Setting(method="pymc", real_fraction="0.1", sample_size=str(N))
    return RunConfig(
        settings=(setting,),
        num_tokens=K,
        generations=T,
        replicates=R,
        diagnostics_every=10,
        seed=7,
        **fields,
    )


def per_replicate_generation(cfg: RunConfig) -> tuple[float, object]:
    start = time.perf_counter()
    results = run(cfg)
    return (time.perf_counter() - start) / (R * (T + 1)), results


def profile(cfg: RunConfig) -> dict[str, float]:
    """Seconds per replicate-generation of the sampler, extraction, diagnostics and the rest."""
    prof = cProfile.Profile()
    prof.enable()
    run(cfg)
    prof.disable()
    stats = pstats.Stats(prof).stats
    cum = {}
    for (path, _, name), (_, _, _, total, _) in stats.items():
        cum[(path.rsplit("/", 1)[-1], name)] = cum.get((path.rsplit("/", 1)[-1], name), 0) + total
    whole = cum[("loop.py", "run")]
    parts = {
        "sampler": cum[("~", "<method 'wait' of 'builtins.PySampler' objects>")],
        "trace extraction": cum[("sample.py", "_extract")],
        "diagnostics": cum[("sampler.py", "nuts_diagnostics")],
    }
    parts["rest"] = whole - sum(parts.values())
    return {k: v / (R * (T + 1)) for k, v in parts.items()}


def main():
    run(replace(config(), generations=1))  # compile once
    carried, res = per_replicate_generation(config())
    fresh, fresh_res = per_replicate_generation(config(adaptation="fresh"))
    for name, r in (("carried", res), ("fresh", fresh_res)):
        print(
            f"{name}: divergences {int(r['divergences'].sum())}, max R-hat "
            f"{float(r['r_hat_max'].max()):.3f}, min bulk ESS {float(r['ess_bulk_min'].min()):.0f}"
        )
    parts = profile(config())
    print(
        "profile of the carried run, s per replicate-generation: "
        + ", ".join(f"{k} {v:.3f}" for k, v in parts.items())
    )
    print(
        f"K = 1000: {carried:.2f} s per replicate-generation carried (target <= 0.5 s), "
        f"{fresh:.2f} s tuning afresh"
    )


if __name__ == "__main__":
    main()
