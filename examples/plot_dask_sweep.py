"""
A sweep on Dask: a local cluster, a resumable store
===================================================

:func:`bayescollapse.engine.sweep.sweep` runs a study as units of work (one per setting
and replicate block, through all generations) on Dask distributed, each unit writing its
own region of a Zarr store. Rerun after a crash, it computes only the units not done; its
numbers equal :func:`bayescollapse.run`'s bit for bit, whatever the number of workers.
Here a local cluster of 2 workers; ``scheduler="tcp://HOST:8786"`` uses an existing one
(:doc:`../guide/sweeps`). A script that starts a local cluster needs the
``if __name__ == "__main__":`` guard, as below: Dask spawns its worker processes.
"""

import tempfile
from pathlib import Path

import numpy as np

from bayescollapse import RunConfig, open_results, run, settings_grid
from bayescollapse.engine.sweep import sweep
from bayescollapse.present.plots import plot_error

settings = settings_grid(
    real_fraction=["zero", "0.1", "power:0.5:-0.5"],
    sample_size=["200"],
    method=["mle", "conjugate"],
)
config = RunConfig(
    settings=settings, num_tokens=30, generations=20, replicates=16, replicate_block=8, seed=9
)

if __name__ == "__main__":
    store = Path(tempfile.mkdtemp()) / "study.zarr"
    report = sweep(config, store, workers=2, progress=False)
    print(f"{len(report.run)} units run, {len(report.failed)} failed")
    ds = open_results(store)
    same = np.array_equal(
        ds["sq_l2_to_truth"].values, run(config, progress=False)["sq_l2_to_truth"].values
    )
    print("the sweep equals run() bit for bit:", same)
    again = sweep(config, store, workers=2, progress=False)  # a rerun resumes: all done
    print(f"rerun: {len(again.run)} units run, {len(again.skipped)} skipped as done")
    fig = plot_error(ds)
