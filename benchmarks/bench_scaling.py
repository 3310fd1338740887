"""Claim: on every fitting path (MLE, conjugate, PyMC) the cost per generation and replicate
stays flat or falls as R grows (up to R = 1000; PyMC up to 100), with the scaling in K, n,
R and T tabled and its growth exponents fitted.

Each point times ``run()`` over one factor at a time, everything else at its base (K = 50,
n = 1000, R = 20, T = 20 for MLE and conjugate; K = 50, R = 5, T = 3 for PyMC, whose
model is compiled before the clock starts: a compiled model is reused across
generations, so the per-generation cost is what scales). The exponent is the slope of
log time per generation and replicate against log factor. PyMC's n does not enter the
model (it reads counts), and its K grid stops at 1000 (about 10 s per generation).
"""

import time
from dataclasses import replace

import numpy as np

from bayescollapse import RunConfig, Setting, run

BASE = {"mle": dict(k=50, n=1000, r=20, t=20), "conjugate": dict(k=50, n=1000, r=20, t=20)}
BASE["pymc"] = dict(k=50, n=1000, r=5, t=3)
GRIDS = {
    "k": [10, 100, 1000, 10_000],
    "n": [100, 10_000, 1_000_000, 10_000_000],
    "r": [10, 100, 1000],
    "t": [10, 100, 1000],
}
PYMC_GRIDS = {
    "k": [10, 100, 1000],
    "n": [100, 10_000, 10_000_000],
    "r": [5, 25, 100],
    "t": [2, 4, 8],
}


def seconds(method: str, k: int, n: int, r: int, t: int) -> float:
    """Seconds per generation and replicate of run(), compilation excluded for PyMC."""
    config = RunConfig(
        settings=(Setting(method=method, real_fraction="0.1", sample_size=str(n)),),
        num_tokens=k,
        generations=t,
        replicates=r,
        replicate_block=min(r, 25),  # the block measured best for NUTS (bench_pymc_paper)
        seed=1,
    )
    if method == "pymc":
        run(replace(config, generations=1, replicates=config.replicate_block))  # compile
    start = time.perf_counter()
    run(config)
    return (time.perf_counter() - start) / ((t + 1) * r)


def slope(xs, ys) -> float:
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def main():
    seconds("mle", 10, 100, 2, 2)  # warm the imports
    print("| path | factor | values | seconds per generation and replicate | growth exponent |")
    print("| --- | --- | --- | --- | --- |")
    r_slopes = {}
    for method, base in BASE.items():
        for name, values in (PYMC_GRIDS if method == "pymc" else GRIDS).items():
            times = [seconds(method, **{**base, name: v}) for v in values]
            cells = ", ".join(
                f"{v:g}: {s * 1e6:.0f} us" if s < 0.01 else f"{v:g}: {s * 1e3:.0f} ms"
                for v, s in zip(values, times, strict=True)
            )
            exponent = slope(values, times)
            if name == "r":
                r_slopes[method] = exponent
            print(
                f"| {method} | {name.upper()} | {', '.join(f'{v:g}' for v in values)} | "
                f"{cells} | {exponent:.2f} |",
                flush=True,
            )
    flat = all(s <= 0.05 for s in r_slopes.values())
    print(
        "time per replicate against R, growth exponent: "
        + ", ".join(f"{m} {s:+.2f}" for m, s in r_slopes.items())
        + f" ({'flat or falling' if flat else 'grows'}; target <= 0.05)"
    )


if __name__ == "__main__":
    main()
