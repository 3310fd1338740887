"""Run the seed paper's PyMC study end to end as a sweep, time it and check it (not a test).

The study of ``configs/paper_pymc.toml`` (K = 50, n = 1000, T = 200, R = 100 in blocks of
25, two schedules, diagnostics every 10 generations) through ``bayescollapse sweep`` on
2 Dask workers, timed from outside; then the checks of issue 32:

- the conjugate oracle at every diagnosed generation: each posterior mean against the
  exact Dirichlet mean of the counts that fit saw (``train_count``, prior 1), within z
  Monte Carlo standard errors, z for a family-wise 1 % over all of them;
- divergences (0 expected), the replicates' R-hat above 1.05 and bulk ESS below 400 (the
  ``diagnose`` flags), and the share of parameters above R-hat 1.01;
- ``run`` gives the sweep's numbers: block 0 of both settings run in this process (a
  run of 25 replicates is the study's block 0: the streams are keyed by block) must
  equal the store's replicates 0-24 bit for bit.

    .venv/bin/python scripts/paper_pymc_study.py [--out DIR] [--set KEY=VALUE ...]

``--set ess=1000`` (a TOML value) changes the configuration's top-level keys.
"""

import argparse
import dataclasses
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "configs" / "paper_pymc.toml"


def oracle(results) -> tuple[float, float, int]:
    """(max |error| / MCSE, the family-wise 1 % bound, count) over the diagnosed generations."""
    diagnosed = results["theta_mcse_mean"].notnull().any(["setting", "replicate", "token"])
    cells = results.isel(generation=np.flatnonzero(diagnosed.values))
    post = 1.0 + cells["train_count"]
    exact = post / post.sum("token")
    z = np.abs((cells["theta_mean"] - exact) / cells["theta_mcse_mean"]).values
    return float(np.nanmax(z)), float(stats.norm.isf(0.01 / (2 * z.size))), z.size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="the store (default: a temp dir)")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    from bayescollapse import RunConfig, open_results, run

    folder = Path(tempfile.mkdtemp()) if args.out is None else args.out
    folder.mkdir(parents=True, exist_ok=True)
    config_file = folder / "paper_pymc.toml"
    text = CONFIG.read_text()
    head, tables = text.split("[[settings]]", 1)
    config_file.write_text(head + "".join(f"{kv}\n" for kv in args.set) + "\n[[settings]]" + tables)
    store = folder / "paper_pymc.zarr"
    command = [sys.executable, "-m", "bayescollapse", "sweep", str(config_file)]
    command += ["--workers", "2", "--out", str(store)]
    start = time.perf_counter()
    subprocess.run(command, check=True)
    minutes = (time.perf_counter() - start) / 60
    results = open_results(store)

    worst, bound, count = oracle(results)
    r_hat, ess = results["r_hat_max"], results["ess_bulk_min"]
    share = float((results["theta_r_hat"] > 1.01).sum() / results["theta_r_hat"].notnull().sum())
    config = RunConfig.from_dict(json.loads(results.attrs["config"]))
    block = dataclasses.replace(config, replicates=config.replicate_block)
    again = run(block)
    first = results.isel(replicate=slice(0, config.replicate_block))
    same = all(
        np.array_equal(first[v].values, again[v].values, equal_nan=True)
        for v in again.data_vars
        if "replicate" in again[v].dims
    )
    print(
        f"paper study on the PyMC path, end to end as a sweep on 2 workers: {minutes:.1f} min "
        f"(target <= 7 min); oracle at the diagnosed generations: {count} posterior means, max "
        f"|error|/MCSE {worst:.2f} (bound {bound:.2f}: {'ok' if worst < bound else 'FAILED'}); "
        f"divergences {int(results['divergences'].sum())}; replicates with R-hat > 1.05: "
        f"{int((r_hat > 1.05).sum())}, bulk ESS < 400: {int((ess < 400).sum())}; "
        f"{100 * share:.2f} % of parameters above R-hat 1.01; run of block 0 equals the "
        f"sweep's: {same}"
    )
    return 0 if same and worst < bound else 1


if __name__ == "__main__":
    sys.exit(main())
