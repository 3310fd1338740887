"""Claim: a run's memory grows per generation by at most 1.5x the results it fills.

The paper's MLE study (K = 50, n = 1000, R = 100), run for T = 100 and T = 200
generations under ``tracemalloc``: the growth of the peak per extra generation, against
the bytes per generation of the variables the run writes (variables an MLE run never
writes take no memory). Also: the size of the saved NetCDF file (compressed, without the
never-written variables) against the results in memory.
"""

import tempfile
import tracemalloc
from dataclasses import replace
from pathlib import Path

import numpy as np

from bayescollapse import RunConfig, Setting, run, save_results

CONFIG = RunConfig(
    settings=(Setting(method="mle", real_fraction="0.1", sample_size="1000"),),
    num_tokens=50,
    replicates=100,
    seed=1,
)


def peak(generations: int) -> tuple[int, object]:
    tracemalloc.start()
    ds = run(replace(CONFIG, generations=generations))
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top, ds


def written_bytes(ds) -> int:
    """Bytes of the variables a run filled (not the zero-memory NaN views)."""
    return sum(v.values.nbytes for v in ds.data_vars.values() if v.values.strides[-1:] != (0,))


def main():
    run(replace(CONFIG, generations=2))  # warm
    low, high = 100, 200
    p_low, _ = peak(low)
    p_high, ds = peak(high)
    growth = (p_high - p_low) / (high - low)
    filled = written_bytes(ds) / (high + 1)
    with tempfile.TemporaryDirectory() as folder:
        path = save_results(ds, Path(folder) / "r.nc")
        size = path.stat().st_size
    full = sum(np.broadcast_to(v.values, v.shape).nbytes for v in ds.data_vars.values())
    print(f"peak growth {growth / 1e3:.0f} KB per generation; results filled {filled / 1e3:.0f} KB")
    print(f"file {size / 1e6:.1f} MB for {full / 1e6:.0f} MB of results with every variable")
    print(f"growth vs filled: {growth / filled:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
