"""Claim: a sweep of 8 units runs >= 1.6x faster on 2 Dask workers than on 1.

Both sides are real ``LocalCluster``s of single-threaded worker processes, started and
warmed (each worker has imported the package and run one small unit) before timing, and
both write the same study into a fresh Zarr store. The study: 8 units (4 settings x 2
replicate blocks), conjugate fits with their posterior summaries, K = 300, 150 generations.
The two stores are checked to be equal array for array.
"""

import shutil
import tempfile
import time
from pathlib import Path

import xarray as xr
from distributed import Client, LocalCluster

from bayescollapse import RunConfig, settings_grid
from bayescollapse.engine.sweep import run_distributed, sweep
from bayescollapse.io.results import open_results

CONFIG = RunConfig(
    settings=settings_grid(
        method=["conjugate"], real_fraction=["0.1", "0.5"], synthetic=["ancestral", "plugin"]
    ),
    num_tokens=300,
    generations=150,
    replicates=8,
    replicate_block=4,
    seed=1,
)
WARM = RunConfig(num_tokens=5, generations=1, replicates=2, seed=0)


def timed(workers: int, store: Path) -> float:
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(workers)
        for _ in range(workers):
            run_distributed(WARM, client=client)
        start = time.perf_counter()
        report = sweep(CONFIG, store, client=client)
        elapsed = time.perf_counter() - start
        assert len(report.run) == 8 and not report.failed
    return elapsed


def main():
    folder = Path(tempfile.mkdtemp())
    try:
        one = timed(1, folder / "one.zarr")
        two = timed(2, folder / "two.zarr")
        a, b = open_results(folder / "one.zarr"), open_results(folder / "two.zarr")
        xr.testing.assert_equal(a.drop_attrs(), b.drop_attrs())
    finally:
        shutil.rmtree(folder)
    print(f"8 units: 1 worker {one:.1f} s, 2 workers {two:.1f} s (same results)")
    print(f"2 workers vs 1: {one / two:.2f}x (target >= 1.6x)")


if __name__ == "__main__":
    main()
